"""Train a unidirectional and a bidirectional network on a toy task, in NumPy, and keep the curves."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from birnn_core import ModelParams, presets, run
from birnn_core.presets import Example

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

    def advance(self, n: int = 1, every: int | None = None) -> None:
        """n Adam steps on fresh batches; evaluates every ``every`` steps and after the last one
        (``every`` None: after the last one only)."""
        for i in range(n):
            X, y = batch(self.task, self.rng, self.B, self.T)
            loss = train_step(self.model, self.opt, X, np.full(self.B, self.T), y)
            self.step += 1
            if i == n - 1 or (every and self.step % every == 0):
                self.history.append((self.step, loss, accuracy(self.model, self.eval_X, self.eval_y)))

    def predictions(self, i: int = 0) -> np.ndarray:
        """The most likely class at each position of evaluation sequence i: (T,) ints."""
        probs = run(self.model, self.eval_X[i:i + 1], check=False).probs
        assert probs is not None, "a tagging model has a head"
        return probs[0].argmax(-1)

    def example(self, i: int = 0) -> Example:
        """Evaluation sequence i and a copy of the model as a core Example: tokens named by the task,
        one-hot embeddings (T, V), so the model's W columns are the tokens' embeddings."""
        ids = self.eval_X[i].argmax(-1)
        names = self.task.token_names()
        kind = "bidirectional" if self.bidirectional else "unidirectional"
        return Example(f"trained: {self.task.name}, {kind}, step {self.step}", [names[k] for k in ids],
                       self.eval_X[i].copy(), copy.deepcopy(self.model),
                       f"Trained in the playground on '{self.task.title}' for {self.step} Adam steps.")


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
