"""The Train page's state and words (pure: no Streamlit): two networks, one unidirectional and one
bidirectional, learning the same toy task from the same seed, stepped together.

The arithmetic is the playground package's (core BPTT + Adam); this module holds the settings a
person picks, the pair of runs, and the texts the page prints about them.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

import numpy as np

from app.workspace import Workspace
from birnn_core import get_cell
from birnn_core.registry import cells
from playground import TASKS, Run, get_task, start

NETWORKS = {"uni": "unidirectional", "bi": "bidirectional"}
LEARNING_RATES = (0.001, 0.003, 0.01, 0.02, 0.05, 0.1)
STEPS_PER_UPDATE = (1, 2, 5, 10, 20)
HIDDEN = (2, 16)       # the hidden size slider's range (the workspace holds h <= 16)
T, B = 8, 32           # sequence length and mini-batch size of every task
SAMPLE = 0             # the evaluation sequence written out under the curves
MAX_STEPS = 5_000      # Play stops here: the curves hold at most MAX_STEPS / steps_per_update points
# Play redraws at most MAX_FPS times a second (the loop waits out the rest of 1 / MAX_FPS s after a quick
# update). Streamlit has no back-pressure: a server that sends updates faster than the browser draws
# them leaves the browser seconds behind, and a click (Pause) then takes seconds to arrive. With the
# cap at 20, headless Chromium on this 2-core machine drew about 17.6 updates a second and fell behind
# under test load; 12 leaves it room (bench/bench_train_page.py measures the capped page).
MAX_FPS = 12


@dataclass(frozen=True)
class Settings:
    """What a person picks. A new task, cell, hidden size or seed starts both networks afresh; a new
    learning rate carries on from the current weights."""

    task: str = "next_parity"
    cell: str = "gru"
    h: int = 12
    lr: float = 0.02
    seed: int = 0
    steps_per_update: int = 5

    def check(self) -> None:
        """Raises ValueError naming what to change."""
        get_task(self.task)
        get_cell(self.cell)
        if not HIDDEN[0] <= self.h <= HIDDEN[1]:
            raise ValueError(f"The hidden size must be between {HIDDEN[0]} and {HIDDEN[1]} (got {self.h}).")
        if self.lr not in LEARNING_RATES or self.steps_per_update not in STEPS_PER_UPDATE:
            raise ValueError("Choose a learning rate and steps per update from the lists.")

    def restarts(self, other: "Settings") -> bool:
        """Whether going from self to ``other`` needs new networks (anything but lr and the update size)."""
        return (self.task, self.cell, self.h, self.seed) != (other.task, other.cell, other.h, other.seed)


@dataclass
class Playground:
    """The uni and the bi run on one task, with the same seed, and whether Play is on."""

    settings: Settings
    runs: dict[str, Run] = field(default_factory=dict)
    playing: bool = False
    # Streamlit can start a session's next run on a new thread before the old run has stopped (the old
    # one stops at its next Streamlit call): the lock keeps the two from interleaving updates.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def fresh(cls, settings: Settings) -> "Playground":
        settings.check()
        task = get_task(settings.task)
        runs = {net: start(task, settings.cell, net == "bi", settings.h, settings.lr, B, T, settings.seed)
                for net in NETWORKS}
        return cls(settings, runs)

    def configure(self, settings: Settings) -> "Playground":
        """The playground under new settings (paused): fresh networks, or these with the new learning rate."""
        settings.check()
        if self.settings.restarts(settings):
            return Playground.fresh(settings)
        for r in self.runs.values():
            r.opt.lr = settings.lr
        return replace(self, settings=settings, playing=False)  # the same runs and lock

    def update(self) -> None:
        """One update of the page: ``steps_per_update`` Adam steps of each network, then one evaluation."""
        with self.lock:
            for r in self.runs.values():
                r.advance(self.settings.steps_per_update)

    @property
    def step(self) -> int:
        return self.runs["bi"].step

    @property
    def task(self):
        return get_task(self.settings.task)


def cell_names() -> list[str]:
    return [c.name for c in cells()]


def bound_text(pg: Playground) -> str:
    """What each network can reach on this task, in words (plain text)."""
    task = pg.task
    left = task.left_context_bound(T)
    return (f"{task.title}. The label needs the {task.context} context. Reading left to right, the best any "
            f"model can do is {left:.1%} (the dashed line); reading both ways, 100%.")


def status_text(pg: Playground) -> str:
    """'Step 120 · unidirectional: loss 0.652, accuracy 56.3% · bidirectional: ...' (plain text)."""
    parts = [f"Step {pg.step}"]
    for net, run in pg.runs.items():
        if run.history:
            _, loss, acc = run.history[-1]
            parts.append(f"{NETWORKS[net]}: loss {loss:.3f}, accuracy {acc:.1%}")
        else:
            parts.append(f"{NETWORKS[net]}: not trained yet")
    return " · ".join(parts)


def sample_lines(pg: Playground, i: int = SAMPLE) -> list[str]:
    """Evaluation sequence i written out: its tokens, the labels, and each network's guesses, aligned."""
    run = pg.runs["bi"]
    names = pg.task.token_names()
    rows = {"token": [names[k] for k in run.eval_X[i].argmax(-1)], "label": list(map(str, run.eval_y[i]))}
    right = {}
    for net, r in pg.runs.items():
        guess = r.predictions(i)
        rows[NETWORKS[net]] = [str(g) for g in guess]
        right[NETWORKS[net]] = int(np.sum(guess == r.eval_y[i]))
    width = max(map(len, rows))
    return [f"{name:<{width}}  " + " ".join(f"{v:>2}" for v in values)
            + (f"   {right[name]}/{len(values)} right" if name in right else "")
            for name, values in rows.items()]


def workspace_of(pg: Playground, net: str, i: int = SAMPLE) -> Workspace:
    """A copy of network ``net`` on evaluation sequence i, as the shared workspace (one-hot embeddings)."""
    ws = Workspace.from_example(pg.runs[net].example(i))
    ws.check_sizes()
    return ws


__all__ = ["NETWORKS", "LEARNING_RATES", "STEPS_PER_UPDATE", "HIDDEN", "T", "B", "MAX_STEPS", "MAX_FPS", "Settings", "Playground",
           "TASKS", "bound_text", "cell_names", "status_text", "sample_lines", "workspace_of"]
