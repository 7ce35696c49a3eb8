"""The core against Keras 3 itself (numpy backend, no TensorFlow) for every cell Keras has:
SimpleRNN, LSTM, GRU (reset_after=True, cell 'gru') and the classic GRU (reset_after=False, cell
'gru_classic'), unidirectional and Bidirectional with every merge mode, return_sequences and
return_state, both ways through the converters (core -> Keras weights, Keras layer -> core).

Keras' numpy backend computes in float32 whatever the weights' dtype, hence the 1e-5 tolerance.
"""
import itertools
import os

os.environ["KERAS_BACKEND"] = "numpy"  # before keras is imported anywhere

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from birnn_core import (LayerParams, ModelParams, ValidationError, from_keras, get_cell, keras_cell,  # noqa: E402
                        keras_config, keras_weights, layer_from_keras, layers_from_torch_state_dict,
                        layers_to_torch_state_dict, presets, run, to_keras)

if keras.backend.backend() != "numpy":  # keras was imported earlier with another backend
    pytest.skip(f"keras runs on the {keras.backend.backend()} backend here, not numpy", allow_module_level=True)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras' variables on numpy 2

ATOL = RTOL = 1e-5
KERAS_CELLS = ["rnn", "lstm", "gru", "gru_classic"]
MERGES = [None, "concat", "sum", "mul", "ave", "none"]  # None: unidirectional


def flat(out):
    """Keras / core outputs as one flat list of arrays (merge_mode=None nests the two outputs)."""
    if isinstance(out, (list, tuple)):
        return [a for o in out for a in flat(o)]
    return [np.asarray(out, dtype=np.float64)]


def build_keras(layer: LayerParams, d: int, return_sequences=True, return_state=False, weights=True):
    """The Keras layer that computes ``layer`` (built on inputs of size d, weights set from the core)."""
    cfg = keras_config(layer)
    kw = {k: v for k, v in cfg.items() if k in ("reset_after", "activation")}
    rnn = getattr(keras.layers, cfg["layer"])(cfg["units"], return_sequences=return_sequences,
                                              return_state=return_state, **kw)
    k_layer = keras.layers.Bidirectional(rnn, merge_mode=cfg["merge_mode"]) if cfg["bidirectional"] else rnn
    k_layer(np.zeros((1, 2, d), dtype=np.float32))
    if weights:
        k_layer.set_weights(keras_weights(layer))
    return k_layer


def random_layer(cell, merge, d, h, seed, activation="tanh"):
    m = presets.random_model(cell, d, h, None if merge is None else h, None, seed=seed, activation=activation,
                             merge=merge or "concat")
    return m.layers[0]


CONFIGS = list(itertools.product(KERAS_CELLS, MERGES, [True, False], [False, True]))


@pytest.mark.parametrize("cell,merge,return_sequences,return_state", CONFIGS)
def test_core_to_keras_matches_keras_outputs(cell, merge, return_sequences, return_state):
    seed = KERAS_CELLS.index(cell) * 100 + MERGES.index(merge) * 10 + 2 * return_sequences + return_state
    rng = np.random.default_rng(seed)
    d, h, B, T = 3, 4, 2, 5
    layer = random_layer(cell, merge, d, h, seed)
    X = rng.normal(size=(B, T, d))
    k_layer = build_keras(layer, d, return_sequences, return_state)
    assert layer_from_keras(k_layer).cell == cell  # the Keras layer really is this cell's variant
    want = flat(k_layer(X.astype(np.float32)))
    got = flat(run(ModelParams([layer]), X).layers[0].keras_outputs(return_sequences, return_state))
    assert [a.shape for a in got] == [a.shape for a in want]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("cell,merge", list(itertools.product(KERAS_CELLS, MERGES)))
def test_keras_layer_to_core_matches_keras(cell, merge):
    """A Keras layer with its own (random, non-zero bias) weights read into the core computes the same,
    and the core gives back exactly the weights it read."""
    rng = np.random.default_rng(7 + KERAS_CELLS.index(cell) * 10 + MERGES.index(merge))
    d, h = 2, 3
    proto = random_layer(cell, merge, d, h, 0)
    k_layer = build_keras(proto, d, return_sequences=True, return_state=True, weights=False)
    k_layer.set_weights([rng.normal(scale=0.6, size=w.shape) for w in k_layer.get_weights()])
    layer = layer_from_keras(k_layer)
    assert layer.cell == cell and layer.bidirectional == (merge is not None)
    if merge is not None:
        assert layer.merge == merge
    X = rng.normal(size=(3, 6, d))
    want = flat(k_layer(X.astype(np.float32)))
    got = flat(run(ModelParams([layer]), X).layers[0].keras_outputs(True, True))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=ATOL, rtol=RTOL)
    for a, b in zip(keras_weights(layer), k_layer.get_weights()):
        np.testing.assert_array_equal(a.astype(np.float32), b)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_simple_rnn_activations(activation):
    layer = random_layer("rnn", "concat", 3, 4, 5, activation)
    X = np.random.default_rng(5).normal(size=(2, 6, 3))
    k_layer = build_keras(layer, 3)
    assert k_layer.forward_layer.get_config()["activation"] == activation
    np.testing.assert_allclose(run(ModelParams([layer]), X).output, np.asarray(k_layer(X.astype(np.float32))),
                               atol=ATOL, rtol=RTOL)
    assert layer_from_keras(k_layer).activation == activation


def test_stack_of_different_cells_matches_keras_sequential():
    """Layer l + 1 reads layer l's merged outputs: a classic-GRU layer under an LSTM layer."""
    rng = np.random.default_rng(11)
    d, h = 3, 4
    l1 = random_layer("gru_classic", "sum", d, h, 1)
    l2 = random_layer("lstm", "concat", h, h, 2)
    k1, k2 = build_keras(l1, d), build_keras(l2, h)
    X = rng.normal(size=(2, 5, d))
    want = np.asarray(k2(k1(X.astype(np.float32))))
    np.testing.assert_allclose(run(ModelParams([l1, l2]), X).output, want, atol=ATOL, rtol=RTOL)


def test_classic_gru_formula_and_keras_layouts():
    """gru_classic: n = tanh(W_n x + b_n + U_n (r * h_prev)), one bias; Keras blocks z, r, h."""
    layer = random_layer("gru_classic", None, 2, 3, 3)
    p = layer.fwd
    k = to_keras(p, "gru_classic")
    assert k["bias"].shape == (9,) and k["kernel"].shape == (2, 9)
    np.testing.assert_array_equal(k["kernel"][:, :3], p.W[3:6].T)  # Keras z first = canonical block 1
    np.testing.assert_array_equal(k["bias"], np.concatenate([(p.b + p.b_U)[3:6], (p.b + p.b_U)[:3],
                                                             (p.b + p.b_U)[6:]]))
    back = from_keras(**k, cell="gru_classic")
    np.testing.assert_allclose(back.W, p.W)
    np.testing.assert_allclose(back.b + back.b_U, p.b + p.b_U)
    x = np.random.default_rng(0).normal(size=(4, 2))
    tr = run(ModelParams([layer]), x).layers[0].fwd
    sig = lambda v: 1 / (1 + np.exp(-v))
    hprev = np.zeros(3)
    W, U, b = p.W, p.U, p.b + p.b_U
    for t in range(4):
        r = sig(W[:3] @ x[t] + U[:3] @ hprev + b[:3])
        z = sig(W[3:6] @ x[t] + U[3:6] @ hprev + b[3:6])
        n = np.tanh(W[6:] @ x[t] + U[6:] @ (r * hprev) + b[6:])
        hprev = (1 - z) * n + z * hprev
        np.testing.assert_allclose(tr.h[0, t], hprev, atol=1e-12)
        np.testing.assert_allclose(tr.gate("n")[0, t], n, atol=1e-12)
    # the same weights as a PyTorch-style GRU compute something else (the point of the fourth cell)
    other = run(ModelParams([LayerParams("gru", p, None)]), x).layers[0].fwd
    assert not np.allclose(other.h, tr.h)


def test_keras_variants_select_the_cell_and_wrong_variants_are_refused():
    assert keras_cell("GRU", {"reset_after": False}) == "gru_classic"
    assert keras_cell("GRU", {"reset_after": True}) == keras_cell("GRU") == "gru"
    assert keras_cell("LSTM") == "lstm" and keras_cell("SimpleRNN") == "rnn"
    p_gru = random_layer("gru", None, 2, 3, 0).fwd
    with pytest.raises(ValidationError, match="gru_classic"):
        to_keras(p_gru, "gru", reset_after=False)
    with pytest.raises(ValidationError, match="gru_classic"):
        from_keras(**to_keras(random_layer("gru_classic", None, 2, 3, 0).fwd, "gru_classic"), cell="gru")
    with pytest.raises(ValidationError, match="'gru'"):
        from_keras(**to_keras(p_gru, "gru"), cell="gru_classic")


def test_torch_converter_refuses_the_classic_gru():
    m = presets.random_model("gru_classic", 3, 2, 2, None)
    with pytest.raises(ValidationError, match="reset_after=False.*cannot express") as e:
        layers_to_torch_state_dict(m.layers)
    assert e.value.field == "cell" and get_cell("gru_classic").torch is None
    sd = layers_to_torch_state_dict(presets.random_model("gru", 3, 2, 2, None).layers)
    with pytest.raises(ValidationError, match="cannot express"):
        layers_from_torch_state_dict(sd, "gru_classic")
