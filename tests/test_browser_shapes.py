"""Real browser: on /shapes, changing the units changes the shapes, counts and diagram."""
import pytest
from playwright.sync_api import expect

from browser_utils import exception_texts, goto, wait_for_app

pytestmark = pytest.mark.browser


def test_changing_units_changes_the_shapes(page, app_server):
    goto(page, app_server, "/shapes")
    expect(page.get_by_role("heading", name="Shapes & parameters")).to_be_visible()
    outputs = page.locator("[data-testid=stMarkdownContainer] p").filter(has_text="Output:")
    expect(outputs).to_have_count(2)
    expect(outputs.first).to_have_text("Output: (1, 3, 64)")
    expect(page.get_by_text("17,920", exact=True).first).to_be_visible()
    diagram = page.locator("[data-testid=stGraphVizChart] svg")
    expect(diagram).to_contain_text("output  (1, 3, 64)")

    units = page.get_by_label("Units h")
    units.fill("8")
    units.press("Enter")
    wait_for_app(page)

    expect(outputs.first).to_have_text("Output: (1, 3, 8)")
    expect(outputs.nth(1)).to_have_text("Output: (1, 3, 8)")
    # Keras LSTM(8) on d=5: 4*8*(5+8+1) = 448; PyTorch: 4*8*(5+8+2) = 480
    expect(page.get_by_text("448", exact=True).first).to_be_visible()
    expect(page.get_by_text("480", exact=True).first).to_be_visible()
    expect(diagram).to_contain_text("output  (1, 3, 8)")
    expect(page.get_by_text("(1, 3, 64)", exact=True)).to_have_count(0)
    assert exception_texts(page) == []
