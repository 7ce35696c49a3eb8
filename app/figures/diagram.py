"""The arrows diagram, the merged-vector strips and the final-state map: ModelTrace -> plotly.

Pure functions (plotly + NumPy, no Streamlit). Every number drawn is read from the trace; nothing
is recomputed here.

The diagram is the unrolled network as seed 000 draws it, one column per time step t = 1..T:

    input x_t          x_1     x_2     x_3
                        ↓       ↓       ↓
    forward h_t →      h_1  →  h_2  →  h_3  →  h_n[0]
    backward h_t ←  h_n[1]  ←  h_1  ←  h_2  ←  h_3
    merged m_t          m_1     m_2     m_3
    output y_t          y_1     y_2     y_3

A node is a column vector: one coloured cell per unit (numbers printed in the cells when the
vector has at most SMALL_VECTOR units), drawn as one heatmap per row, so a row costs O(T·k).
The animation's frames touch only the few traces that change from step to step (the "not yet
computed" veil, the highlighted arrows, the equation caption), each O(1) per frame except the
final merge frame (O(T)), so the payload grows linearly with T.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import plotly.graph_objects as go

from app.text import isolate, plotly
from birnn_core import DirectionTrace, LayerTrace, ModelTrace, num
from birnn_core.explain import state_update_lines
from birnn_core.registry import get_activation, get_cell, get_merge

FWD, BWD, MERGE, INPUT, OUT = "#1f6fb4", "#e36c0a", "#7b3fa0", "#6b6b6b", "#2e7d32"
VALUE_SCALE = "PiYG"          # diverging: pink < 0 < green, away from the direction colours
PROB_SCALE = "Greys"
SMALL_VECTOR = 4              # print the numbers inside nodes up to this many units
MAX_NUMBERED_T = 20           # ... and up to this many time steps
CAPTION_UNITS = 4             # units of the equation shown in the caption
HALF_W, HALF_H = 0.3, 0.32    # node half-width (x units) and half-height (row units)
ROW_PX = 112                  # pixels per row
CAPTION_ROWS = 1.2           # room under the diagram for the step's equation (in rows)
CAPTION_Y = -0.55            # ... whose top sits just under the bottom row (at height 0)
VEIL = "rgba(255,255,255,0.86)"

SEQUENTIAL, PARALLEL = "sequential", "parallel"

# Trace order inside the figure. The first five are the ones frames update.
VEIL_I, HL_FWD_I, HL_BWD_I, HL_OUT_I, CAPTION_I = range(5)
ANIMATED = [VEIL_I, HL_FWD_I, HL_BWD_I, HL_OUT_I, CAPTION_I]


# ---------------------------------------------------------------- the animation's steps

@dataclass(frozen=True)
class Step:
    """One frame: kind "fwd", "bwd", "both" (a forward and a backward step together) or "merge";
    t_fwd / t_bwd are 0-based time indices (None when that direction does not move)."""

    kind: str
    t_fwd: int | None = None
    t_bwd: int | None = None
    layer: int | None = None  # set in a whole stack's steps (0-based)

    def label(self) -> str:
        """Slider label: →2 for forward t=2, ←2 for backward, →1 ←3 for both, 'merge'; in a stack
        the layer first: "L2 →1"."""
        parts = [] if self.layer is None else [f"L{self.layer + 1}"]
        if self.kind == "merge":
            return " ".join(parts + ["merge"])
        if self.t_fwd is not None:
            parts.append(f"→{self.t_fwd + 1}")
        if self.t_bwd is not None:
            parts.append(f"←{self.t_bwd + 1}")
        return " ".join(parts)


def animation_steps(T: int, bidirectional: bool = True, order: str = SEQUENTIAL) -> list[Step]:
    """The frames for T steps: the forward sweep t = 1..T, then the backward sweep t = T..1
    (order "sequential"), or both sweeps at once (order "parallel"); then the merge frame."""
    if not bidirectional:
        steps = [Step("fwd", t, None) for t in range(T)]
    elif order == PARALLEL:
        steps = [Step("both", t, T - 1 - t) for t in range(T)]
    else:
        steps = [Step("fwd", t, None) for t in range(T)] + [Step("bwd", None, t) for t in reversed(range(T))]
    return steps + [Step("merge")]


def stack_steps(T: int, bidirectional: list[bool], order: str = SEQUENTIAL) -> list[Step]:
    """A whole stack's frames, layer by layer: each layer's animation_steps, tagged with its layer."""
    return [replace(s, layer=l) for l, bi in enumerate(bidirectional) for s in animation_steps(T, bi, order)]


def computed_until(steps: list[Step], k: int, T: int) -> tuple[int, int, bool]:
    """After frame k: (forward steps done, backward steps done, merged done)."""
    n_fwd = sum(1 for s in steps[:k + 1] if s.t_fwd is not None)
    n_bwd = sum(1 for s in steps[:k + 1] if s.t_bwd is not None)
    merged = steps[k].kind == "merge"
    return (T if merged else n_fwd), (T if merged else n_bwd), merged


# ---------------------------------------------------------------- geometry

@dataclass
class Row:
    """One row of nodes: values (n, k) at columns cols (x positions), drawn at height y."""

    key: str              # "x", "fwd", "bwd", "merged", "y"
    label: str            # y-axis label (HTML)
    y: float
    cols: np.ndarray      # (n,) x positions, ascending
    values: np.ndarray    # (n, k)
    names: list[str]      # hover title per node
    zmin: float
    zmax: float
    scale: str


@dataclass
class Layout:
    """What the diagram of one sequence of one layer shows. ``tokens`` are escaped for Plotly
    (app.text.plotly): every label, hover text, caption and tick that shows a token reads them."""

    T: int
    tokens: list[str]
    layer: LayerTrace
    rows: dict[str, Row]
    fwd: DirectionTrace
    bwd: DirectionTrace | None
    b: int
    has_head: bool


def _sym_range(*arrays) -> float:
    m = max((float(np.max(np.abs(a))) for a in arrays if a is not None and a.size), default=1.0)
    return m if m > 0 else 1.0


def _layout(trace: ModelTrace, layer: int, b: int, tokens: list[str] | None, below: Row | None = None) -> Layout:
    """Layer ``layer``'s rows, the inputs on top and the bottom row at height 0; ``below``: a stack's
    previous layer's output row, which is this layer's input row (its rows then hang under it)."""
    layer = _layer_index(trace, layer)
    lt = trace.layers[layer]
    T = int(trace.lengths[b])
    toks = list(tokens if tokens is not None else trace.tokens or [])
    # User text is text: a token like <b>x</b> is shown as typed, never as Plotly markup, and its
    # direction (an Arabic word, a U+202E override) does not spill into the labels around it.
    toks = [plotly(isolate(toks[i])) if i < len(toks) else f"x{i + 1}" for i in range(T)]
    fwd, bwd = lt.fwd, lt.bwd
    X = fwd.x[b, :T]
    hf = fwd.h[b, :T]
    hb = bwd.h[b, :T] if bwd is not None else None
    merged = lt.merged[b, :T] if (lt.merged is not None and bwd is not None) else None
    probs = trace.probs if layer == len(trace.layers) - 1 else None
    has_head = probs is not None
    keys = ["x", "fwd"] + (["bwd"] if bwd is not None else []) + (["merged"] if merged is not None else []) \
        + (["y"] if has_head else [])
    top = float(len(keys) - 1) if below is None else below.y
    ys = {k: top - i for i, k in enumerate(keys)}
    cols = np.arange(1, T + 1, dtype=float)
    h_range = _sym_range(hf, hb, merged)
    first = "input x<sub>t</sub>" if layer == 0 else f"input (layer {layer} out)"
    rows = {"x": Row("x", first, ys["x"], cols, X, [f"x<sub>{i + 1}</sub> = {toks[i]}" for i in range(T)],
                     -_sym_range(X), _sym_range(X), VALUE_SCALE) if below is None else below}
    rows["fwd"] = Row("fwd", "forward h<sub>t</sub><sup>(fwd)</sup>", ys["fwd"], np.append(cols, T + 1),
                      np.vstack([hf, fwd.final_h[b][None]]),
                      [f"h<sub>{i + 1}</sub><sup>(fwd)</sup> (forward, {toks[i]})" for i in range(T)]
                      + [f"h_n[{2 * _layer_index(trace, layer)}] = h<sub>{T}</sub><sup>(fwd)</sup> "
                         "(the forward final state)"], -h_range, h_range, VALUE_SCALE)
    if bwd is not None:
        rows["bwd"] = Row("bwd", "backward h<sub>t</sub><sup>(bwd)</sup>", ys["bwd"], np.insert(cols, 0, 0.0),
                          np.vstack([bwd.final_h[b][None], bwd.h[b, :T]]),
                          [f"h_n[{2 * _layer_index(trace, layer) + 1}] = h<sub>1</sub><sup>(bwd)</sup> "
                           "(the backward final state)"]
                          + [f"h<sub>{i + 1}</sub><sup>(bwd)</sup> (backward, {toks[i]})" for i in range(T)],
                          -h_range, h_range, VALUE_SCALE)
    if merged is not None:
        rows["merged"] = Row("merged", f"merged m<sub>t</sub> ({lt.merge})", ys["merged"], cols, merged,
                             [f"m<sub>{i + 1}</sub> = {_merge_formula(lt.merge, i + 1)}" for i in range(T)],
                             -h_range, h_range, VALUE_SCALE)
    if probs is not None:
        P = probs[b, :T]
        act = trace.head_activation or "none"
        lo, hi = (0.0, 1.0) if act in ("softmax", "sigmoid") else (-_sym_range(P), _sym_range(P))
        rows["y"] = Row("y", f"output y<sub>t</sub> ({act})", ys["y"], cols, P,
                        [f"y<sub>{i + 1}</sub> ({toks[i]})" for i in range(T)], lo, hi,
                        PROB_SCALE if act in ("softmax", "sigmoid") else VALUE_SCALE)
    return Layout(T, toks, lt, rows, fwd, bwd, b, has_head)


def _layer_index(trace: ModelTrace, layer: int) -> int:
    return layer % len(trace.layers)


def _merge_formula(mode: str, t: int | str) -> str:
    return get_merge(mode).text(f"h<sub>{t}</sub><sup>(fwd)</sup>", f"h<sub>{t}</sub><sup>(bwd)</sup>")


def _fmt_vector(v: np.ndarray, per_line: int = 8) -> str:
    parts = [num(float(x), 3) for x in v]
    lines = [", ".join(parts[i:i + per_line]) for i in range(0, len(parts), per_line)]
    return "[" + ",<br> ".join(lines) + "]"


# ---------------------------------------------------------------- arrows as polylines

class Paths:
    """Polylines (joined with None gaps) plus arrow tips, for one scatter trace."""

    def __init__(self):
        self.x: list = []
        self.y: list = []
        self.size: list = []
        self.symbol: list = []

    def add(self, xs, ys, tip: str | None = None, tip_size: int = 9) -> "Paths":
        n = len(xs)
        if self.x:
            self.x.append(None)
            self.y.append(None)
            self.size.append(0)
            self.symbol.append("circle")
        self.x += [round(float(v), 3) for v in xs]
        self.y += [round(float(v), 3) for v in ys]
        self.size += [0] * (n - 1) + [tip_size if tip else 0]
        self.symbol += ["circle"] * (n - 1) + [tip or "circle"]
        return self

    def extend(self, other: "Paths") -> "Paths":
        if other.x:
            if self.x:
                self.x.append(None)
                self.y.append(None)
                self.size.append(0)
                self.symbol.append("circle")
            self.x += other.x
            self.y += other.y
            self.size += other.size
            self.symbol += other.symbol
        return self

    def box(self, cx: float, cy: float, pad: float = 0.05) -> "Paths":
        w, h = HALF_W + pad, HALF_H + pad
        return self.add([cx - w, cx + w, cx + w, cx - w, cx - w], [cy - h, cy - h, cy + h, cy + h, cy - h])


def _input_to_fwd(L: Layout, i: int, p: Paths, size=9):
    X, top, y = i + 1, L.rows["x"].y - HALF_H, L.rows["fwd"].y + HALF_H + 0.04
    return p.add([X - 0.1, X - 0.1], [top, y], "triangle-down", size)


def _input_to_bwd(L: Layout, i: int, p: Paths, size=9):
    """x_t to the backward node, around the right side of the forward node."""
    X, top = i + 1, L.rows["x"].y - HALF_H
    yf, yb = L.rows["fwd"].y, L.rows["bwd"].y
    xs = [X + 0.12, X + 0.12, X + 0.42, X + 0.42, X + 0.12, X + 0.12]
    ys = [top, yf + 0.5 - 0.08, yf + 0.5 - 0.08, yb + 0.5 + 0.02, yb + 0.5 + 0.02, yb + HALF_H + 0.04]
    return p.add(xs, ys, "triangle-down", size)


def _fwd_recurrent(L: Layout, i: int, p: Paths, size=9):
    """h_{t-1} -> h_t forward (from the h_0 stub when t = 1)."""
    y, X = L.rows["fwd"].y, i + 1
    start = X - 1 + HALF_W if i > 0 else X - 0.62
    return p.add([start, X - HALF_W - 0.04], [y, y], "triangle-right", size)


def _bwd_recurrent(L: Layout, i: int, p: Paths, size=9):
    """h_{t+1} -> h_t backward (from the h_{T+1} stub when t = T)."""
    y, X = L.rows["bwd"].y, i + 1
    start = X + 1 - HALF_W if i < L.T - 1 else X + 0.62
    return p.add([start, X + HALF_W + 0.04], [y, y], "triangle-left", size)


def _fwd_final(L: Layout, p: Paths, size=9):
    y = L.rows["fwd"].y
    return p.add([L.T + HALF_W, L.T + 1 - HALF_W - 0.04], [y, y], "triangle-right", size)


def _bwd_final(L: Layout, p: Paths, size=9):
    y = L.rows["bwd"].y
    return p.add([1 - HALF_W, HALF_W + 0.04], [y, y], "triangle-left", size)


def _fwd_to_merged(L: Layout, i: int, p: Paths, size=9):
    """h_t forward to m_t, around the left side of the backward node."""
    X, yf, yb, ym = i + 1, L.rows["fwd"].y, L.rows["bwd"].y, L.rows["merged"].y
    xs = [X - 0.12, X - 0.12, X - 0.42, X - 0.42, X - 0.12, X - 0.12]
    ys = [yf - HALF_H, yb + 0.5 - 0.02, yb + 0.5 - 0.02, ym + 0.5 + 0.08, ym + 0.5 + 0.08, ym + HALF_H + 0.04]
    return p.add(xs, ys, "triangle-down", size)


def _straight_down(L: Layout, i: int, src: str, dst: str, p: Paths, dx: float = 0.0, size=9):
    X = i + 1 + dx
    return p.add([X, X], [L.rows[src].y - HALF_H, L.rows[dst].y + HALF_H + 0.04], "triangle-down", size)


def _output_arrow(L: Layout, i: int, p: Paths, size=9):
    src = "merged" if "merged" in L.rows else "fwd"
    if src == "fwd" and L.bwd is not None:
        return p
    return _straight_down(L, i, src, "y", p, size=size)


# ---------------------------------------------------------------- frame contents

def _veil(L: Layout, n_fwd: int, n_bwd: int, merged_done: bool) -> Paths:
    """White boxes over what is not computed yet (contiguous ranges: at most three rectangles)."""
    p = Paths()
    rect = lambda x0, x1, y0, y1: p.add([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])
    pad = HALF_H + 0.08
    if n_fwd < L.T:
        y = L.rows["fwd"].y
        rect(n_fwd + 0.5, L.T + 1.5, y - pad, y + pad)
    if L.bwd is not None and n_bwd < L.T:
        y = L.rows["bwd"].y
        rect(-0.5, L.T - n_bwd + 0.5, y - pad, y + pad)
    later = [r.y for k, r in L.rows.items() if k in ("merged", "y")]
    if later and not merged_done:
        rect(0.5, L.T + 0.5, min(later) - pad, max(later) + pad)
    return p


def _step_highlight(L: Layout, step: Step) -> tuple[Paths, Paths, Paths]:
    """Thick arrows into the node(s) being computed: (forward-coloured, backward-coloured, output)."""
    pf, pb, po = Paths(), Paths(), Paths()
    if step.t_fwd is not None:
        i = step.t_fwd
        _input_to_fwd(L, i, pf, 13), _fwd_recurrent(L, i, pf, 13)
        pf.box(i + 1, L.rows["fwd"].y)
        if i == L.T - 1 and (L.bwd is None or step.kind == "both"):
            _fwd_final(L, pf, 13)
        if L.bwd is None and L.has_head:
            _straight_down(L, i, "fwd", "y", po, size=13)
    if step.t_bwd is not None:
        i = step.t_bwd
        _input_to_bwd(L, i, pb, 13), _bwd_recurrent(L, i, pb, 13)
        pb.box(i + 1, L.rows["bwd"].y)
        if i == 0:
            _bwd_final(L, pb, 13)
    if step.kind == "fwd" and step.t_fwd == L.T - 1 and L.bwd is not None:
        _fwd_final(L, pf, 13)
    if step.kind == "merge":
        for i in range(L.T):
            if "merged" in L.rows:
                _fwd_to_merged(L, i, pf, 11)
                _straight_down(L, i, "bwd", "merged", pb, dx=0.1, size=11)
            if L.has_head:
                _output_arrow(L, i, po, 11)
        _fwd_final(L, pf, 13)
        if L.bwd is not None:
            _bwd_final(L, pb, 13)
    return pf, pb, po


def _sub(s: str, t) -> str:
    return f"{s}<sub>{t}</sub>"


def _direction_caption(tr: DirectionTrace, i: int, b: int, token: str, digits: int) -> list[str]:
    """The equation of one step with its real numbers (the first CAPTION_UNITS units)."""
    fwd = tr.name == "forward"
    arrow, s = ("(fwd)", "f") if fwd else ("(bwd)", "b")
    t, prev = i + 1, (i if fwd else i + 2)
    h = tr.hidden_size
    hp = f"h<sub>{prev}</sub><sup>{arrow}</sup>"
    head = f"h<sub>{t}</sub><sup>{arrow}</sup>"
    d = lambda v: num(float(v), digits)
    lines = []
    if not get_cell(tr.cell).gates:  # the layer activation is the step itself
        act = get_activation(tr.activation).symbol
        lines.append(f"{head} = {act}({_sub('W', s)} {_sub('x', t)} + {_sub('U', s)} {hp} + {_sub('b', s)})"
                     f"   ({tr.name}, t = {t}, “{token}”)")
        p = tr.params
        x, h_prev = tr.x[b, i], tr.h_prev[b, i]
        small = x.size + h <= 6
        for j in range(min(h, CAPTION_UNITS)):
            bias = p.b[j] + p.b_U[j]
            if small:
                prods = " + ".join(f"{d(w)}×{_paren(v, digits)}" for w, v in zip(p.W[j], x))
                rec = " + ".join(f"{d(w)}×{_paren(v, digits)}" for w, v in zip(p.U[j], h_prev))
                terms = f"{prods} + {rec} + {_paren(bias, digits)}"
            else:
                terms = (f"Wx {d(tr.Wx[b, i, j])} + Uh {_paren(tr.Uh[b, i, j], digits)} "
                         f"+ b {_paren(bias, digits)}")
            lines.append(f"[{j + 1}]  {act}({terms}) = {act}({d(tr.pre[b, i, j])}) = <b>{d(tr.h[b, i, j])}</b>")
    else:
        cell = get_cell(tr.cell)
        lines.append(f"{head} = {plotly(cell.display)} step from {_sub('x', t)} and {hp}"
                     f"   ({tr.name}, t = {t}, “{token}”)")
        lines += [plotly(line) for line in state_update_lines(tr, i, b, digits)[:CAPTION_UNITS]]
    if h > CAPTION_UNITS:
        lines.append(f"… and {h - CAPTION_UNITS} more units: hover the node for the whole vector")
    return lines


def _paren(v, digits) -> str:
    s = num(float(v), digits)
    return f"({s})" if s.startswith("-") else s


def step_caption(L: Layout, steps: list[Step], k: int, digits: int = 3) -> str:
    """The caption of frame k: which step it is and its equation with the real numbers (HTML)."""
    step = steps[k]
    head = f"<b>Step {k + 1} of {len(steps)}</b>"
    if step.kind == "merge":
        lt = L.layer
        lines = [head + ": every h<sub>t</sub> is known in both directions, so the outputs can be formed"]
        if "merged" in L.rows:
            lines.append(f"m<sub>t</sub> = {_merge_formula(lt.merge, 't')} for t = 1..{L.T}  (merge = {lt.merge})")
        if L.has_head:
            src = "m<sub>t</sub>" if "merged" in L.rows else "h<sub>t</sub><sup>(fwd)</sup>"
            lines.append(f"y<sub>t</sub> = {L.rows['y'].label.split('(')[-1].rstrip(')')}(W<sub>o</sub> {src} + "
                         f"b<sub>o</sub>)")
        fs = f"final state h_n = (h<sub>{L.T}</sub><sup>(fwd)</sup>"
        fs += ", h<sub>1</sub><sup>(bwd)</sup>)" if L.bwd is not None else ")"
        lines.append(fs + ": the forward chain ends at the right, the backward chain at the LEFT")
        return "<br>".join(lines)
    lines = [head]
    if step.t_fwd is not None:
        lines += _direction_caption(L.fwd, step.t_fwd, L.b, L.tokens[step.t_fwd], digits)
    if step.t_bwd is not None and L.bwd is not None:
        lines += _direction_caption(L.bwd, step.t_bwd, L.b, L.tokens[step.t_bwd], digits)
    return "<br>".join(lines)


def _frame_traces(Ls: list[Layout], steps: list[Step], k: int) -> list[dict]:
    """The data of the ANIMATED traces for frame k, in ANIMATED order. ``Ls``: one layout per layer
    drawn; in a stack, the layers under frame k's layer are done and the ones above not begun."""
    l = steps[k].layer or 0
    own = [s for s in steps if (s.layer or 0) == l]
    k_own = sum(1 for s in steps[:k] if (s.layer or 0) == l)
    veil = Paths()
    for j, L in enumerate(Ls):
        done = (L.T, L.T, True) if j < l else computed_until(own, k_own, L.T) if j == l else (0, 0, False)
        veil.extend(_veil(L, *done))
    pf, pb, po = _step_highlight(Ls[l], steps[k])
    hl = lambda p: {"type": "scatter", "x": p.x, "y": p.y,
                    "marker": {"size": p.size, "symbol": p.symbol}}
    text = step_caption(Ls[l], own, k_own)
    if len(Ls) > 1:
        text = f"<b>Layer {l + 1} of {len(Ls)}</b> · " + text
    caption = {"type": "scatter", "x": [-0.55], "y": [CAPTION_Y], "text": [text]}
    return [{"type": "scatter", "x": veil.x, "y": veil.y}, hl(pf), hl(pb), hl(po), caption]


# ---------------------------------------------------------------- static traces

def _row_heatmap(row: Row, numbers: bool, fmt: str) -> go.Heatmap:
    """One row of nodes as a heatmap with transparent gaps: x edges [c - w, c + w] per node."""
    n, k = row.values.shape
    z = np.full((k, 2 * n - 1), np.nan, dtype=np.float32)
    z[:, 0::2] = row.values.T[::-1]                       # z row 0 is the bottom cell: the last unit
    x_edges = np.ravel(np.column_stack([row.cols - HALF_W, row.cols + HALF_W]))
    y_edges = np.linspace(row.y - HALF_H, row.y + HALF_H, k + 1)
    return go.Heatmap(z=z, x=x_edges, y=y_edges, zmin=row.zmin, zmax=row.zmax, colorscale=row.scale,
                      showscale=False, hoverinfo="skip", name=row.key,
                      texttemplate=fmt if numbers else None, textfont={"size": 12 if k <= 3 else 10})


def _row_hover(row: Row, marker_px: float) -> go.Scatter:
    text = [f"<b>{name}</b><br>{_fmt_vector(v)}" for name, v in zip(row.names, row.values)]
    return go.Scatter(x=row.cols, y=np.full(len(row.cols), row.y), mode="markers", text=text,
                      hoverinfo="text", name=f"{row.key} vectors", showlegend=False,
                      marker={"size": marker_px, "symbol": "square", "color": "rgba(0,0,0,0)"},
                      hoverlabel={"align": "left"})


def _line_trace(p: Paths, color: str, width: float, name: str, dash: str = "solid") -> list[go.Scatter]:
    """The polylines, and their arrow tips as a separate markers-only trace (a marker per polyline
    point, even of size 0, is an SVG node: at T = 60 that doubles the render time)."""
    tips = [k for k, size in enumerate(p.size) if size]
    return [go.Scatter(x=p.x, y=p.y, mode="lines", name=name, hoverinfo="skip", showlegend=False,
                       line={"color": color, "width": width, "dash": dash}),
            go.Scatter(x=[p.x[k] for k in tips], y=[p.y[k] for k in tips], mode="markers", name=f"{name} (tips)",
                       hoverinfo="skip", showlegend=False,
                       marker={"size": 9, "symbol": [p.symbol[k] for k in tips], "color": color,
                               "line": {"width": 0}})]


def _static_arrows(Ls: list[Layout]) -> list[go.Scatter]:
    inputs, fwd, bwd, merge_f, merge_b, out = Paths(), Paths(), Paths(), Paths(), Paths(), Paths()
    for L in Ls:
        _layer_arrows(L, inputs, fwd, bwd, merge_f, merge_b, out)
    groups = [(inputs, INPUT, 1.3, "x_t feeds both directions", "solid"),
              (fwd, FWD, 2, "forward recurrence", "solid"),
              (bwd, BWD, 2, "backward recurrence", "solid"),
              (merge_f, FWD, 1, "forward half into the merge", "dot"),
              (merge_b, BWD, 1, "backward half into the merge", "dot"),
              (out, OUT, 1.3, "merged vector into the output layer", "solid")]
    return [t for p, color, width, name, dash in groups if p.x for t in _line_trace(p, color, width, name, dash)]


def _layer_arrows(L: Layout, inputs: Paths, fwd: Paths, bwd: Paths, merge_f: Paths, merge_b: Paths,
                  out: Paths) -> None:
    """Every arrow of one layer, added to the paths of its kind."""
    for i in range(L.T):
        _input_to_fwd(L, i, inputs)
        _fwd_recurrent(L, i, fwd)
        if L.bwd is not None:
            _input_to_bwd(L, i, inputs)
            _bwd_recurrent(L, i, bwd)
        if "merged" in L.rows:
            _fwd_to_merged(L, i, merge_f)
            _straight_down(L, i, "bwd", "merged", merge_b, dx=0.1)
        if L.has_head:
            if L.bwd is None:
                _straight_down(L, i, "fwd", "y", out)
            else:
                _output_arrow(L, i, out)
    _fwd_final(L, fwd)
    if L.bwd is not None:
        _bwd_final(L, bwd)


def _outlines(rows: list[Row], T: int) -> list[go.Scatter]:
    nodes, finals = Paths(), Paths()
    for row in rows:
        for c in row.cols:
            final = (row.key == "fwd" and c == T + 1) or (row.key == "bwd" and c == 0)
            (finals if final else nodes).box(c, row.y, pad=0.0)
    return [go.Scatter(x=nodes.x, y=nodes.y, mode="lines", hoverinfo="skip", showlegend=False,
                       line={"color": "#9a9a9a", "width": 1}, name="nodes"),
            go.Scatter(x=finals.x, y=finals.y, mode="lines", hoverinfo="skip", showlegend=False,
                       line={"color": "#333", "width": 2, "dash": "dash"}, name="final state h_n")]


def _init_labels(L: Layout) -> go.Scatter:
    """h_0 and h_{T+1} at the open ends of the chains (zeros unless an initial state was given)."""
    xs, ys, texts = [0.3], [L.rows["fwd"].y + 0.16], []
    zero = lambda v: " = 0" if not np.any(v) else ""
    texts.append(f"h<sub>0</sub><sup>(fwd)</sup>{zero(L.fwd.h_prev[L.b, 0])}")
    if L.bwd is not None:
        xs.append(L.T + 0.7)
        ys.append(L.rows["bwd"].y + 0.16)
        texts.append(f"h<sub>{L.T + 1}</sub><sup>(bwd)</sup>{zero(L.bwd.h_prev[L.b, L.T - 1])}")
    return go.Scatter(x=xs, y=ys, mode="text", text=texts, hoverinfo="skip", showlegend=False,
                      textfont={"size": 11, "color": "#333"}, name="initial states")


def dependency_paths(L: Layout, t: int) -> tuple[Paths, Paths, Paths]:
    """Boxes around what reaches h_t forward (x_1..x_t, h_1..h_t), h_t backward (x_t..x_T,
    h_t..h_T) and the merged vector and output at t (all of them); t is 0-based."""
    pf, pb, pm = Paths(), Paths(), Paths()
    for i in range(t + 1):
        pf.box(i + 1, L.rows["x"].y, pad=0.07), pf.box(i + 1, L.rows["fwd"].y, pad=0.07)
    if L.bwd is not None:
        for i in range(t, L.T):
            pb.box(i + 1, L.rows["x"].y, pad=0.13), pb.box(i + 1, L.rows["bwd"].y, pad=0.07)
    for key in ("merged", "y"):
        if key in L.rows:
            pm.box(t + 1, L.rows[key].y, pad=0.07)
    return pf, pb, pm


def _dependency_traces(L: Layout, focus: int | None) -> list[go.Scatter]:
    pf, pb, pm = dependency_paths(L, focus) if focus is not None else (Paths(), Paths(), Paths())
    tok = L.tokens[focus] if focus is not None else ""
    t = (focus or 0) + 1
    mk = lambda p, color, name: go.Scatter(x=p.x, y=p.y, mode="lines", name=name, hoverinfo="skip",
                                           showlegend=focus is not None, line={"color": color, "width": 3.5})
    return [mk(pf, FWD, f"reaches h<sub>{t}</sub><sup>(fwd)</sup>: x<sub>1</sub>..x<sub>{t}</sub>"),
            mk(pb, BWD, f"reaches h<sub>{t}</sub><sup>(bwd)</sup>: x<sub>{t}</sub>..x<sub>{L.T}</sub>"),
            mk(pm, MERGE, f"m<sub>{t}</sub> (“{tok}”) sees all of x<sub>1</sub>..x<sub>{L.T}</sub>")]


# ---------------------------------------------------------------- the figure

def arrows_figure(trace: ModelTrace, tokens: list[str] | None = None, *, layer: int = -1, b: int = 0,
                  order: str = SEQUENTIAL, step: int | None = None, focus: int | None = None,
                  frame_ms: int | None = None) -> go.Figure:
    """The unrolled diagram of sequence b of layer ``layer``, animated over its steps.

    trace: a ModelTrace (arrays [b, t]); tokens: labels (default trace.tokens); order: SEQUENTIAL
    (forward sweep, then backward) or PARALLEL (both at once); step: the frame shown before Play
    (default: the last, everything computed); focus: a 0-based t whose dependencies are outlined.
    The first five traces are the animated ones (ANIMATED); frames carry only those.
    """
    L = _layout(trace, layer, b, tokens)
    steps = animation_steps(L.T, L.bwd is not None, order)
    if focus is not None and not 0 <= focus < L.T:
        focus = None
    return _figure([L], steps, step, focus, frame_ms)


def stack_layouts(trace: ModelTrace, b: int = 0, tokens: list[str] | None = None) -> list[Layout]:
    """Every layer of the stack in one column of rows: layer l+1's input row is layer l's output row
    (its merged vectors, or its forward states when it is unidirectional); the bottom row at height 0."""
    Ls: list[Layout] = []
    for l in range(len(trace.layers)):
        below = None if not Ls else Ls[-1].rows.get("merged", Ls[-1].rows["fwd"])
        L = _layout(trace, l, b, tokens, below=below)
        for key, row in L.rows.items():
            if key != "x" or l == 0:
                row.label = (f"L{l + 1} " if key != "x" else "") + row.label
        Ls.append(L)
    bottom = min(r.y for r in _distinct_rows(Ls))
    for r in _distinct_rows(Ls):
        r.y -= bottom
    return Ls


def stack_figure(trace: ModelTrace, tokens: list[str] | None = None, *, b: int = 0, order: str = SEQUENTIAL,
                 step: int | None = None, frame_ms: int | None = None) -> go.Figure:
    """The whole stack of sequence b in one figure, animated layer by layer (stack_steps): layer 1's
    sweeps and merge, then layer 2 reading layer 1's merged vectors, and so on up to the output."""
    Ls = stack_layouts(trace, b, tokens)
    steps = stack_steps(Ls[0].T, [L.bwd is not None for L in Ls], order)
    return _figure(Ls, steps, step, None, frame_ms)


def _distinct_rows(Ls: list[Layout]) -> list[Row]:
    """The rows drawn, top to bottom: a stack's shared rows (layer l's output, layer l+1's input) once."""
    seen: dict[int, Row] = {}
    for L in Ls:
        for row in L.rows.values():
            seen.setdefault(id(row), row)
    return sorted(seen.values(), key=lambda r: -r.y)


def _figure(Ls: list[Layout], steps: list[Step], step: int | None, focus: int | None,
            frame_ms: int | None) -> go.Figure:
    """The diagram of the layers ``Ls`` (one, or a stack), animated over ``steps``, showing frame
    ``step`` (default: the last) before Play."""
    L = Ls[0]
    bidirectional = L.bwd is not None
    rows = _distinct_rows(Ls)
    k0 = len(steps) - 1 if step is None else int(np.clip(step, 0, len(steps) - 1))
    numbers = L.T <= MAX_NUMBERED_T
    fmt = "%{z:.3f}" if L.T <= 8 else "%{z:.2f}"
    marker_px = max(8.0, min(60.0, 900.0 / (L.T + 2)))

    base = _frame_traces(Ls, steps, k0)
    animated = [
        go.Scatter(base[0], mode="lines", fill="toself", fillcolor=VEIL, line={"width": 0}, hoverinfo="skip",
                   showlegend=False, name="not computed yet"),
        go.Scatter(base[1], mode="lines+markers", line={"color": FWD, "width": 4.5}, hoverinfo="skip",
                   showlegend=False, name="forward step", marker={**base[1]["marker"], "color": FWD}),
        go.Scatter(base[2], mode="lines+markers", line={"color": BWD, "width": 4.5}, hoverinfo="skip",
                   showlegend=False, name="backward step", marker={**base[2]["marker"], "color": BWD}),
        go.Scatter(base[3], mode="lines+markers", line={"color": OUT, "width": 4}, hoverinfo="skip",
                   showlegend=False, name="output step", marker={**base[3]["marker"], "color": OUT}),
        go.Scatter(base[4], mode="text", textposition="bottom right", hoverinfo="skip", showlegend=False,
                   name="equation", textfont={"size": 13, "color": "#222"}, cliponaxis=False),
    ]
    for tr in animated[1:4]:  # frames send only x, y, marker size/symbol: keep the colour in the base
        tr.marker.line = {"width": 0}
    static = [_row_heatmap(r, numbers and r.values.shape[1] <= SMALL_VECTOR, fmt) for r in rows]
    static += _outlines(rows, L.T) + _static_arrows(Ls) + [_init_labels(layout) for layout in Ls]
    static += _dependency_traces(L, focus)
    static += [_row_hover(r, marker_px) for r in rows]
    fig = go.Figure(data=animated + static)

    ms = frame_ms or int(np.clip(12_000 / len(steps), 150, 800))
    names = [str(k) for k in range(len(steps))]
    play = {"frame": {"duration": ms, "redraw": True}, "transition": {"duration": 0},
            "fromcurrent": True, "mode": "immediate"}
    pause = {"frame": {"duration": 0, "redraw": True}, "transition": {"duration": 0}, "mode": "immediate"}
    top = rows[0].y
    height = int(ROW_PX * (len(rows) + CAPTION_ROWS) + 150)
    h_n = ("h_n[1]", "h_n[0]") if len(Ls) == 1 else ("h_n (bwd)", "h_n (fwd)")  # hover names the index
    ticks = ([(0.0, h_n[0])] if bidirectional else []) + \
        [(i + 1.0, (f"x<sub>{i + 1}</sub><br>{L.tokens[i]}" if L.T <= MAX_NUMBERED_T else L.tokens[i]))
         for i in range(L.T)] + [(L.T + 1.0, h_n[1])]
    fig.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 70 if L.T <= MAX_NUMBERED_T else 90, "b": 90},
        plot_bgcolor="white", paper_bgcolor="white", hovermode="closest", dragmode=False,
        font={"family": "Helvetica, Arial, sans-serif", "size": 12},
        legend={"orientation": "v", "x": 1.0, "xanchor": "right", "y": 0.0, "yanchor": "bottom",
                "bgcolor": "rgba(255,255,255,0.85)"},
        xaxis={"range": [-0.6, L.T + 1.6], "side": "top", "tickvals": [t[0] for t in ticks],
               "ticktext": [t[1] for t in ticks], "showgrid": False, "zeroline": False, "fixedrange": True,
               "tickangle": 0 if L.T <= MAX_NUMBERED_T else -60, "automargin": True},
        yaxis={"range": [-0.5 - CAPTION_ROWS, top + 0.5], "automargin": True, "tickvals": [r.y for r in rows],
               "ticktext": [r.label for r in rows], "showgrid": False, "zeroline": False,
               "fixedrange": True},
        updatemenus=[{"type": "buttons", "direction": "left", "x": 0.0, "xanchor": "left", "y": -0.01,
                      "yanchor": "top", "pad": {"t": 0, "r": 6}, "showactive": False,
                      "buttons": [{"label": "▶ Play", "method": "animate", "args": [None, play]},
                                  {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause]},
                                  {"label": "⟲ From the start", "method": "animate",
                                   "args": [names, {**play, "fromcurrent": False}]}]}],
        sliders=[{"active": k0, "x": 0.36, "len": 0.64, "y": -0.01, "yanchor": "top", "pad": {"t": 0},
                  "currentvalue": {"prefix": "step ", "font": {"size": 12}}, "transition": {"duration": 0},
                  "steps": [{"label": s.label(), "method": "animate",
                             "args": [[names[k]], pause]} for k, s in enumerate(steps)]}],
        meta={"steps": [s.label() for s in steps], "T": L.T}, template="none",
    )
    # Frames are plain dicts of the ANIMATED traces' data, attached without plotly's per-property
    # validation (it costs about a second at T = 60; their keys are the ones validated above).
    spec = fig.to_dict()
    spec["frames"] = [{"name": names[k], "traces": ANIMATED, "data": _frame_traces(Ls, steps, k)}
                      for k in range(len(steps))]
    return go.Figure(spec, _validate=False)


def diagram_steps(trace: ModelTrace, layer: int | None = -1, b: int = 0, order: str = SEQUENTIAL) -> list[Step]:
    """The frames arrows_figure animates for this trace (for a stepper on the page); ``layer`` None:
    the frames of stack_figure, the whole stack layer by layer."""
    T = int(trace.lengths[b])
    if layer is None:
        return stack_steps(T, [lt.bwd is not None for lt in trace.layers], order)
    return animation_steps(T, trace.layers[layer].bwd is not None, order)


# ---------------------------------------------------------------- merged vectors

def merge_caption(merge: str | None) -> str:
    """One line on how m_t is made (``merge`` None: a unidirectional layer)."""
    if merge is None:
        return "A unidirectional layer: the output is h_t^(fwd)."
    m = get_merge(merge)
    if not m.single:
        return f"{merge}: both sequences are returned as they are, [h^(fwd), h^(bwd)]."
    formula = f"{merge}: for every t, m_t = {m.text('h_t^(fwd)', 'h_t^(bwd)')}"
    if m.elementwise:
        return formula + ", unit by unit."
    return formula + ": the first part came from the forward direction, the second from the backward one."


def merge_figure(trace: ModelTrace, tokens: list[str] | None = None, *, layer: int = -1,
                 b: int = 0) -> go.Figure:
    """For every t, one row: [h_t→ ; h_t←] as one segmented strip (concat), or h_t→ (op) h_t← =
    m_t for sum / mul / ave, or the two halves side by side for merge 'none'. The two halves that
    PyTorch returns as h_n are outlined: h_n[0] = h_T→ (last row, forward half) and h_n[1] = h_1←
    (FIRST row, backward half)."""
    L = _layout(trace, layer, b, tokens)
    lt, T = L.layer, L.T
    hf = L.fwd.h[b, :T]
    hb = L.bwd.h[b, :T] if L.bwd is not None else None
    r = L.rows["fwd"].zmax
    segments = [("fwd", hf, "h<sub>t</sub><sup>(fwd)</sup> forward", FWD)]
    if hb is not None:
        segments.append(("bwd", hb, "h<sub>t</sub><sup>(bwd)</sup> backward", BWD))
        if get_merge(lt.merge).elementwise and lt.merged is not None:
            segments.append(("merged", lt.merged[b, :T], f"m<sub>t</sub> = {lt.merge}", MERGE))
    blocks, starts, col = [], [], 0
    for _, values, _, _ in segments:
        starts.append(col)
        blocks.append(values)
        col += values.shape[1] + 1
    width = col - 1
    z = np.full((T, width), np.nan, dtype=np.float32)
    for s, v in zip(starts, blocks):
        z[:, s:s + v.shape[1]] = v
    numbers = width <= 14 and T <= MAX_NUMBERED_T
    # column widths: units 1, the concat seam narrow (one strip, two halves), operator gaps 1
    seam = 0.3 if lt.merge == "concat" or hb is None else 1.0
    widths = np.ones(width)
    widths[np.all(np.isnan(z), axis=0)] = seam
    E = np.concatenate([[-0.5], -0.5 + np.cumsum(widths)])   # E[c]: left edge of column c
    mid = lambda c0, c1: float((E[c0] + E[c1]) / 2)          # centre of columns c0..c1-1
    ylabels = [f"{i + 1} · {L.tokens[i]}" for i in range(T)]
    fig = go.Figure(go.Heatmap(z=z, x=E, y=np.arange(T), zmin=-r, zmax=r,
                               colorscale=VALUE_SCALE, showscale=False, name="vectors",
                               texttemplate="%{z:.3f}" if numbers else None,
                               hovertemplate="t = %{y}<br>column %{x}: %{z:.4f}<extra></extra>",
                               xgap=1, ygap=1))
    H = hf.shape[1]
    heads = []
    for (key, values, title, color), s in zip(segments, starts):
        k = values.shape[1]
        if lt.merge == "concat" and key in ("fwd", "bwd") and hb is not None:
            idx = f"output[:, t, :{H}]" if key == "fwd" else f"output[:, t, {H}:]"
            title = f"{title}<br><span style='font-size:11px'>{idx}</span>"
        heads.append({"x": mid(s, s + k), "y": -0.5, "text": f"<b>{title}</b>", "font": {"color": color},
                      "showarrow": False, "yanchor": "bottom", "xref": "x", "yref": "y"})
        fig.add_shape(type="rect", x0=E[s], x1=E[s + k], y0=-0.5, y1=T - 0.5,
                      line={"color": color, "width": 2})
    if hb is not None and get_merge(lt.merge).elementwise:
        for s, sym in ((starts[1] - 1, get_merge(lt.merge).symbol), (starts[2] - 1, "=")):
            heads.append({"x": mid(s, s + 1), "y": (T - 1) / 2, "text": f"<b>{sym}</b>", "showarrow": False,
                          "font": {"size": 18}, "xref": "x", "yref": "y"})
    # the final state inside the output sequence
    fig.add_shape(type="rect", x0=E[starts[0]], x1=E[starts[0] + H], y0=T - 1.5, y1=T - 0.5,
                  line={"color": "#111", "width": 3, "dash": "dash"})
    finals = [{"x": mid(starts[0], starts[0] + H), "y": T - 0.5, "yanchor": "top", "showarrow": False,
               "text": f"↑ h_n[0] = h<sub>{T}</sub><sup>(fwd)</sup>: the last row's forward half",
               "xref": "x", "yref": "y", "font": {"color": FWD}}]
    if hb is not None:
        Hb = hb.shape[1]
        s = starts[1]
        fig.add_shape(type="rect", x0=E[s], x1=E[s + Hb], y0=-0.5, y1=0.5,
                      line={"color": "#111", "width": 3, "dash": "dash"})
        finals.append({"x": float(E[s + Hb]), "y": 0, "xanchor": "left", "showarrow": False,
                       "text": " ← h_n[1] = h<sub>1</sub><sup>(bwd)</sup>: the FIRST row's backward half", "xref": "x", "yref": "y",
                       "font": {"color": BWD}})
    fig.update_layout(
        annotations=heads + finals,
        height=int(min(1400, max(260, 34 * T + 150))) if T <= MAX_NUMBERED_T else int(min(1400, 16 * T + 160)),
        margin={"l": 10, "r": 300, "t": 60, "b": 40}, plot_bgcolor="white", paper_bgcolor="white",
        xaxis={"visible": False, "range": [-0.6, float(E[-1]) + 0.1], "fixedrange": True},
        yaxis={"autorange": "reversed", "automargin": True, "tickvals": list(range(T)), "ticktext": ylabels, "fixedrange": True,
               "showgrid": False, "zeroline": False},
        font={"family": "Helvetica, Arial, sans-serif", "size": 12})
    return fig


# ---------------------------------------------------------------- output vs final state

@dataclass(frozen=True)
class FinalStateRow:
    """One line of the output-versus-final-state map: the code expression, what it is, its
    values (for sequence b) and, where it applies, the output slice it equals."""

    framework: str
    expression: str
    meaning: str
    values: np.ndarray
    same_as: str = ""
    same: bool | None = None


def final_state_rows(trace: ModelTrace, layer: int = -1, b: int = 0) -> list[FinalStateRow]:
    """How output[t] and the final state h_n line up in PyTorch (batch_first=True) and Keras, with
    the numbers of sequence b. For a padded sequence the last real step is lengths[b] - 1."""
    li = _layer_index(trace, layer)
    lt = trace.layers[li]
    T = int(trace.lengths[b])
    out, _ = lt.torch_outputs()
    Hf = lt.fwd.hidden_size
    last = T - 1
    f0, f1 = 2 * li, 2 * li + 1
    rows = []
    if lt.bwd is None:
        rows.append(FinalStateRow("PyTorch", f"output[{b}, {last}]", f"h_{T} forward: the last step",
                                  out[b, last], f"h_n[{li}][{b}]", bool(np.array_equal(out[b, last],
                                                                                        lt.fwd.final_h[b]))))
        return rows
    rows += [
        FinalStateRow("PyTorch", f"output[{b}, t, :{Hf}]", "h_t forward, for every t (the first half)",
                      out[b, :T, :Hf]),
        FinalStateRow("PyTorch", f"output[{b}, t, {Hf}:]", "h_t backward, for every t (the second half)",
                      out[b, :T, Hf:]),
        FinalStateRow("PyTorch", f"h_n[{f0}][{b}]", f"h_{T} forward: the forward chain ends at the LAST token",
                      lt.fwd.final_h[b], f"output[{b}, {last}, :{Hf}]",
                      bool(np.array_equal(lt.fwd.final_h[b], out[b, last, :Hf]))),
        FinalStateRow("PyTorch", f"h_n[{f1}][{b}]", "h_1 backward: the backward chain ends at the FIRST token",
                      lt.bwd.final_h[b], f"output[{b}, 0, {Hf}:]",
                      bool(np.array_equal(lt.bwd.final_h[b], out[b, 0, Hf:]))),
        FinalStateRow("PyTorch", f"output[{b}, {last}, {Hf}:]",
                      f"h_{T} backward: NOT h_n[{f1}]; the backward direction's first step, it has read "
                      f"only x_{T}", out[b, last, Hf:], f"h_n[{f1}][{b}]",
                      bool(np.array_equal(out[b, last, Hf:], lt.bwd.final_h[b]))),
    ]
    if li == len(trace.layers) - 1:
        states = lt.keras_outputs(return_sequences=True, return_state=True)[1:]
        names = ["h_fwd", "c_fwd", "h_bwd", "c_bwd"] if lt.fwd.final_c is not None else ["h_fwd", "h_bwd"]
        for name, v in zip(names, states):
            if name.startswith("h"):
                fwd = name == "h_fwd"
                rows.append(FinalStateRow(
                    "Keras", f"{name} in [output, {', '.join(names)}]",
                    f"return_state=True: {'h_T forward' if fwd else 'h_1 backward'}", v[b],
                    f"h_n[{f0 if fwd else f1}] (PyTorch)",
                    bool(np.array_equal(v[b], (lt.fwd if fwd else lt.bwd).final_h[b]))))
        if get_merge(lt.merge).single:
            seq_false = lt.keras_outputs(return_sequences=False)
            rows.append(FinalStateRow(
                "Keras", "output (return_sequences=False)",
                f"merge_{lt.merge}(h_{T} forward, h_1 backward): not m_{T}", seq_false[b]))
    return rows
