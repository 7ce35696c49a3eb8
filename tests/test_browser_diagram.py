"""Real browser: the Arrows diagram animates in chromium, and a chosen token outlines its dependencies.

Set BIRNN_SAVE_SCREENSHOTS=1 to (re)write assets/diagram.png, the README's picture, from this run.
"""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from browser_utils import exception_texts, goto, wait_for_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHART = ".js-plotly-plot"

RECORD_FRAMES = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    window.__frames = []; window.__animated = false;
    gd.on('plotly_animatingframe', e => window.__frames.push(e.name));
    gd.on('plotly_animated', () => { window.__animated = true; });
}"""


def diagram_state(page) -> dict:
    return page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot');
        return {active: gd.layout.sliders[0].active, n: gd._transitionData._frames.length,
                caption: gd.data[4].text[0],
                fwd: gd.data[1].x.filter(v => v === null).length,
                bwd: gd.data[2].x.filter(v => v === null).length};
    }""")


def test_play_runs_every_frame_and_ends_on_the_merge_step(page, app_server):
    goto(page, app_server, "/diagram")
    expect(page.locator(CHART).first).to_be_visible()
    page.evaluate(RECORD_FRAMES)
    page.locator(f"{CHART} .updatemenu-button", has_text="Play").first.click()
    page.wait_for_function("() => window.__animated === true", timeout=30_000)
    frames = page.evaluate("() => window.__frames")
    assert frames == [str(k) for k in range(7)]  # →1 →2 →3 ←3 ←2 ←1 merge, in order
    state = diagram_state(page)
    assert state["active"] == 6 and state["n"] == 7
    assert state["caption"].startswith("<b>Step 7 of 7</b>")
    # the merge step highlights h_t forward into m_t for t = 1..3 (+ h_3 into h_n[0]) in blue
    assert state["fwd"] == 3 and state["bwd"] == 3
    expect(page.locator(f"{CHART} .slider-container")).to_contain_text("step merge")
    expect(page.locator(f"{CHART} .textpoint").first).to_contain_text("Step 7 of 7")
    assert exception_texts(page) == []

    # scrub back to the first step on the slider: the caption shows seed 000's h_1 forward arithmetic
    rail = page.locator(f"{CHART} .slider-rail-touch-rect").first
    box = rail.bounding_box()
    rail.click(position={"x": 2, "y": box["height"] / 2}, force=True)
    page.wait_for_function("() => document.querySelector('.js-plotly-plot').data[4].text[0].includes('0.327')")
    assert "tanh(0.34) = <b>0.327</b>" in diagram_state(page)["caption"]


def test_choosing_a_token_outlines_what_reaches_it(page, app_server):
    goto(page, app_server, "/diagram")
    page.locator("[data-testid=stSelectbox]", has_text="Show what reaches").locator("input").click()
    page.get_by_role("option", name="t = 2: love").click()
    wait_for_app(page)
    expect(page.get_by_text("has read x_1..x_2")).to_be_visible()
    boxes = page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot');
        const count = prefix => { const t = gd.data.find(d => (d.name || '').startsWith(prefix));
                                  return t ? t.x.filter(v => v === null).length + 1 : 0; };
        return {fwd: count('reaches h<sub>2</sub><sup>(fwd)'), bwd: count('reaches h<sub>2</sub><sup>(bwd)'),
                merged: count('m<sub>2</sub>')};
    }""")
    # forward: x_1, x_2, h_1, h_2; backward: x_2, x_3, h_2, h_3; merged: m_2 and y_2
    assert boxes == {"fwd": 4, "bwd": 4, "merged": 2}
    expect(page.locator(f"{CHART} .legendtext").first).to_contain_text("reaches h")
    assert exception_texts(page) == []
    if os.environ.get("BIRNN_SAVE_SCREENSHOTS"):
        page.locator(CHART).first.screenshot(path=str(ROOT / "assets" / "diagram.png"))
