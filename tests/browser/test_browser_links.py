"""Real browser: hostile share links, opened on every page that reads them.

Each link is refused with a message that says what to do, the seed example stays on screen, and
nothing the link holds is run, rendered as markup or fetched (the `page` fixture fails the test on
any request outside the app)."""
import base64
import json
import zlib

import pytest
from browser_utils import assert_page_clean, goto, visible_text
from playwright.sync_api import expect

from app.workspace import Workspace
from birnn_core import presets

pytestmark = pytest.mark.browser
CONTROLS: list = []  # links are not widgets; every page that reads ?s= is opened below


def pack(raw: bytes) -> str:
    return "1." + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def seed_state(**changes) -> str:
    d = Workspace.from_example(presets.seed_example()).to_dict()
    d.update(changes)
    return pack(json.dumps(d).encode())


VALID = Workspace.from_example(presets.seed_example()).to_url_state()
BAD_LINKS = {
    "garbage": ("!!!not-a-state", "not version 1"),
    "markup": ('<img src=x onerror="window.__pwned=1">', "not version 1"),
    "truncated": (VALID[:-12], "could not be opened"),
    "too long": ("1." + "A" * 90_000, "too long"),
    "zip bomb": (pack(b" " * 5_000_000), "unpacks to more than"),
    "deep nesting": (pack(b"[" * 10_000 + b"]" * 10_000), "nested too deeply"),
    "400 digits": (pack(b'{"v": "1", "X": [[' + b"9" * 400 + b"]]}"), "400-digit number"),
    "NaN": (pack(json.dumps(Workspace.from_example(presets.seed_example()).to_dict()).replace("0.1", "NaN", 1)
                .encode()), "holds NaN"),
    "control character": (seed_state(tokens=["I", "lo\u0000ve", "AI"]), "control character"),
    "tie no": (seed_state(tie="no"), "'tie' is 'no': it must be true or false"),
    "bi false": (seed_state(bi="false"), "'bi' is 'false': it must be true or false"),
    "wrong shape": (seed_state(X=[[0.1, 0.2]] * 3), "W_f has shape"),
    "markup cell": (seed_state(cell='<img src=x onerror="window.__pwned=1">'), "'cell' is"),
    "markdown cell": (seed_state(cell="![i](http://x.invalid/a.png)"), "'cell' is"),
    "not an object": (pack(b"[1, 2, 3]"), "must be a JSON object"),
}


@pytest.mark.parametrize("path", ["/step_by_step", "/diagram", "/gradients", "/train", "/context", "/"])
@pytest.mark.parametrize("case", list(BAD_LINKS))
def test_a_bad_link_says_why_and_shows_the_seed(page, app_server, path, case):
    link, message = BAD_LINKS[case]
    goto(page, app_server, f"{path}?s={link}")
    warning = page.locator("[data-testid=stAlertContentWarning]").filter(has_text="could not be opened").first
    expect(warning).to_contain_text(message)
    if path == "/step_by_step":
        expect(page.locator(".states tbody tr").first.locator("td").first).to_have_text("0.327")
    assert page.locator("img[src*='x.invalid']").count() == 0
    assert_page_clean(page)


TOKENS = {
    "html": ['<img src=x onerror="window.__pwned=1">', "<b>b</b>", "<script>window.__pwned=1</script>"],
    "markdown": ["![i](http://x.invalid/a.png)", "**b** $x^2$", ":red[r] [l](http://x.invalid)"],
    "right to left": ["مرحبا", "\u202eevil\u202c", "שלום"],
}


@pytest.mark.parametrize("case", list(TOKENS))
def test_tokens_in_a_link_are_shown_as_typed(page, app_server, case):
    ws = Workspace.from_example(presets.seed_example())
    ws.tokens = TOKENS[case]
    goto(page, app_server, f"/step_by_step?s={ws.to_url_state()}")
    expect(page.locator(".states th.tok")).to_have_text(TOKENS[case])
    slider = page.locator("[data-testid=stSlider]", has_text="Time step t")
    assert visible_text(slider.locator("[data-testid=stSliderThumbValue]")) == f"1 · {TOKENS[case][0]}"
    assert page.locator("img[src*='x.invalid'], a[href*='x.invalid']").count() == 0
    assert_page_clean(page)


@pytest.mark.parametrize("path", ["/compare", "/shapes"])
@pytest.mark.parametrize("case", ["markup", "deep nesting", "400 digits", "markdown cell"])
def test_pages_that_do_not_draw_the_workspace_still_say_why_a_link_failed(page, app_server, path, case):
    link, message = BAD_LINKS[case]
    goto(page, app_server, f"{path}?s={link}")
    warning = page.locator("[data-testid=stAlertContentWarning]").filter(has_text="could not be opened").first
    expect(warning).to_contain_text(message)
    expect(page.locator("h1").first).to_be_visible()  # the page itself still works
    assert page.locator("img[src*='x.invalid']").count() == 0
    assert_page_clean(page)
