"""Layout converters: rows (d2l), Keras kernels (GRU gate order z,r,h), PyTorch state_dict."""
import numpy as np
import pytest
import torch

from birnn_core import (DirectionParams, LayerParams, ModelParams, ValidationError, from_keras, from_rows,
                        layers_from_torch_state_dict, layers_to_torch_state_dict, presets, run, to_keras, to_rows)


def test_rows_layout_is_the_transpose_and_computes_the_same():
    p = presets.random_model("rnn", 3, 4, None, None, seed=1).layers[0].fwd
    rows = to_rows(p)
    assert rows["W_xh"].shape == (3, 4) and rows["W_hh"].shape == (4, 4)
    X = np.random.default_rng(0).normal(size=(5, 3))
    H = np.zeros(4)
    for x in X:  # d2l: H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)
        H = np.tanh(x @ rows["W_xh"] + H @ rows["W_hh"] + rows["b_h"])
    tr = run(ModelParams([LayerParams("rnn", from_rows(**rows))]), X)
    np.testing.assert_allclose(tr.layers[0].fwd.final_h[0], H, atol=1e-12)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_keras_round_trip(cell):
    p = presets.random_model(cell, 3, 4, None, None, seed=2).layers[0].fwd
    k = to_keras(p, cell)
    assert k["kernel"].shape == (3, p.W.shape[0])
    q = from_keras(**k, cell=cell)
    np.testing.assert_allclose(q.W, p.W)
    np.testing.assert_allclose(q.U, p.U)
    if cell == "gru":
        assert k["bias"].shape == (2, 12)
        np.testing.assert_allclose(q.b, p.b)
        np.testing.assert_allclose(q.b_U, p.b_U)
    else:
        np.testing.assert_allclose(q.b + q.b_U, p.b + p.b_U)


def test_keras_gru_gate_order_is_z_r_h():
    h = 2
    W = np.concatenate([np.full((h, 3), 1.0), np.full((h, 3), 2.0), np.full((h, 3), 3.0)])  # torch r, z, n
    p = DirectionParams(W, np.zeros((3 * h, h)), np.zeros(3 * h))
    kernel = to_keras(p, "gru")["kernel"]
    assert kernel[0, :h].tolist() == [2.0, 2.0]      # Keras z first
    assert kernel[0, h:2 * h].tolist() == [1.0, 1.0]  # then r
    assert kernel[0, 2 * h:].tolist() == [3.0, 3.0]   # then h (= torch n)
    with pytest.raises(ValidationError, match="reset_after"):
        to_keras(p, "gru", reset_after=False)


def test_state_dict_from_torch_tensors_and_keys():
    torch.manual_seed(0)
    mod = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    layers = layers_from_torch_state_dict(mod.state_dict(), "lstm")  # tensors accepted, sizes inferred
    assert len(layers) == 2 and layers[1].fwd.W.shape == (16, 8)
    sd = layers_to_torch_state_dict(layers)
    assert "weight_hh_l1_reverse" in sd and "bias_ih_l0" in sd
    mod.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    with pytest.raises(ValidationError, match="cell type"):
        layers_from_torch_state_dict(mod.state_dict(), "gru")


def test_prefixed_state_dict_and_unequal_sizes_refused():
    torch.manual_seed(0)
    seq = torch.nn.Sequential()
    seq.add_module("rnn", torch.nn.GRU(2, 3, bidirectional=True))
    layers = layers_from_torch_state_dict(seq.state_dict(), "gru", prefix="rnn.")
    assert layers[0].bidirectional and layers[0].fwd.U.shape == (9, 3)
    m = presets.random_model("rnn", 2, 2, 3, None)
    with pytest.raises(ValidationError, match="one hidden size"):
        layers_to_torch_state_dict(m.layers)
