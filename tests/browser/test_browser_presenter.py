"""Real browser: presenter mode at a projector's 1280x720 and 1920x1080: the switch and the link flag,
no sidebar or editors, large type that fits the screen, and the arrow keys stepping the diagram and the
lesson."""
from __future__ import annotations

import pytest
from browser_utils import assert_page_clean, goto, retry, wait_for_app
from playwright.sync_api import expect

from test_browser_diagram import step_slider

pytestmark = pytest.mark.browser

CONTROLS = [
    ("views/presenter.py", "Presenter mode", "test_the_switch_hides_the_sidebar_and_the_editors_and_comes_back"),
    ("views/presenter.py", "Leave presenter mode", "test_the_switch_hides_the_sidebar_and_the_editors_and_comes_back"),
]
SCREENS = [(1280, 720), (1920, 1080)]


def body_font_px(page) -> float:
    """The computed size of the page's first paragraph of text, in CSS pixels."""
    return page.evaluate("""() => parseFloat(getComputedStyle(
        document.querySelector('[data-testid=stMain] [data-testid=stMarkdownContainer] p')).fontSize)""")


def fits_the_screen(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), "sideways scrolling"


def top_link(page, name: str):
    return page.get_by_role("link", name=name, exact=True)


def press(page, key: str, then) -> None:
    retry(lambda: page.keyboard.press(key), then, page=page)
    wait_for_app(page)


@pytest.mark.parametrize("width,height", SCREENS)
def test_the_switch_hides_the_sidebar_and_the_editors_and_comes_back(page, app_server, width, height):
    page.set_viewport_size({"width": width, "height": height})
    goto(page, app_server, "/step_by_step")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_be_visible()
    expect(page.get_by_text("Preset", exact=True)).to_be_visible()
    small = body_font_px(page)
    switch = sidebar.get_by_text("Presenter mode", exact=True)
    retry(lambda: switch.click(), lambda: expect(sidebar).to_be_hidden(timeout=5_000), page=page)
    wait_for_app(page)
    expect(page.get_by_role("button", name="Leave presenter mode")).to_be_visible()
    assert "present=1" in page.url
    expect(page.get_by_text("Preset", exact=True)).to_have_count(0)            # the editors are off
    expect(page.get_by_role("tab", name="Embeddings X")).to_have_count(0)
    expect(page.get_by_role("heading", name="All hidden states")).to_be_visible()
    assert body_font_px(page) >= 1.25 * small
    fits_the_screen(page)
    # the page links are on top now
    retry(lambda: top_link(page, "Arrows diagram").click(),
          lambda: expect(page.get_by_role("heading", name="Arrows diagram")).to_be_visible(timeout=5_000), page=page)
    wait_for_app(page)
    expect(sidebar).to_be_hidden()
    fits_the_screen(page)
    page.get_by_role("button", name="Leave presenter mode").click()
    wait_for_app(page)
    expect(sidebar).to_be_visible()
    assert "present=" not in page.url
    expect(sidebar.get_by_role("switch", name="Presenter mode")).not_to_be_checked()
    assert_page_clean(page)


@pytest.mark.parametrize("width,height", SCREENS)
def test_the_arrow_keys_step_the_diagram_and_the_lesson(page, app_server, width, height):
    page.set_viewport_size({"width": width, "height": height})
    goto(page, app_server, "/diagram?present=1")
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    slider = step_slider(page)
    expect(slider).to_have_attribute("aria-valuetext", "7: merge")
    press(page, "ArrowLeft", lambda: expect(slider).to_have_attribute("aria-valuetext", "6: ←1", timeout=5_000))
    press(page, "ArrowLeft", lambda: expect(slider).to_have_attribute("aria-valuetext", "5: ←2", timeout=5_000))
    press(page, "ArrowRight", lambda: expect(slider).to_have_attribute("aria-valuetext", "6: ←1", timeout=5_000))
    fits_the_screen(page)
    retry(lambda: top_link(page, "Guided lesson").click(),
          lambda: expect(page.get_by_text("Step 1 of 10", exact=True)).to_be_visible(timeout=5_000), page=page)
    wait_for_app(page)
    page.locator("[data-testid=stMain] h1").click()  # the keys act on the page, not on a box
    press(page, "ArrowRight", lambda: expect(page.get_by_text("Step 2 of 10", exact=True)).to_be_visible(timeout=5_000))
    press(page, "ArrowRight", lambda: expect(page.get_by_text("Step 3 of 10", exact=True)).to_be_visible(timeout=5_000))
    press(page, "ArrowLeft", lambda: expect(page.get_by_text("Step 2 of 10", exact=True)).to_be_visible(timeout=5_000))
    # typing in the answer box: the arrow keys move the cursor, not the lesson
    box = page.get_by_role("textbox")
    box.fill("0.327")
    box.press("ArrowLeft")
    page.wait_for_timeout(500)
    expect(page.get_by_text("Step 2 of 10", exact=True)).to_be_visible()
    assert "present=1" in page.url and "step=2" in page.url
    fits_the_screen(page)
    assert_page_clean(page)


def expect_arrow_keys_do_nothing(page) -> None:
    """ArrowLeft on the diagram's page (focus on the title, not in a box) leaves its step at 7."""
    slider = step_slider(page)
    expect(slider).to_have_attribute("aria-valuetext", "7: merge")
    page.locator("[data-testid=stMain] h1").click()
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(800)
    wait_for_app(page)
    expect(slider).to_have_attribute("aria-valuetext", "7: merge")


def test_arrow_keys_do_nothing_outside_presenter_mode(page, app_server):
    goto(page, app_server, "/diagram")
    expect_arrow_keys_do_nothing(page)


def test_after_leaving_presenter_mode_the_arrow_keys_are_off_again(page, app_server):
    goto(page, app_server, "/diagram")
    # a session that never presented gets no presenter script at all
    expect(page.locator("script", has_text="__birnnPresenting")).to_have_count(0)
    goto(page, app_server, "/diagram?present=1")
    page.get_by_role("button", name="Leave presenter mode").click()
    wait_for_app(page)
    expect_arrow_keys_do_nothing(page)
    assert_page_clean(page)
