"""The registries (cells, merge modes, activations): lookups, errors naming the known entries,
every registered cell end to end, and "one entry is all it takes" with throwaway entries."""
import numpy as np
import pytest

from birnn_core import (ACTIVATIONS, CELL_NAMES, GATES, HEAD_ACTIVATIONS, MERGE_MODES, Activation, Cell,
                        DirectionParams, KerasLayout, LayerParams, Merge, ModelParams, ModelTrace, ValidationError,
                        explain_latex, explain_text, get_cell, merge_vectors, n_blocks, presets, register_activation,
                        register_cell, register_merge, registry, run, run_layer, step_terms, unregister_activation,
                        unregister_cell, unregister_merge, validate_model)
from birnn_core.explain import explain_html, state_update_lines, step_equations
from birnn_core.registry import B, F

CELLS = list(GATES)


def test_views_keep_the_old_constants():
    assert CELLS[:3] == ["rnn", "gru", "lstm"] and "gru_classic" in CELLS
    assert GATES["gru"] == ("r", "z", "n") and GATES["lstm"] == ("i", "f", "g", "o") and GATES["rnn"] == ()
    assert GATES["gru_classic"] == ("r", "z", "n")
    assert CELL_NAMES["rnn"] == "SimpleRNN" and CELL_NAMES.get("lstm") == "LSTM"
    assert CELL_NAMES["gru_classic"] == "GRU (reset before, Keras classic)"
    assert ACTIVATIONS == ("tanh", "relu", "sigmoid", "linear") and ACTIVATIONS.index("relu") == 1
    assert MERGE_MODES == ("concat", "sum", "mul", "ave", "none") and "ave" in MERGE_MODES
    assert tuple(HEAD_ACTIVATIONS) == ("softmax", "sigmoid", "none")
    assert [n_blocks(c) for c in ("rnn", "gru", "lstm", "gru_classic")] == [1, 3, 4, 3]
    assert ", ".join(ACTIVATIONS) == "tanh, relu, sigmoid, linear"


# ---------------------------------------------------------------- unknown names

def _model(cell="rnn", activation="tanh", merge="concat"):
    m = presets.random_model("rnn", 3, 2, 2, None, seed=0)
    m.layers[0].cell, m.layers[0].activation, m.layers[0].merge = cell, activation, merge
    return m


@pytest.mark.parametrize("kind,kw,field", [
    ("cell", {"cell": "mystery"}, "cell"),
    ("activation", {"activation": "swish"}, "activation"),
    ("merge mode", {"merge": "max"}, "merge"),
])
def test_unknown_names_are_errors_naming_the_known_ones(kind, kw, field):
    known = {"cell": GATES, "activation": ACTIVATIONS, "merge mode": MERGE_MODES}[kind]
    bad = next(iter(kw.values()))
    m = _model(**kw)
    for call in (lambda: validate_model(m), lambda: run(m, np.zeros((2, 3)))):
        with pytest.raises(ValidationError) as e:
            call()
        msg = str(e.value)
        assert f"Unknown {kind} '{bad}'" in msg and ", ".join(known) in msg
        assert e.value.field == field
    # the engine's layer entry point, without validate_model in front of it
    with pytest.raises(ValidationError, match=", ".join(known)):
        run_layer(m.layers[0], np.zeros((1, 2, 3)), np.array([2]))


def test_unknown_names_in_explain_presets_and_merge():
    tr = run(presets.random_model("gru", 2, 2, 2, None), np.zeros((2, 2))).layers[0].fwd
    tr.cell = "mystery"
    for call in (lambda: explain_text(tr, 0), lambda: step_terms(tr, 0), lambda: explain_latex(tr, 0)):
        with pytest.raises(ValidationError, match="Unknown cell 'mystery': choose one of rnn, gru, lstm, gru_classic"):
            call()
    tr.cell, tr.activation = "rnn", "swish"
    with pytest.raises(ValidationError, match="Unknown activation 'swish'.*tanh, relu"):
        explain_text(tr, 0)
    with pytest.raises(ValidationError, match="Unknown cell 'mystery'"):
        presets.random_model("mystery")
    with pytest.raises(ValidationError, match="Unknown merge mode 'max'.*concat, sum, mul, ave, none"):
        merge_vectors("max", np.zeros(2), np.zeros(2))
    with pytest.raises(ValidationError, match="Unknown output activation 'tanh'.*softmax"):
        m = presets.random_model("rnn", 3, 2, 2, 2)
        m.head.activation = "tanh"
        run(m, np.zeros((2, 3)))
    with pytest.raises(ValidationError, match="no gate 'q'"):
        run(presets.random_model("lstm", 2, 2, None, None), np.zeros((2, 2))).layers[0].fwd.gate("q")


# ---------------------------------------------------------------- every registered cell

@pytest.mark.parametrize("cell", CELLS)
def test_every_cell_runs_explains_and_round_trips(cell):
    model = presets.random_model(cell, 3, 2, 3, 2, num_layers=2, seed=4)
    X = np.random.default_rng(4).normal(size=(2, 4, 3))
    tr = run(model, X, lengths=[4, 3], tokens=list("abcd"))
    spec = get_cell(cell)
    for lt in tr.layers:
        for d in lt.directions:
            G = spec.n_blocks * d.hidden_size
            assert d.pre.shape[-1] == G and np.isfinite(d.h).all()
            assert (d.gates is None) == (not spec.gates)
            for t in range(2):
                text = explain_text(d, t, b=1)
                assert text.count("pre-activation") == G
                for u in step_terms(d, t, b=1):
                    assert u.value == pytest.approx(d.gates[1, t, spec.gates.index(u.gate) * d.hidden_size + u.unit]
                                                    if spec.gates else d.h[1, t, u.unit])
                    assert u.Wx.value == pytest.approx(float(np.dot(u.Wx.weights, u.Wx.values)))
                    assert u.Uh.value == pytest.approx(float(np.dot(u.Uh.weights, u.Uh.values)))
                assert len(state_update_lines(d, t)) == (d.hidden_size if spec.update_text else 0)
                lines = step_equations(d, t, units=[0])
                assert len(lines) == 4 * spec.n_blocks + (1 if spec.update_equation else 0)
                assert len(explain_latex(d, t)) == len(lines) and "<table>" in explain_html(d, t)
    back = ModelTrace.from_json(tr.to_json())
    for la, lb in zip(tr.layers, back.layers):
        for da, db in zip(la.directions, lb.directions):
            assert db.cell == cell
            for name in ("Wx", "Uh", "pre", "h", "gates", "c", "final_h"):
                va, vb = getattr(da, name), getattr(db, name)
                assert (va is None) == (vb is None)
                if va is not None:
                    np.testing.assert_array_equal(va, vb)
            assert explain_text(db, 1) == explain_text(da, 1)
    np.testing.assert_array_equal(back.probs, tr.probs)


def test_classic_gru_explain_writes_the_reset_before_u():
    tr = run(presets.random_model("gru_classic", 2, 2, None, None, seed=1), np.ones((3, 2))).layers[0].fwd
    n_units = [u for u in step_terms(tr, 1) if u.gate == "n"]
    r, hp = tr.gate("r")[0, 1], tr.h_prev[0, 1]
    for u in n_units:
        np.testing.assert_allclose(u.Uh.values, r * hp)              # U_n multiplies r ⊙ h_prev
        assert u.reset is None and u.pre == pytest.approx(u.Wx.value + u.Uh.value + u.b + u.b_U)
    text = explain_text(tr, 1)
    assert "U_n (r⊙h_prev)" in text and "U (r⊙h):" in text
    latex = explain_latex(tr, 1)
    n_line = next(line for line in latex if line.startswith("n_{2}"))
    assert n_line.index("U_{f,n}") < n_line.index("r_{2}") < n_line.index(r"\odot") < n_line.index("h_{1}")


# ---------------------------------------------------------------- one entry is all it takes

def _mgu_forward(c):
    """Minimal gated unit: f = σ(W_f x + U_f h + b_f), n = tanh(W_n x + U_n (f ⊙ h) + b_n),
    h' = (1 - f) ⊙ h + f ⊙ n. Its forget gate is called r so explain writes U_n (r ⊙ h)."""
    H, Uh, pre, base, UT, h, gates = c.rec["H"], c.rec["Uh"], c.rec["pre"], c.base, c.UT, c.h, c.rec["gates"]

    def step(s):
        Uh[s, ..., :h] = H[s] @ UT[..., :h]
        pre[s, ..., :h] = base[s, ..., :h] + Uh[s, ..., :h]
        gates[s, ..., :h] = 1 / (1 + np.exp(-pre[s, ..., :h]))
        f = gates[s, ..., :h]
        Uh[s, ..., h:] = (f * H[s]) @ UT[..., h:]
        pre[s, ..., h:] = base[s, ..., h:] + Uh[s, ..., h:]
        gates[s, ..., h:] = np.tanh(pre[s, ..., h:])
        H[s + 1] = (1 - f) * H[s] + f * gates[s, ..., h:]
    return step


MGU = Cell("mgu", "MGU (test only)", ("r", "n"), _mgu_forward, "(1 - f)⊙h_prev + f⊙n", KerasLayout("MGU"),
           torch_refusal="PyTorch has no MGU.", gate_activations={"r": "sigmoid", "n": "tanh"},
           gate_forms={"n": "reset_before"}, records={"gates": (0, 2)},
           update_text=lambda tr, t, b, j, d, f: f"h[{j + 1}] = {d(tr.h[b, t, j])}",
           update_equation=lambda tr, t, b, keep, col, prev: [("sym", "h", str(t + 1), ""), ("op", "="),
                                                               col(tr.h[b, t, keep])])


def test_a_registered_cell_works_everywhere_then_is_gone():
    register_cell(MGU)
    try:
        assert "mgu" in GATES and GATES["mgu"] == ("r", "n") and CELL_NAMES["mgu"] == "MGU (test only)"
        model = presets.random_model("mgu", 3, 2, 2, 2, seed=3)   # presets size W/U by the entry's 2 blocks
        assert model.layers[0].fwd.W.shape == (4, 3)
        X = np.random.default_rng(3).normal(size=(5, 3))
        tr = run(model, X)
        p, fwd = model.layers[0].fwd, tr.layers[0].fwd
        hp = np.zeros(2)
        for t in range(5):  # the cell by hand
            f = 1 / (1 + np.exp(-(p.W[:2] @ X[t] + p.U[:2] @ hp + p.b[:2] + p.b_U[:2])))
            n = np.tanh(p.W[2:] @ X[t] + p.U[2:] @ (f * hp) + p.b[2:] + p.b_U[2:])
            hp = (1 - f) * hp + f * n
            np.testing.assert_allclose(fwd.h[0, t], hp, atol=1e-12)
        assert "U (r⊙h)" in explain_text(fwd, 2) and "h[1] = " in explain_text(fwd, 2)
        assert len(step_equations(fwd, 0)) == 4 * 2 + 1
        back = ModelTrace.from_json(tr.to_json())
        np.testing.assert_array_equal(back.layers[0].bwd.gates, tr.layers[0].bwd.gates)
        with pytest.raises(ValidationError, match="PyTorch has no MGU"):
            from birnn_core import layers_to_torch_state_dict
            layers_to_torch_state_dict(model.layers)
        with pytest.raises(ValueError, match="already registered"):
            register_cell(MGU)
    finally:
        unregister_cell("mgu")
    assert "mgu" not in GATES
    with pytest.raises(ValidationError, match="Unknown cell 'mgu'"):
        run(model, X)


def test_a_registered_merge_and_activation_work_everywhere_then_are_gone():
    register_merge(Merge("max", np.maximum, lambda f, b: f, elementwise=True, keras=None,
                         pattern=("max(", F, ",", B, ")")))
    register_activation(Activation("softsign", "softsign",
                                   lambda x, out=None: np.divide(x, 1 + np.abs(x), out=out),
                                   lambda x, y: 1 / (1 + np.abs(x)) ** 2))
    try:
        assert "max" in MERGE_MODES and "softsign" in ACTIVATIONS
        assert registry.get_merge("max").text() == "max(h_f, h_b)"
        model = presets.random_model("rnn", 3, 2, 2, 2, seed=1, merge="max", activation="softsign")
        X = np.random.default_rng(1).normal(size=(4, 3))
        tr = run(model, X)
        lt = tr.layers[0]
        np.testing.assert_array_equal(lt.merged, np.maximum(lt.fwd.h, lt.bwd.h))
        np.testing.assert_allclose(lt.fwd.h, lt.fwd.pre / (1 + np.abs(lt.fwd.pre)), atol=1e-15)
        assert "softsign(" in explain_text(lt.fwd, 0) and r"\mathrm{softsign}" in explain_latex(lt.fwd, 0)[0]
        assert lt.keras_outputs(return_sequences=False).shape == (1, 2)
        model.layers[0].bwd = DirectionParams(np.zeros((3, 3)), np.zeros((3, 3)), np.zeros(3))
        with pytest.raises(ValidationError, match="h_f = 2 and h_b = 3"):  # elementwise: sizes must match
            run(model, X)
    finally:
        unregister_merge("max")
        unregister_activation("softsign")
    assert "max" not in MERGE_MODES and "softsign" not in ACTIVATIONS


def test_activation_derivatives():
    x = np.linspace(-3, 3, 13)
    for act in registry.activations():
        y = act.fn(x)
        eps = 1e-6
        numeric = (act.fn(x + eps) - act.fn(x - eps)) / (2 * eps)
        keep = np.abs(x) > 1e-3  # ReLU's kink
        np.testing.assert_allclose(act.derivative(x, y)[keep], numeric[keep], atol=1e-6)


def test_layer_params_output_size_from_the_merge_entry():
    p = lambda h: DirectionParams(np.zeros((h, 2)), np.zeros((h, h)), np.zeros(h))
    assert LayerParams("rnn", p(2), p(3), merge="concat").output_size == 5
    assert LayerParams("rnn", p(2), p(2), merge="ave").output_size == 2
    assert LayerParams("rnn", p(2), None, merge="sum").output_size == 2
    assert ModelParams([LayerParams("rnn", p(2), p(3), merge="none")]).layers[0].output_size == 5
