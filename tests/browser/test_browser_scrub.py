"""The scrub on Step by step, in Chromium: press on the slider under the chosen number, drag, and every
cell of the states table shows NumPy's value for that frame while the pointer is still down; releasing
keeps the value (the page recomputes it for real); the arrow keys step it by one frame."""
from __future__ import annotations

import re

import pytest
from browser_utils import assert_page_clean, goto, retry, wait_for_app
from playwright.sync_api import expect
from test_browser_step import open_tab, states_table

from app.editing import nudge_targets, value_at, with_value
from app.scrub import FRAMES, VALUE_DIGITS, value_for
from app.tables import states_columns
from app.workspace import Workspace
from birnn_core import num, presets, run

pytestmark = pytest.mark.browser

VE = "views/step/scrub.py"
CONTROLS = [
    (VE, "key=scrub_", "test_dragging_shows_numpys_states_and_release_keeps_the_value"),
    # and test_press_on_a_matrix_entry_and_drag, test_a_click_on_a_matrix_entry_chooses_it_everywhere,
    # test_arrow_keys_step_the_number_by_one_frame, test_type_a_number_into_the_matrix_and_press_enter,
    # test_a_bad_number_is_refused_with_its_message_and_the_text_stays, test_keyboard_only_typing_tab_and_paste
]
TAB = "Nudge one number"
# While dragging only the cells on screen are redrawn: a wide window shows the widest tables here
# whole (look_at scrolls them into view), so every cell can be compared.
WIDE = {"width": 2400, "height": 1400}


@pytest.fixture(autouse=True)
def wide_window(page):
    page.set_viewport_size(WIDE)


def _seed() -> Workspace:
    return Workspace.from_example(presets.seed_example())


def printed(ws: Workspace) -> list[list[str]]:
    """The states table's cells as the page prints them, row by row."""
    cols = states_columns(run(ws.model(), ws.embeddings, check=False))
    return [[num(float(v[t])) for _, _, v in cols] for t in range(len(ws.tokens))]


# The element ``selector`` names, in the page or inside a component's shadow root (the scrub's).
FIND = """const find = selector => document.querySelector(selector) || [...document.querySelectorAll('*')]
  .map(e => e.shadowRoot).filter(Boolean).map(r => r.querySelector(selector)).find(Boolean);"""
LOOK = """async selector => {""" + FIND + """
  const el = find(selector);
  el.scrollIntoView({block: 'start'});
  for (let i = 0; i < 3; i++) await new Promise(r => requestAnimationFrame(r));
}"""


def look_at(page, selector: str) -> None:
    """Scroll ``selector`` (in the page or the scrub) to the top of the window, as a person does to
    watch it, and let three frames pass: while dragging, only what is on screen is redrawn."""
    page.evaluate(LOOK, selector)


def shown(page) -> list[list[str]]:
    """The states table's cells, row by row, once it is on screen."""
    look_at(page, "[data-testid=stHtml] .states")
    return page.evaluate("""() => [...document.querySelectorAll('[data-testid=stHtml] .states tbody tr')]
        .map(r => [...r.querySelectorAll('td')].map(td => td.textContent))""")


def pick_number(page, label: str) -> None:
    """Choose ``label`` in "Number to change" by typing it (the list shows only its first options)."""
    box = page.locator("[data-testid=stSelectbox]").filter(has_text="Number to change").first
    choice = page.get_by_role("option", name=label, exact=True)

    def pick():
        box.locator("input").click()
        box.locator("input").fill(label)
        choice.click(timeout=5_000)

    retry(pick, lambda: expect(box.locator(f"input[value='{label}']")).to_have_count(1, timeout=5_000), page=page)
    wait_for_app(page)


def diagram_matches_table(page) -> int:
    """Every stripe of the unrolled diagram has its table cell's colour; returns the outlined boxes."""
    look_at(page, ".unrolled")
    look_at(page, "[data-testid=stHtml] .states")
    return page.evaluate("""() => {
      const tds = [...document.querySelectorAll('[data-testid=stHtml] .states tbody td')];
      const root = [...document.querySelectorAll('*')].map(e => e.shadowRoot).filter(Boolean)
        .find(r => r.querySelector('.unrolled'));
      const rects = [...root.querySelectorAll('.unrolled rect[data-cell]')];
      if (rects.length !== tds.length) throw new Error(`${rects.length} stripes, ${tds.length} cells`);
      for (const r of rects) {
        const want = tds[Number(r.dataset.cell)].style.background;
        if (r.getAttribute('fill').replace(/ /g, '') !== want.replace(/ /g, '')) throw new Error(`${r.dataset.cell}: ${r.getAttribute('fill')} vs ${want}`);
      }
      return root.querySelectorAll('.unrolled rect[stroke="#f59e0b"]').length;
    }""")


def scrubber(page, ident_start: str):
    """The scrub of the number whose label starts ``ident_start``, once its frames have arrived."""
    box = page.locator(".scrub")
    expect(box).to_have_attribute("data-id", _starts(ident_start), timeout=30_000)
    return box


def _starts(text: str):
    return re.compile("^" + re.escape(text))


def press_and_drag(page, box, fraction: float) -> int:
    """Press on the slider's knob (the middle), drag to ``fraction`` of its width and keep the button
    down; returns the frame the scrub then shows."""
    box.locator(".range").scroll_into_view_if_needed()
    bb = box.locator(".range").bounding_box()
    y = bb["y"] + bb["height"] / 2
    page.mouse.move(bb["x"] + bb["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(bb["x"] + bb["width"] * fraction, y, steps=8)
    expect(box).not_to_have_attribute("data-frame", str(FRAMES // 2))
    return int(box.get_attribute("data-frame"))


CASES = {
    # name: (workspace, number label in the nudge box, fraction of the slider to drag to)
    "seed x_2": (_seed(), "x_2[1]  (love)", 0.8),
    "untied backward U": (_seed().resized(tie=False), "U_b[2][1]", 0.15),
    "uni GRU b": (_seed().resized(bidirectional=False, cell="gru"), "b_f[z2]", 0.7),
    "LSTM two layers, layer 2 W": (_seed().resized(tie=False, cell="lstm", layers=2, h_b=3), "layer 2 W_f[f1][4]", 0.3),
    "output layer": (_seed(), "W_o[2][3]", 0.95),
    "classic GRU, sum, b_U": (_seed().resized(tie=False, cell="gru_classic", merge="sum"), "b_U_f[n2]", 0.65),
}


def _last_of(ws: Workspace, path: str) -> str:
    """The label of the last number of the array ``path`` (the deepest row and column)."""
    return [label for label, (p, _, _) in nudge_targets(ws).items() if p == path][-1]


for _name, _example in presets.all_presets().items():  # every preset: the last layer's last backward weight
    _ws = Workspace.from_example(_example)
    _path = ("upper.0." if _ws.n_layers > 1 else "") + ("fwd" if _ws.tie or not _ws.bidirectional else "bwd") + ".U"
    CASES[f"preset {_name}"] = (_ws, _last_of(_ws, _path), 0.25)


@pytest.mark.parametrize("case", list(CASES))
def test_dragging_shows_numpys_states_and_release_keeps_the_value(page, app_server, case):
    ws, label, fraction = CASES[case]
    path, index, symbol = nudge_targets(ws)[label]
    goto(page, app_server, f"/step_by_step?s={ws.to_url_state()}")
    open_tab(page, TAB, table=False)
    pick_number(page, label)
    box = scrubber(page, label + "=")
    expect(box.locator(".symbol")).to_have_text(symbol)
    assert shown(page) == printed(ws)
    k = press_and_drag(page, box, fraction)
    value = value_for(ws, path, index, k)
    moved = with_value(ws, path, index, value)
    assert shown(page) == printed(moved), "the frame on screen is NumPy's run with that value"
    assert diagram_matches_table(page) > 0, "the unrolled diagram follows and outlines what moved"
    expect(box.locator(".value")).to_have_text(num(value, 4))
    changed = states_table(page).locator("td.changed")
    assert changed.count() > 0
    page.mouse.up()
    wait_for_app(page)
    expect(scrubber(page, f"{label}={value!r}").locator(".value")).to_have_text(num(value, 4))
    expect(page.get_by_label(symbol, exact=True)).to_have_value(f"{value:.4f}")
    assert shown(page) == printed(moved)
    assert_page_clean(page)


def drag_entry(page, label: str, dx: float, hold=None) -> None:
    """Press on the matrix entry ``label``, move ``dx`` pixels sideways in small steps; ``hold()`` runs
    while the button is still down; then let go."""
    entry = page.locator(f".scrub .num[data-label='{label}']")
    entry.scroll_into_view_if_needed()
    bb = entry.bounding_box()
    x, y = bb["x"] + bb["width"] / 2, bb["y"] + bb["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=10)
    if hold:
        hold()
    page.mouse.up()
    wait_for_app(page)


def _lstm_over_budget() -> Workspace:
    """20 tokens, a bidirectional LSTM with h = 4: too many cells to send every entry's frames at once."""
    ws = _seed().resized(tie=False, cell="lstm", h_f=4, h_b=4)
    tokens = [f"w{i}" for i in range(20)]
    return ws.copy(tokens=tokens, embeddings=presets.embed(tokens, ws.d))


@pytest.mark.parametrize("case", ["seed: the whole matrix is sent", "LSTM: frames fetched on press"])
def test_press_on_a_matrix_entry_and_drag(page, app_server, case):
    ws, chosen, other = (_seed(), "W_f[1][1]", "W_f[2][3]") if case.startswith("seed") else \
        (_lstm_over_budget(), "W_f[i1][1]", "W_f[o3][2]")
    path, index, symbol = nudge_targets(ws)[other]
    goto(page, app_server, f"/step_by_step?s={ws.to_url_state()}")
    open_tab(page, TAB, table=False)
    pick_number(page, chosen)
    box = scrubber(page, chosen + "=")
    seen = {}

    def hold():
        expect(box).to_have_attribute("data-label", other)  # the drag follows once its frames are there
        expect(box).to_have_attribute("data-frame", str(FRAMES // 2 + 30))
        seen["frame"] = int(box.get_attribute("data-frame"))
        seen["cells"] = shown(page)

    drag_entry(page, other, 60, hold)  # 2 px per frame: 30 frames, +0.3
    value = value_for(ws, path, index, seen["frame"])
    moved = with_value(ws, path, index, value)
    assert seen["cells"] == printed(moved)
    expect(scrubber(page, f"{other}={value!r}").locator(".value")).to_have_text(num(value, 4))
    expect(page.locator("[data-testid=stSelectbox]").filter(has_text="Number to change")
           .locator(f"input[value='{other}']")).to_have_count(1)
    expect(page.get_by_label(symbol, exact=True)).to_have_value(f"{value:.4f}")
    assert shown(page) == printed(moved)
    assert_page_clean(page)


@pytest.mark.parametrize("case", ["seed: the whole matrix is sent", "LSTM: frames fetched on press"])
def test_a_click_on_a_matrix_entry_chooses_it_everywhere(page, app_server, case):
    ws, chosen, other = (_seed(), "W_f[1][1]", "W_f[2][3]") if case.startswith("seed") else \
        (_lstm_over_budget(), "W_f[i1][1]", "W_f[o3][2]")
    symbol = nudge_targets(ws)[other][2]
    goto(page, app_server, f"/step_by_step?s={ws.to_url_state()}")
    open_tab(page, TAB, table=False)
    pick_number(page, chosen)
    scrubber(page, chosen + "=")
    retry(lambda: page.locator(f".scrub .num[data-label='{other}']").click(),
          lambda: expect(page.locator("[data-testid=stSelectbox]").filter(has_text="Number to change")
                         .locator(f"input[value='{other}']")).to_have_count(1, timeout=10_000), page=page)
    wait_for_app(page)
    expect(page.locator(f".scrub .num[data-label='{other}']")).to_have_class(re.compile(r"\bactive\b"))
    expect(page.get_by_label(symbol, exact=True)).to_have_value(f"{value_at(ws, *nudge_targets(ws)[other][:2]):.4f}")
    assert shown(page) == printed(ws)
    assert_page_clean(page)


def test_arrow_keys_step_the_number_by_one_frame(page, app_server):
    ws = _seed()
    label = "x_1[1]  (I)"
    path, index, _ = nudge_targets(ws)[label]
    goto(page, app_server, "/step_by_step")
    open_tab(page, TAB, table=False)
    pick_number(page, label)
    box = scrubber(page, label + "=")
    step = value_for(ws, path, index, FRAMES // 2 + 1)
    after = with_value(ws, path, index, step)

    def press():
        box.locator(".range").focus()
        page.keyboard.press("ArrowRight")
        wait_for_app(page)

    retry(press, lambda: expect(box).to_have_attribute("data-id", f"{label}={step!r}", timeout=10_000), page=page)
    assert shown(page) == printed(after)
    assert_page_clean(page)


def test_markup_in_a_token_is_text_in_the_scrub(page, app_server):
    ws = _seed()
    ws = ws.copy(tokens=["<b>x</b>", "**y**", "<img src=x onerror=window.__pwned=1>"])
    label = "x_2[1]  (**y**)"
    goto(page, app_server, f"/step_by_step?s={ws.to_url_state()}")
    open_tab(page, TAB, table=False)
    pick_number(page, label)
    box = scrubber(page, label + "=")
    press_and_drag(page, box, 0.2)
    page.mouse.up()
    wait_for_app(page)
    expect(states_table(page).locator("th.tok").nth(0)).to_have_text("<b>x</b>")
    assert_page_clean(page)


# ---------------------------------------------------------------- typing into the matrix

def open_editor(page, label: str):
    """Double-click the matrix entry ``label``; returns its text box."""
    entry = page.locator(f".scrub .num[data-label='{label}']")
    box = page.locator(".scrub input.edit")
    retry(lambda: entry.dblclick(), lambda: expect(box).to_be_focused(timeout=5_000), page=page)
    return box


@pytest.mark.parametrize("typed", ["0.35", "-0.357", "2e-1", "−0.4"])
def test_type_a_number_into_the_matrix_and_press_enter(page, app_server, typed):
    ws = _seed()
    label = "W_f[2][3]"
    path, index, symbol = nudge_targets(ws)[label]
    goto(page, app_server, "/step_by_step")
    open_tab(page, TAB, table=False)
    pick_number(page, "W_f[1][1]")
    scrubber(page, "W_f[1][1]=")
    box = open_editor(page, label)
    box.fill(typed)
    box.press("Enter")
    value = float(typed.replace("−", "-"))
    after = with_value(ws, path, index, value)
    expect(page.locator(".scrub")).to_have_attribute("data-id", f"{label}={value!r}")
    assert shown(page) == printed(after)
    expect(page.get_by_label(symbol, exact=True)).to_have_value(f"{value:.4f}")
    expect(page.locator(f".scrub .num[data-label='{label}']")).to_have_text(num(value, 4))
    assert_page_clean(page)


# Enter pressed from a script, and the states table read in the same task: what it shows then was
# drawn before any answer from the server could arrive.
ENTER_AND_READ = """() => {""" + FIND + """
  find('.scrub input.edit').dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true}));
  return [...document.querySelectorAll('[data-testid=stHtml] .states tbody tr')]
    .map(r => [...r.querySelectorAll('td')].map(td => td.textContent));
}"""


def test_a_typed_value_on_the_scrubs_grid_shows_before_the_server_answers(page, app_server):
    ws = _seed()
    label = "W_f[1][2]"
    path, index, _ = nudge_targets(ws)[label]
    typed = num(value_for(ws, path, index, FRAMES // 2 + 7), VALUE_DIGITS)  # a frame's value, as printed
    value = float(typed)
    goto(page, app_server, "/step_by_step")
    open_tab(page, TAB, table=False)
    pick_number(page, label)
    scrubber(page, f"{label}=")
    box = open_editor(page, label)
    box.fill(typed)
    look_at(page, "[data-testid=stHtml] .states")
    assert page.evaluate(ENTER_AND_READ) == printed(with_value(ws, path, index, value))
    expect(page.locator(".scrub")).to_have_attribute("data-id", f"{label}={value!r}")
    assert shown(page) == printed(with_value(ws, path, index, value))


@pytest.mark.parametrize("typed,message", [
    ("1,5", "write the decimal point as a dot (1.5)"),
    ("abc", "type a number such as -0.25 or 1e-3"),
    ("nan", "NaN and infinity cannot be computed with"),
    ("1e999", "beyond the largest 64-bit float"),
    ("", "is empty: type a finite number"),
    ("<b>x</b>", "'<b>x</b>': type a number"),
])
def test_a_bad_number_is_refused_with_its_message_and_the_text_stays(page, app_server, typed, message):
    ws = _seed()
    goto(page, app_server, "/step_by_step")
    open_tab(page, TAB, table=False)
    pick_number(page, "b_f[1]")
    scrubber(page, "b_f[1]=")
    box = open_editor(page, "b_f[2]")
    box.fill(typed)
    box.press("Enter")
    wait_for_app(page)
    status = page.locator(".scrub .status")
    expect(status).to_contain_text(message)
    expect(status).to_contain_text("b_f[2]")
    expect(page.locator(".scrub input.edit")).to_have_value(typed)  # nothing typed is lost
    assert shown(page) == printed(ws)
    page.locator(".scrub input.edit").press("Escape")
    wait_for_app(page)
    expect(status).to_have_text("")
    expect(page.locator(".scrub input.edit")).to_have_count(0)
    assert shown(page) == printed(ws)
    assert_page_clean(page)


def test_keyboard_only_typing_tab_and_paste(page, app_server):
    ws = _seed()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    goto(page, app_server, "/step_by_step")
    open_tab(page, TAB, table=False)
    pick_number(page, "W_f[1][1]")
    scrubber(page, "W_f[1][1]=")
    first = page.locator(".scrub .num[data-label='W_f[1][1]']")
    first.focus()
    page.keyboard.type("0.8")  # typing on a focused number starts replacing it
    page.keyboard.press("Tab")  # Tab keeps it and moves on
    wait_for_app(page)
    moved = with_value(ws, "fwd.W", (0, 0), 0.8)
    expect(page.locator(".scrub")).to_have_attribute("data-id", "W_f[1][1]=0.8")
    assert shown(page) == printed(moved)
    page.evaluate("() => navigator.clipboard.writeText('0.125')")
    second = page.locator(".scrub .num[data-label='W_f[1][2]']")
    second.focus()
    page.keyboard.press("Enter")  # Enter opens the box with the value selected
    box = page.locator(".scrub input.edit")
    expect(box).to_be_focused()
    page.keyboard.press("Control+V")
    expect(box).to_have_value("0.125")
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(page.locator(".scrub")).to_have_attribute("data-id", "W_f[1][2]=0.125")
    assert shown(page) == printed(with_value(moved, "fwd.W", (0, 1), 0.125))
    assert_page_clean(page)
