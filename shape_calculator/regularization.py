"""Keras' weight regularizers evaluated on given weights: the loss term kernel_regularizer,
recurrent_regularizer and bias_regularizer add (L1: l1·Σ|w|, L2: l2·Σw², no ½; L1L2: both).

Weights come as (name, role, array) triples, role "kernel" (W; Keras' kernel is Wᵀ), "recurrent"
(U) or "bias" (b, b_U); :func:`model_weights` reads them off a ``birnn_core`` ModelParams or a
plain mapping of W / U / b arrays. Transposing changes neither Σ|w| nor Σw², so the core's
column layout gives the penalty Keras computes on its row layout.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np

from birnn_core import ValidationError
from birnn_core.registry import get_cell

from .spec import py

REGULARIZER_KINDS = ("none", "L1", "L2", "L1L2")
ROLES = ("kernel", "recurrent", "bias")


@dataclass(frozen=True)
class Regularizer:
    """Keras' weight penalty: L1 -> l1·Σ|w|, L2 -> l2·Σw², L1L2 -> both (no ½ factor)."""

    kind: str = "none"
    l1: float = 0.0
    l2: float = 0.0

    def __post_init__(self):
        if self.kind not in REGULARIZER_KINDS:
            raise ValidationError(f"regularizer must be one of {', '.join(REGULARIZER_KINDS)}, got {self.kind!r}.",
                                  field="regularizer")
        for name in ("l1", "l2"):
            v = getattr(self, name)
            if not isinstance(v, (int, float, np.number)) or not np.isfinite(v) or v < 0:
                raise ValidationError(f"{name} must be a finite number ≥ 0, got {v!r}.", field=name)

    @property
    def uses_l1(self) -> bool:
        return self.kind in ("L1", "L1L2")

    @property
    def uses_l2(self) -> bool:
        return self.kind in ("L2", "L1L2")

    def penalty(self, w) -> float:
        w = np.asarray(w, dtype=np.float64)
        return ((self.l1 * float(np.abs(w).sum()) if self.uses_l1 else 0.0)
                + (self.l2 * float(np.square(w).sum()) if self.uses_l2 else 0.0))

    def keras_expr(self) -> str:
        """The Keras argument value, e.g. ``regularizers.L1L2(l1=0.01, l2=0.001)``."""
        if self.kind == "none":
            return "None"
        if self.kind == "L1L2":
            return f"regularizers.L1L2(l1={self.l1:g}, l2={self.l2:g})"
        return f"regularizers.{self.kind}({self.l1 if self.uses_l1 else self.l2:g})"

    def formula(self) -> str:
        return " + ".join([t for t, used in (("l1·Σ|w|", self.uses_l1), ("l2·Σw²", self.uses_l2)) if used]) or "0"


@dataclass(frozen=True)
class PenaltyTerm:
    """The penalty on one weight array: its role (kernel / recurrent / bias) and arithmetic."""

    name: str
    role: str
    shape: tuple[int, ...]
    abs_sum: float  # Σ|w|
    square_sum: float  # Σw²
    penalty: float
    arithmetic: str


@dataclass(frozen=True)
class RegularizationReport:
    terms: tuple[PenaltyTerm, ...]
    by_role: Mapping[str, float]
    total: float


def regularization_penalty(weights: Iterable[tuple[str, str, Any]], kernel: Regularizer = Regularizer(),
                           recurrent: Regularizer = Regularizer(),
                           bias: Regularizer = Regularizer()) -> RegularizationReport:
    """The loss term Keras adds for kernel_/recurrent_/bias_regularizer, on given weights."""
    regs = {"kernel": kernel, "recurrent": recurrent, "bias": bias}
    terms = []
    for name, role, array in weights:
        if role not in regs:
            raise ValidationError(f"role of {name} must be one of {', '.join(ROLES)}, got {role!r}.", field="role")
        w = _array(name, array)
        if not np.all(np.isfinite(w)):
            raise ValidationError(f"{name} holds a non-finite value (inf or nan): the penalty is not defined. "
                                  "Fix the weights first.", field=name)
        reg = regs[role]
        a, s = float(np.abs(w).sum()), float(np.square(w).sum())
        parts = ([f"{reg.l1:g} × {a:.4g}"] if reg.uses_l1 else []) + ([f"{reg.l2:g} × {s:.4g}"] if reg.uses_l2 else [])
        value = reg.penalty(w)
        arithmetic = (" + ".join(parts) + f" = {value:.6g}") if parts else "no regularizer"
        terms.append(PenaltyTerm(name, role, tuple(w.shape), a, s, value, arithmetic))
    by_role = {r: sum(t.penalty for t in terms if t.role == r) for r in ROLES}
    return RegularizationReport(tuple(terms), by_role, sum(by_role.values()))


def _array(name: str, value) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} is not an array of numbers ({type(value).__name__}).", field=name) from None


def model_weights(model: Any) -> list[tuple[str, str, np.ndarray]]:
    """(name, role, array) for every weight of a model, ready for :func:`regularization_penalty`.

    Accepts a ``birnn_core`` ModelParams (anything with ``.layers``, each with ``.fwd`` and an
    optional ``.bwd`` holding W, U, b and optionally b_U), or a plain mapping such as
    {"W_f": ..., "U_f": ..., "b_f": ..., "W_b": ...}: names starting with W are kernels,
    with U recurrent kernels, with b biases. Anything else: ValidationError.
    """
    out: list[tuple[str, str, np.ndarray]] = []
    if isinstance(model, Mapping):
        for name, array in model.items():
            role = {"W": "kernel", "U": "recurrent", "b": "bias"}.get(str(name)[:1])
            if role is None:
                raise ValidationError(f"cannot tell whether {name!r} is a kernel (W…), a recurrent kernel (U…) "
                                      "or a bias (b…).", field="model")
            out.append((str(name), role, _array(str(name), array)))
        return out
    layers = getattr(model, "layers", None)
    if not isinstance(layers, (list, tuple)):
        raise ValidationError("the model has no layers: expected a ModelParams or a mapping of W / U / b arrays.",
                              field="model")
    many = len(layers) > 1
    for i, layer in enumerate(layers):
        for tag, direction in (("f", getattr(layer, "fwd", None)), ("b", getattr(layer, "bwd", None))):
            if direction is None:
                continue
            prefix = f"layer {i + 1} " if many else ""
            for attr, role in (("W", "kernel"), ("U", "recurrent"), ("b", "bias"), ("b_U", "bias")):
                array = getattr(direction, attr, None)
                if array is None:
                    continue
                array = _array(f"{prefix}{attr}_{tag}", array)
                if attr == "b_U" and not np.any(array):
                    continue  # a single-bias model keeps b_U at zero: nothing to penalise
                out.append((f"{prefix}{attr}_{tag}", role, array))
    return out


def model_cell(model: Any) -> str:
    """The registry name of the model's first layer's cell ("rnn" for a plain mapping of weights)."""
    layers = getattr(model, "layers", None)
    return getattr(layers[0], "cell", "rnn") if isinstance(layers, (list, tuple)) and layers else "rnn"


def regularizer_code(cell: str = "rnn", kernel: Regularizer = Regularizer(), recurrent: Regularizer = Regularizer(),
                     bias: Regularizer = Regularizer()) -> str:
    """The Keras layer of ``cell`` with these regularizers, one argument per line."""
    keras = get_cell(cell).keras
    head = f"layers.{keras.layer}("
    args = (["units"] + [f"{k}={py(v)}" for k, v in keras.config.items()]
            + [f"{role}_regularizer={reg.keras_expr()}"
               for role, reg in (("kernel", kernel), ("recurrent", recurrent), ("bias", bias))])
    return "from keras import layers, regularizers\n\n" + head + (",\n" + " " * len(head)).join(args) + ")"
