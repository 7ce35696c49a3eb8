"""The arithmetic of one step written out with the real numbers, the way seed 000 writes it:

    0.5×0.1 + 0.3×0.3 + 0.2×0.5 = 0.24,  0.24 + 0 + 0.1 = 0.34,  tanh(0.34) = 0.327
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import GATES
from .trace import DirectionTrace

GATE_ACT = {"r": "σ", "z": "σ", "n": "tanh", "i": "σ", "f": "σ", "g": "tanh", "o": "σ"}
ACT_SYMBOL = {"tanh": "tanh", "relu": "ReLU", "sigmoid": "σ", "linear": "id"}


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

    def lines(self, digits: int = 3, times: str = "×") -> list[str]:
        d = lambda v: num(v, digits)
        if self.reset is None:
            total = f"{d(self.Wx.value)} + {_factor(self.Uh.value, digits)} + {_factor(self.b, digits)}"
            if self.b_U:
                total += f" + {_factor(self.b_U, digits)}"
        else:
            total = (f"{d(self.Wx.value)} + {_factor(self.b, digits)} + {d(self.reset)}{times}"
                     f"({d(self.Uh.value)} + {_factor(self.b_U, digits)})")
        return [f"W x: {self.Wx.text(digits, times)}",
                f"U h: {self.Uh.text(digits, times)}",
                f"pre-activation: {total} = {d(self.pre)}",
                f"{self.act}({d(self.pre)}) = {d(self.value)}"]


def step_terms(tr: DirectionTrace, t: int, b: int = 0) -> list[UnitStep]:
    """Every unit of every gate block of direction ``tr`` at time index t (0-based), sequence b."""
    p, h = tr.params, tr.hidden_size
    x, h_prev = tr.x[b, t], tr.h_prev[b, t]
    gates = GATES[tr.cell] or ("",)
    out = []
    for k, gate in enumerate(gates):
        for j in range(h):
            row = k * h + j
            act = GATE_ACT.get(gate, ACT_SYMBOL[tr.activation])
            value = tr.gates[b, t, row] if tr.gates is not None else tr.h[b, t, j]
            reset = float(tr.gate("r")[b, t, j]) if gate == "n" else None
            out.append(UnitStep(j, gate, DotProduct(p.W[row], x, float(tr.Wx[b, t, row])),
                                DotProduct(p.U[row], h_prev, float(tr.Uh[b, t, row])),
                                float(p.b[row]), float(p.b_U[row]), float(tr.pre[b, t, row]), act,
                                float(value), reset))
    return out


def state_update_lines(tr: DirectionTrace, t: int, b: int = 0, digits: int = 3) -> list[str]:
    """How the gates combine into the new state (GRU, LSTM); empty for SimpleRNN."""
    d = lambda v: num(v, digits)
    lines = []
    for j in range(tr.hidden_size):
        if tr.cell == "lstm":
            i, f, g, o = (tr.gate(n)[b, t, j] for n in "ifgo")
            c_prev, c = tr.c_prev[b, t, j], tr.c[b, t, j]
            lines.append(f"c[{j + 1}] = f×c_prev + i×g = {d(f)}×{_factor(c_prev, digits)} + "
                         f"{d(i)}×{_factor(g, digits)} = {d(c)};  h[{j + 1}] = o×tanh(c) = "
                         f"{d(o)}×{_factor(tr.tanh_c[b, t, j], digits)} = {d(tr.h[b, t, j])}")
        elif tr.cell == "gru":
            z, n = tr.gate("z")[b, t, j], tr.gate("n")[b, t, j]
            lines.append(f"h[{j + 1}] = (1 - z)×n + z×h_prev = (1 - {d(z)})×{_factor(n, digits)} + "
                         f"{d(z)}×{_factor(tr.h_prev[b, t, j], digits)} = {d(tr.h[b, t, j])}")
    return lines


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
    if tr.cell == "rnn":
        return f"{ACT_SYMBOL[tr.activation]}(W x_t + U h_prev + b)"
    if tr.cell == "gru":
        return "(1 - z)⊙n + z⊙h_prev, n = tanh(W_n x + b_n + r⊙(U_n h_prev + b_Un))"
    return "o⊙tanh(c_t), c_t = f⊙c_prev + i⊙g"


# ---------------------------------------------------------------- LaTeX

def _tex_num(v: float, digits: int) -> str:
    return num(v, digits)


def _tex_col(v, digits) -> str:
    return r"\begin{bmatrix}" + r" \\ ".join(_tex_num(x, digits) for x in v) + r"\end{bmatrix}"


def _tex_mat(M, digits) -> str:
    rows = [" & ".join(_tex_num(x, digits) for x in r) for r in np.atleast_2d(M)]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def explain_latex(tr: DirectionTrace, t: int, b: int = 0, digits: int = 3) -> list[str]:
    """LaTeX lines (for st.latex / a worksheet) of one SimpleRNN step as the seed writes it:
    the matrix form, the row-by-row products, the sums plus bias, then the activation.
    Gated cells get one block of rows per gate, then the state update."""
    s = "f" if tr.name == "forward" else "b"
    prev = f"h_{{{t}}}" if tr.name == "forward" else f"h_{{{t + 2}}}"
    p = tr.params
    x, hp = tr.x[b, t], tr.h_prev[b, t]
    act = ACT_SYMBOL[tr.activation]
    act_tex = {"tanh": r"\tanh", "ReLU": r"\mathrm{ReLU}", "σ": r"\sigma", "id": r"\mathrm{id}"}
    lines = []
    units = step_terms(tr, t, b)
    gates = GATES[tr.cell] or ("",)
    h = tr.hidden_size
    for k, gate in enumerate(gates):
        rows = slice(k * h, (k + 1) * h)
        block = units[k * h:(k + 1) * h]
        name = f"h_{{{t + 1}}}^{{({'fwd' if s == 'f' else 'bwd'})}}" if not gate else f"{gate}_{{{t + 1}}}"
        fn = act_tex[GATE_ACT.get(gate, act)]
        sub = f"{s}" + (f",{gate}" if gate else "")
        lines.append(f"{name} = {fn}\\left(W_{{{sub}}} x_{{{t + 1}}} + U_{{{sub}}} {prev} + b_{{{sub}}}\\right)"
                     if gate != "n" else
                     f"n_{{{t + 1}}} = \\tanh\\left(W_{{{sub}}} x_{{{t + 1}}} + b_{{{sub}}} + r_{{{t + 1}}} "
                     f"\\odot (U_{{{sub}}} {prev} + b_{{U,{sub}}})\\right)")
        bias = p.b[rows] + (p.b_U[rows] if gate != "n" else 0)
        lines.append(f"= {fn}\\left({_tex_mat(p.W[rows], digits)}{_tex_col(x, digits)} + "
                     f"{_tex_mat(p.U[rows], digits)}{_tex_col(hp, digits)} + {_tex_col(bias, digits)}\\right)"
                     if gate != "n" else
                     f"= \\tanh\\left({_tex_mat(p.W[rows], digits)}{_tex_col(x, digits)} + "
                     f"{_tex_col(p.b[rows], digits)} + {_tex_col([u.reset for u in block], digits)} \\odot "
                     f"\\left({_tex_mat(p.U[rows], digits)}{_tex_col(hp, digits)} + "
                     f"{_tex_col(p.b_U[rows], digits)}\\right)\\right)")
        prods = [" + ".join(f"{_tex_num(w, digits)} \\times {_tex_paren(v, digits)}"
                            for w, v in zip(u.Wx.weights, u.Wx.values)) or "0" for u in block]
        prods = r"\begin{bmatrix}" + r" \\ ".join(prods) + r"\end{bmatrix}"
        lines.append(f"= {fn}\\left({prods} + "
                     f"{_tex_col([u.Uh.value for u in block], digits)} + {_tex_col(bias, digits)}\\right)"
                     if gate != "n" else
                     f"= \\tanh\\left({prods} + "
                     f"{_tex_col(p.b[rows], digits)} + {_tex_col([u.reset for u in block], digits)} \\odot "
                     f"{_tex_col([u.Uh.value + u.b_U for u in block], digits)}\\right)")
        lines.append(f"= {fn}\\left({_tex_col([u.pre for u in block], digits)}\\right) = "
                     f"{_tex_col([u.value for u in block], digits)}")
    if tr.cell == "lstm":
        lines.append(f"c_{{{t + 1}}} = f \\odot c_{{prev}} + i \\odot g = {_tex_col(tr.c[b, t], digits)}, \\quad "
                     f"h_{{{t + 1}}} = o \\odot \\tanh(c_{{{t + 1}}}) = {_tex_col(tr.h[b, t], digits)}")
    elif tr.cell == "gru":
        lines.append(f"h_{{{t + 1}}} = (1 - z) \\odot n + z \\odot {prev} = {_tex_col(tr.h[b, t], digits)}")
    return lines


def _tex_paren(v: float, digits: int) -> str:
    s = _tex_num(v, digits)
    return f"({s})" if s.startswith("-") else s
