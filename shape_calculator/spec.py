"""The settings of a recurrent stack, in the core's vocabulary, and how shapes are written.

A :class:`RecurrentSpec` names its cell, merge mode and activation as ``birnn_core``'s registry
does ("rnn", "gru", "lstm", "gru_classic"; "concat", "sum", "mul", "ave", "none"); everything a
framework calls them (Keras' layer class and its arguments, PyTorch's module) is read from those
registry entries. Invalid settings raise :class:`birnn_core.ValidationError` saying what to change.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from birnn_core import ValidationError
from birnn_core.registry import Cell, Merge, get_activation, get_cell, get_merge, merges

FRAMEWORKS = ("Keras", "PyTorch")
TORCH_MERGE = "concat"           # PyTorch has no merge_mode: its directions are always concatenated
KERAS_MERGE = "concat"           # Keras' Bidirectional default merge_mode
DEFAULT_ACTIVATION = "tanh"      # Keras' default activation, and nn.RNN's default nonlinearity


@dataclass(frozen=True)
class RecurrentSpec:
    """Everything that decides the shapes: the input x (B, T, d) and the layer settings.

    Keras' argument names are used (units, return_sequences, ...). The same ``units``, ``cell``,
    ``activation`` and ``use_bias`` apply to every stacked layer; ``return_sequences`` and
    ``return_state`` apply to the top layer (the layers below must return sequences so that the
    next layer gets one input per time step). ``merge_mode`` is the merge entry's name (Keras'
    Bidirectional merge_mode, "none" for merge_mode=None) and applies between layers too. The
    GRU variant is the cell: "gru" is Keras' reset_after=True (PyTorch's GRU), "gru_classic"
    reset_after=False.
    """

    batch_size: int = 1
    time_steps: int = 3
    features: int = 5
    units: int = 64
    cell: str = "lstm"
    bidirectional: bool = False
    merge_mode: str = "concat"
    num_layers: int = 1
    return_sequences: bool = True
    return_state: bool = False
    use_bias: bool = True
    activation: str = DEFAULT_ACTIVATION

    @property
    def cell_entry(self) -> Cell:
        return get_cell(self.cell)

    @property
    def merge_entry(self) -> Merge:
        return get_merge(self.merge_mode)

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def gate_blocks(self) -> int:
        """G: the gate blocks stacked in every weight (SimpleRNN 1, GRU 3, LSTM 4)."""
        return self.cell_entry.n_blocks

    @property
    def state_names(self) -> tuple[str, ...]:
        """The states a layer returns, in Keras' order: h, then the cell's own (c for an LSTM)."""
        return ("h",) + tuple(key for key, _ in self.cell_entry.states)

    @property
    def torch_refusal(self) -> str:
        """Why PyTorch's built-in modules cannot give this cell ("" when they can)."""
        cell = self.cell_entry
        if cell.torch is not None:
            return ""
        return cell.torch_refusal or f"PyTorch has no built-in module for the {cell.display} cell."

    def require_torch(self):
        """The cell's PyTorch layout; ValidationError with the cell's refusal when it has none."""
        if self.torch_refusal:
            raise ValidationError(self.torch_refusal, field="cell")
        return self.cell_entry.torch

    def validate(self) -> "RecurrentSpec":
        """Raise ValidationError with an actionable message; return self when valid."""
        for name in ("batch_size", "time_steps", "features", "units", "num_layers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValidationError(f"{name} must be a whole number of at least 1, got {value!r}.", field=name)
        get_cell(self.cell)
        get_activation(self.activation)
        merge = self.merge_entry
        if self.bidirectional and not merge.single and self.num_layers > 1:
            stackable = ", ".join(m.name for m in merges() if m.single)
            raise ValidationError(
                f"Merge mode {merge.name!r} (Keras merge_mode={py(merge.keras)}) makes a Bidirectional layer "
                "return two tensors (forward and backward), but a stacked layer reads one tensor. Choose "
                f"{stackable} to stack layers, or keep {merge.name!r} with a single layer.", field="merge")
        return self


def check_framework(framework: str) -> str:
    if framework not in FRAMEWORKS:
        raise ValidationError(f"framework must be one of {', '.join(FRAMEWORKS)}, got {framework!r}.",
                              field="framework")
    return framework


@dataclass(frozen=True)
class NamedShape:
    """One returned tensor: its name, its shape and what each axis means."""

    name: str
    shape: tuple[int, ...]
    axes: str  # e.g. "(batch, time, 2·units)"
    note: str = ""


# ---------------------------------------------------------------- writing shapes, counts and values

def shape_text(shape: Sequence, code: bool = False) -> str:
    """(1, 3, 64); a 1-tuple is (256) in prose and (256,) in code."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if code and len(shape) == 1 else "") + ")"


def count_text(n: int) -> str:
    return f"{n:,}"


def none_batch(shape: Sequence[int]) -> str:
    """A Keras shape with an unknown batch, as model.summary() prints it: (None, 64)."""
    return shape_text(("None",) + tuple(shape[1:]))


def py(value) -> str:
    """A value as Python source: strings in double quotes, the rest as repr (None, True, 0.5)."""
    return f'"{value}"' if isinstance(value, str) else repr(value)
