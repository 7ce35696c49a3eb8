"""The arithmetic of one step written out with the real numbers, the way seed 000 writes it:

    0.5×0.1 + 0.3×0.3 + 0.2×0.5 = 0.24,  0.24 + 0 + 0.1 = 0.34,  tanh(0.34) = 0.327
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from .registry import get_activation, get_cell, get_head_activation, get_merge
from .trace import DirectionTrace, ModelTrace

def _gate_symbol(cell, gate: str, activation: str) -> str:
    return get_activation(cell.gate_activations.get(gate, activation)).symbol


def num(v: float, digits: int = 3) -> str:
    """0.24 -> '0.24', 0.1000 -> '0.1', -0.0 -> '0'; non-finite as 'inf'/'nan'."""
    if not np.isfinite(v):
        return str(v)
    s = f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _factor(v: float, digits: int) -> str:
    s = num(v, digits)
    return f"({s})" if s.startswith("-") else s


@dataclass
class DotProduct:
    """sum_k w_k * v_k = value: one row of a matrix times a vector."""

    weights: np.ndarray
    values: np.ndarray
    value: float

    def text(self, digits: int = 3, times: str = "×") -> str:
        if len(self.weights) == 0:
            return "0"
        terms = " + ".join(f"{_factor(w, digits)}{times}{_factor(x, digits)}"
                           for w, x in zip(self.weights, self.values))
        return f"{terms} = {num(self.value, digits)}"


@dataclass
class UnitStep:
    """One unit j of one gate block (gate '' for SimpleRNN): Wx + b + Uh + b_U -> pre -> act."""

    unit: int
    gate: str
    Wx: DotProduct
    Uh: DotProduct
    b: float
    b_U: float
    pre: float
    act: str
    value: float
    reset: float | None = None  # GRU n: pre = Wx + b + r * (Uh + b_U)
    form: str = "plain"         # the cell's gate form; "reset_before": Uh = U (r ⊙ h_prev)

    def lines(self, digits: int = 3, times: str = "×") -> list[str]:
        d = lambda v: num(v, digits)
        if self.reset is None:
            total = f"{d(self.Wx.value)} + {_factor(self.Uh.value, digits)} + {_factor(self.b, digits)}"
            if self.b_U:
                total += f" + {_factor(self.b_U, digits)}"
        else:
            total = (f"{d(self.Wx.value)} + {_factor(self.b, digits)} + {d(self.reset)}{times}"
                     f"({d(self.Uh.value)} + {_factor(self.b_U, digits)})")
        u_label = "U (r⊙h)" if self.form == "reset_before" else "U h"
        return [f"W x: {self.Wx.text(digits, times)}",
                f"{u_label}: {self.Uh.text(digits, times)}",
                f"pre-activation: {total} = {d(self.pre)}",
                f"{self.act}({d(self.pre)}) = {d(self.value)}"]


def _recurrent_input(cell, tr: DirectionTrace, t: int, b: int, gate: str) -> np.ndarray:
    """The vector gate ``gate``'s U block multiplies: h_prev, or r ⊙ h_prev for a reset-before gate."""
    h_prev = tr.h_prev[b, t]
    if cell.gate_forms.get(gate) == "reset_before":
        return tr.gate("r")[b, t] * h_prev
    return h_prev


def step_terms(tr: DirectionTrace, t: int, b: int = 0) -> list[UnitStep]:
    """Every unit of every gate block of direction ``tr`` at time index t (0-based), sequence b."""
    cell = get_cell(tr.cell)
    p, h = tr.params, tr.hidden_size
    x = tr.x[b, t]
    out = []
    for k, gate in enumerate(cell.gates or ("",)):
        form = cell.gate_forms.get(gate, "plain")
        act = _gate_symbol(cell, gate, tr.activation)
        v = _recurrent_input(cell, tr, t, b, gate)
        for j in range(h):
            row = k * h + j
            value = tr.gates[b, t, row] if tr.gates is not None else tr.h[b, t, j]
            reset = float(tr.gate("r")[b, t, j]) if form == "reset_after" else None
            out.append(UnitStep(j, gate, DotProduct(p.W[row], x, float(tr.Wx[b, t, row])),
                                DotProduct(p.U[row], v, float(tr.Uh[b, t, row])),
                                float(p.b[row]), float(p.b_U[row]), float(tr.pre[b, t, row]), act,
                                float(value), reset, form))
    return out


def state_update_lines(tr: DirectionTrace, t: int, b: int = 0, digits: int = 3) -> list[str]:
    """How the gates combine into the new state (the cell's ``update_text``); empty for SimpleRNN."""
    cell = get_cell(tr.cell)
    if cell.update_text is None:
        return []
    d = lambda v: num(v, digits)
    f = lambda v: _factor(v, digits)
    return [cell.update_text(tr, t, b, j, d, f) for j in range(tr.hidden_size)]


def explain_text(tr: DirectionTrace, t: int, b: int = 0, digits: int = 3) -> str:
    """Plain-text worksheet of one step of one direction."""
    arrow = "t-1" if tr.name == "forward" else "t+1"
    out = [f"{tr.name} direction, t = {t + 1}: h_t = {_formula(tr)}  (h_prev = h_{arrow})"]
    for u in step_terms(tr, t, b):
        label = f"{u.gate}[{u.unit + 1}]" if u.gate else f"h[{u.unit + 1}]"
        out.append(f"  {label}: " + ";  ".join(u.lines(digits)))
    out += ["  " + line for line in state_update_lines(tr, t, b, digits)]
    return "\n".join(out)


def _formula(tr: DirectionTrace) -> str:
    return get_cell(tr.cell).formula.replace("{act}", get_activation(tr.activation).symbol)


# ---------------------------------------------------------------- equations: one structure, two renderers
#
# A step is a list of lines; a line is a list of parts:
#   ("sym", base, sub, sup)  a symbol such as h_1^(fwd)      ("op", "=")   "=", "+", "⊙", "×", ","
#   ("fn", name)             tanh, σ, ReLU, id                ("open",) / ("close",)  stretchy ( )
#   ("mat", rows)            a matrix of already formatted entries (a column vector has one entry a row)
#   ("text", s)              a formatted number or word

def _col(v, digits):
    return ("mat", [[num(x, digits)] for x in v])


def _mat(M, digits):
    return ("mat", [[num(x, digits) for x in r] for r in np.atleast_2d(M)])


def _paren(v: float, digits: int) -> str:
    s = num(v, digits)
    return f"({s})" if s.startswith("-") else s


def step_equations(tr: DirectionTrace, t: int, b: int = 0, digits: int = 3,
                   units: list[int] | None = None) -> list[list[tuple]]:
    """The lines of one step as seed 000 writes them: the matrix form, the row-by-row products,
    the sums plus bias, then the activation; gated cells one block per gate, then the state update.
    ``units`` keeps only those rows (hidden units) of every gate block (for a large h)."""
    cell = get_cell(tr.cell)
    s = "f" if tr.name == "forward" else "b"
    prev = ("sym", "h", str(t) if tr.name == "forward" else str(t + 2), "")
    p, h = tr.params, tr.hidden_size
    x, hp = tr.x[b, t], tr.h_prev[b, t]
    terms = step_terms(tr, t, b)
    keep = list(range(h)) if units is None else list(units)
    xs = ("sym", "x", str(t + 1), "")
    lines = []
    for k, gate in enumerate(cell.gates or ("",)):
        form = cell.gate_forms.get(gate, "plain")
        rows = [k * h + j for j in keep]
        block = [terms[r] for r in rows]
        fn = ("fn", _gate_symbol(cell, gate, tr.activation))
        sub = s + (f",{gate}" if gate else "")
        W, U, bb = ("sym", "W", sub, ""), ("sym", "U", sub, ""), ("sym", "b", sub, "")
        name = ("sym", "h", str(t + 1), f"({'fwd' if s == 'f' else 'bwd'})") if not gate else ("sym", gate, str(t + 1), "")
        prods = ("mat", [[" + ".join(f"{num(w, digits)} × {_paren(v, digits)}"
                                     for w, v in zip(u.Wx.weights, u.Wx.values)) or "0"] for u in block])
        eq, plus = ("op", "="), ("op", "+")
        if form == "reset_before":
            r, odot = ("sym", "r", str(t + 1), ""), ("op", "⊙")
            bias = p.b[rows] + p.b_U[rows]
            resets = _col(tr.gate("r")[b, t, keep], digits)
            lines += [[name, eq, fn, ("open",), W, xs, plus, U, ("open",), r, odot, prev, ("close",), plus, bb,
                       ("close",)],
                      [eq, fn, ("open",), _mat(p.W[rows], digits), _col(x, digits), plus, _mat(p.U[rows], digits),
                       ("open",), resets, odot, _col(hp, digits), ("close",), plus, _col(bias, digits), ("close",)],
                      [eq, fn, ("open",), prods, plus, _col([u.Uh.value for u in block], digits), plus,
                       _col(bias, digits), ("close",)]]
        elif form == "plain":
            bias = p.b[rows] + p.b_U[rows]
            lines += [[name, eq, fn, ("open",), W, xs, plus, U, prev, plus, bb, ("close",)],
                      [eq, fn, ("open",), _mat(p.W[rows], digits), _col(x, digits), plus, _mat(p.U[rows], digits),
                       _col(hp, digits), plus, _col(bias, digits), ("close",)],
                      [eq, fn, ("open",), prods, plus, _col([u.Uh.value for u in block], digits), plus,
                       _col(bias, digits), ("close",)]]
        else:
            r, odot = ("sym", "r", str(t + 1), ""), ("op", "⊙")
            resets = _col([u.reset for u in block], digits)
            lines += [[name, eq, fn, ("open",), W, xs, plus, bb, plus, r, odot, ("open",), U, prev, plus,
                       ("sym", "b", f"U,{sub}", ""), ("close",), ("close",)],
                      [eq, fn, ("open",), _mat(p.W[rows], digits), _col(x, digits), plus, _col(p.b[rows], digits),
                       plus, resets, odot, ("open",), _mat(p.U[rows], digits), _col(hp, digits), plus,
                       _col(p.b_U[rows], digits), ("close",), ("close",)],
                      [eq, fn, ("open",), prods, plus, _col(p.b[rows], digits), plus, resets, odot,
                       _col([u.Uh.value + u.b_U for u in block], digits), ("close",)]]
        lines.append([eq, fn, ("open",), _col([u.pre for u in block], digits), ("close",), eq,
                      _col([u.value for u in block], digits)])
    if cell.update_equation is not None:
        lines.append(cell.update_equation(tr, t, b, keep, lambda v: _col(v, digits), prev))
    return lines


def output_equations(trace: ModelTrace, t: int, b: int = 0, digits: int = 3) -> list[list[tuple]]:
    """What the last layer makes of step t (0-based): the merge m_t of the two directions' states
    (bidirectional only) and the head y_t = g(W_o m_t + b_o) (when there is a head), with the numbers."""
    layer = trace.layers[-1]
    row = lambda v: ("mat", [[num(x, digits) for x in v]])
    sym = lambda base, sup="": ("sym", base, str(t + 1), sup)
    lines = []
    if layer.bwd is not None and layer.merged is not None:
        lines.append([sym("m"), ("op", "=")] + get_merge(layer.merge).parts(sym("h", "fwd"), sym("h", "bwd"))
                     + [("op", "="), row(layer.merged[b, t])])
    if trace.probs is not None and trace.logits is not None and trace.head_activation is not None:
        g = get_head_activation(trace.head_activation).symbol
        lines.append([sym("y"), ("op", "="), ("text", g), ("open",), ("sym", "W", "o", ""), sym("m"), ("op", "+"),
                      ("sym", "b", "o", ""), ("close",), ("op", "="), ("text", g), ("open",),
                      row(trace.logits[b, t]), ("close",), ("op", "="), row(trace.probs[b, t])])
    return lines


_TEX_FN = {"tanh": r"\tanh", "ReLU": r"\mathrm{ReLU}", "σ": r"\sigma", "id": r"\mathrm{id}"}
_TEX_OP = {"⊙": r"\odot", "×": r"\times", "−": "-", ",": r", \quad"}


def _tex_part(part) -> str:
    kind = part[0]
    if kind == "sym":
        _, base, sub, sup = part
        return base + (f"_{{{sub}}}" if sub else "") + (f"^{{{sup}}}" if sup else "")
    if kind == "op":
        return f" {_TEX_OP.get(part[1], part[1])} "
    if kind == "fn":
        return _TEX_FN.get(part[1], rf"\mathrm{{{part[1]}}}")
    if kind in ("open", "close"):
        return r"\left(" if kind == "open" else r"\right)"
    if kind == "mat":
        return (r"\begin{bmatrix}" + r" \\ ".join(" & ".join(e.replace(" × ", r" \times ") for e in r)
                                                   for r in part[1]) + r"\end{bmatrix}")
    return part[1]


def explain_latex(tr: DirectionTrace, t: int, b: int = 0, digits: int = 3,
                  units: list[int] | None = None) -> list[str]:
    """LaTeX lines (for st.latex / a worksheet) of :func:`step_equations`."""
    return ["".join(_tex_part(p) for p in line).strip() for line in step_equations(tr, t, b, digits, units)]


_HTML_STYLE = (
    "<style>.eq{font:15px/1.2 'Cambria Math','STIX Two Math','Latin Modern Math',serif;overflow-x:auto}"
    ".eq .ln{display:flex;align-items:center;flex-wrap:nowrap;gap:.3em;margin:.45em 0;white-space:nowrap}"
    ".eq .mx{display:inline-block;border-left:1.5px solid #333;border-right:1.5px solid #333;padding:0 .25em;"
    "border-radius:3px}.eq .mx table{border-collapse:collapse}.eq .mx td{padding:.05em .35em;text-align:center;"
    "border:0}.eq .gp{display:inline-flex;align-items:center;gap:.3em;border-left:1.5px solid #555;"
    "border-right:1.5px solid #555;border-radius:.8em;padding:.1em .45em}.eq i{font-style:italic}"
    ".eq .fn{font-style:normal}</style>")


def _html_line(parts) -> str:
    stack: list[list[str]] = [[]]
    for part in parts:
        kind = part[0]
        if kind == "open":
            stack.append([])
            continue
        if kind == "close":
            inner = "".join(stack.pop())
            stack[-1].append(f'<span class="gp">{inner}</span>')
            continue
        if kind == "sym":
            _, base, sub, sup = part
            frag = (f"<span><i>{html.escape(base)}</i>" + (f"<sub>{html.escape(sub)}</sub>" if sub else "")
                    + (f"<sup>{html.escape(sup)}</sup>" if sup else "") + "</span>")
        elif kind == "op":
            frag = f"<span>{html.escape(part[1])}</span>"
        elif kind == "fn":
            frag = f'<span class="fn">{html.escape(part[1])}</span>'
        elif kind == "mat":
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(e)}</td>" for e in r) + "</tr>" for r in part[1])
            frag = f'<span class="mx"><table>{rows}</table></span>'
        else:
            frag = f"<span>{html.escape(part[1])}</span>"
        stack[-1].append(frag)
    out = "".join(stack[0])
    return f'<div class="ln">{out}</div>'


def equations_html(lines: list[list[tuple]]) -> str:
    """Lines of parts (see :func:`step_equations`) as light HTML: no math engine, cheap to redraw."""
    return _HTML_STYLE + '<div class="eq">' + "".join(_html_line(line) for line in lines) + "</div>"


def explain_html(tr: DirectionTrace, t: int, b: int = 0, digits: int = 3, units: list[int] | None = None) -> str:
    """The same lines as :func:`explain_latex`, as HTML."""
    return equations_html(step_equations(tr, t, b, digits, units))
