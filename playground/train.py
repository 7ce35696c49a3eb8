"""Train a unidirectional and a bidirectional network on a toy task, in NumPy, and keep the curves."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from birnn_core import ModelParams, presets, run

from .adam import Adam, train_step
from .tasks import Task, batch


@dataclass
class Run:
    """One network learning one task: its model, optimiser, data stream and history.

    history: (step, training loss, accuracy on a fixed evaluation set) every ``every`` steps."""

    task: Task
    model: ModelParams
    opt: Adam
    rng: np.random.Generator
    B: int
    T: int
    eval_X: np.ndarray
    eval_y: np.ndarray
    step: int = 0
    history: list[tuple[int, float, float]] = field(default_factory=list)

    @property
    def bidirectional(self) -> bool:
        return self.model.layers[0].bidirectional

    def advance(self, n: int = 1, every: int = 10) -> None:
        """n Adam steps on fresh batches; evaluates every ``every`` steps (and at the last one)."""
        for _ in range(n):
            X, y = batch(self.task, self.rng, self.B, self.T)
            loss = train_step(self.model, self.opt, X, np.full(self.B, self.T), y)
            self.step += 1
            if self.step % every == 0:
                self.history.append((self.step, loss, accuracy(self.model, self.eval_X, self.eval_y)))


def accuracy(model: ModelParams, X: np.ndarray, y: np.ndarray) -> float:
    """Share of positions whose most likely class is the label; X (B, T, V), y (B, T)."""
    probs = run(model, X, check=False).probs
    assert probs is not None, "a tagging model has a head"
    return float(np.mean(probs.argmax(-1) == y))


def start(task: Task, cell: str = "gru", bidirectional: bool = True, h: int = 12, lr: float = 0.02,
          B: int = 32, T: int = 8, seed: int = 0) -> Run:
    """A fresh run: a seeded random model (PyTorch's initialisation), Adam, a seeded data stream and a
    fixed evaluation set of 256 sequences (the same for a uni and a bi run with the same seed)."""
    model = presets.random_model(cell, task.vocab, h, h if bidirectional else None, task.classes, seed=seed)
    eval_X, eval_y = batch(task, np.random.default_rng(10_000 + seed), 256, T)
    return Run(task, model, Adam(model, lr=lr), np.random.default_rng(seed), B, T, eval_X, eval_y)
