"""The NumPy engine against PyTorch (float64) over many random configurations, via the state_dict converters."""
import itertools
import zlib

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from birnn_core import (ModelParams, layers_from_torch_state_dict, layers_to_torch_state_dict, presets,
                        run)

TORCH_CELLS = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
TOL = 1e-9


def torch_module(cell, d, h, layers, bidirectional, seed, nonlinearity="tanh", bias=True):
    torch.manual_seed(seed)
    kw = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    return TORCH_CELLS[cell](d, h, num_layers=layers, bidirectional=bidirectional, batch_first=True,
                             bias=bias, **kw).double()


def torch_forward(mod, X, lengths):
    """(output (B,T,D*h) zero-padded, h_n (L*D,B,h), c_n or None) as PyTorch computes them."""
    x = torch.from_numpy(X)
    packed = pack_padded_sequence(x, torch.as_tensor(lengths), batch_first=True, enforce_sorted=False)
    with torch.no_grad():
        out, state = mod(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=X.shape[1])
    h_n, c_n = state if isinstance(state, tuple) else (state, None)
    return out.numpy(), h_n.numpy(), None if c_n is None else c_n.numpy()


CONFIGS = list(itertools.product(["rnn", "gru", "lstm"], [1, 2, 3], [False, True], [1, 3], [False, True]))


@pytest.mark.parametrize("cell,layers,bidirectional,batch,ragged", CONFIGS)
def test_outputs_and_final_states_match_torch(cell, layers, bidirectional, batch, ragged):
    seed = zlib.crc32(repr((cell, layers, bidirectional, batch, ragged)).encode()) % 10_000
    rng = np.random.default_rng(seed)
    d, h, T = int(rng.integers(1, 6)), int(rng.integers(1, 7)), int(rng.integers(1, 9))
    mod = torch_module(cell, d, h, layers, bidirectional, seed)
    X = rng.normal(size=(batch, T, d))
    lengths = rng.integers(1, T + 1, size=batch) if ragged else np.full(batch, T)
    lengths[0] = T  # pad_packed_sequence pads to the longest; keep total_length meaningful
    out_t, h_n, c_n = torch_forward(mod, X, lengths)

    sd = {k: v.numpy() for k, v in mod.state_dict().items()}
    model = ModelParams(layers_from_torch_state_dict(sd, cell, layers, bidirectional))
    tr = run(model, X, lengths)
    D = 2 if bidirectional else 1
    out = np.concatenate([d_.h for d_ in tr.layers[-1].directions], axis=-1)
    np.testing.assert_allclose(out, out_t, atol=TOL, rtol=0)
    finals = np.stack([d_.final_h for lt in tr.layers for d_ in lt.directions])
    np.testing.assert_allclose(finals, h_n, atol=TOL, rtol=0)
    assert finals.shape == (layers * D, batch, h)
    if cell == "lstm":
        finals_c = np.stack([d_.final_c for lt in tr.layers for d_ in lt.directions])
        np.testing.assert_allclose(finals_c, c_n, atol=TOL, rtol=0)
    # the round trip back to a state_dict loads into torch unchanged
    back = layers_to_torch_state_dict(model.layers)
    assert set(back) == set(sd)
    for k in sd:
        np.testing.assert_array_equal(back[k], sd[k])


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_simple_rnn_activation_and_bias_variants(nonlinearity, bias):
    rng = np.random.default_rng(7)
    mod = torch_module("rnn", 4, 5, 2, True, 3, nonlinearity, bias)
    X = rng.normal(size=(2, 6, 4))
    out_t, h_n, _ = torch_forward(mod, X, [6, 4])
    sd = {k: v.numpy() for k, v in mod.state_dict().items()}
    model = ModelParams(layers_from_torch_state_dict(sd, "rnn", activation=nonlinearity))
    tr = run(model, X, [6, 4])
    np.testing.assert_allclose(tr.output, out_t, atol=TOL, rtol=0)
    np.testing.assert_allclose(np.stack([d.final_h for lt in tr.layers for d in lt.directions]), h_n,
                               atol=TOL, rtol=0)


def test_backward_direction_of_padded_sequence_starts_at_its_own_last_token():
    """The classic bug: reversing the padded array makes the backward RNN start on padding."""
    rng = np.random.default_rng(0)
    model = presets.random_model("gru", d=3, h_f=4, h_b=4, q=None, seed=5)
    X = rng.normal(size=(1, 5, 3))
    padded = np.concatenate([X, rng.normal(size=(1, 3, 3))], axis=1)  # 3 steps of garbage padding
    alone = run(model, X)
    in_batch = run(model, padded, lengths=[5])
    np.testing.assert_allclose(in_batch.layers[0].bwd.h[:, :5], alone.layers[0].bwd.h, atol=1e-12)
    np.testing.assert_allclose(in_batch.layers[0].bwd.final_h, alone.layers[0].bwd.h[:, 0], atol=1e-12)
    np.testing.assert_allclose(in_batch.layers[0].fwd.final_h, alone.layers[0].fwd.h[:, 4], atol=1e-12)
    assert np.all(in_batch.layers[0].bwd.h[:, 5:] == 0)
    # and a naive "reverse the whole padded array" gives something else (what the test guards against)
    naive = run(model, padded[:, ::-1])
    assert not np.allclose(naive.layers[0].fwd.h[:, ::-1][:, :5], alone.layers[0].bwd.h, atol=1e-3)


def test_different_hidden_sizes_match_two_torch_rnns():
    """h_f != h_b (d2l exercise 1): each direction equals its own unidirectional torch module."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2, 7, 3))
    lengths = np.array([7, 5])
    for cell in ("rnn", "gru", "lstm"):
        f_mod, b_mod = torch_module(cell, 3, 2, 1, False, 1), torch_module(cell, 3, 5, 1, False, 2)
        fwd = layers_from_torch_state_dict({k: v.numpy() for k, v in f_mod.state_dict().items()}, cell)[0].fwd
        bwd = layers_from_torch_state_dict({k: v.numpy() for k, v in b_mod.state_dict().items()}, cell)[0].fwd
        from birnn_core import LayerParams
        tr = run(ModelParams([LayerParams(cell, fwd, bwd)]), X, lengths)
        out_f, hn_f, _ = torch_forward(f_mod, X, lengths)
        X_rev = np.stack([np.concatenate([X[b, :L][::-1], X[b, L:]]) for b, L in enumerate(lengths)])
        out_b, hn_b, _ = torch_forward(b_mod, X_rev, lengths)
        out_b = np.stack([np.concatenate([out_b[b, :L][::-1], out_b[b, L:]]) for b, L in enumerate(lengths)])
        np.testing.assert_allclose(tr.layers[0].fwd.h, out_f, atol=TOL, rtol=0)
        np.testing.assert_allclose(tr.layers[0].bwd.h, out_b, atol=TOL, rtol=0)
        np.testing.assert_allclose(tr.layers[0].bwd.final_h, hn_b[0], atol=TOL, rtol=0)
        assert tr.output.shape == (2, 7, 7)


def test_head_softmax_matches_torch():
    rng = np.random.default_rng(2)
    model = presets.random_model("lstm", d=3, h_f=4, h_b=4, q=5, num_layers=2, seed=9)
    X = rng.normal(size=(1, 6, 3))
    tr = run(model, X)
    logits = torch.from_numpy(tr.output) @ torch.from_numpy(model.head.W).T + torch.from_numpy(model.head.b)
    np.testing.assert_allclose(tr.logits, logits.numpy(), atol=TOL)
    np.testing.assert_allclose(tr.probs, torch.softmax(logits, -1).numpy(), atol=TOL)


def test_torch_and_keras_views_of_a_layer():
    """LayerTrace.torch_outputs / keras_outputs give what the two frameworks return."""
    mod = torch_module("lstm", 3, 4, 1, True, 11)
    X = np.random.default_rng(3).normal(size=(2, 5, 3))
    out_t, h_n, c_n = torch_forward(mod, X, [5, 5])
    tr = run(ModelParams(layers_from_torch_state_dict({k: v.numpy() for k, v in mod.state_dict().items()}, "lstm")), X)
    out, hn = tr.layers[0].torch_outputs()
    np.testing.assert_allclose(out, out_t, atol=TOL)
    np.testing.assert_allclose(hn, h_n, atol=TOL)
    np.testing.assert_allclose(hn[1], out[:, 0, 4:], atol=TOL)  # h_n[1] is the backward state at t = 1
    last, h_f, c_f, h_b, c_b = tr.layers[0].keras_outputs(return_sequences=False, return_state=True)
    np.testing.assert_allclose(last, np.concatenate([h_n[0], h_n[1]], -1), atol=TOL)
    np.testing.assert_allclose(c_b, c_n[1], atol=TOL)
    assert tr.layers[0].keras_outputs().shape == (2, 5, 8)
