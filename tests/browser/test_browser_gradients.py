"""Real browser: every control of the Gradients page, used as a person does, what the page shows after
each, a hostile share link, and tokens that try to be markup shown as the text they are."""
import re

import numpy as np
import pytest
from playwright.sync_api import expect

from browser_utils import assert_page_clean, goto, retry, wait_for_app

from app import gradients as G
from app.workspace import Workspace
from birnn_core import presets, run
from birnn_core.backprop import influence

pytestmark = pytest.mark.browser

V = "views/gradients.py"
CONTROLS = [
    (V, "Scale every U by", "test_u_scale_slider_changes_the_spectral_radius_and_the_maps"),
    (V, "Bidirectional map of", "test_map_radio_switches_the_bidirectional_map"),
    (V, "Time step t", "test_time_step_and_chain_change_the_chain_rule_numbers"),
    (V, "Chain", "test_time_step_and_chain_change_the_chain_rule_numbers"),
]

CHART = ".js-plotly-plot"
SEED = presets.seed_example()


def open_gradients(page, app_server, path: str = "/gradients") -> None:
    goto(page, app_server, path)
    expect(page.get_by_role("heading", name="Gradients", exact=True)).to_be_visible(timeout=60_000)
    expect(page.locator(CHART)).to_have_count(3, timeout=60_000)
    expect(code(page)).to_be_visible()
    expect(page.get_by_role("heading", name="Seed claims checked")).to_be_visible()


def code(page):
    return page.locator("[data-testid=stCode]").first


def slider(page, label: str):
    return page.locator("[data-testid=stSlider]").filter(has_text=label).get_by_role("slider")


def radio(page, label: str):
    return page.locator("[data-testid=stRadio]").filter(has_text=re.compile("^" + re.escape(label)))


def chart(page, i: int) -> dict:
    """The i-th chart's title and first trace's z, as the browser holds them."""
    return page.evaluate("""i => {
        const gd = document.querySelectorAll('.js-plotly-plot')[i];
        const z = gd._fullData && gd._fullData[0] ? gd._fullData[0].z : null;  // decoded from bdata
        return {title: gd.layout.title.text, z: z ? Array.from(z, r => Array.from(r)) : null,
                ticks: Array.from(gd.querySelectorAll('.xaxislayer-above .xtick text'), t => t.textContent)};
    }""", i)


def shows_map(page, i: int, want: np.ndarray, title: str | None = None) -> None:
    """Wait until chart i holds ``want`` (and its title contains ``title``)."""
    def check():
        got = chart(page, i)
        assert got["z"] is not None and np.allclose(np.array(got["z"], dtype=float), want, rtol=1e-9, atol=1e-12)
        assert title is None or title in got["title"], got["title"]
    retry(lambda: page.wait_for_timeout(300), check, tries=40, page=page)


def press(page, control, key: str, want: str) -> None:
    retry(lambda: (control.focus(), control.press(key)),
          lambda: expect(control).to_have_attribute("aria-valuetext", want), page=page)
    wait_for_app(page)


def expect_chain(page, model, direction: str, t: int) -> None:
    trace = run(model, SEED.embeddings, tokens=SEED.tokens)
    for line in G.chain_lines(G.chain_step(trace, G.gradients(trace, model), direction, t)):
        expect(code(page)).to_contain_text(line)


# ---------------------------------------------------------------- the controls

def test_u_scale_slider_changes_the_spectral_radius_and_the_maps(page, app_server):
    open_gradients(page, app_server)
    radius = page.locator("[data-testid=stMarkdownContainer] p").filter(has_text="Spectral radius")
    expect(radius).to_contain_text("ρ(U_f) = 1.222;  ρ(U_b) = 1.222")
    shows_map(page, 0, influence(SEED.model, SEED.embeddings, "merged"), "merged output")
    shows_map(page, 1, influence(G.uni_model(SEED.model), SEED.embeddings, "merged"), "Unidirectional")

    scale = slider(page, "Scale every U by")
    press(page, scale, "ArrowLeft", "0.95")
    expect(radius).to_contain_text("ρ(U_f) = 1.161")  # 0.95 × 1.2217
    smaller = G.scale_U(SEED.model, 0.95)
    shows_map(page, 0, influence(smaller, SEED.embeddings, "merged"))
    shows_map(page, 1, influence(G.uni_model(smaller), SEED.embeddings, "merged"))
    expect_chain(page, smaller, "forward", 0)  # the chain rule follows the scaled U
    decay_title_holds(page, "every U × 0.95")

    press(page, scale, "Home", "0.00")  # U = 0: no path along a chain, only x_t reaches y_t's chain
    expect(radius).to_contain_text("ρ(U_f) = 0.000")
    shows_map(page, 1, influence(G.uni_model(G.scale_U(SEED.model, 0.0)), SEED.embeddings, "merged"))
    uni = np.array(chart(page, 1)["z"], dtype=float)
    assert not uni[np.tril_indices(3, -1)].any() and (np.diag(uni) > 0).all()
    assert_page_clean(page)


def decay_title_holds(page, want: str) -> None:
    """The decay chart's title contains ``want``."""
    def check():
        assert want in chart(page, 2)["title"]
    retry(lambda: page.wait_for_timeout(300), check, tries=40, page=page)


def test_map_radio_switches_the_bidirectional_map(page, app_server):
    open_gradients(page, app_server)
    maps = radio(page, "Bidirectional map of")
    expect(maps.get_by_role("radio").first).to_be_checked()
    for label, of in (("the backward chain", "backward"), ("the forward chain", "forward"),
                      ("the merged output", "merged")):
        option = maps.get_by_role("radio", name=re.compile("^" + label))
        retry(lambda: maps.get_by_text(label).click(), lambda: expect(option).to_be_checked(), page=page)
        wait_for_app(page)
        want = influence(SEED.model, SEED.embeddings, of)
        shows_map(page, 0, want, label)
        if of == "backward":
            assert not np.tril(want, -1).any()
        if of == "forward":  # the forward chain of the bi model is the uni model's map
            np.testing.assert_allclose(np.array(chart(page, 1)["z"], dtype=float), want, rtol=1e-9)
    assert_page_clean(page)


def test_time_step_and_chain_change_the_chain_rule_numbers(page, app_server):
    open_gradients(page, app_server)
    step = slider(page, "Time step t")
    expect(step).to_have_attribute("aria-valuetext", "1 · I")
    expect_chain(page, SEED.model, "forward", 0)

    press(page, step, "ArrowRight", "2 · love")
    expect_chain(page, SEED.model, "forward", 1)
    expect(code(page)).to_contain_text("Uᵀ (φ'(pre_3) ⊙ ∂L/∂h_3)")  # forward: from t + 1

    chains = radio(page, "Chain")
    backward = chains.get_by_role("radio", name="backward")
    retry(lambda: chains.get_by_text("backward", exact=True).click(), lambda: expect(backward).to_be_checked(), page=page)
    wait_for_app(page)
    expect_chain(page, SEED.model, "backward", 1)
    expect(code(page)).to_contain_text("Uᵀ (φ'(pre_1) ⊙ ∂L/∂h_1)")  # backward: from t - 1
    expect(page.get_by_text("h_(t-1)").first).to_be_visible()

    press(page, step, "Home", "1 · I")
    expect(code(page)).to_contain_text("t = 1 is the backward chain's first step")
    expect_chain(page, SEED.model, "backward", 0)
    press(page, step, "End", "3 · AI")
    expect_chain(page, SEED.model, "backward", 2)

    forward = chains.get_by_role("radio", name="forward")
    retry(lambda: chains.get_by_text("forward", exact=True).click(), lambda: expect(forward).to_be_checked(), page=page)
    wait_for_app(page)
    expect(code(page)).to_contain_text("t = 3 is the forward chain's last step")
    expect(page.get_by_text("The sum of the terms equals the core's recorded gradient.")).to_be_visible()
    assert_page_clean(page)


def test_seed_claims_panel_reports_what_it_measured(page, app_server):
    open_gradients(page, app_server)
    lines = page.locator("[data-testid=stMarkdownContainer] p")
    expect(lines.filter(has_text="Seed 000: “BiRNN helps solve the vanishing gradient problem")).to_be_visible()
    expect(lines.filter(has_text="Verdict: Not within a chain")).to_be_visible()
    expect(lines.filter(has_text="Verdict: Yes: every output has a path to both sides")).to_be_visible()
    expect(page.get_by_text(re.compile("unidirectional 6, bidirectional 9, of 9"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"unidirectional \d+\.\d\d ms, bidirectional \d+\.\d\d ms"))).to_be_visible()
    assert_page_clean(page)


# ---------------------------------------------------------------- links and user text

def test_a_bad_link_says_why_and_the_page_still_works(page, app_server):
    open_gradients(page, app_server, '/gradients?s=<img src=x onerror="window.__pwned=1">')
    warning = page.locator("[data-testid=stAlertContentWarning]").filter(has_text="could not be opened").first
    expect(warning).to_contain_text("not version 1")
    expect(page.locator("[data-testid=stMarkdownContainer] p").filter(has_text="Spectral radius")).to_contain_text(
        "ρ(U_f) = 1.222")
    assert page.locator("img[src='x']").count() == 0
    assert_page_clean(page)


HOSTILE = ['<img src=x onerror="window.__pwned=1">', "**b** $x$ ![i](http://x.invalid/a.png)", "\u202eabc"]


def test_hostile_tokens_show_as_text(page, app_server):
    ws = Workspace.from_example(SEED)
    ws.tokens = list(HOSTILE)
    open_gradients(page, app_server, "/gradients?s=" + ws.to_url_state())
    want = [f"{k + 1} · {w}" for k, w in enumerate(HOSTILE)]

    def ticks():
        assert chart(page, 0)["ticks"] == want and chart(page, 1)["ticks"] == want
    retry(lambda: page.wait_for_timeout(300), ticks, tries=40, page=page)
    expect(page.locator("[data-testid=stSliderThumbValue]").last).to_have_text(want[0])
    assert page.locator("img[src='x'], img[src*='x.invalid'], a[href*='x.invalid']").count() == 0
    assert page.locator(f"{CHART} a, {CHART} b").count() == 0
    assert_page_clean(page)
