"""A parameter scan: the whole model run for K values of one number, as one batch.

Row k of the returned ModelTrace's batch axis is the model (or input) with the chosen number set
to values[k]; everything else is unchanged. A scrub control in the browser then only picks a
precomputed row, so NumPy stays the only engine.

How it stays one batched computation: layers below the changed number run once (B = 1) and are
broadcast; the changed direction runs its K weight variants as K stacked "directions" of the
engine's sweep (one matmul per step for all of them); every layer above reads K different inputs
as an ordinary batch of K sequences.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from .engine import REVERSED, _direction_trace, _initial, head_forward, run, run_layer, sweep_stacked
from .errors import ValidationError
from .params import DirectionParams, ModelParams, validate_model
from .registry import get_cell, get_head_activation, get_merge
from .trace import DirectionTrace, LayerTrace, ModelTrace, merge_vectors

DIRECTION_ARRAYS = ("W", "U", "b", "b_U")


@dataclass(frozen=True)
class Number:
    """Where one number lives.

    array: "x" (an embedding; index (t, j)), "W", "U", "b", "b_U" (of ``layer``'s ``directions``;
    index (i, j) or (i,)), "head_W" (index (k, j)) or "head_b" (index (k,)).
    directions: the directions that hold it; both when the backward weights are tied to the forward ones.
    """

    array: str
    index: tuple
    layer: int = 0
    directions: tuple[str, ...] = ("forward",)


def scan_values(centre: float, half_width: float, n: int) -> np.ndarray:
    """n (odd) evenly spaced values from centre - half_width to centre + half_width; the middle one is
    ``centre`` exactly."""
    values = centre + np.linspace(-half_width, half_width, n)
    values[n // 2] = centre
    return values


def scan(model: ModelParams, X, number: Number, values, indices=None) -> ModelTrace:
    """Run ``model`` on one sequence X (T, d) once per value of ``number``; returns a ModelTrace whose
    batch holds K = len(values) rows, row k computed with the number set to values[k].

    ``indices`` (K index tuples, optional) scans several numbers of the same array in one batch:
    row k then sets the number at indices[k] (instead of number.index) to values[k].
    Non-finite states are kept (no NonFiniteResultError): a scan may leave the finite range at one end."""
    X = np.asarray(X, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    K = len(values)
    rows = np.array([tuple(number.index)] * K if indices is None else [tuple(i) for i in indices],
                    dtype=np.int64).reshape(K, -1)   # (K, index length)
    validate_model(model, X.shape[-1])
    if number.array == "x":
        Xk = np.repeat(X[None], K, axis=0)
        Xk[(np.arange(K),) + tuple(rows.T)] = values
        return run(model, Xk, check=False)
    T = X.shape[0]
    layers: list[LayerTrace] = []
    inp = X[None]
    with np.errstate(over="ignore", invalid="ignore"):
        for l, layer in enumerate(model.layers):
            if l == number.layer and number.array in DIRECTION_ARRAYS:
                lt = _varied_layer(model, l, inp, number, values, rows)
            else:
                lt = run_layer(layer, inp, np.full(len(inp), T), model, l)
            layers.append(lt)
            inp = lt.merged
        layers = [_tiled_layer(lt, K) for lt in layers]
        trace = ModelTrace(X=np.broadcast_to(X, (K,) + X.shape), lengths=np.full(K, T), layers=layers)
        if model.head is not None:
            if inp is None:
                raise ValidationError("The output layer needs one vector per step, but the last layer's "
                                      "merge is 'none': choose concat, sum, mul or ave.", field="merge")
            M = np.broadcast_to(inp, (K,) + inp.shape[1:])
            trace.logits, trace.probs = _scanned_head(model, M, layers[-1].fwd.mask, number, values, rows)
            trace.head_activation = model.head.activation
    return trace


def _varied_layer(model: ModelParams, l: int, X: np.ndarray, number: Number, values: np.ndarray,
                  rows: np.ndarray) -> LayerTrace:
    """Layer l on X (1, T, d) with ``number`` set to each of the K values: (B = K) directions that hold
    the number, (B = 1) the others."""
    layer = model.layers[l]
    base = run_layer(layer, X, np.full(1, X.shape[1]), model, l)
    traces = {d.name: d for d in base.directions}
    for name, p in layer.directions():
        if name in number.directions:
            traces[name] = _varied_direction(model, l, name, p, X[0], number, values, rows)
    K = len(values)
    fwd = _tiled(traces["forward"], K)
    bwd = _tiled(traces["backward"], K) if "backward" in traces else None
    merged = None if (bwd is not None and not get_merge(layer.merge).single) else \
        merge_vectors(layer.merge, fwd.h, bwd.h if bwd is not None else None)
    return LayerTrace(layer.merge, fwd, bwd, merged)


def _varied_direction(model: ModelParams, l: int, name: str, p: DirectionParams, X: np.ndarray,
                      number: Number, values: np.ndarray, rows: np.ndarray) -> DirectionTrace:
    """One direction run K times, its K weight variants stacked as the sweep's D axis (B = 1)."""
    layer = model.layers[l]
    K, T = len(values), X.shape[0]
    order = REVERSED if name == "backward" else None
    Xs = np.broadcast_to(X[::-1] if order else X, (K, 1) + X.shape)
    keys = ("h", *(k for k, _ in get_cell(layer.cell).states))
    inits = {key: np.broadcast_to(_initial(model, l, name, 1, p.hidden_size, key), (K, 1, p.hidden_size))
             for key in keys}
    stacked = {a: np.repeat(getattr(p, a).T[None] if a in ("W", "U") else getattr(p, a)[None, None], K, axis=0)
               for a in DIRECTION_ARRAYS}   # W, U as (K, in, G*h) (transposed); b, b_U as (K, 1, G*h)
    i = np.arange(K)
    if number.array in ("W", "U"):
        stacked[number.array][i, rows[:, 1], rows[:, 0]] = values
    else:
        stacked[number.array][i, 0, rows[:, 0]] = values
    rec = sweep_stacked(layer.cell, layer.activation, stacked["W"], stacked["U"], stacked["b"], stacked["b_U"], Xs, inits)
    rec = {key: np.swapaxes(a, 1, 2) for key, a in rec.items()}  # (T, K, 1, ...) -> (T, 1, K, ...): K as batch
    Xk = np.broadcast_to(X, (K,) + X.shape)
    mask = np.ones((K, T), dtype=bool)
    return _direction_trace(layer, name, p, rec, 0, Xk, mask, np.full(K, T), order, True)


def _scanned_head(model: ModelParams, M: np.ndarray, mask: np.ndarray, number: Number, values: np.ndarray,
                  rows: np.ndarray):
    """The output layer on M (K, T, m), with W_o or b_o scanned when the number is one of them."""
    head = model.head
    assert head is not None
    if number.array not in ("head_W", "head_b"):
        return head_forward(head, np.array(M), mask)
    K = len(values)
    W = np.broadcast_to(head.W, (K,) + head.W.shape).copy()
    b = np.broadcast_to(head.b, (K,) + head.b.shape).copy()
    if number.array == "head_W":
        W[np.arange(K), rows[:, 0], rows[:, 1]] = values
    else:
        b[np.arange(K), rows[:, 0]] = values
    logits = np.einsum("ktm,kqm->ktq", M, W) + b[:, None, :]
    probs = get_head_activation(head.activation).fn(logits)
    return logits, probs


def _tiled(d: DirectionTrace, K: int) -> DirectionTrace:
    """``d`` with every batch-first array broadcast from B = 1 to B = K (read-only views)."""
    if d.h.shape[0] == K:
        return d
    changes: dict[str, Any] = {}
    for f in fields(d):
        a = getattr(d, f.name)
        if isinstance(a, np.ndarray) and a.ndim >= 1 and a.shape[0] == 1:
            changes[f.name] = np.broadcast_to(a, (K,) + a.shape[1:])
    return replace(d, **changes)


def _tiled_layer(lt: LayerTrace, K: int) -> LayerTrace:
    merged = lt.merged if lt.merged is None or lt.merged.shape[0] == K else \
        np.broadcast_to(lt.merged, (K,) + lt.merged.shape[1:])
    return LayerTrace(lt.merge, _tiled(lt.fwd, K), _tiled(lt.bwd, K) if lt.bwd is not None else None, merged)
