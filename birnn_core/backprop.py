"""Backpropagation through time in both directions, keeping every gradient term.

The forward trace (engine.run) holds every intermediate value; this module runs the chain rule
backwards over it: the loss on the output layer, the head, then each layer from the top, each
direction against its own processing order (the forward chain from t = T down to 1, the backward
chain from t = 1 up to T). Each cell's per-step chain rule is its registry entry's ``backward``; a
merge's is its entry's ``grad``; a loss is its output activation's ``loss``.

Loss: L = (1 / N) sum over real steps t of l_t, N the number of real steps in the batch, with
l_t = cross-entropy (softmax; targets (B, T) class indices), binary cross-entropy summed over
outputs (sigmoid; targets (B, T, q) in [0, 1]) or squared error summed over outputs (none;
targets (B, T, q)). Padded steps (t >= lengths[b]) carry no loss and receive zero gradient.

The records are time-aligned as in the forward trace: dh[b, t] is dL/dh_t of that direction
whatever the direction's processing order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import processing_order, reorder_time, run
from .errors import ValidationError
from .params import DirectionParams, HeadParams, LayerParams, ModelParams
from .registry import BackContext, get_activation, get_cell, get_head_activation, get_merge
from .trace import DirectionTrace, JsonRecord, ModelTrace

GRAD_FORMAT = "birnn-grads/1"


@dataclass
class DirectionGrads:
    """Gradients of one direction of one layer, time-aligned (B, T, ...), zero at padding.

    dh_out (B,T,h): dL/dh_t arriving from above (merge / next layer) only; dh (B,T,h): total
    dL/dh_t (from above plus from the next step of this direction's chain); dc (B,T,h): total
    dL/dc_t (LSTM); dgates (B,T,G*h): dL/d(gate value); dpre (B,T,G*h): dL/d(pre-activation);
    dUh (B,T,G*h): dL/d(U v + b_U); dx (B,T,d): this direction's share of dL/dx_t; dh0, dc0 (B,h):
    dL/d(initial state); params: dL/dW, dL/dU, dL/db, dL/db_U summed over the batch and steps.
    """

    name: str
    cell: str
    dh_out: np.ndarray
    dh: np.ndarray
    dpre: np.ndarray
    dUh: np.ndarray
    dx: np.ndarray
    dh0: np.ndarray
    params: DirectionParams
    dgates: np.ndarray | None = None
    dc: np.ndarray | None = None
    dc0: np.ndarray | None = None


@dataclass
class LayerGrads:
    """dmerged (B,T,m): dL/dm_t (None for merge 'none'); dX (B,T,d): dL/d(layer input)."""

    merge: str
    fwd: DirectionGrads
    bwd: DirectionGrads | None
    dmerged: np.ndarray | None
    dX: np.ndarray

    @property
    def directions(self) -> list[DirectionGrads]:
        return [self.fwd] + ([self.bwd] if self.bwd is not None else [])


@dataclass
class ModelGrads(JsonRecord):
    """A whole backward pass: the loss (None when started from an output gradient), dL/dlogits
    (B,T,q), the head's gradients, every layer's (bottom first, as in the forward trace), dL/dX."""

    FORMAT = GRAD_FORMAT
    layers: list[LayerGrads]
    dX: np.ndarray
    loss: float | None = None
    losses: np.ndarray | None = None   # (B, T) per-step losses, zero at padding
    dlogits: np.ndarray | None = None
    head: HeadParams | None = None

    def params(self) -> ModelParams:
        """The gradients in the parameters' own structure (dL/dW where the model has W, ...)."""
        layers = [LayerParams(lt.fwd.cell, lt.fwd.params, lt.bwd.params if lt.bwd else None, merge=lt.merge)
                  for lt in self.layers]
        return ModelParams(layers, self.head)


ModelGrads.NESTED = {"layers": LayerGrads, "fwd": DirectionGrads, "bwd": DirectionGrads,
                     "params": DirectionParams, "head": HeadParams}


# ---------------------------------------------------------------- the loss and the head

def loss_gradient(trace: ModelTrace, targets) -> tuple[float, np.ndarray, np.ndarray]:
    """(L, per-step losses (B,T), dL/dlogits (B,T,q)) of the trace's output layer against ``targets``."""
    if trace.logits is None or trace.probs is None or trace.head_activation is None:
        raise ValidationError("The model has no output layer: give the gradient of the output instead.",
                              field="head")
    act = get_head_activation(trace.head_activation)
    mask = trace.layers[-1].fwd.mask
    targets = np.asarray(targets)
    if act.loss is None:
        raise ValidationError(f"The output activation {act.name!r} has no loss.", field="head")
    want = mask.shape if act.class_targets else trace.logits.shape
    if targets.shape != want:
        raise ValidationError(f"The targets have shape {targets.shape}: they must be {want}.", field="targets")
    if act.class_targets and np.any((targets[mask] < 0) | (targets[mask] >= trace.logits.shape[-1])):
        raise ValidationError(f"Targets must be class indices 0..{trace.logits.shape[-1] - 1}.", field="targets")
    n = int(mask.sum())
    step_losses, dlogit_rows = act.loss(trace.logits[mask], trace.probs[mask], targets[mask])
    losses = np.zeros(mask.shape)
    losses[mask] = step_losses
    dlogits = np.zeros_like(trace.logits)
    dlogits[mask] = dlogit_rows / n
    return float(step_losses.sum() / n), losses, dlogits


# ---------------------------------------------------------------- one direction

def _reorder(a: np.ndarray, idx) -> np.ndarray:
    """(B, T, ...) time-aligned -> (T, B, ...) processing order (idx: a processing_order)."""
    return np.swapaxes(reorder_time(a, idx), 0, 1)


def _unorder(a: np.ndarray, idx) -> np.ndarray:
    """(T, B, ...) processing order -> (B, T, ...) time-aligned."""
    return reorder_time(np.swapaxes(a, 0, 1), idx)


def direction_backward(tr: DirectionTrace, dh_out: np.ndarray, lengths: np.ndarray) -> DirectionGrads:
    """BPTT through one direction: dh_out (B,T,h) = dL/dh_t from above -> its DirectionGrads."""
    cell, p = get_cell(tr.cell), tr.params
    if cell.backward is None:
        raise ValidationError(f"The {cell.display} cell has no backward step.", field="cell")
    B, T, h = tr.h.shape
    Gh = cell.n_blocks * h
    idx = processing_order(lengths, T, tr.name == "backward")
    order = lambda a: _reorder(a, idx)
    rec = {"pre": order(tr.pre), "Uh": order(tr.Uh),
           "H": np.concatenate([order(tr.h_prev)[:1], order(tr.h)])}
    if tr.gates is not None:
        rec["gates"] = order(tr.gates)
    if tr.c is not None and tr.c_prev is not None and tr.tanh_c is not None:
        rec["C"] = np.concatenate([order(tr.c_prev)[:1], order(tr.c)])
        rec["tanh_c"] = order(tr.tanh_c)
    lstm = "C" in rec
    grads = {"dpre": np.empty((T, B, Gh)), "dH": np.empty((T, B, h))}
    # a folded recurrent term enters the pre-activation as it is: its gradient is dpre itself
    grads["dUh"] = grads["dpre"] if cell.fold_recurrent_bias else np.empty((T, B, Gh))
    if tr.gates is not None:
        grads["dgates"] = np.empty((T, B, Gh))
    if lstm:
        grads["dC"] = np.empty((T, B, h))
    carry = {"h": np.zeros((B, h)), "c": np.zeros((B, h))}
    ctx = BackContext(B, T, h, p.U, p.b_U, get_activation(tr.activation).derivative, rec,
                      order(dh_out * tr.mask[..., None]), grads, carry)
    step = cell.backward(ctx)
    for s in range(T - 1, -1, -1):
        step(s)
    x, h_prev = order(tr.x).reshape(T * B, -1), order(tr.h_prev).reshape(T * B, h)
    dpre_rows, dUh_rows = grads["dpre"].reshape(T * B, Gh), grads["dUh"].reshape(T * B, Gh)
    if cell.recurrent_input is None:
        dU = dUh_rows.T @ h_prev                                          # every block multiplies h_prev
    else:
        V = cell.recurrent_input(rec["gates"].reshape(T * B, Gh), h_prev)  # (T*B, G, h)
        dU = np.concatenate([dUh_rows[:, k * h:(k + 1) * h].T @ V[:, k] for k in range(cell.n_blocks)])
    params = DirectionParams(dpre_rows.T @ x, dU, dpre_rows.sum(axis=0), dUh_rows.sum(axis=0))
    back = lambda a: _unorder(a, idx)
    dpre = back(grads["dpre"])
    return DirectionGrads(
        tr.name, tr.cell, dh_out * tr.mask[..., None], back(grads["dH"]), dpre, back(grads["dUh"]),
        dpre @ p.W, carry["h"], params,
        dgates=back(grads["dgates"]) if tr.gates is not None else None,
        dc=back(grads["dC"]) if lstm else None, dc0=carry["c"] if lstm else None)


# ---------------------------------------------------------------- the whole model

def backprop(trace: ModelTrace, model: ModelParams, targets=None, d_output=None,
             d_directions: tuple | None = None) -> ModelGrads:
    """All gradients of a forward ``trace`` of ``model``: of the loss against ``targets`` through the
    output layer, or, given ``d_output`` = dL/d(last layer's output) (B,T,m) (a pair [dh_f, dh_b]
    for merge 'none'), of any loss of the recurrent layers' output, or, given ``d_directions`` =
    (dL/dh^fwd, dL/dh^bwd or None) (B,T,h), of any loss of the last layer's two chains."""
    loss = losses = dlogits = head = None
    if d_output is None and d_directions is None:
        if targets is None:
            raise ValidationError("Give the targets (to backpropagate the loss) or d_output.", field="targets")
        loss, losses, dlogits = loss_gradient(trace, targets)
        assert model.head is not None
        M = trace.layers[-1].merged
        assert M is not None, "a head reads one merged vector per step"
        head = HeadParams(np.einsum("btq,btm->qm", dlogits, M), dlogits.sum(axis=(0, 1)), model.head.activation)
        d_output = dlogits @ model.head.W
    layers: list[LayerGrads] = []
    d_up = d_output
    for lt in reversed(trace.layers):
        fwd, bwd = lt.fwd, lt.bwd
        if d_directions is not None and lt is trace.layers[-1]:
            dh_f, dh_b = d_directions
        elif bwd is None:
            dh_f, dh_b = d_up, None
        else:
            merge = get_merge(lt.merge)
            assert merge.grad is not None, f"merge {merge.name!r} has no gradient"
            dh_f, dh_b = merge.grad(d_up, fwd.h, bwd.h)
        g_f = direction_backward(fwd, dh_f, trace.lengths)
        g_b = direction_backward(bwd, dh_b, trace.lengths) if bwd is not None and dh_b is not None else None
        dX = g_f.dx + (g_b.dx if g_b is not None else 0.0)
        dmerged = d_up if lt.merged is not None and d_up is not None else None
        layers.append(LayerGrads(lt.merge, g_f, g_b, dmerged, dX))
        d_up = dX
    layers.reverse()
    return ModelGrads(layers, layers[0].dX, loss, losses, dlogits, head)


# ---------------------------------------------------------------- how far a gradient reaches

def influence(model: ModelParams, X: np.ndarray, of: str = "merged") -> np.ndarray:
    """(T, T) map of ||d q_t / d x_k|| (Frobenius norm of the Jacobian block) for one sequence X (T, d).

    ``of``: "merged" (q_t = the last layer's output m_t), "forward" or "backward" (q_t = that chain's
    h_t in the last layer). The forward chain's map is zero above the diagonal (k > t), the
    backward chain's below it. One batched backward pass: each (t, unit) is its own sequence.
    """
    X = np.asarray(X, dtype=np.float64)
    T = X.shape[0]
    top = model.layers[-1]
    chains = {"forward": top.fwd, "backward": top.bwd}
    chain = chains.get(of)
    if of == "merged":
        n = top.output_size
    elif chain is not None:
        n = chain.hidden_size
    else:
        raise ValidationError(f"No {of!r} chain to measure: choose merged, forward"
                              + (" or backward." if top.bwd is not None else "."), field="of")
    trace = run(ModelParams(model.layers), np.broadcast_to(X, (T * n, T, X.shape[1])).copy())
    seed = np.zeros((T * n, T, n))
    rows = np.arange(T * n)
    seed[rows, rows // n, rows % n] = 1.0                      # sequence (t, j) asks for d q_t[j]
    if of == "merged":
        grads = backprop(trace, model, d_output=seed)
    else:
        other = chains["backward" if of == "forward" else "forward"]
        zero = np.zeros((T * n, T, other.hidden_size)) if other is not None else None
        grads = backprop(trace, model, d_directions=(seed, zero) if of == "forward" else (zero, seed))
    return np.sqrt((grads.dX.reshape(T, n, T, -1) ** 2).sum(axis=(1, 3)))
