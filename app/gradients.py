"""What the Gradients page shows, computed from the core (pure: NumPy and birnn_core, no Streamlit).

- ``influence_maps``: ||d q_t / d x_k|| (T x T) of the model's merged output and of each chain, and of
  the unidirectional model (its forward direction alone).
- ``scale_U`` / ``spectral_radii``: the model with every U multiplied by a factor, and the spectral
  radius of each h x h block of U (numpy.linalg.eigvals).
- ``decay`` / ``cell_decays``: mean influence at each distance |t - k|, for the model's own cell and,
  on the same sentence, for seeded random models of the other cells with the same sizes.
- ``chain_step``: one step of the chain rule written out with the real numbers, each term computed
  from the forward trace and checked against the core's recorded dL/dh_t (and dL/dc_t for an LSTM).
- ``seed_claims``: the seeds' claims about gradients and training cost, each with what was measured.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from birnn_core import (DirectionParams, HeadParams, LayerParams, ModelParams, ModelTrace, get_activation, get_cell,
                        num, run)
from birnn_core.backprop import ModelGrads, backprop, influence
from birnn_core.registry import cells, get_head_activation, get_merge
from birnn_core.presets import random_model

COMPARE_SEED = 0          # the seed of the random models the decay chart compares with
DIGITS = 4                # gradients are small: four decimals
TIMING_BATCH = 32         # sequences per timed training step
TIMING_REPEATS = 7        # the median of this many steps


# ---------------------------------------------------------------- models

def uni_model(model: ModelParams) -> ModelParams:
    """The forward direction alone (every layer), with the columns of the layer above and of the head
    that read it (an elementwise merge's m_t has the forward state's size: its columns are kept)."""
    layers, below = [], None
    for lp in model.layers:
        fwd = lp.fwd
        if below is not None and below.bwd is not None and not get_merge(below.merge).elementwise:
            h = below.fwd.hidden_size
            fwd = DirectionParams(fwd.W[:, :h], fwd.U, fwd.b, fwd.b_U)
        layers.append(LayerParams(lp.cell, fwd, None, lp.activation, "concat"))
        below = lp
    head = None
    if model.head is not None:
        h_f = model.layers[-1].fwd.hidden_size
        head = HeadParams(model.head.W[:, :h_f], model.head.b, model.head.activation)
    return ModelParams(layers, head)


def scale_U(model: ModelParams, factor: float) -> ModelParams:
    """A copy of ``model`` with every direction's recurrent matrix U multiplied by ``factor``."""
    out = model.copy()
    for lp in out.layers:
        for _, p in lp.directions():
            p.U = p.U * factor
    return out


def spectral_radii(cell: str, U: np.ndarray) -> dict[str, float]:
    """max |eigenvalue| of each h x h block of U (G*h, h): {"": rho} for SimpleRNN, else per gate."""
    spec, h = get_cell(cell), U.shape[1]
    names = spec.gates or ("",)
    return {g: float(np.max(np.abs(np.linalg.eigvals(U[k * h:(k + 1) * h])))) for k, g in enumerate(names)}


# ---------------------------------------------------------------- influence maps and their decay

@dataclass
class Maps:
    """Influence maps (T, T), rows t (the output), columns k (the input): ``bi`` by "merged",
    "forward", "backward" (the model's own; no "backward" for a unidirectional model) and ``uni``
    (the forward direction alone, its output)."""

    bi: dict[str, np.ndarray]
    uni: np.ndarray
    bidirectional: bool


def influence_maps(model: ModelParams, X: np.ndarray) -> Maps:
    bidirectional = model.layers[-1].bwd is not None
    chains = ("merged", "forward", "backward") if bidirectional else ("merged", "forward")
    bi = {of: influence(model, X, of) for of in chains}
    return Maps(bi, influence(uni_model(model), X, "merged"), bidirectional)


def decay(M: np.ndarray, side: str = "both") -> np.ndarray:
    """Mean of M[t, k] over the pairs at each distance |t - k| = 0..T-1: ``side`` "past" (k <= t),
    "future" (k >= t) or "both"."""
    T = M.shape[0]
    out = np.zeros(T)
    for dist in range(T):
        vals = []
        if side in ("past", "both"):
            vals.append(np.diagonal(M, -dist))
        if side in ("future", "both") and (dist > 0 or side == "future"):
            vals.append(np.diagonal(M, dist))
        out[dist] = np.concatenate(vals).mean()
    return out


def cell_names() -> list[str]:
    """Every registered cell, compared on the decay chart."""
    return [c.name for c in cells()]


def comparison_model(model: ModelParams, cell: str) -> ModelParams:
    """A random model of ``cell`` with the sizes of ``model``'s first layer (seed COMPARE_SEED);
    the model itself when it already has that cell."""
    lp = model.layers[0]
    if lp.cell == cell:
        return model
    h_b = lp.bwd.hidden_size if lp.bwd is not None else None
    return random_model(cell, lp.fwd.input_size, lp.fwd.hidden_size, h_b, None, seed=COMPARE_SEED,
                        activation=lp.activation, merge=lp.merge)


def cell_decays(model: ModelParams, X: np.ndarray, factor: float = 1.0) -> dict[str, np.ndarray]:
    """Per cell: the forward chain's mean ||d h_t / d x_{t-dist}|| at dist = 0..T-1, every U scaled by
    ``factor`` (the model's own cell uses the model; the others a seeded random model)."""
    return {cell: decay(influence(scale_U(comparison_model(model, cell), factor), X, "forward"), "past")
            for cell in cell_names()}


# ---------------------------------------------------------------- one step of the chain rule

def own_targets(trace: ModelTrace) -> np.ndarray:
    """The loss's targets: the model's own prediction (softmax: the argmax class; sigmoid: each output
    rounded to 0 or 1; none: zeros, so the loss is the squared output)."""
    assert trace.probs is not None and trace.logits is not None, "the loss is the output layer's"
    if trace.head_activation is not None and get_head_activation(trace.head_activation).class_targets:
        return np.argmax(trace.probs, axis=-1)
    if trace.head_activation == "sigmoid":
        return np.round(trace.probs)
    return np.zeros_like(trace.logits)


LOSS_TEXT = {"softmax": "cross-entropy of the output layer against the model's own most likely class at each t",
             "sigmoid": "binary cross-entropy of the output layer against its own outputs rounded to 0 or 1",
             "none": "squared error of the output layer against 0 (L = mean over t of the summed y_t²)"}


@dataclass
class Term:
    """One term of a sum: its name, the formula that gives it, and its value (h,)."""

    name: str
    formula: str
    value: np.ndarray


@dataclass
class ChainStep:
    """dL/dh_t of one chain as the sum of its terms (and, for an LSTM, dL/dc_t as the sum of its own);
    ``recorded`` is the core's dL/dh_t; t and ``source`` (the step the chain term comes from) are
    0-based, source None at the chain's end."""

    direction: str
    cell: str
    t: int
    source: int | None
    terms: list[Term]
    recorded: np.ndarray
    factors: list[Term] = field(default_factory=list)   # what the recurrent term is built from
    c_terms: list[Term] = field(default_factory=list)
    c_recorded: np.ndarray | None = None

    @property
    def total(self) -> np.ndarray:
        return np.sum([tm.value for tm in self.terms], axis=0)

    @property
    def c_total(self) -> np.ndarray | None:
        return np.sum([tm.value for tm in self.c_terms], axis=0) if self.c_terms else None


def gradients(trace: ModelTrace, model: ModelParams) -> ModelGrads:
    """The core's backward pass of the loss against the model's own targets (see LOSS_TEXT)."""
    return backprop(trace, model, targets=own_targets(trace))


def chain_step(trace: ModelTrace, grads: ModelGrads, direction: str, t: int) -> ChainStep:
    """dL/dh_t of the last layer's ``direction`` chain ("forward" or "backward") at t (0-based),
    term by term, from the forward trace: what arrives from above (the merge and the output layer)
    plus what flows back along the chain from the step the chain computes after t (t + 1 in the
    forward chain, t - 1 in the backward chain)."""
    lt, lg = trace.layers[-1], grads.layers[-1]
    tr, g = (lt.fwd, lg.fwd) if direction == "forward" else (lt.bwd, lg.bwd)
    assert tr is not None and g is not None, f"the model has no {direction} chain"
    T, h = int(trace.lengths[0]), tr.hidden_size
    U = tr.params.U
    src = t + 1 if direction == "forward" else t - 1
    source = src if 0 <= src < T else None
    nxt = f"{src + 1}"
    above = Term("from above", f"∂L/∂h_{t + 1} through the merge and the output layer", g.dh_out[0, t])
    terms, factors, c_terms = [above], [], []
    cell = get_cell(tr.cell)
    if source is not None:
        s = source
        dh_next = g.dh[0, s]
        if not cell.gates:          # SimpleRNN: h_s = phi(pre_s), pre_s = W x_s + U h_t + b
            slope = get_activation(tr.activation).derivative(tr.pre[0, s], tr.h[0, s])
            dpre = slope * dh_next
            factors = [Term(f"φ'(pre_{nxt})", f"the activation's slope at step {nxt}", slope),
                       Term(f"∂L/∂h_{nxt}", f"the total gradient at step {nxt}", dh_next),
                       Term(f"φ'(pre_{nxt}) ⊙ ∂L/∂h_{nxt}", "their product", dpre)]
            terms.append(Term("along the chain", f"Uᵀ (φ'(pre_{nxt}) ⊙ ∂L/∂h_{nxt})", U.T @ dpre))
        elif tr.c is not None:      # LSTM: h enters every gate through U; the cell state carries f
            dpre = g.dpre[0, s]
            factors = [Term(f"∂L/∂pre_{nxt}", f"the gradient of the four gates' pre-activations at step {nxt}",
                            dpre)]
            terms.append(Term("along the chain", f"Uᵀ ∂L/∂pre_{nxt} (through the i, f, g, o gates)", U.T @ dpre))
        else:                       # GRU: h_s = (1 - z) ⊙ n + z ⊙ h_t
            z = tr.gate("z")[0, s]
            factors = [Term(f"z_{nxt}", f"the update gate at step {nxt}", z),
                       Term(f"∂L/∂h_{nxt}", f"the total gradient at step {nxt}", dh_next)]
            direct = z * dh_next
            if cell.recurrent_input is None:  # n = tanh(W_n x + b_n + r ⊙ (U_n h + b_Un)): U sees h
                via_gates = U.T @ g.dUh[0, s]
            else:                   # classic: n = tanh(W_n x + b_n + U_n (r ⊙ h))
                r, dpre = tr.gate("r")[0, s], g.dpre[0, s]
                via_gates = U[:2 * h].T @ dpre[:2 * h] + r * (U[2 * h:].T @ dpre[2 * h:])
            terms.append(Term("update-gate path", f"z_{nxt} ⊙ ∂L/∂h_{nxt} (h_{t + 1} copied into h_{nxt})", direct))
            terms.append(Term("through the gates", f"Uᵀ-paths through r_{nxt}, z_{nxt}, n_{nxt}", via_gates))
    c_recorded = None
    if tr.c is not None and tr.tanh_c is not None and g.dc is not None:
        c_recorded = g.dc[0, t]
        o, slope_c = tr.gate("o")[0, t], 1.0 - tr.tanh_c[0, t] ** 2
        c_terms.append(Term("through h", f"∂L/∂h_{t + 1} ⊙ o_{t + 1} ⊙ (1 - tanh²(c_{t + 1}))", g.dh[0, t] * o * slope_c))
        if source is not None:
            f = tr.gate("f")[0, source]
            c_terms.append(Term("forget-gate path", f"f_{nxt} ⊙ ∂L/∂c_{nxt}", f * g.dc[0, source]))
    return ChainStep(direction, tr.cell, t, source, terms, g.dh[0, t], factors, c_terms, c_recorded)


def vec(v: np.ndarray) -> str:
    """A gradient vector with four decimals: [0.0123, -0.0004]."""
    return "[" + ", ".join(num(float(x), DIGITS) for x in np.ravel(v)) + "]"


def chain_lines(step: ChainStep) -> list[str]:
    """The step as lines of plain text (1-based t, as the seed counts)."""
    t = step.t + 1
    lines = []
    if step.source is None:
        end = "last" if step.direction == "forward" else "first"
        lines.append(f"t = {t} is the {step.direction} chain's {end} step: nothing flows back along the chain "
                     "into it, only from above.")
    for f in step.factors:
        lines.append(f"{f.name} = {vec(f.value)}   ({f.formula})")
    for tm in step.terms:
        lines.append(f"{tm.name}: {tm.formula} = {vec(tm.value)}")
    lines.append(f"∂L/∂h_{t} = " + " + ".join(vec(tm.value) for tm in step.terms) + f" = {vec(step.total)}")
    lines.append(f"the core's recorded ∂L/∂h_{t} = {vec(step.recorded)}")
    if step.c_terms and step.c_total is not None and step.c_recorded is not None:
        for tm in step.c_terms:
            lines.append(f"{tm.name}: {tm.formula} = {vec(tm.value)}")
        lines.append(f"∂L/∂c_{t} = " + " + ".join(vec(tm.value) for tm in step.c_terms) + f" = {vec(step.c_total)}")
        lines.append(f"the core's recorded ∂L/∂c_{t} = {vec(step.c_recorded)}")
    return lines


# ---------------------------------------------------------------- the seeds' claims, measured

@dataclass
class Claim:
    seed: str
    claim: str
    measured: str
    verdict: str


def _train_step_seconds(model: ModelParams, X: np.ndarray) -> float:
    """Median wall time of one forward pass plus backpropagation through time on a batch."""
    batch = np.broadcast_to(X, (TIMING_BATCH,) + X.shape).copy()
    trace = run(model, batch)
    targets = own_targets(trace)
    times = []
    for _ in range(TIMING_REPEATS):
        t0 = time.perf_counter()
        backprop(run(model, batch), model, targets=targets)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def seed_claims(model: ModelParams, X: np.ndarray, maps: Maps) -> list[Claim]:
    """Each claim, what this model on this sentence shows, and a verdict (the numbers are measured
    now; nothing here is written in advance)."""
    T = X.shape[0]
    claims = []
    if maps.bidirectional:
        same = float(np.max(np.abs(maps.bi["forward"] - maps.uni)))
        far = decay(maps.bi["forward"], "past")
        ratio = f"{far[-1] / far[0]:.3g}" if T > 1 and far[0] > 0 else "n/a (one token)"
        claims.append(Claim(
            "000", "BiRNN helps solve the vanishing gradient problem of regular RNNs.",
            f"The forward chain's influence map in the bidirectional model against the unidirectional "
            f"model's: largest difference {same:.2g}. Along the forward chain, influence at distance "
            f"{T - 1} is {ratio} × that at distance 0.",
            "Not within a chain: the forward chain fades with distance exactly as the unidirectional RNN "
            "does; adding the backward direction changes none of its gradients." if same <= 1e-12 else
            "The forward chain's map differs from the unidirectional model's here (layers below the last "
            "mix both directions); within the last layer each chain is still one recurrence."))
        future = float(np.max(np.triu(maps.uni, 1))) if T > 1 else 0.0
        bi_future = float(np.max(np.triu(maps.bi["merged"], 1))) if T > 1 else 0.0
        n_uni = int(np.count_nonzero(maps.uni > 0))
        n_bi = int(np.count_nonzero(maps.bi["merged"] > 0))
        reach = max(max(t, T - 1 - t) for t in range(T))
        claims.append(Claim(
            "000/001", "Each position sees both past and future context.",
            f"Largest influence of a later input on an earlier output: unidirectional {future:.3g}, "
            f"bidirectional {bi_future:.3g}. Pairs (t, k) with nonzero influence: unidirectional {n_uni}, "
            f"bidirectional {n_bi}, of {T * T}. In the bidirectional model x_k reaches y_t through one "
            f"chain in |t - k| recurrent steps (at most {reach} here).",
            ("Yes: every output has a path to both sides, |t - k| steps long. That is what the second "
             "direction gives: a path to the future, not a shorter or less fading one to the past.")
            if future == 0.0 and n_bi == T * T else
            f"Only in part here: {n_bi} of {T * T} pairs have a nonzero influence in the bidirectional model."))
        uni_s, bi_s = _train_step_seconds(uni_model(model), X), _train_step_seconds(model, X)
        claims.append(Claim(
            "001/000", "Bidirectional RNNs are very costly to train due to long gradient chains "
            "(001); they need double computation (000).",
            f"One training step (forward + BPTT, batch {TIMING_BATCH}, median of {TIMING_REPEATS}): "
            f"unidirectional {uni_s * 1e3:.2f} ms, bidirectional {bi_s * 1e3:.2f} ms "
            f"({bi_s / uni_s:.2f} ×). Longest gradient chain: {T} steps in each direction of the "
            f"bidirectional model, {T} in the unidirectional one.",
            (f"The cost, yes: a step took {bi_s / uni_s:.2f} × the unidirectional one here (two chains "
             "to run). " if bi_s > 1.3 * uni_s else
             f"The cost, not measurably at this size: {bi_s / uni_s:.2f} × (each step's fixed overhead "
             "outweighs the second chain's arithmetic in so small a model; try a longer sentence or a "
             "larger h). ")
            + "The reason, no: neither chain is longer than the unidirectional model's; the extra work "
              "is a second chain of the same length, not a longer one."))
    return claims


def rule_text(cell: str, direction: str) -> str:
    """The chain rule of one step of ``direction``'s chain in symbols (plain text): which terms flow
    into dL/dh_t, from the step the chain computes after t (t+1 forward, t-1 backward)."""
    n = "(t+1)" if direction == "forward" else "(t-1)"
    U = "U_f" if direction == "forward" else "U_b"
    above = "(from above: the merge and the output layer)"
    spec = get_cell(cell)
    if not spec.gates:
        return f"∂L/∂h_t = {above} + {U}ᵀ (φ'(pre_{n}) ⊙ ∂L/∂h_{n})"
    if "f" in spec.gates:
        return (f"∂L/∂h_t = {above} + {U}ᵀ ∂L/∂pre_{n} (through the i, f, g, o gates);  "
                f"∂L/∂c_t = ∂L/∂h_t ⊙ o_t ⊙ (1 − tanh²(c_t)) + f_{n} ⊙ ∂L/∂c_{n} (the forget-gate path)")
    return (f"∂L/∂h_t = {above} + z_{n} ⊙ ∂L/∂h_{n} (the update-gate path: h_{n} = (1 − z) ⊙ n + z ⊙ h_t) "
            f"+ the paths through r_{n}, z_{n}, n_{n} (via {U})")


# ---------------------------------------------------------------- everything the page measures, once per model

@dataclass
class Measured:
    """The maps, the decay by cell and the claims of one model (U scaled by ``factor``) on one sentence."""

    factor: float
    maps: Maps
    decays: dict[str, np.ndarray]
    claims: list[Claim]


def measure(model: ModelParams, X: np.ndarray, factor: float) -> Measured:
    """``model`` with every U scaled by ``factor``, measured on X (T, d) (the page caches it, so a
    change of t or chain measures nothing again)."""
    scaled = scale_U(model, factor)
    maps = influence_maps(scaled, X)
    return Measured(factor, maps, cell_decays(model, X, factor), seed_claims(scaled, X, maps))
