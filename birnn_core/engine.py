"""The step-by-step engine: runs (bi)directional layers of any registered cell keeping every term.

Speed notes (why the loop looks the way it does): the inputs are projected once for all steps
(W x_t for every t in one matmul); when both directions have the same hidden size they are
advanced together as a stack of D = 2 (one matmul per step for both); every record is
written into a preallocated (T, D, B, ...) array so each step touches contiguous memory.
"""
from __future__ import annotations

import numpy as np

from .errors import NonFiniteResultError, ValidationError
from .params import DirectionParams, LayerParams, ModelParams, validate_model
from .registry import SweepContext, get_activation, get_cell, get_head_activation, get_merge, sigmoid  # noqa: F401
from .trace import DirectionTrace, LayerTrace, ModelTrace, merge_vectors


# ---------------------------------------------------------------- one sweep over time

def _sweep(cell: str, activation: str, params: list[DirectionParams], X: np.ndarray, inits: dict) -> dict:
    """Run D directions with equal hidden size together over their own processing order.

    X (D, B, T, d) inputs already in processing order; inits: state key -> (D, B, h) initial
    values ("h", and the cell's other states such as "c").
    Returns time-major records in processing order: Wx, Uh, pre (T, D, B, G*h), H (T+1, D, B, h)
    with the initial state at index 0, and the cell's own records (gates, C, tanh_c, ...).
    The per-step arithmetic is the registered cell's ``forward``.
    """
    WT = np.stack([p.W.T for p in params])                        # (D, d, Gh)
    UT = np.stack([p.U.T for p in params])                        # (D, h, Gh)
    b = np.stack([p.b for p in params])[:, None, :]               # (D, 1, Gh)
    b_U = np.stack([p.b_U for p in params])[:, None, :]
    return sweep_stacked(cell, activation, WT, UT, b, b_U, X, inits)


def sweep_stacked(cell: str, activation: str, WT: np.ndarray, UT: np.ndarray, b: np.ndarray, b_U: np.ndarray,
                  X: np.ndarray, inits: dict) -> dict:
    """:func:`_sweep` with the D directions' weights already stacked: WT (D, d, G*h), UT (D, h, G*h),
    b and b_U (D, 1, G*h)."""
    spec = get_cell(cell)
    D, B, T, d = X.shape
    h = UT.shape[1]
    Gh = spec.n_blocks * h
    Wx = np.matmul(X.reshape(D, B * T, d), WT).reshape(D, B, T, Gh).transpose(2, 0, 1, 3).copy()
    H = np.empty((T + 1, D, B, h))
    H[0] = inits["h"]
    rec = {"Wx": Wx, "Uh": np.empty((T, D, B, Gh)), "pre": np.empty((T, D, B, Gh)), "H": H}
    for name, (extra, blocks) in spec.records.items():
        rec[name] = np.empty((T + extra, D, B, blocks * h))
    for key, name in spec.states:
        rec[name][0] = inits[key]
    base = Wx + ((b + b_U) if spec.fold_recurrent_bias else b)
    step = spec.forward(SweepContext(D, B, T, h, base, UT, b_U, get_activation(activation).fn, rec))
    for s in range(T):
        step(s)
    return rec


# ---------------------------------------------------------------- layers

def _reverse_index(lengths: np.ndarray, T: int) -> np.ndarray:
    """(B, T) index that reverses each sequence within its own length (padding stays put)."""
    t = np.arange(T)[None, :]
    L = lengths[:, None]
    return np.where(t < L, L - 1 - t, t)


REVERSED = "reversed"  # every sequence is full: the backward direction's order is time reversed


def processing_order(lengths: np.ndarray, T: int, backward: bool):
    """How a direction's processing steps map to time: None (the same: forward), REVERSED, or a
    (B, T) index reversing each sequence within its own length. Each is its own inverse."""
    if not backward:
        return None
    return REVERSED if np.all(lengths == T) else _reverse_index(lengths, T)


def reorder_time(a: np.ndarray, order) -> np.ndarray:
    """(B, T, ...) reordered along T by a :func:`processing_order` (time -> processing and back)."""
    if order is None:
        return a
    if isinstance(order, str):
        return a[:, ::-1]
    return np.take_along_axis(a, order.reshape(order.shape + (1,) * (a.ndim - 2)), axis=1)


def _initial(model: ModelParams, layer: int, direction: str, B: int, h: int, key: str = "h") -> np.ndarray:
    v = model.h0.get((layer, direction) if key == "h" else (layer, direction, key))
    if v is None:
        return np.zeros((B, h))
    v = np.asarray(v, dtype=np.float64)
    if v.shape not in ((h,), (B, h)):
        raise ValidationError(f"The initial state of layer {layer + 1} {direction} has shape {v.shape}: "
                              f"it must be ({h},) or ({B}, {h}).", field="h0")
    return np.broadcast_to(v, (B, h))


def run_layer(layer: LayerParams, X: np.ndarray, lengths: np.ndarray, model: ModelParams | None = None,
              index: int = 0) -> LayerTrace:
    """Run one (bi)directional layer on X (B, T, d) with per-sequence lengths (B,)."""
    B, T, _ = X.shape
    full = bool(np.all(lengths == T))
    orders = {"forward": None, "backward": processing_order(lengths, T, backward=True)}
    X_rev = reorder_time(X, orders["backward"])
    mask = np.arange(T)[None, :] < lengths[:, None]
    model = model or ModelParams([layer])
    spec = get_cell(layer.cell)
    dirs = layer.directions()
    groups = [dirs] if layer.bwd is not None and layer.fwd.hidden_size == layer.bwd.hidden_size \
        else [[dp] for dp in dirs]
    traces = {}
    for group in groups:
        Xs = np.stack([X if name == "forward" else X_rev for name, _ in group])
        h = group[0][1].hidden_size
        inits = {key: np.stack([_initial(model, index, name, B, h, key) for name, _ in group])
                 for key in ("h", *(k for k, _ in spec.states))}
        rec = _sweep(layer.cell, layer.activation, [p for _, p in group], Xs, inits)
        for k, (name, p) in enumerate(group):
            traces[name] = _direction_trace(layer, name, p, rec, k, X, mask, lengths, orders[name], full)
    fwd, bwd = traces["forward"], traces.get("backward")
    merged = None if (bwd is not None and not get_merge(layer.merge).single) else \
        merge_vectors(layer.merge, fwd.h, bwd.h if bwd is not None else None)
    return LayerTrace(layer.merge, fwd, bwd, merged)


def _direction_trace(layer, name, p, rec, k, X, mask, lengths, order, full) -> DirectionTrace:
    timed = lambda arr: reorder_time(np.swapaxes(arr[:, k], 0, 1), order)  # (T, D, B, ...) -> (B, T, ...)
    B = X.shape[0]
    last = (lengths, k, np.arange(B))
    out = dict(
        Wx=timed(rec["Wx"]), Uh=timed(rec["Uh"]), pre=timed(rec["pre"]),
        h_prev=timed(rec["H"][:-1]), h=timed(rec["H"][1:]),
        final_h=rec["H"][last].copy(),
    )
    if "gates" in rec:
        out["gates"] = timed(rec["gates"])
    if "C" in rec:
        out.update(c_prev=timed(rec["C"][:-1]), c=timed(rec["C"][1:]), tanh_c=timed(rec["tanh_c"]),
                   final_c=rec["C"][last].copy())
    if not full:
        out = {key: (np.where(mask.reshape(mask.shape + (1,) * (v.ndim - 2)), v, 0.0)
                     if key not in ("final_h", "final_c") else v) for key, v in out.items()}
    return DirectionTrace(name=name, cell=layer.cell, activation=layer.activation, params=p, x=X,
                          mask=mask, **out)


# ---------------------------------------------------------------- the whole model

def _as_batch(X, lengths):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 2:
        X = X[None]
    if X.ndim != 3:
        raise ValidationError(f"The inputs have shape {X.shape}: they must be (T, d) for one sequence "
                              f"or (B, T, d) for a batch.", field="X")
    B, T, _ = X.shape
    if T == 0:
        raise ValidationError("The sequence is empty: add at least one token.", field="tokens")
    if not np.all(np.isfinite(X)):
        b, t, j = (int(i) for i in np.argwhere(~np.isfinite(X))[0])
        raise ValidationError(f"The input x_{t + 1}[{j}] (sequence {b + 1}) is {X[b, t, j]}: embeddings must "
                              f"be finite numbers.", field="X")
    lengths = np.full(B, T) if lengths is None else np.asarray(lengths, dtype=np.int64).reshape(-1)
    if lengths.shape != (B,) or np.any(lengths < 1) or np.any(lengths > T):
        raise ValidationError(f"lengths must hold {B} values between 1 and T = {T} (got {lengths.tolist()}).",
                              field="lengths")
    return X, lengths


def run(model: ModelParams, X, lengths=None, tokens=None, check: bool = True) -> ModelTrace:
    """Run the whole stack and head on X (T, d) or (B, T, d); returns the full ModelTrace.

    Padded positions (t >= lengths[b]) hold zeros in every record, and the backward direction of
    sequence b starts at its own last real token, as PyTorch's packed sequences do.
    Raises ValidationError for inputs that cannot be computed, NonFiniteResultError on overflow.
    """
    X, lengths = _as_batch(X, lengths)
    validate_model(model, X.shape[2])
    layers = []
    inp = X
    with np.errstate(over="ignore", invalid="ignore"):
        for l, layer in enumerate(model.layers):
            lt = run_layer(layer, inp, lengths, model, l)
            layers.append(lt)
            inp = lt.merged
        trace = ModelTrace(X=X, lengths=lengths, layers=layers, tokens=list(tokens or []))
        if model.head is not None:
            if inp is None:
                raise ValidationError("The output layer needs one vector per step, but the last layer's "
                                      "merge is 'none': choose concat, sum, mul or ave.", field="merge")
            trace.logits, trace.probs = head_forward(model.head, inp, layers[-1].fwd.mask)
            trace.head_activation = model.head.activation
    if check:
        check_finite(trace)
    return trace


def head_forward(head, M: np.ndarray, mask: np.ndarray):
    """y_t = g(W_o m_t + b_o) for M (B,T,m) -> (logits, probs) each (B,T,q); padding rows zero."""
    logits = M @ head.W.T + head.b
    probs = get_head_activation(head.activation).fn(logits)
    logits[~mask], probs[~mask] = 0.0, 0.0
    return logits, probs


def check_finite(trace: ModelTrace) -> None:
    """Raise NonFiniteResultError naming the first step (in computing order) that overflowed."""
    for l, layer in enumerate(trace.layers):
        for d in layer.directions:
            bad = ~np.isfinite(d.h) & d.mask[..., None]
            if d.c is not None:
                bad |= ~np.isfinite(d.c) & d.mask[..., None]
            if not bad.any():
                continue
            b_bad, t_bad = np.nonzero(bad.any(axis=-1))
            pick = np.argmin(t_bad) if d.name == "forward" else np.argmax(t_bad)
            b, t = int(b_bad[pick]), int(t_bad[pick])
            big = np.nanmax(np.abs(np.where(np.isfinite(d.pre[b, t]), d.pre[b, t], np.nan))) \
                if np.isfinite(d.pre[b, t]).any() else float("inf")
            where = f"layer {l + 1}, " if len(trace.layers) > 1 else ""
            seq = f" of sequence {b + 1}" if trace.X.shape[0] > 1 else ""
            raise NonFiniteResultError(
                f"The {d.name} direction ({where}{d.activation if get_cell(d.cell).uses_activation else d.cell}) overflowed "
                f"at t = {t + 1}{seq}: its state is no longer a finite number (pre-activation magnitude "
                f"{big:.3g}). Smaller weights or a bounded activation such as tanh keep it finite.",
                direction=d.name, layer=l, t=t, trace=trace)
    if trace.logits is not None and not np.all(np.isfinite(trace.logits)):
        raise NonFiniteResultError("The output layer's logits overflowed: reduce W_o or b_o.",
                                   direction="output", layer=len(trace.layers), t=0, trace=trace)

