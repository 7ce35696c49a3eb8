"""Helpers for the real-browser tests: start the app, wait for Streamlit, go to a page.

Used by tests/conftest.py (fixtures `app_server`, `browser`, `page`) and by browser tests:

    from browser_utils import goto, wait_for_app

    @pytest.mark.browser
    def test_something(page, app_server):
        goto(page, app_server, "/step_by_step")
        page.get_by_role("button", name="Step").click()
        wait_for_app(page)
        expect(page.get_by_text("tanh")).to_be_visible()

URL paths come from the view's file name under app/views/ (views/step_by_step.py ->
/step_by_step); the default page (Home) is "/".
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "app" / "streamlit_app.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}

APP_IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
APP_CONNECTED = "[data-testid=stApp][data-test-connection-state=CONNECTED]"


def browser_required() -> bool:
    """True when a missing browser must fail the run (`make test` sets BIRNN_REQUIRE_BROWSER=1)."""
    return os.environ.get("BIRNN_REQUIRE_BROWSER", "").strip() not in ("", "0", "false", "no")


def chromium_available() -> bool:
    return os.access(CHROMIUM, os.X_OK)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """`streamlit run app/streamlit_app.py` on a free port, in its own process group."""

    def __init__(self, port: int | None = None, timeout: float = 60.0):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.timeout = timeout
        self.log = tempfile.NamedTemporaryFile(
            prefix="birnn-streamlit-", suffix=".log", delete=False
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> "AppServer":
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(ENTRY),
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with code {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(
            f"streamlit did not answer /_stcore/health with ok within {self.timeout:.0f} s:\n"
            f"{self.log_tail()}"
        )

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the group this server leads
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        self.log.close()
        try:
            os.unlink(self.log.name)
        except OSError:
            pass


def wait_for_app(page, timeout: float = 30_000, settle_ms: int = 150) -> None:
    """Wait until Streamlit is connected and its script has finished running.

    Call it after page.goto and after any interaction that triggers a rerun. The short first
    pause lets a rerun that a click or key press has just requested start before the idle
    state is read, so the wait does not return on the idle state of the previous run.
    """
    if settle_ms:
        page.wait_for_timeout(settle_ms)
    page.wait_for_selector(APP_CONNECTED, timeout=timeout)
    page.wait_for_selector(APP_IDLE, timeout=timeout)


def goto(page, base_url: str, path: str = "/", timeout: float = 30_000) -> None:
    """Open the app at a URL path ("/" for Home, "/step_by_step", "/?w=...") and wait for it."""
    page.goto(base_url.rstrip("/") + "/" + path.lstrip("/"), timeout=timeout)
    wait_for_app(page, timeout=timeout)


def exception_texts(page) -> list[str]:
    """Texts of the Streamlit exception boxes on the page (a page should never show one)."""
    return page.locator("[data-testid=stException]").all_inner_texts()


LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def record_outside_requests(page) -> list[str]:
    """Start recording: the returned list fills with every request to a host that is not this machine.

    data: and blob: URLs never leave the browser and are not counted."""
    outside: list[str] = []

    def check(request) -> None:
        url = urllib.parse.urlsplit(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOCAL_HOSTS:
            outside.append(request.url)

    page.on("request", check)
    page.on("websocket", lambda ws: check(type("R", (), {"url": ws.url})()))
    return outside


# A payload that would set this flag if the page ran it as script (onerror, <script>, javascript:).
PWNED = "window.__pwned"


def assert_page_clean(page) -> None:
    """No exception box, no traceback text, and no script from user input has run."""
    assert exception_texts(page) == []
    assert page.locator("text=Traceback (most recent call last)").count() == 0
    assert page.evaluate(f"() => {PWNED} === undefined"), "user input ran as script"


def retry(action, check, tries: int = 4, page=None) -> None:
    """Do ``action`` until ``check`` passes, at most ``tries`` times (either raising counts as a miss).

    A loaded machine can drop an interaction a rerun overlaps (a click on a canvas that is being
    replaced, a key press before an editor opened); the check waits on what the page shows."""
    for attempt in range(tries):
        try:
            action()
            check()
            return
        except Exception:
            if attempt == tries - 1:
                raise
            if page is not None:
                page.keyboard.press("Escape")  # close whatever the missed attempt left open
                wait_for_app(page)


def visible_text(locator) -> str:
    """The text a person reads in an element: app.text.markdown puts invisible WORD JOINERs (U+2060)
    inside "http", "www" and before "@" so that Streamlit's markdown never autolinks user text."""
    locator.wait_for()
    return locator.inner_text().replace("\u2060", "")


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` as a person does (open it, click the option),
    retried until the box shows it (a rerun can close the list under the click)."""
    from playwright.sync_api import expect
    box = page.get_by_role("combobox", name=label, exact=True)

    def act():
        box.click()
        page.get_by_role("option", name=option, exact=True).click()

    retry(act, lambda: expect(box).to_have_value(option), page=page)
    wait_for_app(page)


def press_slider(page, label: str, key: str, want: str) -> None:
    """Focus the slider labelled ``label``, press ``key`` and wait until its thumb reads ``want``."""
    from playwright.sync_api import expect
    thumb = page.locator("[data-testid=stSlider]").filter(has_text=label).get_by_role("slider")
    retry(lambda: (thumb.focus(), thumb.press(key)), lambda: expect(thumb).to_have_attribute("aria-valuetext", want),
          page=page)
    wait_for_app(page)
