"""A classroom of simulated students against a running app, over Streamlit's own websocket protocol.

No browser: each student is one asyncio task that does what the browser does on the wire. It loads
the page over HTTP (keeping the cookies, so a proxy with cookie stickiness routes it as it would a
browser), opens ``ws://HOST/_stcore/stream`` (subprotocol ``streamlit``, the XSRF cookie as the
second entry, as the frontend sends it), asks for the Step by step page with a ``BackMsg``
``rerun_script`` and reads ``ForwardMsg``s until ``script_finished``. It checks that the page is
the Step by step page (its h1), then every ``--period`` seconds toggles the page's "Activation"
selectbox between tanh and relu and times send -> ``script_finished``.

Each change sends the widget states a browser holds (every checkbox/toggle, selectbox, number
input, text input and slider of the last run, read from that run's deltas, with the changed one
set; ``--minimal-states`` sends the changed widget only), the share-link query string the app last
wrote and the page's script hash, as the frontend does. Widget ids are re-read from every run.

A change counts as an error when the run ends with an exception element, a ``script_finished``
status other than success, a disconnect or a timeout, or when the model did not change: the
Activation selectbox of the new run must show the new value and the page's other elements must
differ from the previous run's (relu and tanh give different hidden states). After a disconnect or
a timeout that student stops (a browser would reconnect into a fresh session).

One student has at most one change in flight (a person waits for the page): changes are due on a
grid of ``--period`` seconds after the first run; a change that is due while the previous one is
still running is skipped, and counted in ``skipped``. Students start evenly spread over the first
period. Changes are sent for ``--duration`` seconds; the ones in flight then are awaited.

Usage (start the app or the classroom first; see classroom/run.py):
  python bench/bench_classroom.py --url http://127.0.0.1:8501 --students 1,10,30 [--period 2] \
      [--duration 40] [--json out.json]
Without a server at the default URL it says so and exits 0 (so `make bench` passes without one).
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin, Subprotocol

PAGE_PATH = "step_by_step"  # the page's url path (app/navigation.py derives it from views/step_by_step.py)
PAGE_TITLE = "Step by step"
WIDGET_LABEL = "Activation"
VALUES = ("tanh", "relu")
DEFAULT_URL = "http://127.0.0.1:8501"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) bench_classroom/1.0"
OK_STATUSES = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
# element types that are widgets whose value the browser keeps (buttons' triggers are not kept)
KEPT_WIDGETS = ("checkbox", "selectbox", "number_input", "text_input", "slider")


class RunError(Exception):
    """A run that did not end well: kind is one of timeout, disconnect, status, exception."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@dataclass
class Run:
    """What one script run sent: its widgets by delta path, its text, the status it ended with."""

    status: int = -1
    widgets: dict[tuple[int, ...], tuple[str, Any, str]] = field(default_factory=dict)  # path -> (type, proto, frag)
    headings: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    content: Any = field(default_factory=hashlib.sha256)  # digest of the non-widget elements

    @property
    def fragment(self) -> bool:
        return self.status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY


def widget_value(kind: str, w: Any) -> WidgetState | None:
    """The value a browser holds for the widget ``w`` (an element proto of type ``kind``), or None."""
    s = WidgetState(id=w.id)
    if kind == "checkbox":
        s.bool_value = w.value if w.set_value else w.default
    elif kind == "selectbox":
        if w.set_value:
            if not w.raw_value:
                return None
            s.string_value = w.raw_value
        elif w.HasField("default") and 0 <= w.default < len(w.options):
            s.string_value = w.options[w.default]
        else:
            return None
    elif kind == "number_input":
        if w.set_value:
            v = w.value
        elif w.HasField("default"):
            v = w.default
        else:
            return None
        if w.data_type == w.INT:
            s.int_value = int(v)
        else:
            s.double_value = v
    elif kind == "text_input":
        if w.set_value:
            s.string_value = w.value
        elif w.HasField("default"):
            s.string_value = w.default
        else:
            return None
    elif kind == "slider" and w.type == w.SELECT_SLIDER:  # its value is the formatted option(s)
        if w.set_value:
            labels = list(w.raw_value)
        else:
            labels = [w.options[int(i)] for i in w.default if 0 <= int(i) < len(w.options)]
        if not labels:
            return None
        s.string_array_value.data.extend(labels)
    elif kind == "slider":
        vals = list(w.value) if w.set_value else list(w.default)
        if not vals:
            return None
        s.double_array_value.data.extend(vals)
    else:
        return None
    return s


def selectbox_shows(w: Any) -> str | None:
    if w.set_value and w.raw_value:
        return str(w.raw_value)
    if w.HasField("default") and 0 <= w.default < len(w.options):
        return str(w.options[w.default])
    return None


@dataclass
class Student:
    index: int
    base_url: str
    timeout: float
    minimal_states: bool
    ws: ClientConnection | None = None
    page_hash: str = ""
    query_string: str = ""
    widgets: dict[tuple[int, ...], tuple[str, Any, str]] = field(default_factory=dict)
    content: str = ""
    upstreams: set[str] = field(default_factory=set)
    load_ms: float | None = None
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)  # the first few error details, for the JSON
    sent: int = 0
    skipped: int = 0
    alive: bool = False

    def error(self, kind: str, detail: str = "") -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.samples) < 3:
            self.samples.append(f"{kind}: {detail}"[:300])

    # --- connection ------------------------------------------------------------------------

    def _load_page(self) -> dict[str, str]:
        """GET the page as a browser does first; return its cookies (the proxy's sticky cookie among them)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # offline: never an env proxy
        req = urllib.request.Request(f"{self.base_url}/{PAGE_PATH}", headers={"User-Agent": USER_AGENT})
        cookies: dict[str, str] = {}
        with opener.open(req, timeout=self.timeout) as resp:
            resp.read()
            for header in resp.headers.get_all("Set-Cookie") or []:
                jar: SimpleCookie = SimpleCookie()
                jar.load(header)
                cookies.update({k: m.value for k, m in jar.items()})
            if resp.headers.get("X-Upstream"):
                self.upstreams.add(resp.headers["X-Upstream"])
        return cookies

    async def connect(self) -> None:
        cookies = await asyncio.to_thread(self._load_page)
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        protocols = ["streamlit"] + ([cookies["_streamlit_xsrf"]] if "_streamlit_xsrf" in cookies else [])
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        self.ws = await connect(f"{scheme}://{parts.netloc}/_stcore/stream",
                                origin=Origin(f"{parts.scheme}://{parts.netloc}"),  # as the page's own script
                                subprotocols=[Subprotocol(p) for p in protocols], additional_headers=headers,
                                user_agent_header=USER_AGENT, proxy=None, max_size=None, open_timeout=self.timeout)
        if self.ws.response is not None and self.ws.response.headers.get("X-Upstream"):
            self.upstreams.add(self.ws.response.headers["X-Upstream"])
        self.alive = True

    async def close(self) -> None:
        self.alive = False
        if self.ws is not None:
            try:
                await self.ws.close()
            except Exception:  # already broken: nothing to close politely
                pass

    # --- one run -----------------------------------------------------------------------------

    async def rerun(self, states: list[WidgetState] | None, fragment_id: str = "", first: bool = False) -> Run:
        """Send a rerun_script as the frontend does and read the ForwardMsgs up to script_finished."""
        assert self.ws is not None
        bm = BackMsg()
        cs = bm.rerun_script
        cs.query_string = self.query_string
        if first:  # a fresh tab: the page comes from the URL path, the frontend knows no hash yet
            cs.page_name = PAGE_PATH
            ctx = cs.context_info
            ctx.timezone, ctx.timezone_offset, ctx.locale = "UTC", 0, "en-US"
            ctx.url, ctx.color_scheme = f"{self.base_url}/{PAGE_PATH}", "light"
        else:
            cs.page_script_hash = self.page_hash
        cs.widget_states.SetInParent()
        cs.widget_states.widgets.extend(states or [])
        if fragment_id:
            cs.fragment_id = fragment_id
        try:
            await self.ws.send(bm.SerializeToString())
        except websockets.ConnectionClosed as e:
            raise RunError("disconnect", str(e)) from None
        run = Run()
        started = False
        async with asyncio.timeout(self.timeout):
            while True:
                try:
                    data = await self.ws.recv()
                except websockets.ConnectionClosed as e:
                    raise RunError("disconnect", str(e)) from None
                fm = ForwardMsg()
                fm.ParseFromString(data)  # type: ignore[arg-type]
                kind = fm.WhichOneof("type")
                if kind == "new_session":
                    started = True
                elif kind == "navigation":
                    # the page shown (new_session's hash is the entry file's, with st.navigation)
                    self.page_hash = fm.navigation.page_script_hash
                elif kind == "page_info_changed":
                    self.query_string = fm.page_info_changed.query_string  # the browser puts it in its address bar
                elif kind == "session_event" and fm.session_event.WhichOneof("type") == "script_compilation_exception":
                    run.exceptions.append(fm.session_event.script_compilation_exception.message)
                elif kind == "delta" and started:
                    self._take_delta(fm, run)
                elif kind == "script_finished" and started:
                    run.status = fm.script_finished
                    return run

    def _take_delta(self, fm: ForwardMsg, run: Run) -> None:
        d = fm.delta
        if d.WhichOneof("type") != "new_element":
            return
        el = d.new_element
        kind = el.WhichOneof("type")
        if kind is None:
            return
        proto = getattr(el, kind)
        if kind == "exception":
            run.exceptions.append(f"{proto.type}: {proto.message}")
        elif kind == "heading":
            run.headings.append(proto.body)
        if getattr(proto, "id", "") and kind != "dataframe":  # a widget (a data_editor is a dataframe with an id)
            run.widgets[tuple(fm.metadata.delta_path)] = (kind, proto, d.fragment_id)
        else:
            run.content.update(el.SerializeToString(deterministic=True))

    def _keep(self, run: Run) -> None:
        """The browser's view after a run: a full run replaces every widget, a fragment run its own."""
        if run.fragment:
            self.widgets.update(run.widgets)
        else:
            self.widgets = dict(run.widgets)

    def _activation(self) -> tuple[str, Any, str] | None:
        for kind, proto, frag in self.widgets.values():
            if kind == "selectbox" and proto.label == WIDGET_LABEL:
                return kind, proto, frag
        return None

    # --- the student's life ------------------------------------------------------------------

    async def open(self) -> None:
        """Open the Step by step page; raises on anything a person would see as broken."""
        t0 = time.perf_counter()
        await self.connect()
        run = await self.rerun([], first=True)
        if run.status not in OK_STATUSES or run.exceptions:
            raise RunError("status" if run.status not in OK_STATUSES else "exception", "first run")
        if PAGE_TITLE not in run.headings:
            raise RunError("wrong_page", f"headings {run.headings[:3]}")
        self.load_ms = (time.perf_counter() - t0) * 1e3
        self._keep(run)
        self.content = run.content.hexdigest()
        if self._activation() is None:
            raise RunError("no_widget", f"no {WIDGET_LABEL!r} selectbox on the page")

    async def change(self) -> None:
        """Toggle the activation once and time it; record the outcome."""
        found = self._activation()
        if found is None:
            self.error("no_widget")
            return
        _, act, frag = found
        new = VALUES[1] if selectbox_shows(act) == VALUES[0] else VALUES[0]
        changed = WidgetState(id=act.id, string_value=new)
        if self.minimal_states:
            states = [changed]
        else:
            states = [changed]
            for kind, proto, _f in self.widgets.values():
                if proto.id != act.id and kind in KEPT_WIDGETS:
                    s = widget_value(kind, proto)
                    if s is not None:
                        states.append(s)
        self.sent += 1
        t0 = time.perf_counter()
        try:
            run = await self.rerun(states, fragment_id=frag)
        except TimeoutError:
            self.error("timeout", f"no script_finished after {self.timeout:g} s")
            await self.close()
            return
        except RunError as e:
            self.error(e.kind, e.detail)
            await self.close()
            return
        except Exception as e:  # anything else: this student is done, the measurement goes on
            self.error("client", repr(e))
            await self.close()
            return
        ms = (time.perf_counter() - t0) * 1e3
        self._keep(run)
        if run.status not in OK_STATUSES:
            self.error("status")
            return
        if run.exceptions:
            self.error("exception", run.exceptions[0])
            return
        now = self._activation()
        digest = run.content.hexdigest()
        if now is None or selectbox_shows(now[1]) != new or (not run.fragment and digest == self.content):
            self.error("unchanged", f"wanted {new}, the page shows {selectbox_shows(now[1]) if now else None}")
            self.content = digest
            return
        self.content = digest
        self.latencies.append(ms)

    async def live(self, delay: float, period: float, deadline: float) -> None:
        await asyncio.sleep(delay)
        opened = False
        try:
            await self.open()
            opened = True
        except TimeoutError:
            self.error("timeout", "opening the page")
        except RunError as e:
            self.error(e.kind, e.detail)
        except (OSError, urllib.error.URLError, websockets.InvalidHandshake, websockets.ConnectionClosed) as e:
            self.error("connect", str(e))
            print(f"  student {self.index}: could not open the page: {e!r}", file=sys.stderr)
        if not opened:
            await self.close()
            return
        due = time.perf_counter() + period
        while self.alive:
            now = time.perf_counter()
            if due >= deadline:
                break
            if now < due:
                await asyncio.sleep(due - now)
            await self.change()
            due += period
            while due < time.perf_counter() and due < deadline:  # a change due during the last one: a person waits
                due += period
                self.skipped += 1
        await self.close()


def pct(xs: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation between closest ranks."""
    s = sorted(xs)
    if len(s) == 1:
        return s[0]
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


async def classroom(url: str, n: int, period: float, duration: float, timeout: float, minimal: bool) -> dict:
    students = [Student(i, url, timeout, minimal) for i in range(n)]
    t0 = time.perf_counter()
    deadline = t0 + duration
    await asyncio.gather(*(s.live(i * period / n, period, deadline) for i, s in enumerate(students)))
    wall = time.perf_counter() - t0
    lat = [ms for s in students for ms in s.latencies]
    kinds: dict[str, int] = {}
    for s in students:
        for k, v in s.errors.items():
            kinds[k] = kinds.get(k, 0) + v
    loads = [s.load_ms for s in students if s.load_ms is not None]
    workers: dict[str, int] = {}
    for s in students:
        for u in s.upstreams:
            workers[u] = workers.get(u, 0) + 1
    return {
        "students": n, "period_s": period, "duration_s": duration, "wall_s": round(wall, 2),
        "changes_sent": sum(s.sent for s in students), "changes_ok": len(lat),
        "skipped_busy": sum(s.skipped for s in students),
        "p50_ms": round(statistics.median(lat), 1) if lat else None,
        "p95_ms": round(pct(lat, 0.95), 1) if lat else None,
        "max_ms": round(max(lat), 1) if lat else None,
        "errors": sum(kinds.values()), "error_kinds": kinds,
        "error_samples": [x for s in students for x in s.samples][:10],
        "reruns_per_s": round(len(lat) / duration, 2),
        "first_load_p50_ms": round(statistics.median(loads), 1) if loads else None,
        "students_opened": len(loads),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "students_per_upstream": workers,
        "students_on_several_upstreams": sum(1 for s in students if len(s.upstreams) > 1),
        "latencies_ms": [round(x, 1) for x in lat],
    }


def fmt(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:.0f}"


def server_up(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/_stcore/health", timeout=5) as r:
            return r.read().strip() == b"ok"
    except (OSError, urllib.error.URLError):
        return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=None, help=f"the app or the classroom proxy (default {DEFAULT_URL})")
    ap.add_argument("--students", action="append", default=None,
                    help="students per measurement: repeat it or give a list, e.g. 1,10,30 (default 1,10,30)")
    ap.add_argument("--period", type=float, default=2.0, help="seconds between one student's changes (default 2)")
    ap.add_argument("--duration", type=float, default=40.0, help="seconds of changes per measurement (default 40)")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds before a run counts as timed out (default 30)")
    ap.add_argument("--pause", type=float, default=3.0, help="seconds between measurements (default 3)")
    ap.add_argument("--minimal-states", action="store_true", help="send only the changed widget's state")
    ap.add_argument("--json", metavar="PATH", help="also write the figures (and every latency) to PATH")
    args = ap.parse_args(argv)
    url = (args.url or DEFAULT_URL).rstrip("/")
    counts = [int(x) for item in (args.students or ["1,10,30"]) for x in item.split(",") if x.strip()]
    if not counts or min(counts) < 1:
        ap.error("--students needs positive numbers")
    if not server_up(url):
        print(f"bench_classroom: no app answers at {url}/_stcore/health; start one (python classroom/run.py, "
              f"or streamlit run app/streamlit_app.py) and pass --url", file=sys.stderr)
        return 2 if args.url else 0  # `make bench` runs it without arguments and without a server
    print(f"bench_classroom: {url}, Step by step page, toggling {WIDGET_LABEL} {'/'.join(VALUES)} every "
          f"{args.period:g} s for {args.duration:g} s, {os.cpu_count()} CPUs here")
    print(f"{'students':>8} {'sent':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'errors':>6} {'reruns/s':>8}  "
          "load avg (1/5/15 min)")
    results = []
    for i, n in enumerate(counts):
        if i:
            time.sleep(args.pause)
        r = asyncio.run(classroom(url, n, args.period, args.duration, args.timeout, args.minimal_states))
        results.append(r)
        la = " ".join(f"{x:.2f}" for x in r["loadavg"])
        print(f"{n:>8} {r['changes_sent']:>6} {fmt(r['p50_ms']):>7} {fmt(r['p95_ms']):>7} {fmt(r['max_ms']):>7} "
              f"{r['errors']:>6} {r['reruns_per_s']:>8.2f}  {la}", flush=True)
        extra = []
        if r["error_kinds"]:
            extra.append("errors: " + ", ".join(f"{k} {v}" for k, v in sorted(r["error_kinds"].items())))
        if r["skipped_busy"]:
            extra.append(f"{r['skipped_busy']} change(s) skipped while the previous one still ran")
        if r["students_per_upstream"]:
            per = ", ".join(f"{k} {v}" for k, v in sorted(r["students_per_upstream"].items()))
            extra.append(f"students per worker: {per}; on more than one worker: {r['students_on_several_upstreams']}")
        if r["students_opened"] < n:
            extra.append(f"only {r['students_opened']} of {n} students got the page open")
        for line in extra:
            print(f"{'':>8} {line}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"url": url, "cpus": os.cpu_count(), "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
