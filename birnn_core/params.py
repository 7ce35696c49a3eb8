"""Parameters of a (bi)directional recurrent network, in one canonical layout.

Canonical layout: column vectors, as the seed's worked example and PyTorch write it,

    h_t = phi(W x_t + b + U h_{t-1} + b_U)      W: (G*h, d), U: (G*h, h), b, b_U: (G*h,)

where G is the number of gate blocks stacked row-wise in PyTorch's order:
SimpleRNN G=1; GRU and classic GRU G=3 (r, z, n); LSTM G=4 (i, f, g, o). Each cell's gates,
step and layouts are its entry in registry.py; GATES, CELL_NAMES, ... are views of the registries.
``b`` is PyTorch's ``bias_ih`` and ``b_U`` its ``bias_hh``; a single-bias model (the seed,
Keras) keeps ``b_U`` at zero.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import ArrayLike

from .errors import ValidationError
from .registry import (ACTIVATIONS, CELL_NAMES, GATES, HEAD_ACTIVATIONS, MERGE_MODES,  # noqa: F401 (views)
                       get_activation, get_cell, get_head_activation, get_merge, n_blocks)


@dataclass(init=False)
class DirectionParams:
    """One direction's weights. W (G*h, d), U (G*h, h), b (G*h,), b_U (G*h,) (zeros when not given)."""

    W: np.ndarray
    U: np.ndarray
    b: np.ndarray
    b_U: np.ndarray

    def __init__(self, W: ArrayLike, U: ArrayLike, b: ArrayLike, b_U: ArrayLike | None = None):
        self.W = np.asarray(W, dtype=np.float64)
        self.U = np.asarray(U, dtype=np.float64)
        self.b = np.asarray(b, dtype=np.float64)
        self.b_U = np.zeros_like(self.b) if b_U is None else np.asarray(b_U, dtype=np.float64)

    @property
    def hidden_size(self) -> int:
        return self.U.shape[1] if self.U.ndim == 2 else 0

    @property
    def input_size(self) -> int:
        return self.W.shape[1] if self.W.ndim == 2 else 0

    def copy(self) -> "DirectionParams":
        return DirectionParams(self.W.copy(), self.U.copy(), self.b.copy(), self.b_U.copy())


@dataclass
class LayerParams:
    """One recurrent layer: a forward direction and, if bidirectional, a backward one.

    ``merge`` combines h_t^fwd and h_t^bwd: concat -> (h_f + h_b,), sum / mul / ave -> (h,)
    (needs h_f == h_b), none -> both kept apart (only allowed on the last layer).
    """

    cell: str
    fwd: DirectionParams
    bwd: DirectionParams | None = None
    activation: str = "tanh"
    merge: str = "concat"

    @property
    def bidirectional(self) -> bool:
        return self.bwd is not None

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return (self.fwd.hidden_size,) + ((self.bwd.hidden_size,) if self.bwd else ())

    @property
    def output_size(self) -> int:
        """Size m of the merged vector this layer hands on."""
        if not self.bidirectional:
            return self.fwd.hidden_size
        return get_merge(self.merge).size(*self.hidden_sizes)

    def directions(self) -> list[tuple[str, DirectionParams]]:
        return [("forward", self.fwd)] + ([("backward", self.bwd)] if self.bwd else [])


@dataclass(init=False)
class HeadParams:
    """Dense output layer applied at every step: y_t = g(W_o m_t + b_o). W (q, m), b (q,)."""

    W: np.ndarray
    b: np.ndarray
    activation: str

    def __init__(self, W: ArrayLike, b: ArrayLike, activation: str = "softmax"):
        self.W = np.asarray(W, dtype=np.float64)
        self.b = np.asarray(b, dtype=np.float64)
        self.activation = activation


@dataclass
class ModelParams:
    """A stack of recurrent layers (layer l+1 reads layer l's merged outputs) and an optional head."""

    layers: list[LayerParams]
    head: HeadParams | None = None
    h0: dict = field(default_factory=dict)  # optional {(layer, "forward"|"backward"): (h,) or (B,h)}

    @property
    def input_size(self) -> int:
        return self.layers[0].fwd.input_size

    def copy(self) -> "ModelParams":
        layers = [replace(l, fwd=l.fwd.copy(), bwd=l.bwd.copy() if l.bwd else None) for l in self.layers]
        head = HeadParams(self.head.W.copy(), self.head.b.copy(), self.head.activation) if self.head else None
        return ModelParams(layers, head, dict(self.h0))


# ---------------------------------------------------------------- validation

def matrix_name(symbol: str, direction: str, layer: int, n_layers: int) -> str:
    """'W_f', 'U_b', or 'layer 2 W_f' when there are several layers."""
    name = f"{symbol}_{direction[0]}"
    return name if n_layers == 1 else f"layer {layer + 1} {name}"


def _check_finite(name: str, a: np.ndarray) -> None:
    if not np.all(np.isfinite(a)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        where = f"[{', '.join(map(str, bad))}]" if bad else ""
        raise ValidationError(f"{name}{where} is {a[bad] if bad else a}: every value must be a finite number "
                              f"(replace NaN or inf with a number).", field=name)


def _check_shape(name: str, a: np.ndarray, want: tuple, why: str, expr: str = "") -> None:
    if a.shape != want:
        raise ValidationError(f"{name} has shape {a.shape} but {why}, so {name} must be "
                              f"{expr + ' = ' if expr else ''}{want}.", field=name)


def validate_direction(p: DirectionParams, cell: str, d: int, name: dict, what: str) -> None:
    """Check one direction's shapes against the input size d; ``name`` maps symbol -> display name."""
    spec = get_cell(cell)
    G, gates = spec.n_blocks, spec.gates
    h = p.U.shape[1] if p.U.ndim == 2 else (p.U.shape[0] if p.U.ndim == 1 else 0)
    hsym = f"h_{what[0]}"
    block = f"{G}·{hsym}" if G > 1 else hsym
    stacked = f" for a {spec.display} ({', '.join(gates)} blocks stacked)" if G > 1 else ""
    if h < 1:
        raise ValidationError(f"{name['U']} has shape {p.U.shape}: it must be a ({block}, {hsym}) matrix "
                              f"with {hsym} ≥ 1{stacked}.", field=name["U"])
    _check_shape(name["U"], p.U, (G * h, h), f"the {what} hidden size is {hsym} = {h}{stacked}",
                 f"({block}, {hsym})")
    _check_shape(name["W"], p.W, (G * h, d), f"the inputs have d = {d} and {hsym} = {h}{stacked}",
                 f"({block}, d)")
    _check_shape(name["b"], p.b, (G * h,), f"{hsym} = {h}{stacked}", f"({block},)")
    _check_shape(name["b_U"], p.b_U, (G * h,), f"{hsym} = {h}{stacked}", f"({block},)")
    for key in ("W", "U", "b", "b_U"):
        _check_finite(name[key], getattr(p, key))


def validate_model(model: ModelParams, d: int | None = None) -> None:
    """Raise ValidationError with an actionable message if ``model`` cannot run on inputs of size d."""
    if not model.layers:
        raise ValidationError("The model has no recurrent layer: add at least one.", field="layers")
    d = model.input_size if d is None else d
    L = len(model.layers)
    for l, layer in enumerate(model.layers):
        get_cell(layer.cell)
        get_activation(layer.activation)
        merge = get_merge(layer.merge)
        for direction, p in layer.directions():
            names = {s: matrix_name(s, direction, l, L) for s in ("W", "U", "b")}
            names["b_U"] = f"{names['b']} (recurrent bias)"
            validate_direction(p, layer.cell, d, names, direction)
        if layer.bidirectional and merge.elementwise:
            h_f, h_b = layer.hidden_sizes
            if h_f != h_b:
                raise ValidationError(
                    f"Merge '{layer.merge}' adds up h_t^fwd and h_t^bwd element by element, so it needs "
                    f"h_f = h_b, but h_f = {h_f} and h_b = {h_b}: make the sizes equal or use 'concat'.",
                    field="merge")
        if not merge.single and layer.bidirectional and l < L - 1:
            raise ValidationError(f"Layer {l + 1} uses merge 'none' (both directions returned apart), so "
                                  f"layer {l + 2} has no single input: use concat, sum, mul or ave below "
                                  f"the last layer.", field="merge")
        d = layer.output_size
    if model.head is not None:
        head = model.head
        get_head_activation(head.activation)
        if head.W.ndim != 2 or head.W.shape[0] < 1:
            raise ValidationError(f"W_o has shape {head.W.shape}: it must be (q, m) with q ≥ 1 classes.",
                                  field="W_o")
        q = head.W.shape[0]
        why = f"the merged vector has m = {d}" + (" (h_f + h_b, concatenated)"
                                                  if model.layers[-1].bidirectional and not get_merge(model.layers[-1].merge).elementwise else "")
        _check_shape("W_o", head.W, (q, d), why, "(q, m)")
        _check_shape("b_o", head.b, (q,), f"W_o has q = {q} rows (classes)", "(q,)")
        _check_finite("W_o", head.W)
        _check_finite("b_o", head.b)
