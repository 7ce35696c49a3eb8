"""Toy sequence-tagging tasks where the right context decides, generated on the fly from a seed.

Every task draws token ids in [0, V) and labels each position with a class in [0, q); inputs are
one-hot vectors (d = V), so a model's W columns are the tokens' embeddings. Each task says which
context its label needs: a unidirectional network reads only x_1..x_t, so on a task that needs
the right context it can do no better than guessing what it cannot see.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Task:
    """A task: ``labels(tokens (B, T) ints) -> (B, T) class ids``, with V token ids and q classes."""

    name: str
    title: str
    context: str            # which context the label needs, in words
    vocab: int
    classes: int
    labels: Callable[[np.ndarray], np.ndarray]
    left_bound: Callable[[int, int], float]  # (V, T) -> the best accuracy reading x_1..x_t alone
    marker: int | None = None

    def token_names(self) -> list[str]:
        """A name per token id: its digit, "M" for the marker."""
        return ["M" if i == self.marker else str(i) for i in range(self.vocab)]

    def left_context_bound(self, T: int) -> float:
        """The highest expected accuracy any model that reads only x_1..x_t can reach at length T (the
        Bayes rate of guessing y_t from the left context); a bidirectional model can reach 1."""
        return self.left_bound(self.vocab, T)


def _next_parity(x: np.ndarray) -> np.ndarray:
    """label_t = x_{t+1} mod 2; the last token's label is 2 ("no next token")."""
    y = np.full_like(x, 2)
    y[:, :-1] = x[:, 1:] % 2
    return y


def _marker_later(x: np.ndarray, marker: int = 0) -> np.ndarray:
    """label_t = 1 if the marker token occurs somewhere after t."""
    is_marker = (x == marker)[:, ::-1]
    later = np.cumsum(is_marker, axis=1)[:, ::-1] - (x == marker)
    return (later > 0).astype(np.int64)


def _next_parity_bound(V: int, T: int) -> float:
    """Positions 1..T-1: the next token is unseen, guess the likelier parity (ceil(V/2) of V ids are even);
    the last label is always 2."""
    return ((T - 1) * ((V + 1) // 2) / V + 1) / T


def _marker_later_bound(V: int, T: int) -> float:
    """At t the marker occurs later with p = 1 - (1 - 1/V)^(T - t): guess the likelier answer."""
    p = 1 - (1 - 1 / V) ** (T - np.arange(1, T + 1))
    return float(np.mean(np.maximum(p, 1 - p)))


def _reverse_bound(V: int, T: int) -> float:
    """The mirror token x_(T+1-t) is seen once T + 1 - t <= t; before that it is a guess among V."""
    t = np.arange(1, T + 1)
    return float(np.mean(np.where(T + 1 - t <= t, 1.0, 1 / V)))


def _reverse(x: np.ndarray) -> np.ndarray:
    """label_t = x_{T+1-t} (the sequence reversed)."""
    return x[:, ::-1].copy()


def _previous_parity(x: np.ndarray) -> np.ndarray:
    """label_t = x_{t-1} mod 2 (2 at t = 1): left context only, the control task."""
    y = np.full_like(x, 2)
    y[:, 1:] = x[:, :-1] % 2
    return y


TASKS: dict[str, Task] = {t.name: t for t in [
    Task("next_parity", "Tag each token with the parity of the next one", "right (one step)", 6, 3, _next_parity,
         _next_parity_bound),
    Task("marker_later", "Mark tokens that a marker follows later", "right (any distance)", 5, 2,
         _marker_later, _marker_later_bound, marker=0),
    Task("reverse", "Tag position t with the token at T + 1 - t", "both (the mirror position)", 4, 4, _reverse,
         _reverse_bound),
    Task("previous_parity", "Tag each token with the parity of the previous one", "left (one step)", 6, 3,
         _previous_parity, lambda V, T: 1.0),
]}


def get_task(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"Unknown task {name!r}: choose one of {', '.join(TASKS)}.") from None


def batch(task: Task, rng: np.random.Generator, B: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """(X (B, T, V) one-hot inputs, y (B, T) labels) of B fresh sequences of length T."""
    x = rng.integers(0, task.vocab, size=(B, T))
    return np.eye(task.vocab)[x], task.labels(x)
