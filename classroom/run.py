"""Serve the app to a classroom: W Streamlit workers behind nginx with sticky sessions, all offline.

    .venv/bin/python classroom/run.py [--workers W] [--port 8501] [--host 0.0.0.0] [--base-port 8601]

Starts W workers (`streamlit run app/streamlit_app.py`, default W = the CPU cores this process may
use) on 127.0.0.1:8601.., writes classroom/nginx.conf.template with those upstreams into a temp dir,
runs Debian's nginx in the foreground from there (pid, logs and temp files in that dir, so any user
can run it), waits until every worker answers /_stcore/health directly and through nginx, and prints
the address to give the students. Ctrl-C or SIGTERM stops nginx and every worker; so does nginx
exiting on its own (a worker that dies is restarted, up to 5 times). See nginx.conf.template for how
sessions stay on one worker.

XSRF protection stays on: the proxy keeps the Host header and the cookies, and Streamlit's XSRF
token is not tied to one worker. Every worker gets the same random cookie secret, so a cookie one
worker signs (st.login's) is valid on the others too. Needs nginx (`apt-get install nginx`); nothing
is downloaded.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
ENTRY = ROOT / "app" / "streamlit_app.py"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
MAX_RESTARTS = 5  # per worker: a worker that keeps dying takes the classroom down with it


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def find_nginx(given: str | None) -> str:
    for cand in ([given] if given else []) + [shutil.which("nginx") or "", "/usr/sbin/nginx", "/usr/local/sbin/nginx"]:
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    sys.exit("classroom: nginx not found; install it (Debian: sudo apt-get install -y nginx) or pass --nginx PATH")


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent), for the students' address."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.254.254.254", 1))
            return str(s.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def http_get(url: str, timeout: float = 3.0) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never an environment proxy
    with opener.open(url, timeout=timeout) as r:
        return r.status, r.read()


def healthy(url: str) -> bool:
    try:
        return http_get(url) == (200, b"ok")
    except (OSError, urllib.error.URLError):
        return False


def _die_with_parent() -> None:
    """In the child: get SIGTERM if this launcher dies, even by SIGKILL (Linux; best effort)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def render_config(tmp: Path, listen: str, ports: list[int]) -> Path:
    """nginx.conf.template with worker w<i> on 127.0.0.1:<ports[i-1]> (see the template for the groups)."""
    text = (HERE / "nginx.conf.template").read_text()
    names = [f"w{i}" for i in range(1, len(ports) + 1)]
    server = "        server 127.0.0.1:{} max_fails=1 fail_timeout=10s;"
    groups = []
    for name, port in zip(names, ports):
        backups = [f"        server 127.0.0.1:{p} backup;" for p in ports if p != port]
        groups.append("\n".join([f"    upstream birnn_{name} {{", server.format(port), *backups, "    }"]))
    fill = {
        "POOL_MAP": "\n".join(f"        {n} birnn_{n};" for n in names),
        "NAME_MAP": "\n".join(f'        "127.0.0.1:{p}" {n};' for n, p in zip(names, ports)),
        "NEW_SERVERS": "\n".join(server.format(p) for p in ports),
        "WORKER_UPSTREAMS": "\n".join(groups),
        "LISTEN": listen,
        "TMP": str(tmp),
    }
    for key, value in fill.items():
        text = text.replace(f"@@{key}@@", value)
    if re.search(r"@@[A-Z]+@@", text):
        sys.exit("classroom: a placeholder of nginx.conf.template was left unfilled")
    conf = tmp / "nginx.conf"
    conf.write_text(text)
    return conf


class Classroom:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.worker_cmds: dict[str, tuple[list[str], dict[str, str], Path]] = {}
        self.restarts: dict[str, int] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="birnn-classroom-"))
        if os.geteuid() == 0:
            # nginx's master runs as root and its worker as nobody: let it reach the temp paths
            self.tmp.chmod(0o755)
        self.stopping = False

    def start(self) -> None:
        a = self.args
        ports = [a.base_port + i for i in range(a.workers)]
        listen_host = "" if a.host in ("0.0.0.0", "") else a.host
        busy = [p for p in ports if not port_free("127.0.0.1", p)]
        if not port_free(a.host or "0.0.0.0", a.port):
            busy.insert(0, a.port)
        if busy:
            sys.exit(f"classroom: port(s) {', '.join(map(str, busy))} already in use (--port / --base-port)")
        nginx = find_nginx(a.nginx)
        env = dict(os.environ,
                   OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "1"),
                   STREAMLIT_SERVER_COOKIE_SECRET=secrets.token_hex(32),
                   PYTHONUNBUFFERED="1")
        for p in ports:
            cmd = [a.python, "-m", "streamlit", "run", str(ENTRY), "--server.headless=true",
                   f"--server.port={p}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
                   "--server.fileWatcherType=none"]
            self.worker_cmds[f"worker :{p}"] = (cmd, env, self.tmp / f"worker-{p}.log")
            self.procs.append((f"worker :{p}", self.launch_worker(f"worker :{p}")))
        listen = f"{listen_host}:{a.port}" if listen_host else str(a.port)
        conf = render_config(self.tmp, listen, ports)
        nginx_cmd = [nginx, "-p", str(self.tmp), "-e", str(self.tmp / "error.log"), "-c", str(conf),
                     "-g", "daemon off;"]
        check = subprocess.run(nginx_cmd[:-2] + ["-t", "-q"], capture_output=True, text=True)
        if check.returncode != 0:
            self.stop()
            sys.exit(f"classroom: nginx rejects the config {conf}:\n{check.stderr}")
        self.procs.append(("nginx", subprocess.Popen(nginx_cmd, cwd=self.tmp, stdin=subprocess.DEVNULL,
                                                     start_new_session=True, preexec_fn=_die_with_parent)))
        print(f"classroom: {a.workers} worker(s) on 127.0.0.1:{ports[0]}..{ports[-1]}, nginx on {listen}; "
              f"logs in {self.tmp}", flush=True)
        self.wait_ready(ports)

    def launch_worker(self, name: str) -> subprocess.Popen:
        cmd, env, log_path = self.worker_cmds[name]
        with open(log_path, "ab") as log:
            return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)

    def wait_ready(self, ports: list[int]) -> None:
        deadline = time.monotonic() + self.args.start_timeout
        # the workers first, then nginx: asking nginx earlier would mark the starting workers as down
        for waiting in ([f"http://127.0.0.1:{p}/_stcore/health" for p in ports],
                        [f"http://127.0.0.1:{self.args.port}/_stcore/health"]):
            while waiting:
                self.check_alive()
                waiting = [u for u in waiting if not healthy(u)]
                if waiting and time.monotonic() > deadline:
                    self.stop()
                    sys.exit(f"classroom: not healthy after {self.args.start_timeout:.0f} s: {', '.join(waiting)} "
                             f"(see the logs in {self.tmp})")
                if waiting:
                    time.sleep(0.5)
        host = lan_address() if self.args.host in ("0.0.0.0", "") else self.args.host
        print(f"classroom: ready. Students open  http://{host}:{self.args.port}/   "
              f"(here: http://127.0.0.1:{self.args.port}/). Ctrl-C stops it.", flush=True)

    def check_alive(self, restart: bool = False) -> None:
        """Stop everything if nginx (or, while starting, anything) exited; restart a worker that died later.

        Its students' sessions are gone either way: nginx sends their tabs to another worker (the
        backups of their group) until it is back, and the cookie brings them home after that."""
        for i, (name, p) in enumerate(self.procs):
            if p.poll() is None or self.stopping:
                continue
            log = self.tmp / ("error.log" if name == "nginx" else f"worker-{name.split(':')[1]}.log")
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:]) if log.exists() else ""
            if restart and name in self.worker_cmds and self.restarts.get(name, 0) < MAX_RESTARTS:
                self.restarts[name] = self.restarts.get(name, 0) + 1
                print(f"classroom: {name} exited with code {p.returncode}; restarting it "
                      f"({self.restarts[name]}/{MAX_RESTARTS})\n{tail}", file=sys.stderr, flush=True)
                self.procs[i] = (name, self.launch_worker(name))
                continue
            print(f"classroom: {name} exited with code {p.returncode}; stopping everything\n{tail}",
                  file=sys.stderr, flush=True)
            self.stop()
            sys.exit(1)

    def stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        for name, p in reversed(self.procs):  # nginx first: no new sessions on a worker going down
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)  # nginx: fast shutdown (a graceful one waits for every websocket)
        deadline = time.monotonic() + 10
        for _name, p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self.args.keep:
            print(f"classroom: stopped; logs kept in {self.tmp}", flush=True)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
            print("classroom: stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=default_workers(),
                    help=f"Streamlit worker processes (default: the CPU cores, here {default_workers()})")
    ap.add_argument("--port", type=int, default=8501, help="the port students open (default 8501)")
    ap.add_argument("--host", default="0.0.0.0", help="the address nginx listens on (default 0.0.0.0: all)")
    ap.add_argument("--base-port", type=int, default=8601, help="first worker port on 127.0.0.1 (default 8601)")
    ap.add_argument("--python", default=str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable,
                    help="the Python that runs streamlit (default: .venv/bin/python if there, else this one)")
    ap.add_argument("--nginx", default=None, help="the nginx binary (default: nginx on PATH, /usr/sbin/nginx)")
    ap.add_argument("--start-timeout", type=float, default=90.0, help="seconds to wait for health (default 90)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (nginx access log, worker logs)")
    args = ap.parse_args(argv)
    if args.workers < 1:
        ap.error("--workers must be at least 1")
    room = Classroom(args)

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)  # also where a launcher started it with SIGINT ignored
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        room.start()
        while True:
            room.check_alive(restart=True)
            time.sleep(1.0)
    except KeyboardInterrupt:
        print("\nclassroom: stopping", flush=True)
    finally:
        room.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
