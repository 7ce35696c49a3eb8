"""shape_calculator: shapes and parameter counts against torch itself, Keras formulas against
hand arithmetic and seed 002, the generated code, the registry's vocabulary (a registered cell is
counted from its entry; PyTorch refuses the classic GRU) and Keras' regularizer penalties.
The generated Keras code is run against Keras itself in tests/shapes/test_shapes_keras.py."""
from __future__ import annotations

import itertools
import re
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from birnn_core import ValidationError
from birnn_core.registry import Cell, KerasLayout, cells, get_cell, merges, register_cell, unregister_cell
from shape_calculator import (
    RecurrentSpec,
    Regularizer,
    keras_code,
    keras_layer_params,
    keras_outputs,
    model_weights,
    param_counts,
    regularization_penalty,
    seed_002_checks,
    seed_parameter_examples,
    shape_flow,
    torch_caveats,
    torch_code,
    torch_outputs,
    total_params,
)
from shape_calculator import report

torch = pytest.importorskip("torch")
nn = torch.nn
torch.set_num_threads(1)  # tiny tensors; the machine is shared
CELLS = [c.name for c in cells()]
TORCH_CELLS = [c.name for c in cells() if c.torch is not None]   # all but gru_classic
MERGE_MODES = [m.name for m in merges()]

# (batch, time steps, features, units): the seed's (1, 3, 5) -> 64, plus small odd sizes.
SIZES = [(1, 3, 5, 64), (2, 4, 3, 7), (3, 1, 1, 2)]


def _torch_module(spec: RecurrentSpec, batch_first: bool):
    return getattr(nn, get_cell(spec.cell).torch.module)(
        spec.features, spec.units, num_layers=spec.num_layers, bias=spec.use_bias,
        batch_first=batch_first, bidirectional=spec.bidirectional,
    )


def _torch_forward(spec: RecurrentSpec, batch_first: bool):
    torch.manual_seed(0)
    rnn = _torch_module(spec, batch_first)
    B, T, d = spec.batch_size, spec.time_steps, spec.features
    x = torch.randn(B, T, d) if batch_first else torch.randn(T, B, d)
    with torch.no_grad():
        output, state = rnn(x)
    h_n, c_n = state if isinstance(state, tuple) else (state, None)
    return rnn, output, h_n, c_n


# ---------------------------------------------------------------------------------------------
# PyTorch: every combination the page offers, against torch itself
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", TORCH_CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
def test_torch_shapes_and_counts_equal_torch(cell, bidirectional, num_layers, batch_first,
                                             use_bias):
    for B, T, d, h in SIZES:
        spec = RecurrentSpec(batch_size=B, time_steps=T, features=d, units=h, cell=cell,
                             bidirectional=bidirectional, num_layers=num_layers,
                             use_bias=use_bias)
        rnn, output, h_n, c_n = _torch_forward(spec, batch_first)
        stated = {s.name: s.shape for s in torch_outputs(spec, batch_first)}
        got = {"output": tuple(output.shape), "h_n": tuple(h_n.shape)}
        if c_n is not None:
            got["c_n"] = tuple(c_n.shape)
        assert stated == got, (spec, batch_first)

        # Per layer: the count and the named tensors with their shapes.
        sd = {k: tuple(v.shape) for k, v in rnn.state_dict().items()}
        rows = param_counts(spec, "PyTorch")
        assert len(rows) == num_layers
        for i, row in enumerate(rows):
            layer_keys = [k for k in sd if re.search(rf"_l{i}(_reverse)?$", k)]
            assert row.total == sum(int(np.prod(sd[k])) for k in layer_keys), (spec, i)
            assert row.input_size == sd[f"weight_ih_l{i}"][1]
            assert {n: s for n, s in row.tensors} == {k: sd[k] for k in layer_keys
                                                      if not k.endswith("_reverse")}
        assert total_params(spec, "PyTorch") == sum(p.numel() for p in rnn.parameters())


@pytest.mark.parametrize("cell", TORCH_CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [True, False])
def test_generated_torch_code_runs_and_gives_the_stated_shapes(cell, bidirectional, batch_first):
    """Run the code the page shows; its module, outputs and Keras-equivalent tensors must have
    the shapes and count the page states."""
    merges = MERGE_MODES if bidirectional else ("concat",)
    combos = itertools.product([1, 2], merges, [True, False], [True, False])
    for num_layers, merge, return_sequences, return_state in combos:
        if merge == "none" and num_layers > 1:
            continue
        spec = RecurrentSpec(batch_size=2, time_steps=3, features=5, units=4, cell=cell,
                             bidirectional=bidirectional, merge_mode=merge,
                             num_layers=num_layers, return_sequences=return_sequences,
                             return_state=return_state)
        ns: dict = {}
        exec(compile(torch_code(spec, batch_first), "<torch_code>", "exec"), ns)
        assert sum(p.numel() for p in ns["rnn"].parameters()) == total_params(spec, "PyTorch")
        stated = torch_outputs(spec, batch_first)
        assert tuple(ns["output"].shape) == stated[0].shape
        assert tuple(ns["h_n"].shape) == stated[1].shape
        keras = [s.shape for s in keras_outputs(spec)]
        got = ([tuple(ns["keras_forward_output"].shape), tuple(ns["keras_backward_output"].shape)]
               if "keras_forward_output" in ns else [tuple(ns["keras_output"].shape)])
        got += [tuple(s.shape) for s in ns.get("keras_states", [])]
        assert got == keras, (spec, batch_first)


@pytest.mark.parametrize("cell", TORCH_CELLS)
def test_final_states_are_forward_after_last_step_and_backward_after_first(cell):
    """The page says: last output = [h_T forward ; h_1 backward] = [h_n[-2] ; h_n[-1]]."""
    spec = RecurrentSpec(batch_size=2, time_steps=5, features=3, units=4, cell=cell,
                         bidirectional=True, num_layers=2)
    _, output, h_n, _ = _torch_forward(spec, batch_first=True)
    h = spec.units
    assert torch.allclose(h_n[-2], output[:, -1, :h])  # forward, after x_T
    assert torch.allclose(h_n[-1], output[:, 0, h:])  # backward, after x_1
    assert not torch.allclose(h_n[-1], output[:, -1, h:])  # output[:, -1] is not the state


# ---------------------------------------------------------------------------------------------
# Keras: formulas against hand arithmetic (kernel + recurrent kernel + bias elements)
# ---------------------------------------------------------------------------------------------


def test_keras_counts_for_64_units_on_5_features():
    # SimpleRNN: kernel 5x64 + recurrent 64x64 + bias 64
    assert 5 * 64 + 64 * 64 + 64 == 4_480
    assert keras_layer_params("rnn", 5, 64) == 4_480
    # LSTM: kernel 5x256 + recurrent 64x256 + bias 256
    assert 5 * 256 + 64 * 256 + 256 == 17_920
    assert keras_layer_params("lstm", 5, 64) == 17_920
    # GRU reset_after=True ('gru'): kernel 5x192 + recurrent 64x192 + bias (2, 192)
    assert 5 * 192 + 64 * 192 + 2 * 192 == 13_632
    assert keras_layer_params("gru", 5, 64) == 13_632
    # GRU reset_after=False ('gru_classic'): one bias (192,) = 3*(d*h + h*h + h)
    assert 3 * (5 * 64 + 64 * 64 + 64) == 13_440
    assert keras_layer_params("gru_classic", 5, 64) == 13_440
    # no bias at all
    assert keras_layer_params("lstm", 5, 64, use_bias=False) == 5 * 256 + 64 * 256
    assert keras_layer_params("gru", 5, 64, use_bias=False) == 69 * 192
    assert keras_layer_params("gru_classic", 5, 64, use_bias=False) == 69 * 192


def test_keras_gru_reset_after_equals_torch_and_lstm_differs_by_one_bias():
    for d, h in [(5, 64), (3, 2), (10, 7)]:
        spec = RecurrentSpec(features=d, units=h, cell="gru")
        assert total_params(spec, "Keras") == sum(p.numel() for p in nn.GRU(d, h).parameters())
        lstm = RecurrentSpec(features=d, units=h, cell="lstm")
        torch_n = sum(p.numel() for p in nn.LSTM(d, h).parameters())
        assert torch_n - total_params(lstm, "Keras") == 4 * h


def test_keras_formula_text_and_arithmetic():
    lstm = param_counts(RecurrentSpec(cell="lstm", bidirectional=True), "Keras")[0]
    assert lstm.formula == "4h(d+h+1)"
    assert lstm.arithmetic == "4 × 64 × (5 + 64 + 1) = 17,920; × 2 directions = 35,840"
    assert lstm.total == 35_840
    torch_lstm = param_counts(RecurrentSpec(cell="lstm"), "PyTorch")[0]
    assert torch_lstm.formula == "4h(d+h+2)" and torch_lstm.total == 18_176
    rnn = param_counts(RecurrentSpec(cell="rnn"), "Keras")[0]
    assert rnn.formula == "h(d+h+1)"
    gru = param_counts(RecurrentSpec(cell="gru_classic"), "Keras")[0]
    assert gru.formula == "3h(d+h+1)"
    assert dict(gru.tensors) == {"kernel": (5, 192), "recurrent_kernel": (64, 192),
                                 "bias": (192,)}
    gru2 = param_counts(RecurrentSpec(cell="gru"), "Keras")[0]
    assert gru2.formula == "3h(d+h+2)" and dict(gru2.tensors)["bias"] == (2, 192)


def test_keras_stacked_input_sizes_follow_the_merge():
    concat = RecurrentSpec(cell="lstm", bidirectional=True, num_layers=3)
    assert [r.input_size for r in param_counts(concat, "Keras")] == [5, 128, 128]
    summed = replace(concat, merge_mode="sum")
    assert [r.input_size for r in param_counts(summed, "Keras")] == [5, 64, 64]
    # Keras layer 2 with sum: 2 directions x 4*64*(64+64+1)
    assert param_counts(summed, "Keras")[1].total == 2 * 4 * 64 * 129
    # PyTorch always concatenates between layers
    assert [r.input_size for r in param_counts(summed, "PyTorch")] == [5, 128, 128]


def test_keras_output_and_state_shapes():
    base = RecurrentSpec(batch_size=2, time_steps=7, features=5, units=8, cell="lstm")
    assert [s.shape for s in keras_outputs(base)] == [(2, 7, 8)]
    last = replace(base, return_sequences=False, return_state=True)
    assert [(s.name, s.shape) for s in keras_outputs(last)] == [
        ("output", (2, 8)), ("h state", (2, 8)), ("c state", (2, 8))]
    for gru in ("gru", "gru_classic"):
        assert [s.shape for s in keras_outputs(replace(last, cell=gru))] == [(2, 8), (2, 8)]
    bi = replace(base, bidirectional=True, return_state=True)
    assert [(s.name, s.shape) for s in keras_outputs(bi)] == [
        ("output", (2, 7, 16)), ("forward h state", (2, 8)), ("forward c state", (2, 8)),
        ("backward h state", (2, 8)), ("backward c state", (2, 8))]
    for merge in ("sum", "mul", "ave"):
        assert keras_outputs(replace(bi, merge_mode=merge))[0].shape == (2, 7, 8)
    assert keras_outputs(replace(bi, merge_mode="ave"))[0].note == "(forward + backward) / 2 at every step t"
    none = replace(bi, merge_mode="none", return_state=False, return_sequences=False)
    assert [(s.name, s.shape) for s in keras_outputs(none)] == [
        ("forward output", (2, 8)), ("backward output", (2, 8))]


def test_seed_002_examples():
    checks = {c.title: c for c in seed_002_checks()}
    for cell, layer in [("rnn", "SimpleRNN"), ("lstm", "LSTM"), ("gru", "GRU")]:
        spec = RecurrentSpec(batch_size=1, time_steps=3, features=5, units=64, cell=cell,
                             return_sequences=True)
        assert keras_outputs(spec)[0].shape == (1, 3, 64)
        c = checks[f"{layer}(units=64, return_sequences=True) on (1, 3, 5)"]
        assert c.verdict == "matches" and c.correct.startswith("(1, 3, 64)")
    assert "13,632" in checks["GRU(units=64, return_sequences=True) on (1, 3, 5)"].correct  # reset_after=True
    batch = RecurrentSpec(batch_size=2, time_steps=4, features=5, units=64, cell="rnn")
    assert keras_outputs(batch)[0].shape == (2, 4, 64)
    # RNN([LSTMCell(64), LSTMCell(64)]) without return_sequences: the top cell's last output.
    stacked = RecurrentSpec(batch_size=1, time_steps=3, features=5, units=64, cell="lstm",
                            num_layers=2, return_sequences=False)
    assert keras_outputs(stacked)[0].shape == (1, 64)
    # 4*64*(5+64+1) + 4*64*(64+64+1)
    assert total_params(stacked, "Keras") == 17_920 + 33_024
    bi = RecurrentSpec(batch_size=1, time_steps=3, features=5, units=64, cell="lstm",
                       bidirectional=True)
    assert keras_outputs(bi)[0].shape == (1, 3, 128)
    wrong = [c for c in seed_002_checks() if c.verdict == "wrong"]
    assert [c.title for c in wrong] == ["StackedRNNCells with two LSTMs",
                                        "RNN sequence generation loop",
                                        "return_state=True in a Sequential model",
                                        "Custom cell: AbstractRNNCell"]
    assert "(1, 64)" in wrong[0].correct and "LSTMCell" in wrong[0].corrected_code
    assert "(None, 128)" in wrong[2].correct
    assert "state_size" in wrong[3].corrected_code and "320 parameters" in wrong[3].correct


def test_seed_parameter_examples_by_hand():
    # units * (d + units + 1), d from input_shape=(T, d)
    expected = [
        ("SimpleRNN(units=64, input_shape=(10, 32))", "(None, 64)", 64 * 32 + 64 * 64 + 64),
        ("SimpleRNN(units=128, activation='tanh', input_shape=(20, 64))", "(None, 128)",
         128 * 64 + 128 * 128 + 128),
        ("SimpleRNN(units=32, use_bias=True, input_shape=(8, 16))", "(None, 32)",
         32 * 16 + 32 * 32 + 32),
        ("SimpleRNN(units=64, kernel_regularizer=l2(0.01), input_shape=(15, 128))",
         "(None, 64)", 64 * 128 + 64 * 64 + 64),
        ("SimpleRNN(units=128, recurrent_regularizer=l1(0.001), input_shape=(25, 32))",
         "(None, 128)", 128 * 32 + 128 * 128 + 128),
        ("SimpleRNN(units=32, bias_regularizer=l1_l2(l1=0.001, l2=0.01), "
         "input_shape=(12, 64))", "(None, 32)", 32 * 64 + 32 * 32 + 32),
        ("SimpleRNN(units=64, return_sequences=True, input_shape=(30, 128))",
         "(None, 30, 64)", 64 * 128 + 64 * 64 + 64),
    ]
    assert [r[:3] for r in seed_parameter_examples()] == expected
    assert [r[2] for r in expected] == [6_208, 24_704, 1_568, 12_352, 20_608, 3_104, 12_352]


def test_seed_generation_loop_fix_shapes_in_torch():
    """The corrected generation loop, mirrored in torch: one step in, 64 units, back to 5."""
    torch.manual_seed(0)
    rnn, to_features = nn.RNN(5, 64, batch_first=True), nn.Linear(64, 5)
    x = torch.randn(1, 3, 5)
    with torch.no_grad():
        output, state = rnn(x)
        assert tuple(output.shape) == (1, 3, 64) and tuple(state.shape) == (1, 1, 64)
        step = to_features(output[:, -1:, :])
        for _ in range(5):
            output, state = rnn(step, state)
            assert tuple(output.shape) == (1, 1, 64)
            step = to_features(output)
        assert tuple(step.shape) == (1, 1, 5)
        with pytest.raises(RuntimeError):
            rnn(torch.randn(1, 3, 64))  # feeding 64 units back into a 5-feature layer fails
    check = next(c for c in seed_002_checks() if c.title == "RNN sequence generation loop")
    assert "(1, 1, 5)" in check.correct


# ---------------------------------------------------------------------------------------------
# Generated Keras code, shape flow, caveats, validation
# ---------------------------------------------------------------------------------------------


def test_keras_code_is_python_and_states_the_counts():
    spec = RecurrentSpec(cell="gru_classic", bidirectional=True, merge_mode="ave", num_layers=2,
                         return_sequences=False, return_state=True, use_bias=False,
                         activation="relu")
    code = keras_code(spec)
    compile(code, "<keras_code>", "exec")
    flat = " ".join(code.split()).replace("( ", "(").replace(", )", ")")
    assert ('layer_1 = layers.Bidirectional(layers.GRU(64, return_sequences=True, '
            'activation="relu", use_bias=False, reset_after=False), merge_mode="ave")') in flat
    assert ('layer_2 = layers.Bidirectional(layers.GRU(64, return_state=True, '
            'activation="relu", use_bias=False, reset_after=False), merge_mode="ave")') in flat
    assert max(len(line) for line in code.splitlines()) <= 60  # fits the half-page code pane
    for row in param_counts(spec, "Keras"):
        assert f"print(layer_{row.layer}.count_params())  # {row.total:,}" in code
    simple = keras_code(RecurrentSpec(cell="rnn"))
    assert "layers.SimpleRNN(64, return_sequences=True)\n" in simple
    assert "# (1, 3, 64)" in simple
    # the cell picks the Keras variant: reset_after comes from the registry entry, written out
    gru = " ".join(keras_code(RecurrentSpec(cell="gru")).split())
    assert "layers.GRU(64, return_sequences=True, reset_after=True)" in gru
    none = keras_code(RecurrentSpec(cell="lstm", bidirectional=True, merge_mode="none"))
    assert "merge_mode=None)" in none and "a list of 2 tensors" in none


def test_shape_flow_chains_the_layers():
    spec = RecurrentSpec(batch_size=2, time_steps=6, features=5, units=8, cell="lstm",
                         bidirectional=True, merge_mode="concat", num_layers=3,
                         return_sequences=False, return_state=True)
    flow = shape_flow(spec, "Keras")
    assert [f.input_shape for f in flow] == [(2, 6, 5), (2, 6, 16), (2, 6, 16)]
    assert flow[-1].outputs == tuple(keras_outputs(spec))
    assert [f.params for f in flow] == [r.total for r in param_counts(spec, "Keras")]
    assert flow[0].label == 'Bidirectional(LSTM(8), merge_mode="concat")'
    tflow = shape_flow(spec, "PyTorch", batch_first=False)
    assert [f.input_shape for f in tflow] == [(6, 2, 5), (6, 2, 16), (6, 2, 16)]
    assert tflow[-1].outputs == tuple(torch_outputs(spec, batch_first=False))
    assert tflow[0].label == "nn.LSTM layer 0 (both directions)"
    classic = shape_flow(replace(spec, cell="gru_classic", bidirectional=False), "Keras")
    assert classic[0].label == "GRU(8, reset_after=False)"


def test_torch_caveats_name_what_differs():
    assert torch_caveats(RecurrentSpec(cell="gru")) == []
    assert any("relu" not in c and "tanh" in c
               for c in torch_caveats(RecurrentSpec(cell="lstm", activation="relu")))
    assert any("offers only tanh and relu" in c
               for c in torch_caveats(RecurrentSpec(cell="rnn", activation="sigmoid")))
    assert any("two bias vectors" in c and "+G·h = 256" in c for c in torch_caveats(RecurrentSpec(cell="lstm")))
    code = torch_code(RecurrentSpec(cell="rnn", activation="relu"))
    assert 'nonlinearity="relu"' in code
    assert "nonlinearity" not in torch_code(RecurrentSpec(cell="rnn", activation="sigmoid"))


def test_pytorch_refuses_the_classic_gru_with_the_registry_reason():
    """Keras' reset_after=False GRU has no nn module: every PyTorch answer is the cell's refusal,
    never code or counts of a different model."""
    spec = RecurrentSpec(cell="gru_classic", bidirectional=True)
    refusal = get_cell("gru_classic").torch_refusal
    assert spec.torch_refusal == refusal and "cannot express" in refusal
    assert RecurrentSpec(cell="gru").torch_refusal == ""
    for answer in (lambda: torch_code(spec), lambda: torch_outputs(spec, True), lambda: torch_caveats(spec),
                   lambda: param_counts(spec, "PyTorch"), lambda: total_params(spec, "PyTorch"),
                   lambda: shape_flow(spec, "PyTorch")):
        with pytest.raises(ValidationError) as e:
            answer()
        assert str(e.value) == refusal and e.value.field == "cell"
    assert total_params(spec, "Keras") == 2 * 3 * (5 * 64 + 64 * 64 + 64)  # Keras has it


@pytest.mark.parametrize("bad, words, field", [
    (dict(units=0), "units", "units"),
    (dict(cell="Transformer"), "choose one of rnn, gru, lstm, gru_classic", "cell"),
    (dict(cell="GRU"), "choose one of rnn, gru, lstm", "cell"),  # Keras' class names are not cells
    (dict(merge_mode="max", bidirectional=True), "choose one of concat, sum, mul, ave, none", "merge"),
    (dict(merge_mode=None, bidirectional=True), "Unknown merge mode None", "merge"),
    (dict(activation="gelu"), "activation", "activation"),
    (dict(bidirectional=True, merge_mode="none", num_layers=2), "Choose concat, sum, mul, ave to stack", "merge"),
])
def test_invalid_settings_say_what_to_change(bad, words, field):
    with pytest.raises(ValidationError, match=words) as e:
        keras_outputs(RecurrentSpec(**bad))
    assert e.value.field == field
    with pytest.raises(ValidationError, match="framework must be one of Keras, PyTorch"):
        param_counts(RecurrentSpec(), "JAX")


def _two_gate_forward(ctx):  # never run: the calculator only counts
    raise NotImplementedError


def test_a_registered_cell_is_counted_from_its_entry():
    """No per-name tables: a new cell's gate blocks, Keras class and bias layout come from its entry,
    and without a PyTorch layout PyTorch answers with its refusal."""
    cell = Cell("two_gate", "Two-gate (test only)", ("a", "b"), _two_gate_forward, "",
                KerasLayout("TwoGate", split_bias=True, config={"mode": 2}, gate_names=("b", "a")),
                None, "PyTorch has no two-gate module.")
    register_cell(cell)
    try:
        spec = RecurrentSpec(cell="two_gate", units=4, features=3, return_state=True)
        assert keras_layer_params("two_gate", 3, 4) == 2 * 4 * (3 + 4 + 2)
        assert dict(param_counts(spec, "Keras")[0].tensors)["bias"] == (2, 8)
        assert "layers.TwoGate(4, return_sequences=True, return_state=True, mode=2)" in " ".join(
            keras_code(spec).split())
        assert "in Keras order: b, a." in report.tensors_text(param_counts(spec, "Keras"), spec)
        assert "Two-gate (test only)**: Keras `TwoGate(mode=2)`, no PyTorch module" in report.cells_help()
        with pytest.raises(ValidationError, match="no two-gate module"):
            torch_code(spec)
    finally:
        unregister_cell("two_gate")
    with pytest.raises(ValidationError, match="Unknown cell"):
        keras_code(RecurrentSpec(cell="two_gate"))


# ---------------------------------------------------------------------------------------------
# Regularizers (Keras: L1 = l1*sum|w|, L2 = l2*sum w^2, L1L2 = both)
# ---------------------------------------------------------------------------------------------

SEED_W = [[0.5, 0.3, 0.2], [0.4, 0.7, 0.6]]
SEED_U = [[0.6, 0.4], [0.5, 0.9]]
SEED_B = [0.1, 0.2]


def _seed_weights():
    return {"W_f": SEED_W, "U_f": SEED_U, "b_f": SEED_B,
            "W_b": SEED_W, "U_b": SEED_U, "b_b": SEED_B}


def test_penalties_on_the_seed_weights_by_hand():
    # sum|W| = 2.7, sum W^2 = 1.39; sum|U| = 2.4, sum U^2 = 1.58; sum|b| = 0.3, sum b^2 = 0.05
    report = regularization_penalty(
        model_weights(_seed_weights()),
        kernel=Regularizer("L1", l1=0.01),
        recurrent=Regularizer("L2", l2=0.01),
        bias=Regularizer("L1L2", l1=0.01, l2=0.1),
    )
    assert report.by_role["kernel"] == pytest.approx(2 * 0.01 * 2.7)
    assert report.by_role["recurrent"] == pytest.approx(2 * 0.01 * 1.58)
    assert report.by_role["bias"] == pytest.approx(2 * (0.01 * 0.3 + 0.1 * 0.05))
    assert report.total == pytest.approx(0.054 + 0.0316 + 0.016)
    w_f = report.terms[0]
    assert (w_f.name, w_f.role, w_f.shape) == ("W_f", "kernel", (2, 3))
    assert w_f.arithmetic == "0.01 × 2.7 = 0.027"


def test_penalty_is_the_same_on_kernels_in_row_layout():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(8, 3))
    reg = Regularizer("L1L2", l1=0.3, l2=0.7)
    assert reg.penalty(W) == pytest.approx(reg.penalty(W.T))
    assert reg.penalty(W) == pytest.approx(0.3 * np.abs(W).sum() + 0.7 * (W ** 2).sum())
    assert Regularizer("none", l1=5, l2=5).penalty(W) == 0.0


def test_model_weights_reads_a_model_params_like_object():
    direction = SimpleNamespace(W=np.array(SEED_W), U=np.array(SEED_U), b=np.array(SEED_B),
                                b_U=np.zeros(2))
    with_bu = SimpleNamespace(W=np.ones((2, 2)), U=np.ones((2, 2)), b=np.zeros(2),
                              b_U=np.array([1.0, -1.0]))
    model = SimpleNamespace(layers=[SimpleNamespace(fwd=direction, bwd=direction),
                                    SimpleNamespace(fwd=with_bu, bwd=None)])
    names = [(n, r) for n, r, _ in model_weights(model)]
    assert names == [("layer 1 W_f", "kernel"), ("layer 1 U_f", "recurrent"),
                     ("layer 1 b_f", "bias"), ("layer 1 W_b", "kernel"),
                     ("layer 1 U_b", "recurrent"), ("layer 1 b_b", "bias"),
                     ("layer 2 W_f", "kernel"), ("layer 2 U_f", "recurrent"),
                     ("layer 2 b_f", "bias"), ("layer 2 b_U_f", "bias")]
    report = regularization_penalty(model_weights(model), bias=Regularizer("L1", l1=1.0))
    assert report.by_role["bias"] == pytest.approx(2 * 0.3 + 0 + 2.0)


def test_regularizer_errors():
    with pytest.raises(ValidationError, match="l1"):
        Regularizer("L1", l1=-1)
    with pytest.raises(ValidationError, match="non-finite"):
        regularization_penalty([("W", "kernel", [np.inf])], kernel=Regularizer("L1", l1=1))
    with pytest.raises(ValidationError, match="kernel"):
        model_weights({"V": [1.0]})
