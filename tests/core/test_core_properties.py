"""Property tests (hypothesis) of the engine: direction symmetry, merged sizes, JSON round trip."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from birnn_core import LayerParams, ModelParams, ModelTrace, presets, run

cells = st.sampled_from(["rnn", "gru", "lstm"])
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(cell=cells, T=st.integers(1, 8), d=st.integers(1, 4), h=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_reversing_input_with_tied_weights_swaps_directions(cell, T, d, h, seed):
    base = presets.random_model(cell, d, h, None, None, seed=seed).layers[0].fwd
    model = ModelParams([LayerParams(cell, base, base.copy())])
    X = np.random.default_rng(seed).normal(size=(T, d))
    a, b = run(model, X).layers[0], run(model, X[::-1]).layers[0]
    np.testing.assert_allclose(a.fwd.h[0], b.bwd.h[0][::-1], atol=1e-12)
    np.testing.assert_allclose(a.bwd.h[0], b.fwd.h[0][::-1], atol=1e-12)
    np.testing.assert_allclose(a.fwd.final_h, b.bwd.final_h, atol=1e-12)


@FAST
@given(cell=cells, h_f=st.integers(1, 5), h_b=st.integers(1, 5), merge=st.sampled_from(["concat", "sum", "mul", "ave"]),
       T=st.integers(1, 6), seed=st.integers(0, 1000))
def test_merged_sizes(cell, h_f, h_b, merge, T, seed):
    if merge != "concat":
        h_b = h_f
    model = presets.random_model(cell, 3, h_f, h_b, None, seed=seed, merge=merge)
    tr = run(model, np.random.default_rng(seed).normal(size=(2, T, 3)))
    m = h_f + h_b if merge == "concat" else h_f
    assert tr.output.shape == (2, T, m)
    f, b = tr.layers[0].fwd.h, tr.layers[0].bwd.h
    expected = {"concat": lambda: np.concatenate([f, b], -1), "sum": lambda: f + b, "mul": lambda: f * b,
                "ave": lambda: (f + b) / 2}[merge]()
    np.testing.assert_array_equal(tr.output, expected)


@FAST
@given(cell=cells, layers=st.integers(1, 3), bi=st.booleans(), T=st.integers(1, 5), seed=st.integers(0, 1000))
def test_json_round_trip(cell, layers, bi, T, seed):
    model = presets.random_model(cell, 2, 3, 3 if bi else None, 2, num_layers=layers, seed=seed)
    rng = np.random.default_rng(seed)
    tr = run(model, rng.normal(size=(2, T, 2)), lengths=[T, max(1, T - 1)], tokens=["a"] * T)
    back = ModelTrace.from_json(tr.to_json())
    assert back.tokens == tr.tokens
    np.testing.assert_array_equal(back.lengths, tr.lengths)
    for la, lb in zip(tr.layers, back.layers):
        for da, db in zip(la.directions, lb.directions):
            for name in ("Wx", "Uh", "pre", "h_prev", "h", "final_h", "gates", "c", "final_c"):
                va, vb = getattr(da, name), getattr(db, name)
                assert (va is None) == (vb is None)
                if va is not None:
                    np.testing.assert_array_equal(va, vb)  # floats survive JSON exactly
            np.testing.assert_array_equal(da.params.W, db.params.W)
    np.testing.assert_array_equal(back.probs, tr.probs)


@FAST
@given(T=st.integers(1, 6), seed=st.integers(0, 1000))
def test_dependencies_edit_of_x_k(T, seed):
    """Editing x_k changes forward states from k on and backward states up to k, nothing else."""
    model = presets.random_model("rnn", 3, 2, 2, None, seed=seed)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(T, 3))
    k = int(rng.integers(0, T))
    X2 = X.copy()
    X2[k] += 0.5
    a, b = run(model, X).layers[0], run(model, X2).layers[0]
    changed_f = ~np.all(np.isclose(a.fwd.h[0], b.fwd.h[0], atol=0, rtol=0), axis=1)
    changed_b = ~np.all(np.isclose(a.bwd.h[0], b.bwd.h[0], atol=0, rtol=0), axis=1)
    assert not changed_f[:k].any() and not changed_b[k + 1:].any()
    assert changed_f[k] and changed_b[k]
