"""Shared fixtures. The real-browser harness lives here (helpers in tests/browser/browser_utils.py).

Fixtures:
  app_server  (session)   base URL of `streamlit run app/streamlit_app.py` on a free port
  browser     (session)   Playwright chromium: Debian's /usr/bin/chromium, headless
  page        (function)  a fresh context + page, viewport 1400x1000

pytest-playwright is not a dependency (and `-p no:playwright` in pyproject.toml keeps one out), so these names are
ours. Browser tests carry the `browser` marker. Without /usr/bin/chromium they are skipped,
unless BIRNN_REQUIRE_BROWSER is set (`make test` sets it), in which case they fail.
"""
from __future__ import annotations


import sys

import pytest

from browser_utils import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    AppServer,
    browser_required,
    chromium_available,
    record_outside_requests,
)

NO_BROWSER = (
    f"{CHROMIUM} not found: install Debian's chromium (`apt-get install -y chromium`, or run "
    "`make test`, which installs it)"
)


def pytest_collection_modifyitems(config, items):
    if chromium_available() or browser_required():
        return
    skip = pytest.mark.skip(reason=NO_BROWSER + "; set BIRNN_REQUIRE_BROWSER=1 to fail instead")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def torch_default_dtype_restored():
    """Tests that run the exported PyTorch code get its ``torch.set_default_dtype(torch.float64)``; undo it after
    each test so a later test's models are float32 as in the user's own code."""
    torch = sys.modules.get("torch")
    before = torch.get_default_dtype() if torch else None
    yield
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_default_dtype(before or torch.float32)


@pytest.fixture(scope="session")
def app_server():
    """Start the app once per session; yield its base URL (http://127.0.0.1:PORT)."""
    server = AppServer(timeout=60.0)
    try:
        server.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    if not chromium_available():
        if browser_required():
            pytest.fail(NO_BROWSER + " (BIRNN_REQUIRE_BROWSER is set)", pytrace=False)
        pytest.skip(NO_BROWSER)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # a first Streamlit run can take a few seconds
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
    finally:
        pw.stop()


@pytest.fixture
def page(browser):
    """A fresh page that records every request; the test fails if any left the app's own server."""
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    outside = record_outside_requests(pg)
    try:
        yield pg
    finally:
        context.close()
    assert outside == [], f"the page requested addresses outside the app: {outside[:5]}"
