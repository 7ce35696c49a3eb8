"""Real browser: every control of the Arrows diagram, used as a person does, and tokens that try to be
markup (HTML, Plotly's, markdown), right-to-left text or control characters show as the text they are.

Set BIRNN_SAVE_SCREENSHOTS=1 to (re)write assets/diagram.png, the README's picture, from this run.
"""
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from browser_utils import assert_page_clean, exception_texts, goto, retry, wait_for_app

from app.workspace import Workspace
from birnn_core import presets
from taggers import tagger as tg

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser

V = "views/diagram.py"
CONTROLS = [
    (V, "Animation order", "test_animation_order_radio_changes_the_steps"),
    (V, "Show what reaches h_t for token", "test_choosing_a_token_outlines_what_reaches_it"),
    (V, "◀ Step", "test_step_buttons_move_the_step_and_its_equation"),
    (V, "Step ▶", "test_step_buttons_move_the_step_and_its_equation"),
    (V, "Step", "test_step_slider_with_the_keyboard"),
    (V, "The equation of step ", "test_equation_expander_closes_and_opens"),
    (V, "Draw", "test_draw_radio_after_a_tagger_is_handed_over"),
]

CHART = ".js-plotly-plot"
SEED_STEPS = ["→1", "→2", "→3", "←3", "←2", "←1", "merge"]  # "I love AI", forward then backward

RECORD_FRAMES = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    window.__frames = []; window.__animated = false;
    gd.on('plotly_animatingframe', e => window.__frames.push(e.name));
    gd.on('plotly_animated', () => { window.__animated = true; });
}"""


# ---------------------------------------------------------------- helpers

def share_path(tokens: list[str]) -> str:
    """/diagram opened on a share link of the seed's model with these tokens (3 of them)."""
    ws = Workspace.from_example(presets.seed_example())
    ws.tokens = list(tokens)
    return "/diagram?s=" + ws.to_url_state()


def open_diagram(page, app_server, path: str = "/diagram") -> None:
    goto(page, app_server, path)
    expect(page.get_by_role("heading", name="Arrows diagram")).to_be_visible()
    expect(page.locator(CHART).first).to_be_visible()
    expect(step_slider(page)).to_be_visible()


def diagram_state(page) -> dict:
    return page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot');
        return {active: gd.layout.sliders[0].active, n: gd._transitionData._frames.length,
                labels: gd.layout.sliders[0].steps.map(s => s.label),
                caption: gd.data[4].text[0],
                fwd: gd.data[1].x.filter(v => v === null).length,
                bwd: gd.data[2].x.filter(v => v === null).length};
    }""")


def step_slider(page):
    """The Step select_slider's thumb (the only st slider on the page; its accessible name repeats
    the label, "Step Step")."""
    return page.locator("[data-testid=stSlider]").get_by_role("slider")


def equation(page):
    return page.locator("[data-testid=stExpander]").filter(has_text="The equation of step")


def expect_step(page, k: int, label: str, n: int) -> None:
    """The page shows step k (1-based) of n: the slider, the expander's title, the chart."""
    expect(step_slider(page)).to_have_attribute("aria-valuetext", f"{k}: {label}")
    expect(page.locator("[data-testid=stSliderThumbValue]")).to_have_text(f"{k}: {label}")
    expect(equation(page).locator("summary")).to_contain_text(f"The equation of step {k} ({label}) in full")
    expect(page.locator(f"{CHART} .textpoint").first).to_contain_text(f"Step {k} of {n}")
    expect(page.locator(f"{CHART} .slider-container").first).to_contain_text(f"step {label}")


def click_button(page, name: str, then) -> None:
    retry(lambda: page.get_by_role("button", name=name, exact=True).click(), then, page=page)
    wait_for_app(page)


def visible(s: str) -> str:
    """What a person reads: without the invisible isolates (U+2068/9), word joiners (U+2060) and the
    zero-width spaces Plotly puts around <sub> (U+200B)."""
    return re.sub("[\u200b\u2060\u2068\u2069]", "", s)


def holds(page, locator, want: str, timeout_ms: int = 15_000) -> None:
    """Wait until the element's text, as a person reads it (see visible), contains ``want``."""
    deadline = 0
    while True:
        got = visible(locator.text_content() or "") if locator.count() else ""
        if want in got:
            return
        if deadline >= timeout_ms:
            raise AssertionError(f"{want!r} not in {got!r}")
        page.wait_for_timeout(250)
        deadline += 250


def focus_token(page, option: str) -> None:
    box = page.get_by_role("combobox", name="Show what reaches h_t for token", exact=True)

    def act():
        box.click()
        page.get_by_role("option").filter(has_text=option).first.click()

    retry(act, lambda: expect(box).to_have_value(re.compile("^" + re.escape(option))), page=page)
    wait_for_app(page)


# ---------------------------------------------------------------- the in-chart Play button and slider

def test_play_runs_every_frame_and_ends_on_the_merge_step(page, app_server):
    open_diagram(page, app_server)
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


# ---------------------------------------------------------------- the page's controls

def test_choosing_a_token_outlines_what_reaches_it(page, app_server):
    open_diagram(page, app_server)
    box = page.get_by_role("combobox", name="Show what reaches h_t for token", exact=True)
    expect(box).to_have_value("(none)")
    box.click()
    expect(page.get_by_role("option")).to_have_text(["(none)", "t = 1: I", "t = 2: love", "t = 3: AI"])
    page.keyboard.press("Escape")
    focus_token(page, "t = 2: love")
    line = page.locator("[data-testid=stMarkdownContainer] p").filter(has_text="What reaches t = 2")
    expect(line).to_be_visible()
    expect(line).to_contain_text("has read x_1..x_2")
    expect(line).to_contain_text("has read x_2..x_3")
    expect(line).to_contain_text("sees all 3 tokens")
    assert visible(line.inner_text()).startswith("What reaches t = 2 (“love”)")
    boxes = page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot');
        const count = prefix => { const t = gd.data.find(d => (d.name || '').startsWith(prefix));
                                  return t ? t.x.filter(v => v === null).length + 1 : 0; };
        return {fwd: count('reaches h<sub>2</sub><sup>(fwd)'), bwd: count('reaches h<sub>2</sub><sup>(bwd)'),
                merged: count('m<sub>2</sub>')};
    }""")
    # forward: x_1, x_2, h_1, h_2; backward: x_2, x_3, h_2, h_3; merged: m_2 and y_2
    assert boxes == {"fwd": 4, "bwd": 4, "merged": 2}
    legend = page.locator(f"{CHART} .legendtext")
    expect(legend).to_have_count(3)
    expect(legend.first).to_contain_text("reaches h")
    assert visible(legend.nth(2).text_content()) == "m2 (“love”) sees all of x1..x3"
    assert exception_texts(page) == []
    if os.environ.get("BIRNN_SAVE_SCREENSHOTS"):
        page.locator(CHART).first.screenshot(path=str(ROOT / "assets" / "diagram.png"))

    # back to (none): the outline, its legend and the sentence go
    focus_token(page, "(none)")
    expect(line).to_have_count(0)
    expect(page.locator(f"{CHART} .legendtext")).to_have_count(0)
    assert_page_clean(page)


def test_animation_order_radio_changes_the_steps(page, app_server):
    open_diagram(page, app_server)
    expect_step(page, 7, "merge", 7)
    order = page.locator("[data-testid=stRadio]").filter(has_text="Animation order")
    expect(order.get_by_role("radio", name="Forward sweep, then backward")).to_be_checked()

    retry(lambda: order.get_by_text("Both directions at once").click(),
          lambda: expect(order.get_by_role("radio", name="Both directions at once")).to_be_checked(), page=page)
    wait_for_app(page)
    expect_step(page, 4, "merge", 4)  # T + 1 steps: both sweeps move together
    expect(page.locator("[data-testid=stSliderTickBar]")).to_contain_text("1: →1 ←3")
    page.wait_for_function("() => document.querySelector('.js-plotly-plot').layout.sliders[0].steps.length === 4")
    assert diagram_state(page)["labels"] == ["→1 ←3", "→2 ←2", "→3 ←1", "merge"]

    # one step back: forward t = 3 and backward t = 1 are computed in the same step
    click_button(page, "◀ Step", lambda: expect(step_slider(page)).to_have_attribute("aria-valuetext", "3: →3 ←1"))
    expect_step(page, 3, "→3 ←1", 4)
    holds(page, page.locator(f"{CHART} .textpoint").first, "(forward, t = 3, “AI”)")
    holds(page, page.locator(f"{CHART} .textpoint").first, "(backward, t = 1, “I”)")

    retry(lambda: order.get_by_text("Forward sweep, then backward").click(),
          lambda: expect(order.get_by_role("radio", name="Forward sweep, then backward")).to_be_checked(),
          page=page)
    wait_for_app(page)
    expect_step(page, 3, "→3", 7)  # the same step number, now only the forward sweep's
    page.wait_for_function("() => document.querySelector('.js-plotly-plot').layout.sliders[0].steps.length === 7")
    assert diagram_state(page)["labels"] == SEED_STEPS
    assert_page_clean(page)


def test_step_buttons_move_the_step_and_its_equation(page, app_server):
    open_diagram(page, app_server)
    expect_step(page, 7, "merge", 7)
    body = equation(page).locator("[data-testid=stExpanderDetails]")
    expect(body).to_contain_text("Every state is known")

    click_button(page, "◀ Step", lambda: expect(step_slider(page)).to_have_attribute("aria-valuetext", "6: ←1"))
    expect_step(page, 6, "←1", 7)
    # the backward state at t = 1 of seed 000: h_1^(bwd) = [0.844, 0.967], written out in LaTeX
    expect(body.locator(".katex").first).to_be_visible()
    expect(body).to_contain_text("0.844")
    expect(body).to_contain_text("0.967")
    holds(page, page.locator(f"{CHART} .textpoint").first, "(backward, t = 1, “I”)")

    click_button(page, "◀ Step", lambda: expect(step_slider(page)).to_have_attribute("aria-valuetext", "5: ←2"))
    expect_step(page, 5, "←2", 7)
    expect(body).to_contain_text("0.842")

    click_button(page, "Step ▶", lambda: expect(step_slider(page)).to_have_attribute("aria-valuetext", "6: ←1"))
    click_button(page, "Step ▶", lambda: expect(step_slider(page)).to_have_attribute("aria-valuetext", "7: merge"))
    expect_step(page, 7, "merge", 7)
    # at the last step Step ▶ stays there
    page.get_by_role("button", name="Step ▶", exact=True).click()
    wait_for_app(page)
    expect_step(page, 7, "merge", 7)
    expect(body).to_contain_text("Every state is known")
    assert_page_clean(page)


def test_step_slider_with_the_keyboard(page, app_server):
    open_diagram(page, app_server)
    slider = step_slider(page)
    body = equation(page).locator("[data-testid=stExpanderDetails]")

    def press(key: str, want: str):
        retry(lambda: (slider.focus(), slider.press(key)),
              lambda: expect(slider).to_have_attribute("aria-valuetext", want), page=page)
        wait_for_app(page)

    press("Home", "1: →1")
    expect_step(page, 1, "→1", 7)
    # seed 000's first forward step: tanh(0.34) = 0.327, in the expander and in the chart's caption
    expect(body).to_contain_text("0.327")
    expect(body).to_contain_text("0.34")
    holds(page, page.locator(f"{CHART} .textpoint").first, "tanh(0.34) = 0.327")
    page.wait_for_function("() => document.querySelector('.js-plotly-plot').layout.sliders[0].active === 0")

    press("ArrowRight", "2: →2")
    expect_step(page, 2, "→2", 7)
    expect(body).to_contain_text("0.758")

    press("End", "7: merge")
    expect_step(page, 7, "merge", 7)
    assert_page_clean(page)


def test_equation_expander_closes_and_opens(page, app_server):
    open_diagram(page, app_server)
    box = equation(page)
    body = box.locator("[data-testid=stExpanderDetails]")
    expect(body).to_be_visible()  # three tokens: open from the start
    expect(body).to_contain_text("Every state is known")
    retry(box.locator("summary").click, lambda: expect(body).to_be_hidden(), page=page)
    retry(box.locator("summary").click, lambda: expect(body).to_be_visible(), page=page)
    expect(body).to_contain_text("Every state is known")
    # after a step it holds that step's equation
    click_button(page, "◀ Step", lambda: expect(step_slider(page)).to_have_attribute("aria-valuetext", "6: ←1"))
    expect(box.locator("summary")).to_contain_text("The equation of step 6 (←1) in full")
    expect(body).to_contain_text("0.844")
    assert_page_clean(page)


# ---------------------------------------------------------------- a tagger handed over from /compare

HANDED_OVER = "![i](http://x.invalid/a.png) _a_ <b>b</b>"


def test_draw_radio_after_a_tagger_is_handed_over(page, app_server):
    goto(page, app_server, "/compare")
    expect(page.get_by_role("heading", name="Uni vs Bi taggers")).to_be_visible(timeout=90_000)
    sentence = page.get_by_role("textbox", name=re.compile("^Sentence"))
    expect(sentence).to_be_visible(timeout=90_000)
    retry(lambda: (sentence.fill(HANDED_OVER), sentence.press("Enter")),
          lambda: expect(sentence).to_have_value(HANDED_OVER), page=page)
    wait_for_app(page, timeout=90_000)
    inspect = page.locator("[data-testid=stExpander]").filter(has_text="Inspect the real models' hidden states")
    hand_over = page.get_by_role("button", name="bi tagger → Arrows diagram", exact=True)
    retry(inspect.locator("summary").click, lambda: expect(hand_over).to_be_visible(), page=page)
    wait_for_app(page, timeout=90_000)
    heading = page.get_by_role("heading", name="Arrows diagram", exact=True)
    retry(hand_over.click, lambda: expect(heading).to_be_visible(timeout=60_000), page=page)
    wait_for_app(page, timeout=60_000)
    expect(page.locator(CHART).first).to_be_visible()

    tokens = tg.tokenize(HANDED_OVER)
    draw = page.locator("[data-testid=stRadio]").filter(has_text="Draw")
    options = draw.locator("[data-testid=stRadioOption]")
    expect(options).to_have_count(2)
    expect(options.first).to_have_text("the Step by step model")
    label = f"the trained tagger: bi tagger on “{' '.join(tokens)}”"
    assert visible(options.nth(1).inner_text()) == label  # the sentence as typed, not markdown
    assert options.nth(1).locator("img, a, em, strong, b").count() == 0
    expect(draw.get_by_role("radio").nth(1)).to_be_checked()
    expect(page.get_by_text("The real model's hidden states")).to_be_visible()

    def shows(words):
        """The diagram's columns are h_n[1], the words, h_n[0]."""
        def check():
            got = [visible(t) for t in page.locator(f"{CHART} .xaxislayer-above .xtick text").all_text_contents()]
            assert got == ["h_n[1]"] + [f"x{k + 1}{w}" for k, w in enumerate(words)] + ["h_n[0]"], got
        retry(lambda: page.wait_for_timeout(500), check, tries=30, page=page)

    shows(tokens)
    expect(page.locator(f"{CHART} .ytick").filter(has_text="input (layer 1 out)")).to_have_count(1)  # 2 layers

    retry(lambda: options.first.click(), lambda: expect(draw.get_by_role("radio").first).to_be_checked(), page=page)
    wait_for_app(page)
    expect(page.get_by_text("The real model's hidden states")).to_have_count(0)
    shows(["I", "love", "AI"])
    expect(page.locator(f"{CHART} .ytick").filter(has_text="input x")).to_have_count(1)

    retry(lambda: options.nth(1).click(), lambda: expect(draw.get_by_role("radio").nth(1)).to_be_checked(),
          page=page)
    wait_for_app(page)
    expect(page.get_by_text("The real model's hidden states")).to_be_visible()
    shows(tokens)
    assert_page_clean(page)


# ---------------------------------------------------------------- hostile tokens

HOSTILE = {
    "html": ['<span style="font-size:90px">BIG</span>', "<img src=x onerror=window.__pwned=1>", "<b>b</b>"],
    "markdown": ["![i](http://x.invalid/a.png)", "**b** $x$ :red[r]", "[l](javascript:window.__pwned=1)"],
    "rtl": ["مرحبا بالعالم", "\u202eabc", "שלום"],
}


def squash(s: str) -> str:
    return re.sub(r"\s+", " ", visible(s)).strip()


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_tokens_show_as_text(page, app_server, kind):
    tokens = HOSTILE[kind]
    open_diagram(page, app_server, share_path(tokens))
    chart, strips = page.locator(CHART).first, page.locator(CHART).nth(1)
    expect(strips).to_be_visible()

    # the chart's column labels and the strips' row labels hold the literal token
    xticks = [visible(t) for t in chart.locator(".xaxislayer-above .xtick text").all_text_contents()]
    for k, w in enumerate(tokens):
        assert f"x{k + 1}{w}" in xticks, (w, xticks)  # x_t over the token, nothing interpreted
    yticks = [visible(t) for t in strips.locator(".ytick text").all_text_contents()]
    assert yticks == [f"{k + 1} · {w}" for k, w in enumerate(tokens)]

    # hover the node of x_2: the hover box names the token as typed
    def hover_x2():
        xy = page.evaluate("""() => {
            const gd = document.querySelector('.js-plotly-plot'), L = gd._fullLayout;
            const row = gd._fullData.find(d => d.name === 'x vectors');
            const r = gd.getBoundingClientRect();
            return [r.left + L.xaxis._offset + L.xaxis.l2p(2), r.top + L.yaxis._offset + L.yaxis.l2p(row.y[1])];
        }""")
        page.mouse.move(xy[0] + 3, xy[1] + 3)
        page.mouse.move(xy[0], xy[1])

    retry(hover_x2, lambda: expect(chart.locator(".hoverlayer .hovertext")).to_have_count(1), page=page)
    hover = visible(chart.locator(".hoverlayer .hovertext").first.text_content())
    assert f"x2 = {tokens[1]}" in hover, hover
    page.mouse.move(5, 5)

    # the step's caption at step 1 quotes token 1
    slider = step_slider(page)
    retry(lambda: (slider.focus(), slider.press("Home")),
          lambda: expect(slider).to_have_attribute("aria-valuetext", "1: →1"), page=page)
    wait_for_app(page)
    expect(chart.locator(".textpoint").first).to_contain_text("Step 1 of 7")
    caption = visible(chart.locator(".textpoint").first.text_content())
    assert f"(forward, t = 1, “{tokens[0]}”)" in caption, caption

    # the selectbox lists them as plain text; each chosen one is quoted in the sentence and legend
    box = page.get_by_role("combobox", name="Show what reaches h_t for token", exact=True)
    box.click()
    options = page.get_by_role("option")
    expect(options).to_have_count(4)
    assert options.all_text_contents()[1:] == [f"t = {k + 1}: {w}" for k, w in enumerate(tokens)]
    page.keyboard.press("Escape")
    for k, w in enumerate(tokens):
        focus_token(page, f"t = {k + 1}: ")  # the option's text as it starts: the rest is the payload
        line = page.locator("[data-testid=stMarkdownContainer] p").filter(has_text=f"What reaches t = {k + 1} (")
        expect(line).to_be_visible()
        assert squash(line.inner_text()).startswith(squash(f"What reaches t = {k + 1} (“{w}”)")), \
            line.inner_text()
        if kind == "rtl":  # the token's direction is isolated: it cannot reverse the sentence after it
            assert f"\u2068{w}\u2069" in line.text_content()
        # nothing in the sentence came from the token: only the app's own bold, no image, link, math
        expect(line.locator("strong")).to_have_count(1)
        assert line.locator("img, a, em, .katex, span, b, code").count() == 0
        legend = [visible(t) for t in chart.locator(".legendtext").all_text_contents()]
        assert f"m{k + 1} (“{w}”) sees all of x1..x3" in legend, legend

    # nothing anywhere was rendered from a payload, and no script from one ran
    assert page.locator('[style*="font-size: 90px"], [style*="font-size:90px"]').count() == 0
    assert page.locator('img[src="x"], img[src*="x.invalid"], a[href*="x.invalid"], a[href^="javascript"]').count() == 0
    assert chart.locator("a").count() == 0
    assert_page_clean(page)  # the `page` fixture fails the test if anything outside was requested


def test_a_link_with_control_characters_says_what_to_change(page, app_server):
    """Control characters cannot reach a token through a link: the page says which one and what to
    do, and draws the seed example instead."""
    open_diagram(page, app_server, share_path(["a\x00b", "tab\there", "\x1b[31mred"]))
    warning = page.locator("[data-testid=stAlertContentWarning]")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("The shared link could not be opened")
    expect(warning).to_contain_text("Token 1 holds the control character U+0000: remove it.")
    expect(warning).to_contain_text("The seed example is shown instead.")
    xticks = page.locator(f"{CHART} .xaxislayer-above .xtick text")
    expect(xticks).to_have_count(5)
    assert [visible(t) for t in xticks.all_text_contents()] == ["h_n[1]", "x1I", "x2love", "x3AI", "h_n[0]"]
    assert_page_clean(page)
