"""Real browser: stacked layers on Step by step and the Arrows diagram, used as a person does."""
import re

import numpy as np
import pytest
from browser_utils import assert_page_clean, goto, retry, wait_for_app
from playwright.sync_api import expect
from test_browser_diagram import (CHART, RECORD_FRAMES, click_button, expect_step, holds, open_diagram,
                                  step_slider)
from test_browser_step import edit_cell, open_tab, share_panel, states_table, type_number, upload

from app import exports
from app.workspace import MAX_CLASSES, MAX_DIM, MAX_LAYERS, Workspace
from birnn_core import num, presets, run

pytestmark = pytest.mark.browser

CONTROLS = [
    ("views/step/editors.py", "Weights of layer", "test_add_a_layer_then_edit_and_write_out_layer_two"),
    ("views/step/results.py", "Layer", "test_add_a_layer_then_edit_and_write_out_layer_two"),
    ("views/diagram.py", "Layer", "test_the_diagram_draws_each_layer_and_steps_on_into_the_next"),
    ("views/diagram.py", "Layer", "test_the_whole_stack_in_one_figure_plays_layer_by_layer"),
]


def seed_ws() -> Workspace:
    return Workspace.from_example(presets.seed_example())


def pick_radio(page, group: str, option: str) -> None:
    radio = page.locator("[data-testid=stRadio]").filter(has=page.get_by_text(group, exact=True)).first
    retry(lambda: radio.get_by_text(option, exact=True).click(),
          lambda: expect(radio.get_by_role("radio", name=option)).to_be_checked(timeout=5_000), page=page)
    wait_for_app(page)


def state_cell(page, t: int, column: int):
    return states_table(page).locator("tbody tr").nth(t).locator("td").nth(column)


def test_add_a_layer_then_edit_and_write_out_layer_two(page, app_server):
    goto(page, app_server, "/step_by_step")
    type_number(page, "layers", "2")
    expect(states_table(page)).to_contain_text("layer 2 · h fwd →")
    expect(page.get_by_text("Layers 1 → 2")).to_be_visible()
    grid = open_tab(page, "Forward weights")
    pick_radio(page, "Weights of layer", "layer 2 (reads m_t of layer 1)")
    expect(page.get_by_text("x_t = m_t of layer 1")).to_be_visible()
    want = seed_ws().resized(layers=2)
    want.upper[0].fwd.W[0, 0] = 0.9
    want.tied()
    tr = run(want.model(), want.embeddings)
    # columns: layer 1 fwd (2), bwd (2), merged (4), then layer 2 fwd: h_fwd[1] of layer 2 is column 8
    grid = page.locator("[data-testid=stTabPanel]:visible [data-testid=stDataFrame]").first
    edit_cell(page, grid, 0, 0, 7, "0.9",  # [W (4 columns: m = 4) | U (2) | b (1)]
              shows=lambda: expect(state_cell(page, 0, 8)).to_have_text(num(tr.layers[1].fwd.h[0, 0, 0], 3)))
    expect(state_cell(page, 0, 0)).to_have_text(num(tr.layers[0].fwd.h[0, 0, 0], 3))  # layer 1 unchanged
    link = Workspace.from_url_state(page.url.split("s=")[1])
    assert link.n_layers == 2 and link.upper[0].fwd.W[0, 0] == 0.9 and link.upper[0].bwd.W[0, 0] == 0.9
    pick_radio(page, "Layer", "layer 2")
    expect(page.get_by_text("→ forward (reads m⁽1⁾_1 … m⁽1⁾_t)")).to_be_visible()
    step = page.locator("[data-testid=stHtml] .eq").first
    expect(step).to_contain_text(num(tr.layers[1].fwd.h[0, 0, 0], 3))
    expect(step).to_contain_text(num(tr.layers[0].merged[0, 0, 2], 3))  # x_1 of layer 2 is m_1 of layer 1
    assert_page_clean(page)


def test_the_diagram_draws_each_layer_and_steps_on_into_the_next(page, app_server):
    ws = seed_ws().resized(layers=2, tie=False)
    open_diagram(page, app_server, "/diagram?s=" + ws.to_url_state())
    layer = page.locator("[data-testid=stRadio]").filter(has=page.get_by_text("Layer", exact=True))
    expect(layer.get_by_role("radio", name="layer 1 (reads x_t)")).to_be_checked()
    expect_step(page, 7, "merge", 7)
    click_button(page, "Step ▶", lambda: expect(step_slider(page)).to_have_attribute("aria-valuetext", "1: →1"))
    expect(layer.get_by_role("radio", name="layer 2 (reads m_t of layer 1)")).to_be_checked()
    expect_step(page, 1, "→1", 7)
    holds(page, page.locator(CHART).first, "input (layer 1 out)")
    tr = run(ws.model(), ws.embeddings)
    expect(page.locator("[data-testid=stExpander]").filter(has_text="The equation of step")).to_contain_text(
        num(tr.layers[1].fwd.h[0, 0, 0], 3))
    click_button(page, "◀ Step", lambda: expect(step_slider(page)).to_have_attribute("aria-valuetext", "7: merge"))
    expect(layer.get_by_role("radio", name="layer 1 (reads x_t)")).to_be_checked()
    pick_radio(page, "Layer", "layer 2 (reads m_t of layer 1)")
    holds(page, page.locator(CHART).first, "input (layer 1 out)")
    assert_page_clean(page)


def expect_stack_step(page, k: int, label: str, caption: str) -> None:
    """The page shows step k (1-based) of the whole stack: the slider, the expander's title, the chart."""
    expect(step_slider(page)).to_have_attribute("aria-valuetext", f"{k}: {label}")
    expect(page.locator("[data-testid=stExpander]").filter(has_text="The equation of step").locator("summary")
           ).to_contain_text(f"The equation of step {k} ({label}) in full")
    holds(page, page.locator(f"{CHART} .textpoint").first, caption)
    expect(page.locator(f"{CHART} .slider-container").first).to_contain_text(f"step {label}")


def test_the_whole_stack_in_one_figure_plays_layer_by_layer(page, app_server):
    ws = seed_ws().resized(layers=2, tie=False)
    tr = run(ws.model(), ws.embeddings)
    open_diagram(page, app_server, "/diagram?s=" + ws.to_url_state())
    pick_radio(page, "Layer", "all layers (the whole stack)")
    chart = page.locator(CHART).first
    for row in ("input x", "L1 forward", "L1 merged", "L2 forward", "L2 backward", "L2 merged", "L2 output"):
        holds(page, chart, row)
    expect_stack_step(page, 7, "L1 merge", "Layer 1 of 2 · Step 7 of 7")  # layer 1's last step, now in the stack
    click_button(page, "Step ▶", lambda: expect(step_slider(page)).to_have_attribute("aria-valuetext", "8: L2 →1"))
    holds(page, chart, "Layer 2 of 2")
    step_slider(page).focus()
    page.keyboard.press("End")
    expect_stack_step(page, 14, "L2 merge", "Layer 2 of 2 · Step 7 of 7")  # the caption counts within the layer
    holds(page, chart, "Layer 2 of 2")
    page.evaluate(RECORD_FRAMES)
    page.locator(f"{CHART} .updatemenu-button", has_text="From the start").first.click()
    page.wait_for_function("() => window.__animated === true", timeout=60_000)
    assert page.evaluate("() => window.__frames") == [str(k) for k in range(14)]  # layer 1's 7, then layer 2's
    # the page's own stepper walks the same 14 steps: back from the end into layer 1's merge
    for k, label in ((13, "L2 ←1"), (12, "L2 ←2")):
        click_button(page, "◀ Step", lambda: expect(step_slider(page)).to_have_attribute("aria-valuetext", f"{k}: {label}"))
    expect(page.locator("[data-testid=stExpander]").filter(has_text="The equation of step")).to_contain_text(
        num(tr.layers[1].bwd.h[0, 1, 0], 3))
    layer = page.locator("[data-testid=stRadio]").filter(has=page.get_by_text("Layer", exact=True))
    expect(layer.get_by_role("radio", name="all layers (the whole stack)")).to_be_checked()
    expect(page.get_by_role("heading", name="The merged vectors of layer 2, the top of the stack")).to_be_visible()
    pick_radio(page, "Layer", "layer 2 (reads m_t of layer 1)")  # the same step, in layer 2's own numbering
    expect_step(page, 5, "←2", 7)
    assert_page_clean(page)


def test_a_stack_too_large_for_a_link_opens_from_its_json(page, app_server):
    big = seed_ws().resized(d=MAX_DIM, h_f=MAX_DIM, h_b=MAX_DIM, q=MAX_CLASSES, cell="lstm", tie=False,
                            layers=MAX_LAYERS)
    rng = np.random.default_rng(0)
    for u in big.upper:
        u.fwd.W = rng.normal(size=u.fwd.W.shape)
    tr = run(big.model(), big.embeddings, tokens=big.tokens)
    goto(page, app_server, "/step_by_step")
    share_panel(page)
    upload(page, "big.json", exports.to_json(big, tr).encode())
    expect(page.get_by_text(re.compile("too large for a link"))).to_be_visible()
    expect(states_table(page)).to_contain_text("layer 3 · h bwd ←")
    expect(page.get_by_label("layers", exact=True)).to_have_value("3")
    assert "s=" not in page.url  # no older model left in the address
    expect(page.get_by_text("Import refused")).to_have_count(0)
    assert_page_clean(page)
