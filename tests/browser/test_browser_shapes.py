"""Real browser: every control of /shapes, used as a person does; the page shows the shapes, counts,
code and diagram that follow, and a value it cannot take gets a message, never a traceback."""
import re

import pytest
from playwright.sync_api import expect

from browser_utils import assert_page_clean, choose, goto, retry, wait_for_app

from birnn_core import get_cell, presets
from shape_calculator import Regularizer, model_weights, regularization_penalty

pytestmark = pytest.mark.browser

V = "views/shapes.py"
CONTROLS = [
    (V, "Batch size", "test_number_input_takes_a_value_and_refuses_what_it_cannot_take"),
    (V, "Time steps", "test_number_input_takes_a_value_and_refuses_what_it_cannot_take"),
    (V, "Features d", "test_number_input_takes_a_value_and_refuses_what_it_cannot_take"),
    (V, "Units h", "test_number_input_takes_a_value_and_refuses_what_it_cannot_take"),
    (V, "Stacked layers", "test_number_input_takes_a_value_and_refuses_what_it_cannot_take"),
    (V, "Cell", "test_cell_picks_the_keras_variant_and_pytorch_refuses_the_classic_gru"),
    (V, "Activation", "test_activation_changes_the_code_not_the_counts"),
    (V, "Bidirectional", "test_bidirectional_and_merge_mode"),
    (V, "Merge mode", "test_bidirectional_and_merge_mode"),
    (V, "return_sequences", "test_return_sequences_and_return_state"),
    (V, "return_state", "test_return_sequences_and_return_state"),
    (V, "use_bias", "test_use_bias_and_batch_first"),
    (V, "PyTorch batch_first", "test_use_bias_and_batch_first"),
    (V, "Diagram for", "test_diagram_for_pytorch_gathers_every_layers_state"),
    (V, "Weight tensors (Keras layout: kernel is Wᵀ)", "test_weight_tensor_expanders"),
    (V, "Weight tensors (state_dict names; `_reverse` for backward)", "test_weight_tensor_expanders"),
    (V, """expander(f"{('Matches' if ok else 'Wrong in the seed')}: {check.title}")""",
     "test_seed_check_expanders_open_and_close"),
    (V, "key=shapes_reg_", "test_regularizer_kind_enables_its_strengths"),
    (V, "l1", "test_regularizer_strengths_change_the_penalty"),
    (V, "l2", "test_regularizer_strengths_change_the_penalty"),
]

DEFAULT_PENALTY = "0.0594"  # kernel L2(0.01) + recurrent L2(0.01) on the seed's weights


# ---------------------------------------------------------------- helpers

def open_shapes(page, app_server) -> None:
    goto(page, app_server, "/shapes")
    expect(page.get_by_role("heading", name="Shapes & parameters")).to_be_visible()
    expect(outputs(page)).to_have_count(2)
    expect(page.get_by_text("Total penalty:")).to_be_visible()


def outputs(page):
    """The two "Output: (…)" lines: Keras first, PyTorch second."""
    return page.locator("[data-testid=stMarkdownContainer] p").filter(has_text=re.compile(r"^Output: "))


def cell(page, text: str):
    """A table cell (or bold number) whose whole text is ``text``."""
    return page.get_by_text(text, exact=True).first


def code_blocks(page):
    return page.locator("[data-testid=stCode]")


def diagram(page):
    return page.locator("[data-testid=stGraphVizChart] svg")


def number_input(page, label: str, nth: int = 0):
    return page.get_by_label(label, exact=True).nth(nth)


def retype(page, box, text: str) -> None:
    """Clear the box, type ``text`` key by key as a person does, press Enter, wait for the rerun."""
    box.click()
    box.fill("")
    box.press_sequentially(text)
    box.press("Enter")
    wait_for_app(page)


def type_number(page, label: str, text: str, nth: int = 0) -> None:
    retype(page, number_input(page, label, nth), text)


def toggle(page, label: str) -> None:
    switch = page.get_by_role("switch", name=label, exact=True)
    before = switch.is_checked()

    def check():
        expect(switch).to_be_checked(checked=not before)

    retry(lambda: page.locator("[data-testid=stCheckbox]").filter(has=switch).locator("label").click(),
          check, page=page)
    wait_for_app(page)




def range_error(page, low, high):
    return page.get_by_text(f"Number is outside the allowed range. Please enter a value between {low} and {high}.")


# ---------------------------------------------------------------- the settings

NUMBER_CASES = {
    # label: (a value, what the page then shows, the range, the default it falls back to, what that shows)
    "Batch size": ("4", ["Output: (4, 3, 64)", "Output: (4, 3, 64)"], (1, 512), "1",
                   ["Output: (1, 3, 64)", "Output: (1, 3, 64)"]),
    "Time steps": ("7", ["Output: (1, 7, 64)", "Output: (1, 7, 64)"], (1, 1000), "3",
                   ["Output: (1, 3, 64)", "Output: (1, 3, 64)"]),
    "Features d": ("10", ["Output: (1, 3, 64)", "Output: (1, 3, 64)"], (1, 4096), "5",
                   ["Output: (1, 3, 64)", "Output: (1, 3, 64)"]),
    "Units h": ("8", ["Output: (1, 3, 8)", "Output: (1, 3, 8)"], (1, 4096), "64",
                ["Output: (1, 3, 64)", "Output: (1, 3, 64)"]),
    "Stacked layers": ("2", ["Output: (1, 3, 64)", "Output: (1, 3, 64)"], (1, 3), "1",
                       ["Output: (1, 3, 64)", "Output: (1, 3, 64)"]),
}
# Counts the page must show after the value (Keras LSTM: 4h(d+h+1), PyTorch: 4h(d+h+2)), and
# after falling back to the default (the seed's 17,920 / 18,176).
NUMBER_COUNTS = {
    "Batch size": ["17,920", "18,176"],
    "Time steps": ["17,920", "18,176"],
    "Features d": ["19,200", "19,456"],                 # 4·64·(10+64+1), 4·64·(10+64+2)
    "Units h": ["448", "480"],                          # 4·8·(5+8+1), 4·8·(5+8+2)
    "Stacked layers": ["33,024", "50,944", "33,280", "51,456"],  # layer 2 reads 64; totals
}


@pytest.mark.parametrize("label", list(NUMBER_CASES))
def test_number_input_takes_a_value_and_refuses_what_it_cannot_take(page, app_server, label):
    value, shown, (low, high), default, shown_default = NUMBER_CASES[label]
    open_shapes(page, app_server)

    # a value in range, typed and Enter: the shapes and counts follow
    type_number(page, label, value)
    for k, text in enumerate(shown):
        expect(outputs(page).nth(k)).to_have_text(text)
    for count in NUMBER_COUNTS[label]:
        expect(cell(page, count)).to_be_visible()
    if label == "Features d":
        expect(page.get_by_text("Input x: (1, 3, 10) (batch, time steps, features) in Keras.")).to_be_visible()
        expect(diagram(page)).to_contain_text("x  (1, 3, 10)")
    if label == "Stacked layers":
        expect(diagram(page)).to_contain_text("layer 2")
        expect(code_blocks(page).first).to_contain_text("layer_2")
    if label == "Time steps":
        expect(diagram(page)).to_contain_text("output  (1, 7, 64)")

    # out of range: the box says what it takes, and the page keeps the last good value
    type_number(page, label, str(high + 1))
    expect(range_error(page, low, high)).to_be_visible()
    expect(number_input(page, label)).to_have_attribute("aria-invalid", "true")
    for k, text in enumerate(shown):
        expect(outputs(page).nth(k)).to_have_text(text)
    type_number(page, label, str(low - 1))
    expect(range_error(page, low, high)).to_be_visible()
    for count in NUMBER_COUNTS[label]:
        expect(cell(page, count)).to_be_visible()

    # not a number: the browser's number box takes no letters, so Enter sends an empty box and
    # Streamlit puts the default back; the page shows the default's shapes
    type_number(page, label, "abc")
    expect(number_input(page, label)).to_have_value(default)
    expect(range_error(page, low, high)).to_have_count(0)
    for k, text in enumerate(shown_default):
        expect(outputs(page).nth(k)).to_have_text(text)
    expect(cell(page, "17,920")).to_be_visible()
    assert_page_clean(page)


def refusals(page):
    """The warnings saying that PyTorch cannot express the cell."""
    return page.locator("[data-testid=stAlertContentWarning]").filter(has_text="cannot express")


def test_cell_picks_the_keras_variant_and_pytorch_refuses_the_classic_gru(page, app_server):
    open_shapes(page, app_server)
    expect(refusals(page)).to_have_count(0)

    choose(page, "Cell", "GRU")
    # Keras GRU(64), reset_after=True: 3·64·(5+64+2) = 13,632; PyTorch's GRU has the same two biases
    expect(cell(page, "13,632")).to_be_visible()
    expect(code_blocks(page).first).to_contain_text("reset_after=True")
    expect(code_blocks(page).nth(1)).to_contain_text("nn.GRU(")
    expect(diagram(page)).to_contain_text("13,632 parameters")

    choose(page, "Cell", get_cell("gru_classic").display)
    # Keras GRU(64, reset_after=False): one bias, 3·(d·h + h·h + h) = 3·(5·64 + 64·64 + 64) = 13,440
    expect(cell(page, "13,440")).to_be_visible()
    expect(page.locator("td").filter(has_text="3h(d+h+1): 3 × 64 × (5 + 64 + 1) = 13,440")).to_have_count(1)
    expect(code_blocks(page).first).to_contain_text("reset_after=False")
    expect(diagram(page)).to_contain_text("GRU(64, reset_after=False)")
    # PyTorch: the refusal, no output, no counts, no code of another model
    expect(refusals(page)).to_have_count(1)
    expect(refusals(page).first.locator("[data-testid=stMarkdownContainer]")).to_have_text(
        get_cell("gru_classic").torch_refusal)
    expect(outputs(page)).to_have_count(1)                        # Keras' only
    expect(page.get_by_text("No PyTorch code")).to_be_visible()
    expect(code_blocks(page).filter(has_text="from torch import nn")).to_have_count(0)
    expect(cell(page, "13,632")).to_have_count(0)

    toggle(page, "Bidirectional")
    expect(cell(page, "26,880")).to_be_visible()                  # × 2 directions
    group = page.get_by_role("radiogroup", name="Diagram for")
    retry(lambda: group.get_by_role("radio", name="PyTorch").click(),
          lambda: expect(group.get_by_role("radio", name="PyTorch")).to_be_checked(), page=page)
    wait_for_app(page)
    expect(refusals(page)).to_have_count(2)                       # the diagram refuses too
    expect(diagram(page)).to_have_count(0)
    retry(lambda: group.get_by_role("radio", name="Keras").click(),
          lambda: expect(group.get_by_role("radio", name="Keras")).to_be_checked(), page=page)
    wait_for_app(page)
    expect(diagram(page)).to_contain_text("26,880 parameters")
    expect(refusals(page)).to_have_count(1)

    choose(page, "Cell", "SimpleRNN")
    expect(refusals(page)).to_have_count(0)
    expect(cell(page, "8,960")).to_be_visible()   # 2 × 64·(5+64+1)
    expect(cell(page, "9,088")).to_be_visible()   # PyTorch nn.RNN: 2 × 64·(5+64+2)
    expect(code_blocks(page).first).to_contain_text("layers.SimpleRNN(64")
    expect(code_blocks(page).nth(1)).to_contain_text("nn.RNN(")
    expect(outputs(page)).to_have_count(2)
    assert_page_clean(page)


def test_activation_changes_the_code_not_the_counts(page, app_server):
    open_shapes(page, app_server)
    expect(code_blocks(page).first).not_to_contain_text("activation=")
    choose(page, "Activation", "relu")
    expect(code_blocks(page).first).to_contain_text('activation="relu"')
    expect(cell(page, "17,920")).to_be_visible()
    expect(outputs(page).first).to_have_text("Output: (1, 3, 64)")
    choose(page, "Activation", "tanh")
    expect(code_blocks(page).first).not_to_contain_text("activation=")
    assert_page_clean(page)


def test_bidirectional_and_merge_mode(page, app_server):
    open_shapes(page, app_server)
    merge = page.get_by_role("combobox", name="Merge mode", exact=True)
    expect(merge).to_be_disabled()

    toggle(page, "Bidirectional")
    expect(merge).to_be_enabled()
    expect(outputs(page).first).to_have_text("Output: (1, 3, 128)")   # concat: 2h
    expect(outputs(page).nth(1)).to_have_text("Output: (1, 3, 128)")
    expect(cell(page, "35,840")).to_be_visible()                      # 2 × 17,920
    expect(page.get_by_text("Final state ≠ last output.")).to_be_visible()
    expect(code_blocks(page).first).to_contain_text("layers.Bidirectional(")

    choose(page, "Merge mode", "sum")
    expect(outputs(page).first).to_have_text("Output: (1, 3, 64)")    # Keras sums the halves
    expect(outputs(page).nth(1)).to_have_text("Output: (1, 3, 128)")  # PyTorch always concatenates
    expect(code_blocks(page).first).to_contain_text('merge_mode="sum"')

    choose(page, "Merge mode", "none (both returned)")
    expect(page.get_by_text("forward output", exact=True).first).to_be_visible()
    expect(page.get_by_text("backward output", exact=True).first).to_be_visible()
    # merge_mode=None cannot feed a second layer: a message says so and what to change
    type_number(page, "Stacked layers", "2")
    expect(page.locator("[data-testid=stAlertContentError]")).to_contain_text("merge_mode=None")
    expect(outputs(page)).to_have_count(0)
    type_number(page, "Stacked layers", "1")
    expect(outputs(page)).to_have_count(2)

    toggle(page, "Bidirectional")
    expect(merge).to_be_disabled()
    expect(outputs(page).first).to_have_text("Output: (1, 3, 64)")
    expect(cell(page, "17,920")).to_be_visible()
    assert_page_clean(page)


def test_return_sequences_and_return_state(page, app_server):
    open_shapes(page, app_server)
    toggle(page, "return_sequences")
    expect(outputs(page).first).to_have_text("Output: (1, 64)")        # Keras: the last step only
    expect(outputs(page).nth(1)).to_have_text("Output: (1, 3, 64)")    # PyTorch: every step, always
    expect(code_blocks(page).first).not_to_contain_text("return_sequences=True")
    expect(page.get_by_text("Turn on return_state to get the final states as well.")).to_be_visible()

    toggle(page, "return_state")
    expect(page.get_by_text("Turn on return_state to get the final states as well.")).to_have_count(0)
    expect(page.get_by_text("h state", exact=True)).to_be_visible()   # LSTM: h and c
    expect(page.get_by_text("c state", exact=True)).to_be_visible()
    expect(code_blocks(page).first).to_contain_text("return_state=True")
    expect(diagram(page)).to_contain_text("h state  (1, 64)")

    toggle(page, "return_sequences")
    expect(outputs(page).first).to_have_text("Output: (1, 3, 64)")
    toggle(page, "return_state")
    expect(page.get_by_text("h state", exact=True)).to_have_count(0)
    assert_page_clean(page)


def test_use_bias_and_batch_first(page, app_server):
    open_shapes(page, app_server)
    toggle(page, "use_bias")
    expect(cell(page, "17,664")).to_be_visible()  # 4·64·(5+64): no bias in either framework
    expect(code_blocks(page).first).to_contain_text("use_bias=False")
    expect(code_blocks(page).nth(1)).to_contain_text("bias=False")
    toggle(page, "use_bias")
    expect(cell(page, "17,920")).to_be_visible()

    toggle(page, "PyTorch batch_first")
    expect(outputs(page).first).to_have_text("Output: (1, 3, 64)")    # Keras is batch first anyway
    expect(outputs(page).nth(1)).to_have_text("Output: (3, 1, 64)")   # (T, B, h)
    expect(page.get_by_text("(3, 1, 5) (time steps, batch, features) in PyTorch with batch_first=False",
                            exact=False)).to_be_visible()
    expect(page.get_by_text("PyTorch (batch_first=False)")).to_be_visible()
    expect(code_blocks(page).nth(1)).to_contain_text("x = torch.zeros(3, 1, 5)")
    toggle(page, "PyTorch batch_first")
    expect(outputs(page).nth(1)).to_have_text("Output: (1, 3, 64)")
    assert_page_clean(page)


def test_diagram_for_pytorch_gathers_every_layers_state(page, app_server):
    open_shapes(page, app_server)
    expect(page.get_by_text("dashed boxes are states")).to_be_visible()
    expect(diagram(page)).not_to_contain_text("h_n")
    type_number(page, "Stacked layers", "2")
    expect(diagram(page)).to_contain_text("layer 2")
    group = page.get_by_role("radiogroup", name="Diagram for")
    retry(lambda: group.get_by_role("radio", name="PyTorch").click(),
          lambda: expect(group.get_by_role("radio", name="PyTorch")).to_be_checked(), page=page)
    wait_for_app(page)
    expect(page.get_by_text("Dashed: h_n / c_n gather the final state of every layer")).to_be_visible()
    expect(diagram(page)).to_contain_text("h_n  (2, 1, 64)")
    expect(diagram(page)).to_contain_text("c_n  (2, 1, 64)")
    group.get_by_role("radio", name="Keras").click()
    wait_for_app(page)
    expect(page.get_by_text("dashed boxes are states")).to_be_visible()
    expect(diagram(page)).not_to_contain_text("h_n")
    assert_page_clean(page)


def expander(page, title: str):
    return page.locator("[data-testid=stExpander]").filter(has_text=title).first


def open_close(page, box, inside: str) -> None:
    """Click an expander's header: what it holds shows; click again: it is back as it was."""
    body = box.locator("[data-testid=stExpanderDetails]")
    summary = box.locator("summary")
    was_open = body.is_visible()
    for want in (not was_open, was_open):
        retry(summary.click, (lambda w=want: expect(body).to_be_visible() if w else expect(body).to_be_hidden()),
              page=page)
        if want:
            expect(body).to_contain_text(inside)


def test_weight_tensor_expanders(page, app_server):
    open_shapes(page, app_server)
    open_close(page, expander(page, "Weight tensors (Keras layout"),
               "layer 1: kernel (5, 256), recurrent_kernel (64, 256), bias (256)")
    open_close(page, expander(page, "Weight tensors (Keras layout"), "in Keras order: i, f, c, o.")
    open_close(page, expander(page, "Weight tensors (state_dict names"),
               "layer 1: weight_ih_l0 (256, 5), weight_hh_l0 (256, 64), bias_ih_l0 (256), bias_hh_l0 (256)")
    open_close(page, expander(page, "Weight tensors (state_dict names"), "in PyTorch order: i, f, g, o.")
    toggle(page, "Bidirectional")
    box = expander(page, "Weight tensors (state_dict names")
    open_close(page, box, "bias_hh_l0 (256) (× 2: forward and backward)")
    open_close(page, expander(page, "Weight tensors (Keras layout"), "bias (256) (× 2: forward and backward)")
    assert_page_clean(page)


def test_seed_check_expanders_open_and_close(page, app_server):
    open_shapes(page, app_server)
    matches = page.locator("[data-testid=stExpander]").filter(has_text="Matches: ")
    wrong = page.locator("[data-testid=stExpander]").filter(has_text="Wrong in the seed: ")
    expect(matches).to_have_count(6)
    expect(wrong).to_have_count(4)
    # a wrong claim is open from the start, with the right answer and the corrected code
    for k in range(4):
        expect(wrong.nth(k).locator("[data-testid=stExpanderDetails]")).to_be_visible()
        expect(wrong.nth(k)).to_contain_text("Right answer:")
    # a claim that matches is closed: a click shows what the seed says, a second click hides it
    for k in range(6):
        expect(matches.nth(k).locator("[data-testid=stExpanderDetails]")).to_be_hidden()
    open_close(page, matches.first, "Seed says:")
    open_close(page, matches.last, "Right answer:")
    open_close(page, wrong.first, "Corrected code")  # open -> closed -> open again
    assert_page_clean(page)


# ---------------------------------------------------------------- regularizers

def seed_penalty(kernel, recurrent, bias) -> str:
    report = regularization_penalty(model_weights(presets.seed_example().model), kernel=Regularizer(*kernel),
                                    recurrent=Regularizer(*recurrent), bias=Regularizer(*bias))
    return f"Total penalty: {report.total:.6g}"


def column(page, role_label: str):
    """The regularizer column whose selectbox is ``role_label``."""
    return page.locator("[data-testid=stColumn]").filter(
        has=page.get_by_role("combobox", name=role_label, exact=True)).last


def test_regularizer_kind_enables_its_strengths(page, app_server):
    open_shapes(page, app_server)
    total = page.get_by_text("Total penalty:")
    expect(total).to_contain_text(f"Total penalty: {DEFAULT_PENALTY}")
    kernel = column(page, "kernel_regularizer (W)")
    expect(kernel.get_by_label("l1", exact=True)).to_be_disabled()   # L2: only l2 counts
    expect(kernel.get_by_label("l2", exact=True)).to_be_enabled()

    choose(page, "kernel_regularizer (W)", "L1")
    expect(kernel.get_by_label("l1", exact=True)).to_be_enabled()
    expect(kernel.get_by_label("l2", exact=True)).to_be_disabled()
    expect(total).to_contain_text(seed_penalty(("L1", 0.01, 0.01), ("L2", 0.01, 0.01), ("none", 0.01, 0.01)))
    expect(code_blocks(page).filter(has_text="kernel_regularizer=").first).to_contain_text(
        "kernel_regularizer=regularizers.L1(0.01)")

    choose(page, "recurrent_regularizer (U)", "none")
    expect(column(page, "recurrent_regularizer (U)").get_by_label("l2", exact=True)).to_be_disabled()
    expect(total).to_contain_text(seed_penalty(("L1", 0.01, 0.01), ("none", 0.01, 0.01), ("none", 0.01, 0.01)))
    expect(code_blocks(page).filter(has_text="kernel_regularizer=").first).to_contain_text(
        "recurrent_regularizer=None")

    choose(page, "bias_regularizer (b)", "L1L2")
    bias = column(page, "bias_regularizer (b)")
    expect(bias.get_by_label("l1", exact=True)).to_be_enabled()
    expect(bias.get_by_label("l2", exact=True)).to_be_enabled()
    expect(total).to_contain_text(seed_penalty(("L1", 0.01, 0.01), ("none", 0.01, 0.01), ("L1L2", 0.01, 0.01)))
    expect(code_blocks(page).filter(has_text="kernel_regularizer=").first).to_contain_text(
        "bias_regularizer=regularizers.L1L2(l1=0.01, l2=0.01)")
    assert_page_clean(page)


def test_regularizer_strengths_change_the_penalty(page, app_server):
    open_shapes(page, app_server)
    total = page.get_by_text("Total penalty:")
    expect(total).to_contain_text(f"Total penalty: {DEFAULT_PENALTY}")
    # l2 of the kernel (column 1): 0.5
    kernel_l2 = column(page, "kernel_regularizer (W)").get_by_label("l2", exact=True)
    retry(lambda: retype(page, kernel_l2, "0.5"),
          lambda: expect(total).to_contain_text(
              seed_penalty(("L2", 0.01, 0.5), ("L2", 0.01, 0.01), ("none", 0.01, 0.01))), page=page)
    expect(code_blocks(page).filter(has_text="kernel_regularizer=").first).to_contain_text(
        "kernel_regularizer=regularizers.L2(0.5)")

    # l1 of the bias, once its kind is L1
    choose(page, "bias_regularizer (b)", "L1")
    bias_l1 = column(page, "bias_regularizer (b)").get_by_label("l1", exact=True)
    expect(bias_l1).to_be_enabled()
    retry(lambda: retype(page, bias_l1, "2"),
          lambda: expect(total).to_contain_text(
              seed_penalty(("L2", 0.01, 0.5), ("L2", 0.01, 0.01), ("L1", 2.0, 0.01))), page=page)
    wait_for_app(page)

    # out of range: a message in the box, the penalty keeps the last good value
    good = seed_penalty(("L2", 0.01, 0.5), ("L2", 0.01, 0.01), ("L1", 2.0, 0.01))
    retype(page, bias_l1, "11")
    expect(column(page, "bias_regularizer (b)").get_by_text(
        re.compile("Number is outside the allowed range. Please enter a value between 0(.0+)? and 10"))).to_be_visible()
    expect(total).to_contain_text(good)
    retype(page, bias_l1, "-1")
    expect(column(page, "bias_regularizer (b)").get_by_text(
        re.compile("Number is outside the allowed range"))).to_be_visible()
    expect(total).to_contain_text(good)

    # not a number: the box is empty on Enter and goes back to its default, 0.01
    retype(page, kernel_l2, "abc")
    expect(kernel_l2).to_have_value("0.0100")
    expect(total).to_contain_text(seed_penalty(("L2", 0.01, 0.01), ("L2", 0.01, 0.01), ("L1", 2.0, 0.01)))
    assert_page_clean(page)
