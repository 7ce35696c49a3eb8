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
    marker: int | None = None


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


def _reverse(x: np.ndarray) -> np.ndarray:
    """label_t = x_{T+1-t} (the sequence reversed)."""
    return x[:, ::-1].copy()


def _previous_parity(x: np.ndarray) -> np.ndarray:
    """label_t = x_{t-1} mod 2 (2 at t = 1): left context only, the control task."""
    y = np.full_like(x, 2)
    y[:, 1:] = x[:, :-1] % 2
    return y


TASKS: dict[str, Task] = {t.name: t for t in [
    Task("next_parity", "Tag each token with the parity of the next one", "right (one step)", 6, 3, _next_parity),
    Task("marker_later", "Mark tokens that a marker follows later", "right (any distance)", 5, 2,
         _marker_later, marker=0),
    Task("reverse", "Tag position t with the token at T + 1 - t", "both (the mirror position)", 4, 4, _reverse),
    Task("previous_parity", "Tag each token with the parity of the previous one", "left (one step)", 6, 3,
         _previous_parity),
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
