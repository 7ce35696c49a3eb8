"""Backpropagation through time against torch autograd (float64) and against finite differences."""
import itertools
import zlib

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from birnn_core import (DirectionParams, HeadParams, LayerParams, ModelParams, layers_from_torch_state_dict,
                        layers_to_torch_state_dict, presets, run)
from birnn_core.backprop import ModelGrads, backprop, loss_gradient
from playground import parameter_arrays

TORCH_CELLS = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
TOL = 1e-9


def _seed(*key) -> int:
    return zlib.crc32(repr(key).encode()) % 10_000


def _torch_output(mod, x, lengths, T):
    packed = pack_padded_sequence(x, torch.as_tensor(lengths), batch_first=True, enforce_sorted=False)
    out, _ = mod(packed)
    return pad_packed_sequence(out, batch_first=True, total_length=T)[0]


CONFIGS = list(itertools.product(["rnn", "gru", "lstm"], [1, 2, 3], [False, True], [1, 3], [False, True]))


@pytest.mark.parametrize("cell,layers,bidirectional,batch,ragged", CONFIGS)
def test_gradients_match_torch_autograd(cell, layers, bidirectional, batch, ragged):
    """L = sum(G ⊙ output) for a random G: dL/dW, dL/dU, dL/db, dL/db_U of every layer and direction,
    and dL/dX, equal torch's within 1e-9 (stacked, ragged, uni and bi)."""
    seed = _seed(cell, layers, bidirectional, batch, ragged)
    rng = np.random.default_rng(seed)
    d, h, T = int(rng.integers(1, 6)), int(rng.integers(1, 7)), int(rng.integers(1, 9))
    torch.manual_seed(seed)
    mod = TORCH_CELLS[cell](d, h, num_layers=layers, bidirectional=bidirectional, batch_first=True).double()
    X = rng.normal(size=(batch, T, d))
    lengths = rng.integers(1, T + 1, size=batch) if ragged else np.full(batch, T)
    lengths[0] = T
    D = 2 if bidirectional else 1
    G = rng.normal(size=(batch, T, D * h)) * (np.arange(T)[None, :, None] < lengths[:, None, None])

    x = torch.from_numpy(X).requires_grad_(True)
    (_torch_output(mod, x, lengths, T) * torch.from_numpy(G)).sum().backward()

    sd = {k: v.detach().numpy() for k, v in mod.state_dict().items()}
    model = ModelParams(layers_from_torch_state_dict(sd, cell, layers, bidirectional))
    tr = run(model, X, lengths)
    grads = backprop(tr, model, d_output=G)  # torch's output is [h_f; h_b]: the concat merge
    ours = layers_to_torch_state_dict(grads.params().layers)
    for name, param in mod.named_parameters():
        np.testing.assert_allclose(ours[name], param.grad.numpy(), atol=TOL, rtol=0, err_msg=name)
    np.testing.assert_allclose(grads.dX, x.grad.numpy(), atol=TOL, rtol=0)


class _TorchMerged(torch.nn.Module):
    """One bidirectional torch layer, a merge of its two halves, a dense head: the reference for
    every merge mode and output activation (torch has concat only)."""

    def __init__(self, cell, d, h, q, merge):
        super().__init__()
        self.rnn = TORCH_CELLS[cell](d, h, bidirectional=True, batch_first=True).double()
        self.h, self.merge = h, merge
        self.head = torch.nn.Linear(h if merge in ("sum", "mul", "ave") else 2 * h, q).double()

    def forward(self, x, lengths, T):
        out = _torch_output(self.rnn, x, lengths, T)
        f, b = out[..., :self.h], out[..., self.h:]
        m = {"concat": out, "sum": f + b, "mul": f * b, "ave": (f + b) / 2}[self.merge]
        return self.head(m)


def _torch_loss(logits, targets, mask, act):
    z = logits[torch.from_numpy(mask)]
    t = torch.from_numpy(targets[mask])
    if act == "softmax":
        return torch.nn.functional.cross_entropy(z, t, reduction="sum") / z.shape[0]
    if act == "sigmoid":
        return torch.nn.functional.binary_cross_entropy_with_logits(z, t, reduction="sum") / z.shape[0]
    return ((z - t) ** 2).sum() / z.shape[0]


def _targets(rng, act, B, T, q):
    if act == "softmax":
        return rng.integers(0, q, size=(B, T))
    if act == "sigmoid":
        return rng.integers(0, 2, size=(B, T, q)).astype(np.float64)
    return rng.normal(size=(B, T, q))


@pytest.mark.parametrize("cell,merge,act", list(itertools.product(
    ["rnn", "gru", "lstm"], ["concat", "sum", "mul", "ave"], ["softmax", "sigmoid", "none"])))
def test_loss_through_head_and_merge_matches_torch(cell, merge, act):
    seed = _seed(cell, merge, act)
    rng = np.random.default_rng(seed)
    B, T, d, h, q = 3, 5, 3, 4, 3
    torch.manual_seed(seed)
    ref = _TorchMerged(cell, d, h, q, merge)
    X = rng.normal(size=(B, T, d))
    lengths = np.array([5, 2, 4])
    mask = np.arange(T)[None, :] < lengths[:, None]
    targets = _targets(rng, act, B, T, q)
    x = torch.from_numpy(X).requires_grad_(True)
    loss_t = _torch_loss(ref(x, lengths, T), targets, mask, act)
    loss_t.backward()

    sd = {k[len("rnn."):]: v.detach().numpy() for k, v in ref.state_dict().items() if k.startswith("rnn.")}
    layer = layers_from_torch_state_dict(sd, cell, 1, True)[0]
    layer.merge = merge
    model = ModelParams([layer], HeadParams(ref.head.weight.detach().numpy(), ref.head.bias.detach().numpy(), act))
    tr = run(model, X, lengths)
    grads = backprop(tr, model, targets)
    assert grads.loss == pytest.approx(loss_t.item(), abs=TOL)
    ours = layers_to_torch_state_dict(grads.params().layers)
    for name, param in ref.rnn.named_parameters():
        np.testing.assert_allclose(ours[name], param.grad.numpy(), atol=TOL, rtol=0, err_msg=name)
    np.testing.assert_allclose(grads.head.W, ref.head.weight.grad.numpy(), atol=TOL, rtol=0)
    np.testing.assert_allclose(grads.head.b, ref.head.bias.grad.numpy(), atol=TOL, rtol=0)
    np.testing.assert_allclose(grads.dX, x.grad.numpy(), atol=TOL, rtol=0)


# ---------------------------------------------------------------- finite differences

def _loss(model, X, lengths, targets):
    return loss_gradient(run(model, X, lengths), targets)[0]


def _slope(a: np.ndarray, i: tuple, loss, eps: float) -> float:
    """Central difference of loss() in a[i]."""
    old = a[i]
    a[i] = old + eps
    up = loss()
    a[i] = old - eps
    down = loss()
    a[i] = old
    return (up - down) / (2 * eps)


def _check_numerically(model, X, lengths, targets, eps=1e-6, tol=1e-6):
    """Four entries of every parameter array (the head's included) and a few inputs against
    central differences; returns how many parameters were checked."""
    grads = backprop(run(model, X, lengths), model, targets)
    loss = lambda: _loss(model, X, lengths, targets)
    rng = np.random.default_rng(0)
    checked = 0
    for a, g in zip(parameter_arrays(model), parameter_arrays(grads.params())):
        for flat in rng.choice(a.size, size=min(a.size, 4), replace=False):
            i = np.unravel_index(flat, a.shape)
            assert _slope(a, i, loss, eps) == pytest.approx(g[i], abs=tol), (a.shape, i)
            checked += 1
    for j in range(min(X.size, 6)):
        i = np.unravel_index(j * 7 % X.size, X.shape)
        if i[1] < lengths[i[0]]:
            assert _slope(X, i, loss, eps) == pytest.approx(grads.dX[i], abs=tol), ("X", i)
    return checked


FD = [(cell, act, merge, layers) for cell in ["rnn", "gru", "gru_classic", "lstm"]
      for act, merge, layers in [("tanh", "concat", 2), ("relu", "sum", 1), ("sigmoid", "mul", 2),
                                 ("linear", "ave", 1)]]


@pytest.mark.parametrize("cell,activation,merge,layers", FD)
def test_gradients_match_finite_differences(cell, activation, merge, layers):
    """Every cell (the classic GRU too, which torch cannot build), every merge, stacked layers."""
    rng = np.random.default_rng(_seed(cell, activation, merge, layers))
    d, h, q, B, T = 3, 3, 2, 2, 4
    stack = []
    for l in range(layers):
        m = presets.random_model(cell, d if l == 0 else (2 * h if stack[-1].merge == "concat" else h),
                                 h, h, None, seed=int(rng.integers(1000)), merge=merge, activation=activation)
        stack.append(m.layers[0])
    m_last = 2 * h if merge == "concat" else h
    model = ModelParams(stack, HeadParams(rng.normal(size=(q, m_last)), rng.normal(size=q), "softmax"))
    for lp in model.layers:  # two biases that act apart where the cell has them
        for p in lp.directions():
            p[1].b_U[:] = rng.normal(size=p[1].b_U.shape) * 0.3
    X = rng.normal(size=(B, T, d))
    assert _check_numerically(model, X, np.array([4, 3]), rng.integers(0, q, size=(B, T))) > 0


def test_different_hidden_sizes_per_direction_and_every_loss():
    rng = np.random.default_rng(5)
    layer = LayerParams("lstm", DirectionParams(*(rng.normal(size=s) for s in [(8, 3), (8, 2), (8,), (8,)])),
                        DirectionParams(*(rng.normal(size=s) for s in [(12, 3), (12, 3), (12,), (12,)])))
    X = rng.normal(size=(2, 5, 3))
    for act in ("softmax", "sigmoid", "none"):
        model = ModelParams([layer], HeadParams(rng.normal(size=(2, 5)), rng.normal(size=2), act))
        _check_numerically(model, X, np.array([5, 2]), _targets(rng, act, 2, 5, 2))


def test_padding_gets_no_gradient_and_json_round_trip():
    ex = presets.random_example(cell="lstm", seed=3)
    X = np.stack([ex.embeddings, ex.embeddings])
    lengths = np.array([X.shape[1], 2])
    tr = run(ex.model, X, lengths)
    grads = backprop(tr, ex.model, np.zeros((2, X.shape[1]), dtype=int))
    for lt in grads.layers:
        for g in lt.directions:
            assert np.all(g.dh[1, 2:] == 0) and np.all(g.dpre[1, 2:] == 0) and np.all(g.dx[1, 2:] == 0)
    back = ModelGrads.from_json(grads.to_json())
    np.testing.assert_array_equal(back.layers[0].bwd.dc, grads.layers[0].bwd.dc)
    np.testing.assert_array_equal(back.head.W, grads.head.W)
    assert back.loss == grads.loss


def test_each_chain_carries_the_gradient_its_own_way():
    """Forward chain: dL/dh_t = (from above) + U^T dpre_{t+1}; backward chain: + U^T dpre_{t-1}."""
    ex = presets.seed_example()
    tr = run(ex.model, ex.embeddings)
    grads = backprop(tr, ex.model, np.array([[0, 1, 0]]))
    layer = ex.model.layers[0]
    f, b = grads.layers[0].fwd, grads.layers[0].bwd
    np.testing.assert_allclose(f.dh[0, 1], f.dh_out[0, 1] + f.dpre[0, 2] @ layer.fwd.U, atol=1e-15)
    np.testing.assert_allclose(b.dh[0, 1], b.dh_out[0, 1] + b.dpre[0, 0] @ layer.bwd.U, atol=1e-15)
    np.testing.assert_array_equal(f.dh[0, 2], f.dh_out[0, 2])  # the forward chain ends at t = T
    np.testing.assert_array_equal(b.dh[0, 0], b.dh_out[0, 0])  # the backward chain ends at t = 1


def test_bad_targets_are_refused_with_what_to_change():
    ex = presets.seed_example()
    tr = run(ex.model, ex.embeddings)
    from birnn_core import ValidationError
    with pytest.raises(ValidationError, match=r"must be \(1, 3\)"):
        backprop(tr, ex.model, np.zeros((1, 4), dtype=int))
    with pytest.raises(ValidationError, match="class indices"):
        backprop(tr, ex.model, np.full((1, 3), 7))


@pytest.mark.parametrize("cell", ["rnn", "gru", "gru_classic", "lstm"])
def test_influence_maps_are_the_jacobian_norms_and_respect_each_chain(cell):
    from birnn_core.backprop import influence
    rng = np.random.default_rng(2)
    model = presets.random_model(cell, 3, 2, 3, None, seed=4)
    X = rng.normal(size=(5, 3))
    fwd, bwd, merged = (influence(model, X, of) for of in ("forward", "backward", "merged"))
    assert np.all(np.triu(fwd, 1) == 0) and np.all(np.tril(bwd, -1) == 0)
    assert np.all(np.diag(fwd) > 0) and np.all(np.diag(bwd) > 0) and np.all(merged > 0)
    # against finite differences of the merged output
    eps, t, k = 1e-6, 1, 3
    J = np.zeros((5, 3))
    for j in range(3):
        up, down = X.copy(), X.copy()
        up[k, j] += eps
        down[k, j] -= eps
        J[:, j] = (run(model, up).layers[-1].merged[0, t] - run(model, down).layers[-1].merged[0, t]) / (2 * eps)
    assert merged[t, k] == pytest.approx(np.linalg.norm(J), abs=1e-6)
