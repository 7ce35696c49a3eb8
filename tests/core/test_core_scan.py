"""The parameter scan (birnn_core.scan): row k of its batch is the engine's own run with the number set
to values[k], for every kind of number, cell, merge, stack and direction layout."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from birnn_core import presets, run
from birnn_core.scan import Number, scan, scan_values

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CELLS = ["rnn", "gru", "lstm", "gru_classic"]


def _set(model, X, number: Number, value: float):
    """The model and input with ``number`` set to ``value`` (what the scan's row stands for)."""
    model, X = model.copy(), X.copy()
    if number.array == "x":
        X[number.index] = value
    elif number.array.startswith("head_"):
        getattr(model.head, number.array[5:])[number.index] = value
    else:
        layer = model.layers[number.layer]
        for name in number.directions:
            getattr(layer.fwd if name == "forward" else layer.bwd, number.array)[number.index] = value
    return model, X


def _assert_rows_match(model, X, number, values, rows=None):
    trace = scan(model, X, number, values)
    for k in rows if rows is not None else range(len(values)):
        ref = run(*_set(model, X, number, values[k]), check=False)
        for got_layer, ref_layer in zip(trace.layers, ref.layers):
            for got, want in zip(got_layer.directions, ref_layer.directions):
                for field in ("h", "pre", "Wx", "Uh", "h_prev"):
                    np.testing.assert_allclose(getattr(got, field)[k], getattr(want, field)[0], atol=1e-12,
                                               err_msg=f"{want.name} {field}")
                if want.c is not None:
                    np.testing.assert_allclose(got.c[k], want.c[0], atol=1e-12)
            if ref_layer.merged is not None:
                np.testing.assert_allclose(got_layer.merged[k], ref_layer.merged[0], atol=1e-12)
        if ref.probs is not None:
            np.testing.assert_allclose(trace.probs[k], ref.probs[0], atol=1e-12)
            np.testing.assert_allclose(trace.logits[k], ref.logits[0], atol=1e-12)


def _numbers(model, T, d, rng):
    """One number of every kind the model has, at random indices."""
    out = [Number("x", (int(rng.integers(T)), int(rng.integers(d))))]
    for l, layer in enumerate(model.layers):
        for name, p in layer.directions():
            for array in ("W", "U", "b", "b_U"):
                a = getattr(p, array)
                out.append(Number(array, tuple(int(rng.integers(n)) for n in a.shape), l, (name,)))
    if model.head is not None:
        out += [Number("head_W", tuple(int(rng.integers(n)) for n in model.head.W.shape)),
                Number("head_b", (int(rng.integers(model.head.b.shape[0])),))]
    return out


@FAST
@given(cell=st.sampled_from(CELLS), layers=st.integers(1, 3), h_f=st.integers(1, 4), h_b=st.sampled_from([None, 1, 3]),
       merge=st.sampled_from(["concat", "sum", "mul", "ave", "none"]), T=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_every_row_is_the_engine_run_with_that_value(cell, layers, h_f, h_b, merge, T, seed):
    if merge in ("sum", "mul", "ave") and h_b is not None:
        h_b = h_f
    q = None if merge == "none" and h_b is not None else 3
    model = presets.random_model(cell, 2, h_f, h_b, q, num_layers=layers, seed=seed, merge=merge)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(T, 2))
    values = rng.normal(scale=2.0, size=5)
    for number in _numbers(model, T, 2, rng):
        _assert_rows_match(model, X, number, values)


def test_tied_weights_change_both_directions_together():
    model = presets.random_model("lstm", 3, 2, 2, 2, num_layers=2, seed=3)
    for layer in model.layers:
        layer.bwd = layer.fwd.copy()
    X = np.random.default_rng(0).normal(size=(4, 3))
    _assert_rows_match(model, X, Number("U", (5, 1), 1, ("forward", "backward")), scan_values(0.2, 1.0, 21))


def test_the_seed_example_scan_of_x2_keeps_forward_h1_and_moves_every_later_state():
    ex = presets.seed_example()
    values = scan_values(float(ex.embeddings[1, 0]), 1.0, 201)
    trace = scan(ex.model, ex.embeddings, Number("x", (1, 0)), values)
    fwd, bwd = trace.layers[0].fwd.h, trace.layers[0].bwd.h
    assert trace.probs.shape == (201, 3, 2)
    assert np.ptp(fwd[:, 0], axis=0).max() == 0        # h_1 forward has not read x_2 yet
    assert np.ptp(bwd[:, 2], axis=0).max() == 0        # nor has h_3 backward
    assert np.ptp(fwd[:, 1:], axis=0).min() > 0 and np.ptp(bwd[:, :2], axis=0).min() > 0
    _assert_rows_match(ex.model, ex.embeddings, Number("x", (1, 0)), values, rows=[0, 77, 100, 200])


def test_scan_values_are_centred_exactly():
    v = scan_values(0.1, 1.0, 201)
    assert v[100] == 0.1 and v[0] == pytest.approx(-0.9) and v[-1] == pytest.approx(1.1)
    assert np.allclose(np.diff(v), 0.01)


def test_an_overflowing_value_is_kept_as_inf_not_raised():
    model = presets.random_model("rnn", 2, 2, 2, 2, seed=1, activation="relu")
    X = np.ones((30, 2))
    trace = scan(model, X, Number("U", (0, 0), 0, ("forward",)), np.array([0.0, 1e300]))
    assert np.isfinite(trace.layers[0].fwd.h[0]).all()
    assert not np.isfinite(trace.layers[0].fwd.h[1]).all()


@FAST
@given(cell=st.sampled_from(CELLS), layers=st.integers(1, 2), T=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_one_batch_scans_several_numbers_of_one_array(cell, layers, T, seed):
    model = presets.random_model(cell, 2, 2, 2, 2, num_layers=layers, seed=seed)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(T, 2))
    for number in _numbers(model, T, 2, rng):
        shape = X.shape if number.array == "x" else (
            getattr(model.head, number.array[5:]).shape if number.array.startswith("head_") else
            getattr(model.layers[number.layer].fwd if number.directions == ("forward",) else
                    model.layers[number.layer].bwd, number.array).shape)
        indices = [tuple(int(rng.integers(n)) for n in shape) for _ in range(4)]
        values = rng.normal(size=4)
        trace = scan(model, X, number, values, indices)
        for k, index in enumerate(indices):
            one = scan(model, X, Number(number.array, index, number.layer, number.directions), values[k:k + 1])
            np.testing.assert_allclose(trace.layers[-1].fwd.h[k], one.layers[-1].fwd.h[0], atol=1e-12)
            np.testing.assert_allclose(trace.probs[k], one.probs[0], atol=1e-12)
