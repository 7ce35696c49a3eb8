"""Real browser: every control of Step by step, used as a person does, and what the page then shows."""
import json
import re

import numpy as np
import pytest
from browser_utils import assert_page_clean, goto, retry, wait_for_app
from playwright.sync_api import expect

from app import exports
from app.workspace import Workspace
from birnn_core import num, presets, run

pytestmark = pytest.mark.browser

V = "views/step_by_step.py"
VC = "views/step/controls.py"
VE = "views/step/editors.py"
VR = "views/step/results.py"
VI = "views/step/inspect.py"
CONTROLS = [
    (VC, "Preset", "test_preset_cell_and_sizes_change_the_states_table"),
    (VC, "Cell", "test_preset_cell_and_sizes_change_the_states_table"),
    (VC, "number_input(label)", "test_preset_cell_and_sizes_change_the_states_table"),
    (VC, "Activation", "test_activation_merge_output_and_toggles"),
    (VC, "Merge", "test_activation_merge_output_and_toggles"),
    (VC, "Output", "test_activation_merge_output_and_toggles"),
    (VC, "Bidirectional", "test_activation_merge_output_and_toggles"),
    (VC, "Tie forward and backward weights", "test_activation_merge_output_and_toggles"),
    (VE, "Tokens & embeddings", "test_edit_an_embedding_and_a_token"),
    (VE, "key=X_", "test_edit_an_embedding_and_a_token"),
    (VE, "…or type a sentence (each new word gets a fixed pseudo-random embedding)",
     "test_type_a_sentence_and_press_enter"),
    (VE, "Forward weights", "test_edit_W_f_changes_h1_forward_to_the_core_value"),
    (VE, "data_editor(frame)", "test_edit_W_f_changes_h1_forward_to_the_core_value"),
    (VE, "Backward weights", "test_backward_and_output_tables_edit_their_numbers"),
    (VE, "Output layer", "test_backward_and_output_tables_edit_their_numbers"),
    (VE, "Nudge one number", "test_nudge_one_number"),
    (VE, "Number to change", "test_nudge_one_number"),
    (VE, "number_input(symbol)", "test_nudge_one_number"),
    (VR, "Time step t", "test_time_step_slider_writes_out_that_step"),  # and test_a_shorter_sentence_moves_the_step_to_its_last_token
    (VR, "Check the seed: its printed values beside the exact ones", "test_seed_check_panel"),
    (VR, "Share and export (the address bar already holds the share link)", "test_downloads_hold_the_page_state"),
    (VR, "JSON (parameters + trace)", "test_downloads_hold_the_page_state"),
    (VR, "CSV of the states", "test_downloads_hold_the_page_state"),
    (VR, "Worksheet (Markdown + LaTeX)", "test_downloads_hold_the_page_state"),
    (VR, "PyTorch code", "test_downloads_hold_the_page_state"),
    (VR, "Import a JSON exported from this page", "test_import_a_gru_of_another_shape_from_the_default_tab"),
    (V, "Model", "test_inspect_a_tagger_handed_over_from_compare"),
    (VI, "Time step t", "test_inspect_a_tagger_handed_over_from_compare"),
    (VI, "Direction", "test_inspect_a_tagger_handed_over_from_compare"),
    (VI, "Units to write out", "test_inspect_a_tagger_handed_over_from_compare"),
]


# ---------------------------------------------------------------- helpers

def select_cell(page, grid, row: int, col: int, ncols: int) -> None:
    """Select data cell (row, col) of a glide data grid (0-based, index column excluded).

    The grid is a canvas: click the row's last cell, then walk left with the arrow keys. The wait for
    the grid is short: a rerun under load may be redrawing it, and edit_cell's retry tries again."""
    box = grid.bounding_box(timeout=10_000)
    page.mouse.click(box["x"] + box["width"] - 8, box["y"] + 35 + 35 * row + 17)
    for _ in range(ncols - 1 - col):
        page.keyboard.press("ArrowLeft")


def edit_cell(page, grid, row: int, col: int, ncols: int, text: str, shows=None, tries: int = 4) -> None:
    """Type ``text`` into a cell: open its editor with Enter, fill it, commit with Enter ("" : Delete).

    A grid that a rerun has just replaced drops the selection or the key press: the whole edit is
    done again (up to ``tries`` times) until the editor opens and, when given, ``shows()`` passes
    (an expect on what the page then shows)."""
    editor = page.locator(".gdg-input")

    def type_it():
        select_cell(page, grid, row, col, ncols)
        if text == "":  # a person clears a cell with Delete (an emptied editor may commit nothing)
            page.keyboard.press("Delete")
        else:
            page.keyboard.press("Enter")
            editor.wait_for(timeout=5_000)
            editor.fill(text)
            page.keyboard.press("Enter")
        wait_for_app(page)

    def done():
        expect(editor).to_have_count(0, timeout=5_000)
        if shows is not None:
            shows()

    retry(type_it, done, tries, page)


def open_tab(page, name: str, table: bool = True):
    """Open an editor tab and return its first table (opening a tab reruns the page)."""
    tab = page.get_by_role("tab", name=name)
    retry(lambda: tab.click(), lambda: expect(tab).to_have_attribute("aria-selected", "true", timeout=5_000),
          page=page)
    wait_for_app(page)
    grid = page.locator("[data-testid=stTabPanel]:visible [data-testid=stDataFrame]").first
    if table:
        grid.wait_for()
    return grid


def states_table(page):
    return page.locator("[data-testid=stHtml] .states")


def first_state(page):
    return states_table(page).locator("tbody tr").first.locator("td").first


def seed_ws() -> Workspace:
    return Workspace.from_example(presets.seed_example())


def h1_forward(ws: Workspace) -> float:
    return float(run(ws.model(), ws.embeddings).layers[0].fwd.h[0, 0, 0])


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` (retried: a rerun may close the list)."""
    box = page.locator("[data-testid=stSelectbox], [data-testid=stMultiSelect]").filter(has_text=label).first
    choice = page.get_by_role("option", name=option, exact=True)

    def pick():
        box.locator("input").click()
        choice.click(timeout=5_000)

    shown = box.get_by_text(option, exact=True) if "MultiSelect" in (box.get_attribute("data-testid") or "") \
        else box.locator(f"input[value='{option}']")
    retry(pick, lambda: expect(shown).to_have_count(1, timeout=5_000), page=page)
    wait_for_app(page)


def type_number(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")
    wait_for_app(page)


def flip(page, label: str) -> None:
    page.locator("[data-testid=stCheckbox], [data-testid=stToggle]").filter(has_text=label).first.locator(
        "label").click()
    wait_for_app(page)


def sentence_box(page):
    return page.get_by_label("…or type a sentence", exact=False)


def share_panel(page) -> None:
    page.get_by_text("Share and export (the address bar").click()
    wait_for_app(page)
    expect(page.get_by_text("This link reproduces everything")).to_be_visible()


def upload(page, name: str, content: bytes, mime: str = "application/json") -> None:
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": content}])
    wait_for_app(page)


# ---------------------------------------------------------------- the controls

def test_edit_W_f_changes_h1_forward_to_the_core_value(page, app_server):
    goto(page, app_server, "/step_by_step")
    expect(states_table(page)).to_contain_text("0.327")
    edit_cell(page, open_tab(page, "Forward weights"), 0, 0, 6, "0.9")  # [W_f | U_f | b_f]: 3 + 2 + 1
    ws = seed_ws()
    ws.fwd.W[0, 0] = 0.9
    expect(first_state(page)).to_have_text(f"{h1_forward(ws):.3f}")
    expect(page.locator(".states td.changed").first).to_be_visible()
    assert "s=1." in page.url  # the address bar now holds the share link of the edited state
    assert_page_clean(page)


def test_shared_link_reproduces_the_numbers(page, app_server):
    ws = seed_ws().resized(cell="gru", tie=False, h_b=3)
    ws.embeddings[1] = [0.9, -0.4, 0.25]
    tr = run(ws.model(), ws.embeddings, tokens=ws.tokens)
    goto(page, app_server, f"/step_by_step?s={ws.to_url_state()}")
    table = states_table(page)
    row2 = table.locator("tbody tr").nth(1).locator("td")
    want = np.concatenate([tr.layers[0].fwd.h[0, 1], tr.layers[0].bwd.h[0, 1]])
    for k, v in enumerate(want):
        expect(row2.nth(k)).to_have_text(f"{v:.3f}".rstrip("0").rstrip(".") if abs(v) >= 0.0005 else "0")
    expect(table.locator("thead th[colspan='3']")).to_have_text("h bwd ←")  # h_b = 3 came with the link


@pytest.mark.parametrize("typed, message, kept", [
    ("", "W_f (= W_b)[2][2] (row 2) is empty", None),
    ("1e309", "beyond the largest 64-bit float", "1e309"),
    ("1,5", "write the decimal point as a dot (1.5)", "1,5"),
    ("abc", "is 'abc': type a number", "abc"),
    ("nan", "NaN and infinity cannot be computed with", "nan"),
    ("<b>x</b>", "type a number", "<b>x</b>"),
])
def test_bad_cell_shows_message_and_keeps_old_values(page, app_server, typed, message, kept):
    goto(page, app_server, "/step_by_step")
    grid = open_tab(page, "Forward weights")
    edit_cell(page, grid, 1, 1, 6, typed,  # W_f[2][2]
              shows=lambda: expect(page.get_by_text(message).first).to_be_visible(timeout=8_000))
    expect(first_state(page)).to_have_text("0.327")
    expect(page.get_by_text("Showing the last valid computation")).to_be_visible()
    assert_page_clean(page)


@pytest.mark.parametrize("typed, value", [("-1e308", -1e308), ("−0.25", -0.25), ("2E-1", 0.2), (".5", 0.5)])
def test_a_valid_cell_is_taken_as_typed(page, app_server, typed, value):
    goto(page, app_server, "/step_by_step")
    edit_cell(page, open_tab(page, "Forward weights"), 0, 0, 6, typed)
    ws = seed_ws()
    ws.fwd.W[0, 0] = value
    expect(first_state(page)).to_have_text(f"{h1_forward(ws):.3f}".rstrip("0").rstrip(".") or "0")
    expect(page.get_by_text("Showing the last valid computation")).to_have_count(0)
    assert_page_clean(page)


def test_type_a_sentence_and_press_enter(page, app_server):
    goto(page, app_server, "/step_by_step")
    box = sentence_box(page)
    box.fill("the cat sat down")
    box.press("Enter")
    wait_for_app(page)
    tokens = states_table(page).locator("th.tok")
    expect(tokens).to_have_text(["the", "cat", "sat", "down"])
    ws = seed_ws().copy(tokens=["the", "cat", "sat", "down"], embeddings=presets.embed(["the", "cat", "sat", "down"], 3))
    expect(first_state(page)).to_have_text(f"{h1_forward(ws):.3f}".rstrip("0").rstrip("."))
    # the share link holds the new sentence: a reload shows it again
    assert Workspace.from_url_state(page.url.split("s=")[1]).tokens == ["the", "cat", "sat", "down"]
    page.reload()
    wait_for_app(page)
    expect(states_table(page).locator("th.tok")).to_have_text(["the", "cat", "sat", "down"])
    assert_page_clean(page)


@pytest.mark.parametrize("typed, message", [
    ("   ", "Type at least one word."),
    (" ".join(["word"] * 10_000), "The sentence has 10,000 words: this page shows at most 60"),
    ("a " + "x" * 41, "Token 2 has 41 characters"),
])
def test_a_sentence_that_cannot_be_used_says_why_and_keeps_the_model(page, app_server, typed, message):
    goto(page, app_server, "/step_by_step")
    box = sentence_box(page)
    box.fill(typed)
    box.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text(message)).to_be_visible()
    expect(states_table(page).locator("th.tok")).to_have_text(["I", "love", "AI"])
    expect(box).to_have_value(typed)  # what the person typed is still there to fix
    assert_page_clean(page)


@pytest.mark.parametrize("sentence", [
    '<img src=x onerror="window.__pwned=1"> <span style="font-size:90px">BIG</span>',
    "![i](http://x.invalid/a.png) **b** $x^2$ :red[r] <script>window.__pwned=1</script>",
    "مرحبا بالعالم שלום \u202e\u200f evil",
])
def test_markup_in_a_sentence_is_shown_as_text(page, app_server, sentence):
    goto(page, app_server, "/step_by_step")
    box = sentence_box(page)
    box.fill(sentence)
    box.press("Enter")
    wait_for_app(page)
    expect(states_table(page).locator("th.tok")).to_have_text(sentence.split())
    open_tab(page, "Nudge one number", table=False)
    first = f"x_1[1]  ({sentence.split()[0]})"  # the option, as typed
    expect(page.get_by_role("combobox", name="Number to change")).to_have_value(first)
    expect(page.locator("[data-testid=stNumberInput] label").last).to_have_text("x_1[1]")
    assert page.locator("img[src*='x.invalid'], [style*='90px']").count() == 0
    assert_page_clean(page)


def test_edit_an_embedding_and_a_token(page, app_server):
    goto(page, app_server, "/step_by_step")
    grid = open_tab(page, "Tokens & embeddings")
    edit_cell(page, grid, 0, 1, 4, "0.7")  # token | x1 x2 x3: x_1[1]
    ws = seed_ws()
    ws.embeddings[0, 0] = 0.7
    expect(first_state(page)).to_have_text(f"{h1_forward(ws):.3f}".rstrip("0").rstrip("."))
    edit_cell(page, grid, 1, 0, 4, "adore")
    expect(states_table(page).locator("th.tok")).to_have_text(["I", "adore", "AI"])
    assert_page_clean(page)


def test_preset_cell_and_sizes_change_the_states_table(page, app_server):
    goto(page, app_server, "/step_by_step")
    choose(page, "Preset", "Random LSTM (seed 2)")
    ex = presets.all_presets()["Random LSTM (seed 2)"]
    tr = run(ex.model, ex.embeddings, tokens=ex.tokens)
    expect(states_table(page).locator("th.tok")).to_have_text(list(ex.tokens))
    expect(first_state(page)).to_have_text(f"{tr.layers[0].fwd.h[0, 0, 0]:.3f}".rstrip("0").rstrip("."))
    choose(page, "Cell", "GRU")
    expect(page.get_by_text("Cell changed to GRU")).to_be_visible()
    expect(page.get_by_role("tab", name="Forward weights")).to_be_visible()
    for label, value, header in (("h_f", "4", "h fwd →"), ("h_b", "1", "h bwd ←")):
        type_number(page, label, value)
        expect(states_table(page).locator(f"thead th[colspan='{value}']", has_text=header)).to_be_visible() \
            if value != "1" else expect(states_table(page).locator("thead th", has_text=header)).to_be_visible()
    type_number(page, "d", "5")
    expect(page.get_by_text("d changed 3 → 5")).to_be_visible()
    type_number(page, "classes", "3")
    expect(states_table(page).locator("thead th[colspan='3']", has_text="output y")).to_be_visible()
    assert_page_clean(page)


def test_activation_merge_output_and_toggles(page, app_server):
    goto(page, app_server, "/step_by_step")
    choose(page, "Activation", "relu")
    ws = seed_ws()
    ws.activation = "relu"
    expect(first_state(page)).to_have_text(f"{h1_forward(ws):.3f}".rstrip("0").rstrip("."))
    choose(page, "Merge", "sum")
    expect(states_table(page).locator("thead th", has_text="merged (sum)")).to_be_visible()
    choose(page, "Output", "sigmoid")
    expect(page.get_by_text("σ").first).to_be_visible()
    flip(page, "Tie forward and backward weights")
    expect(page.get_by_text("Tied: the backward direction")).to_have_count(0)
    open_tab(page, "Backward weights")
    expect(page.locator("[data-testid=stTabPanel]:visible [data-testid=stDataFrame]")).to_have_count(1)
    flip(page, "Bidirectional")
    expect(states_table(page).locator("thead th", has_text="h bwd ←")).to_have_count(0)
    expect(page.get_by_text("Unidirectional: there is no backward direction.")).to_be_visible()
    assert_page_clean(page)


def test_backward_and_output_tables_edit_their_numbers(page, app_server):
    goto(page, app_server, "/step_by_step")
    flip(page, "Tie forward and backward weights")  # untie: the backward table becomes editable
    grid = open_tab(page, "Backward weights")
    edit_cell(page, grid, 0, 5, 6, "0.5")  # b_b[1]
    ws = seed_ws().resized(tie=False)
    ws.bwd.b[0] = 0.5
    tr = run(ws.model(), ws.embeddings)
    bwd_first = states_table(page).locator("tbody tr").first.locator("td").nth(2)
    expect(bwd_first).to_have_text(f"{tr.layers[0].bwd.h[0, 0, 0]:.3f}".rstrip("0").rstrip("."))
    grid = open_tab(page, "Output layer")
    edit_cell(page, grid, 0, 4, 5, "2")  # b_o[1] of [W_o (4 columns) | b_o]
    ws.head_b[0] = 2.0
    tr = run(ws.model(), ws.embeddings)
    out_first = states_table(page).locator("tbody tr").first.locator("td").nth(8)
    expect(out_first).to_have_text(f"{tr.probs[0, 0, 0]:.3f}".rstrip("0").rstrip("."))
    assert_page_clean(page)


def test_nudge_one_number(page, app_server):
    goto(page, app_server, "/step_by_step")
    open_tab(page, "Nudge one number", table=False)
    choose(page, "Number to change", "W_f[1][1]")
    box = page.get_by_label("W_f[1][1]", exact=True)
    box.fill("0.9")
    box.press("Enter")
    wait_for_app(page)
    ws = seed_ws()
    ws.fwd.W[0, 0] = 0.9
    expect(first_state(page)).to_have_text(f"{h1_forward(ws):.3f}".rstrip("0").rstrip("."))
    box.press("ArrowUp")  # one step of 0.05
    wait_for_app(page)
    ws.fwd.W[0, 0] = 0.95
    expect(first_state(page)).to_have_text(f"{h1_forward(ws):.3f}".rstrip("0").rstrip("."))
    assert_page_clean(page)


def test_time_step_slider_writes_out_that_step(page, app_server):
    goto(page, app_server, "/step_by_step")
    slider = page.locator("[data-testid=stSlider]", has_text="Time step t").get_by_role("slider")
    retry(lambda: (slider.focus(), slider.press("Home"), slider.press("ArrowRight")),
          lambda: expect(slider).to_have_attribute("aria-valuetext", "2 · love", timeout=5_000), page=page)
    wait_for_app(page)
    expect(page.locator("[data-testid=stSlider]", has_text="Time step t")).to_contain_text("2 · love")
    expect(states_table(page).locator("tr.sel th.tok")).to_have_text("love")
    # forward h_2 = tanh(W x_2 + U h_1 + b) with x_2 = [0.2, 0.6, 0.8], written out term by term
    step = page.locator("[data-testid=stHtml]").filter(has_text="(fwd)").first
    expect(step).to_contain_text("0.5 × 0.2 + 0.3 × 0.6 + 0.2 × 0.8")
    expect(step).to_contain_text(re.compile(r"=0\.758\s*0\.958$"))
    assert_page_clean(page)


def test_seed_check_panel(page, app_server):
    goto(page, app_server, "/step_by_step")
    page.get_by_text("Check the seed: its printed values").click()
    wait_for_app(page)
    expect(page.get_by_text("✅ yes").first).to_be_visible()
    expect(page.get_by_text("❌ no").first).to_be_visible()
    assert_page_clean(page)


def test_downloads_hold_the_page_state(page, app_server, tmp_path):
    goto(page, app_server, "/step_by_step")
    share_panel(page)
    ws = seed_ws()
    files = {}
    for label in ("JSON (parameters + trace)", "CSV of the states", "Worksheet (Markdown + LaTeX)", "PyTorch code"):
        with page.expect_download() as dl:
            page.get_by_role("button", name=label).click()
        path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(path)
        files[label] = path.read_text()
    assert exports.from_json(files["JSON (parameters + trace)"]).to_dict() == ws.to_dict()
    assert files["CSV of the states"].splitlines()[1].startswith("1,I,0.32747739")
    assert "### t = 1: I" in files["Worksheet (Markdown + LaTeX)"]
    assert "torch.nn.RNN(3, 2" in files["PyTorch code"]
    expect(page.locator("[data-testid=stCode]").first).to_contain_text("?s=1.")
    assert_page_clean(page)


def test_import_a_gru_of_another_shape_from_the_default_tab(page, app_server):
    """The default tab (Tokens & embeddings) stays open while the file comes in."""
    goto(page, app_server, "/step_by_step")
    ex = presets.random_example(["we", "saw", "her", "duck", "today"], cell="gru", d=4, h=3, seed=5)
    ws = Workspace.from_example(ex)
    tr = run(ws.model(), ws.embeddings, tokens=ws.tokens)
    share_panel(page)
    upload(page, "gru.json", exports.to_json(ws, tr).encode())
    expect(states_table(page).locator("th.tok")).to_have_text(ws.tokens)
    expect(first_state(page)).to_have_text(f"{tr.layers[0].fwd.h[0, 0, 0]:.3f}".rstrip("0").rstrip("."))
    expect(page.get_by_role("combobox", name="Cell")).to_have_value("GRU")
    expect(page.get_by_label("d", exact=True)).to_have_value("4")
    expect(page.get_by_label("h_f", exact=True)).to_have_value("3")
    expect(page.get_by_text("Import refused")).to_have_count(0)
    # the written-out step and the share link follow the import
    gate = page.locator("[data-testid=stHtml] .eq").filter(has_text="σ").first
    expect(gate).to_contain_text("0.86")  # the GRU's reset gate at t = 1 reads x_1 = [0.86, 0.34, ...]
    assert Workspace.from_url_state(page.url.split("s=")[1]).tokens == ws.tokens
    assert_page_clean(page)


def _deep(n: int) -> bytes:
    return b"[" * n + b"]" * n


@pytest.mark.parametrize("name, content, message", [
    ("garbage.json", b"\x00\x01 not json at all", "is not valid JSON"),
    ("truncated.json", exports.to_json(seed_ws(), None).encode()[:-40], "is not valid JSON"),
    ("deep.json", _deep(10_000), "nested too deeply"),
    ("digits.json", b'{"v": "1", "X": [[' + b"9" * 400 + b"]]}", "400-digit number"),
    ("nan.json", json.dumps(seed_ws().to_dict()).replace("0.1", "NaN", 1).encode(), "holds NaN"),
    ("pickle.json", b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01v\x94\x8c\x011\x94s.",
     "never reads pickles"),
    ("shape.json", json.dumps({**seed_ws().to_dict(), "X": [[0.1, 0.2]] * 3}).encode(), "W_f has shape"),
    ("tie.json", json.dumps({**seed_ws().to_dict(), "tie": "no"}).encode(), "'tie' is 'no'"),
])
def test_a_bad_file_is_refused_with_a_message_and_the_model_stays(page, app_server, name, content, message):
    goto(page, app_server, "/step_by_step")
    share_panel(page)
    upload(page, name, content)
    expect(page.get_by_text("Import refused").first).to_contain_text(message)
    expect(first_state(page)).to_have_text("0.327")
    expect(states_table(page).locator("th.tok")).to_have_text(["I", "love", "AI"])
    assert_page_clean(page)


def test_a_file_over_the_size_limit_is_refused_by_the_uploader(page, app_server):
    goto(page, app_server, "/step_by_step")
    share_panel(page)
    upload(page, "huge.json", b" " * (3 * 1024 * 1024))
    expect(page.locator("[data-testid=stFileUploader]")).to_contain_text(
        re.compile(r"File must be 2(\.0)? ?MB or smaller"))
    expect(first_state(page)).to_have_text("0.327")
    assert_page_clean(page)


def test_inspect_a_tagger_handed_over_from_compare(page, app_server):
    goto(page, app_server, "/compare")
    page.get_by_text("Inspect the real models' hidden states").click()
    wait_for_app(page)
    page.get_by_role("button", name="bi tagger → Step by step").click()
    wait_for_app(page)
    expect(page.get_by_text("The trained tagger on").first).to_be_visible()
    direction = page.locator("[data-testid=stRadio]", has_text="Direction")
    direction.get_by_text("backward").click()
    wait_for_app(page)
    expect(page.get_by_text("backward").first).to_be_visible()
    choose(page, "Units to write out", "unit 2")
    expect(page.locator("[data-testid=stMultiSelect]")).to_contain_text("unit 2")
    slider = page.locator("[data-testid=stSlider]", has_text="Time step t").get_by_role("slider")
    retry(lambda: (slider.focus(), slider.press("Home"), slider.press("ArrowRight")),
          lambda: expect(slider).to_have_attribute("aria-valuetext", "2 · looks", timeout=5_000), page=page)
    wait_for_app(page)
    # the backward state of unit 2 at t = 2 of the shipped bi tagger on the page's default sentence
    from taggers import tagger as tg
    h = tg.load_taggers()[1].trace(["It", "looks", "like", "rain"]).layers[-1].bwd.h[0, 1, 1]
    expect(page.locator("[data-testid=stHtml]").last).to_contain_text(num(float(h)))
    page.locator("[data-testid=stRadio]", has_text="Model").get_by_text("Your model (editable)").click()
    wait_for_app(page)
    expect(states_table(page)).to_contain_text("0.327")
    assert_page_clean(page)


def test_the_classic_keras_gru_is_a_cell_like_the_others(page, app_server):
    """The fourth cell, added through one registry entry: selectable, computed, written out."""
    goto(page, app_server, "/step_by_step")
    choose(page, "Cell", "GRU (reset before, Keras classic)")
    expect(page.get_by_text("Cell changed to GRU (reset before, Keras classic)")).to_be_visible()
    ws = seed_ws().resized(cell="gru_classic")
    tr = run(ws.model(), ws.embeddings, tokens=ws.tokens)
    expect(first_state(page)).to_have_text(f"{tr.layers[0].fwd.h[0, 0, 0]:.3f}".rstrip("0").rstrip("."))
    share_panel(page)
    expect(page.get_by_text("which nn.GRU cannot express")).to_be_visible()
    expect(page.get_by_role("button", name="PyTorch code")).to_have_count(0)
    assert_page_clean(page)


def test_markup_tokens_in_an_imported_file_are_shown_as_typed(page, app_server):
    ws = seed_ws()
    ws.tokens = ['<img src=x onerror="window.__pwned=1">', "![i](http://x.invalid/a.png)", "مرحبا"]
    goto(page, app_server, "/step_by_step")
    share_panel(page)
    upload(page, "markup.json", exports.to_json(ws, None).encode())
    expect(states_table(page).locator("th.tok")).to_have_text(ws.tokens)
    assert page.locator("img[src*='x.invalid'], a[href*='x.invalid']").count() == 0
    assert_page_clean(page)


def test_a_shorter_sentence_moves_the_step_to_its_last_token(page, app_server):
    goto(page, app_server, "/step_by_step")
    slider = page.locator("[data-testid=stSlider]", has_text="Time step t").get_by_role("slider")
    retry(lambda: (slider.focus(), slider.press("End")),
          lambda: expect(slider).to_have_attribute("aria-valuetext", "3 · AI", timeout=5_000), page=page)
    wait_for_app(page)
    box = sentence_box(page)
    box.fill("hello world")
    box.press("Enter")
    wait_for_app(page)
    expect(slider).to_have_attribute("aria-valuetext", "2 · world")
    expect(states_table(page).locator("tr.sel th.tok")).to_have_text("world")
    assert_page_clean(page)
