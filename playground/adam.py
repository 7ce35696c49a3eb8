"""Adam (Kingma & Ba, 2015) over a ModelParams, and one mini-batch training step.

The update is PyTorch's torch.optim.Adam with default betas and eps, so a NumPy run and a torch
run from the same weights on the same batches stay together (tests/core/test_playground.py).
"""
from __future__ import annotations

import numpy as np

from birnn_core import ModelParams, run
from birnn_core.backprop import backprop


def parameter_arrays(model: ModelParams) -> list[np.ndarray]:
    """Every trainable array of ``model`` in a fixed order: per layer and direction W, U, b, b_U, then W_o, b_o."""
    arrays = [getattr(p, k) for layer in model.layers for _, p in layer.directions() for k in ("W", "U", "b", "b_U")]
    if model.head is not None:
        arrays += [model.head.W, model.head.b]
    return arrays


class Adam:
    """m_t = b1 m + (1 - b1) g; v_t = b2 v + (1 - b2) g²; w -= lr m̂ / (sqrt(v̂) + eps), in place."""

    def __init__(self, model: ModelParams, lr: float = 1e-2, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8):
        self.model, self.lr, self.betas, self.eps = model, lr, betas, eps
        self.m = [np.zeros_like(a) for a in parameter_arrays(model)]
        self.v = [np.zeros_like(a) for a in parameter_arrays(model)]
        self.t = 0

    def step(self, grads: ModelParams) -> None:
        b1, b2 = self.betas
        self.t += 1
        for w, g, m, v in zip(parameter_arrays(self.model), parameter_arrays(grads), self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            m_hat = m / (1 - b1 ** self.t)
            v_hat = v / (1 - b2 ** self.t)
            w -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def train_step(model: ModelParams, opt: Adam, X: np.ndarray, lengths: np.ndarray, targets: np.ndarray) -> float:
    """Forward, backward and one Adam update on a batch X (B, T, d); returns the batch's loss."""
    trace = run(model, X, lengths, check=False)
    grads = backprop(trace, model, targets)
    opt.step(grads.params())
    assert grads.loss is not None
    return grads.loss
