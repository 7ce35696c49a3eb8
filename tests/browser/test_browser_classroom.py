"""The classroom server (classroom/run.py: two workers behind Debian's nginx, sticky sessions), used
the way a class uses it: students in Chromium answer the lesson through the proxy, and the load
client (bench/bench_classroom.py) changes the Step by step model from several sessions at once."""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from browser_utils import assert_page_clean, browser_required, goto, retry, wait_for_app
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CONTROLS: list = []  # no widget of its own: the lesson's controls are listed in test_browser_lesson.py
WORKERS = 2


def nginx() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def free_ports(n: int) -> int:
    """A first port p with p .. p + n - 1 all free on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + n < 65535 and all(_free(base + i) for i in range(n)):
            return base
    raise RuntimeError("no run of free ports")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@pytest.fixture(scope="module")
def classroom_url():
    if nginx() is None:
        message = "nginx not found: `make test` installs Debian's nginx (`apt-get install -y nginx`)"
        if browser_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    port, base = free_ports(1), free_ports(WORKERS)
    proc = subprocess.Popen([sys.executable, str(ROOT / "classroom" / "run.py"), "--workers", str(WORKERS),
                             "--port", str(port), "--host", "127.0.0.1", "--base-port", str(base)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    # Wait for run.py's "ready" line, never ask nginx before it: a request that reaches a worker still
    # starting marks it down for 10 s (max_fails), and every new student then goes to the other one.
    said: list[str] = []
    ready = threading.Event()

    def read_output() -> None:  # also drains the pipe while the tests run
        assert proc.stdout is not None
        for line in proc.stdout:
            said.append(line)
            if line.startswith("classroom: ready."):
                ready.set()

    threading.Thread(target=read_output, daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while not ready.wait(0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the classroom did not start: {''.join(said)[-2000:]}", pytrace=False)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def test_students_in_chromium_use_the_lesson_through_the_proxy(browser, classroom_url):
    workers = set()
    for student in range(2):
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        try:
            goto(page, classroom_url, "/lesson")
            expect(page.get_by_text("Step 1 of 10", exact=True)).to_be_visible()
            radio = page.locator("[data-testid=stRadio]").first
            retry(lambda: radio.get_by_text("6", exact=True).click(),
                  lambda: expect(radio.get_by_role("radio", name="6")).to_be_checked(timeout=5_000), page=page)
            wait_for_app(page)
            page.get_by_role("button", name="Check", exact=True).click()
            expect(page.locator("[data-testid=stAlertContentSuccess]")).to_contain_text("Right: 6")
            assert "a=1" in page.url  # the websocket through nginx carried the rerun and the address update
            cookies = {c["name"]: c["value"] for c in context.cookies()}
            assert cookies.get("birnn_worker") in {f"w{i + 1}" for i in range(WORKERS)}
            workers.add(cookies["birnn_worker"])
            assert_page_clean(page)
        finally:
            context.close()
    assert len(workers) == WORKERS, "new students are dealt out to the workers in turn"


def test_the_load_client_changes_the_model_from_several_sessions_without_errors(classroom_url):
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_classroom

    load = bench_classroom.classroom(classroom_url, n=4, period=1.5, duration=6.0, timeout=30.0, minimal=False)
    with ThreadPoolExecutor(1) as pool:  # its own event loop: Playwright's runs in this thread
        result = pool.submit(asyncio.run, load).result(timeout=120)
    assert result["errors"] == 0, result["error_samples"]
    assert result["changes_ok"] >= 4 and result["students_opened"] == 4
    assert result["students_on_several_upstreams"] == 0  # sticky: each session stays on its worker
    assert len(result["students_per_upstream"]) == WORKERS
