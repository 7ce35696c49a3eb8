"""One registry per idea: recurrent cells, merge modes, activations (and output-layer activations).

Everything in the core looks its entries up here (the engine, explain, convert, validation, presets);
an unknown name raises :class:`ValidationError` naming the known ones. The public names the app
imports (``GATES``, ``CELL_NAMES``, ``ACTIVATIONS``, ``MERGE_MODES``, ``HEAD_ACTIVATIONS``) are live,
read-only views of these registries, so a registered entry shows up everywhere at once.

Adding a cell is one :func:`register_cell` call with one :class:`Cell` (see the four below);
adding a merge mode is one :func:`register_merge` call with one :class:`Merge`.

Canonical layout (see params.py): W (G*h, d), U (G*h, h), b, b_U (G*h,), the G gate blocks stacked
row-wise in PyTorch's order; ``b_U`` is PyTorch's ``bias_hh`` (zero for single-bias models).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import ValidationError


# ---------------------------------------------------------------- the registries and their lookups

_CELLS: dict = {}
_MERGES: dict = {}
_ACTIVATIONS: dict = {}
_HEAD_ACTIVATIONS: dict = {}

_KINDS = {  # registry -> (what it is called in messages, ValidationError.field)
    id(_CELLS): ("cell", "cell"), id(_MERGES): ("merge mode", "merge"),
    id(_ACTIVATIONS): ("activation", "activation"), id(_HEAD_ACTIVATIONS): ("output activation", "head"),
}


def _lookup(table: dict, name):
    try:
        return table[name]
    except (KeyError, TypeError):
        what, fld = _KINDS[id(table)]
        raise ValidationError(f"Unknown {what} {name!r}: choose one of {', '.join(table)}.", field=fld) from None


def _register(table: dict, entry, replace: bool):
    if entry.name in table and not replace:
        raise ValueError(f"{_KINDS[id(table)][0]} {entry.name!r} is already registered (pass replace=True).")
    table[entry.name] = entry
    _refresh_views()
    return entry


def get_cell(name: str) -> "Cell":
    """The registered cell ``name``; ValidationError naming the known cells otherwise."""
    return _lookup(_CELLS, name)


def get_merge(name: str) -> "Merge":
    return _lookup(_MERGES, name)


def get_activation(name: str) -> "Activation":
    return _lookup(_ACTIVATIONS, name)


def get_head_activation(name: str) -> "HeadActivation":
    return _lookup(_HEAD_ACTIVATIONS, name)


def register_cell(cell: "Cell", replace: bool = False) -> "Cell":
    return _register(_CELLS, cell, replace)


def register_merge(merge: "Merge", replace: bool = False) -> "Merge":
    return _register(_MERGES, merge, replace)


def register_activation(act: "Activation", replace: bool = False) -> "Activation":
    return _register(_ACTIVATIONS, act, replace)


def register_head_activation(act: "HeadActivation", replace: bool = False) -> "HeadActivation":
    return _register(_HEAD_ACTIVATIONS, act, replace)


def unregister_cell(name: str) -> None:
    _CELLS.pop(name, None)
    _refresh_views()


def unregister_merge(name: str) -> None:
    _MERGES.pop(name, None)
    _refresh_views()


def unregister_activation(name: str) -> None:
    _ACTIVATIONS.pop(name, None)
    _refresh_views()


def cells() -> list["Cell"]:
    return list(_CELLS.values())


def merges() -> list["Merge"]:
    return list(_MERGES.values())


def activations() -> list["Activation"]:
    return list(_ACTIVATIONS.values())


# ---------------------------------------------------------------- live read-only views (the old constants)

class _MapView(dict):
    """name -> one attribute of each entry, in registration order (e.g. GATES: name -> gates).

    A real dict (so every caller that wants a dict gets one), refreshed in place whenever its
    registry changes; read it, do not write it: register entries instead."""

    def __init__(self, table: dict, get: Callable):
        super().__init__()
        self._table, self._get = table, get
        _VIEWS.append(self)
        self._refresh()

    def _refresh(self):
        dict.clear(self)
        dict.update(self, {name: self._get(e) for name, e in self._table.items()})


class _NamesView(list):
    """The registered names, in registration order: a real list (UI widgets take it as options)
    refreshed in place whenever its registry changes, equal to the tuple of the same names."""

    def __init__(self, table: dict):
        super().__init__()
        self._table = table
        _VIEWS.append(self)
        self._refresh()

    def _refresh(self):
        list.clear(self)
        list.extend(self, self._table)

    def __eq__(self, other):
        return isinstance(other, (list, tuple)) and tuple(self) == tuple(other)

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __add__(self, other):
        return tuple(self) + tuple(other)


_VIEWS: list = []


def _refresh_views():
    for v in _VIEWS:
        v._refresh()


# ---------------------------------------------------------------- activations

def sigmoid(x, out=None):
    """Logistic function, computed as 0.5 * (1 + tanh(x / 2)) (no overflow for large |x|)."""
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _linear(x, out=None):
    if out is None:
        return np.array(x, dtype=np.float64, copy=True)
    np.copyto(out, x)
    return out


@dataclass(frozen=True)
class Activation:
    """An elementwise nonlinearity phi: ``fn(x, out=None)`` writes phi(x) (into ``out`` if given);
    ``derivative(x, y)`` is phi'(x) given the pre-activation x and y = phi(x) (for backprop)."""

    name: str
    symbol: str                      # how explain writes it: tanh, σ, ReLU, id
    fn: Callable
    derivative: Callable
    torch: str | None = None         # nn.RNN(nonlinearity=...) if PyTorch's SimpleRNN has it
    keras: str | None = None         # Keras' activation= name
    torch_fn: str = ""               # the function as PyTorch code


register_activation(Activation("tanh", "tanh", lambda x, out=None: np.tanh(x, out=out),
                               lambda x, y: 1.0 - y * y, "tanh", "tanh", "torch.tanh"))
register_activation(Activation("relu", "ReLU", lambda x, out=None: np.maximum(x, 0.0, out=out),
                               lambda x, y: (np.asarray(x) > 0).astype(np.float64), "relu", "relu", "torch.relu"))
register_activation(Activation("sigmoid", "σ", sigmoid, lambda x, y: y * (1.0 - y), None, "sigmoid",
                               "torch.sigmoid"))
register_activation(Activation("linear", "id", _linear, lambda x, y: np.ones_like(np.asarray(x, dtype=np.float64)),
                               None, "linear", "(lambda a: a)"))


@dataclass(frozen=True)
class HeadActivation:
    """The output layer's g in y_t = g(W_o m_t + b_o): ``fn(logits (..., q)) -> probs``;
    ``torch``: the same as PyTorch code, "{z}" standing for the logits."""

    name: str
    symbol: str
    fn: Callable
    torch: str = "{z}"
    loss: Callable | None = None     # (logits, probs, targets) (N, q) -> (per-step losses (N,), dL/dlogits (N, q))
    loss_name: str = ""
    class_targets: bool = False      # the loss's targets: one class index per step (N,), else (N, q)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _cross_entropy(logits, probs, targets):
    """targets (N,) class indices: -log p_target, and p - onehot."""
    rows = np.arange(len(targets))
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    grad = probs.copy()
    grad[rows, targets] -= 1.0
    return -log_p[rows, targets], grad


def _binary_cross_entropy(logits, probs, targets):
    """targets (N, q) in [0, 1]: sum_k of -[y log p + (1 - y) log(1 - p)] (from the logits, stably)."""
    losses = np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
    return losses.sum(axis=-1), probs - targets


def _squared_error(logits, probs, targets):
    """targets (N, q): sum_k (y - target)^2."""
    diff = probs - targets
    return (diff * diff).sum(axis=-1), 2.0 * diff


register_head_activation(HeadActivation("softmax", "softmax", _softmax, "torch.softmax({z}, dim=-1)",
                                        _cross_entropy, "cross-entropy", class_targets=True))
register_head_activation(HeadActivation("sigmoid", "σ", lambda z: sigmoid(z), "torch.sigmoid({z})",
                                        _binary_cross_entropy, "binary cross-entropy"))
register_head_activation(HeadActivation("none", "id", lambda z: z.copy(), "{z}", _squared_error, "squared error"))


# ---------------------------------------------------------------- merge modes

F, B = "{f}", "{b}"  # the two operands in a merge's pattern
_OPEN, _CLOSE = ("(", "["), (")", "]")


@dataclass(frozen=True)
class Merge:
    """How h_t^fwd and h_t^bwd combine into m_t. ``fn(h_f, h_b)`` is the one place the formula is
    computed; ``pattern`` the one place it is written (tokens, with F and B for the operands), which
    :meth:`text` and :meth:`parts` render; ``size(h_f, h_b)`` the merged size m; ``elementwise``
    merges need h_f == h_b; a merge that is not ``single`` returns both vectors apart (only allowed
    on the last layer). ``symbol``: the operator a diagram draws between the two strips;
    ``torch``: the merge as PyTorch code ("{f}", "{b}": the two tensors; None: no single tensor)."""

    name: str
    fn: Callable
    size: Callable[[int, int], int]
    elementwise: bool = False
    single: bool = True
    keras: str | None = None         # Bidirectional(merge_mode=...); None for 'none'
    pattern: tuple[str, ...] = ("(", F, ",", B, ")")
    symbol: str = ","
    torch: str | None = None
    grad: Callable | None = None     # (dm, h_f, h_b) -> (dL/dh_f, dL/dh_b), dm = dL/dm

    def text(self, f: str = "h_f", b: str = "h_b") -> str:
        """The formula as one line of text, e.g. ``(h_f + h_b) / 2``."""
        out = ""
        for tok in self.pattern:
            piece = f if tok == F else b if tok == B else tok
            if out and not out.endswith(_OPEN) and tok not in _CLOSE and tok not in (",", ";"):
                out += " "
            out += piece
        return out

    def parts(self, f, b) -> list:
        """The formula as explain's equation parts (f, b: the operands' parts)."""
        kind = {"(": ("open",), ")": ("close",), "[": ("text", "["), "]": ("text", "]")}
        return [f if tok == F else b if tok == B else kind.get(tok, ("op", tok)) for tok in self.pattern]

    @property
    def formula(self) -> str:
        return self.text()


register_merge(Merge("concat", lambda f, b: np.concatenate([f, b], axis=-1), lambda f, b: f + b,
                     keras="concat", pattern=("[", F, ";", B, "]"), symbol=";",
                     torch="torch.cat([{f}, {b}], dim=-1)",
                     grad=lambda dm, f, b: (dm[..., :f.shape[-1]], dm[..., f.shape[-1]:])))
register_merge(Merge("sum", lambda f, b: f + b, lambda f, b: f, True, keras="sum",
                     pattern=(F, "+", B), symbol="+", torch="{f} + {b}", grad=lambda dm, f, b: (dm, dm)))
register_merge(Merge("mul", lambda f, b: f * b, lambda f, b: f, True, keras="mul",
                     pattern=(F, "⊙", B), symbol="⊙", torch="{f} * {b}", grad=lambda dm, f, b: (dm * b, dm * f)))
register_merge(Merge("ave", lambda f, b: (f + b) / 2, lambda f, b: f, True, keras="ave",
                     pattern=("(", F, "+", B, ")", "/ 2"), symbol="avg", torch="({f} + {b}) / 2",
                     grad=lambda dm, f, b: (dm / 2, dm / 2)))
register_merge(Merge("none", lambda f, b: [f, b], lambda f, b: f + b, single=False, keras=None,
                     grad=lambda dm, f, b: (dm[0], dm[1])))


# ---------------------------------------------------------------- cells

@dataclass
class SweepContext:
    """What a cell's step function reads and writes while the engine runs D directions together.

    base (T, D, B, G*h): W x_t + b (+ b_U when the cell folds the recurrent bias) in processing
    order; UT (D, h, G*h) = U^T; b_U (D, 1, G*h); act: the layer activation's ``fn``;
    rec: the records, Wx, Uh, pre (T, D, B, G*h) and H (T+1, D, B, h) with H[0] the initial state,
    plus the cell's own ``records`` (e.g. gates, C, tanh_c) allocated by the engine.
    """

    D: int
    B: int
    T: int
    h: int
    base: np.ndarray
    UT: np.ndarray
    b_U: np.ndarray
    act: Callable
    rec: dict


@dataclass
class BackContext:
    """What a cell's backward step reads and writes while BPTT runs one direction backwards in time.

    All arrays in processing order. Forward records: pre, Uh, gates (T, B, G*h), H (T+1, B, h) with
    the initial state at 0, C (T+1, B, h) and tanh_c (T, B, h) for an LSTM; U (G*h, h), b_U (G*h,);
    act_grad(x, y): the layer activation's derivative. dH_out (T, B, h): dL/dh_s from above (the
    merge or the next layer). The step writes dH (T, B, h) total dL/dh_s, dC (T, B, h) total
    dL/dc_s, dgates (T, B, G*h) dL/d(gate value), dpre (T, B, G*h) dL/d(pre-activation) (what W, b
    and x receive), dUh (T, B, G*h) dL/d(U v + b_U) (what U and b_U receive, v the block's
    recurrent input; the very array dpre when the cell folds b_U into its pre-activation, so only a
    cell that does not writes it), and carries dL/dh and dL/dc into the previous step in ``carry``.
    """

    B: int
    T: int
    h: int
    U: np.ndarray
    b_U: np.ndarray
    act_grad: Callable
    rec: dict
    dH_out: np.ndarray
    grads: dict
    carry: dict


@dataclass(frozen=True)
class TorchLayout:
    """How PyTorch stores the cell: nn.<module>; same gate order and biases as the canonical layout."""

    module: str                      # "RNN", "GRU", "LSTM"
    nonlinearity: bool = False       # nn.RNN's nonlinearity= argument carries the activation


@dataclass(frozen=True)
class KerasLayout:
    """How Keras stores the cell: kernel (d, G*h), recurrent_kernel (h, G*h), bias.

    ``order[k]`` is the canonical (PyTorch) block that sits at Keras' block k; ``split_bias``:
    bias is (2, G*h) = [input bias; recurrent bias] (GRU reset_after=True), else one (G*h,) = b + b_U.
    ``config`` holds the layer arguments that select this cell (e.g. reset_after)."""

    layer: str                       # "SimpleRNN", "GRU", "LSTM"
    order: tuple[int, ...] = ()
    split_bias: bool = False
    config: dict = field(default_factory=dict)
    gate_names: tuple[str, ...] = ()  # Keras' names of its blocks, in Keras order


@dataclass(frozen=True)
class Cell:
    """One recurrent cell, everything the core needs about it.

    gates: names of the G blocks stacked in W/U/b, in PyTorch's order (() = one block whose
    nonlinearity is the layer activation); gate_activations: gate -> activation name.
    forward(ctx: SweepContext) -> step(s): the per-step function; step(s) reads H[s] (and the cell's
    other states at s) and writes Uh[s], pre[s], its records at s and H[s + 1].
    backward(ctx: BackContext) -> step(s): the same step's chain rule, called for s = T-1 .. 0.
    recurrent_input(gates (N, G*h), h_prev (N, h)) -> (N, G, h): what U multiplies in each block
    (None: h_prev in every block).
    records: extra records name -> (extra leading steps, width in blocks of h); a state record has
    one extra step (its initial value at index 0), taken from ``states``: (state key, record) pairs,
    e.g. (("c", "C"),) for an LSTM (initial value model.h0[(layer, direction, "c")]).
    fold_recurrent_bias: base = W x + b + b_U (True) or W x + b, the step adds b_U itself (False).
    gate_forms: gate -> how explain writes its pre-activation: "plain" W x + U h + b (+ b_U),
    "reset_after" W x + b + r ⊙ (U h + b_U), "reset_before" W x + U (r ⊙ h) + b (+ b_U).
    formula: explain's one-line formula ("{act}" = the activation's symbol).
    update_text(tr, t, b, j, d, f) -> str / update_equation(tr, t, b, keep, col, prev) -> parts:
    how the gates combine into the new state (None: h is the block's output itself).
    torch: its PyTorch layout, or None with ``torch_refusal`` saying why PyTorch cannot express it.
    two_biases: whether b and b_U act apart (else only b + b_U matters).
    """

    name: str
    display: str
    gates: tuple[str, ...]
    forward: Callable
    formula: str
    keras: KerasLayout
    torch: TorchLayout | None = None
    torch_refusal: str = ""
    gate_activations: dict = field(default_factory=dict)
    gate_forms: dict = field(default_factory=dict)
    records: dict = field(default_factory=dict)
    states: tuple = ()
    fold_recurrent_bias: bool = True
    two_biases: bool = False
    update_text: Callable | None = None
    update_equation: Callable | None = None
    backward: Callable | None = None
    recurrent_input: Callable | None = None

    @property
    def n_blocks(self) -> int:
        return max(1, len(self.gates))

    @property
    def uses_activation(self) -> bool:
        """Whether the layer's activation enters the computation (SimpleRNN) or the gates fix it."""
        return not self.gates

    def gate_index(self, gate: str) -> int:
        try:
            return self.gates.index(gate)
        except ValueError:
            raise ValidationError(f"A {self.display} has no gate {gate!r}: its gates are "
                                  f"{', '.join(self.gates) or 'none'}.", field="gate") from None


# ---- SimpleRNN

def _rnn_forward(c: SweepContext):
    H, Uh, pre, base, UT, act = c.rec["H"], c.rec["Uh"], c.rec["pre"], c.base, c.UT, c.act

    def step(s):
        np.matmul(H[s], UT, out=Uh[s])
        np.add(base[s], Uh[s], out=pre[s])
        act(pre[s], H[s + 1])
    return step


def _rnn_backward(c: BackContext):
    pre, H, g = c.rec["pre"], c.rec["H"], c.grads

    def step(s):
        dh = c.dH_out[s] + c.carry["h"]
        g["dH"][s] = dh
        g["dpre"][s] = dh * c.act_grad(pre[s], H[s + 1])
        c.carry["h"] = g["dpre"][s] @ c.U
    return step


# ---- LSTM (i, f, g, o)

def _lstm_forward(c: SweepContext):
    H, Uh, pre, base, UT, h = c.rec["H"], c.rec["Uh"], c.rec["pre"], c.base, c.UT, c.h
    gates, C, tanh_c = c.rec["gates"], c.rec["C"], c.rec["tanh_c"]
    ig = np.empty((c.D, c.B, h))

    def step(s):
        np.matmul(H[s], UT, out=Uh[s])
        np.add(base[s], Uh[s], out=pre[s])
        g = gates[s]
        sigmoid(pre[s], out=g)
        np.tanh(pre[s, ..., 2 * h:3 * h], out=g[..., 2 * h:3 * h])
        np.multiply(g[..., h:2 * h], C[s], out=C[s + 1])                   # f * c_prev
        np.multiply(g[..., :h], g[..., 2 * h:3 * h], out=ig)               # i * g
        C[s + 1] += ig
        np.tanh(C[s + 1], out=tanh_c[s])
        np.multiply(g[..., 3 * h:], tanh_c[s], out=H[s + 1])               # o * tanh(c)
    return step


def _lstm_backward(c: BackContext):
    gates, C, tanh_c, h, g = c.rec["gates"], c.rec["C"], c.rec["tanh_c"], c.h, c.grads

    def step(s):
        i, f, gg, o = (gates[s, :, k * h:(k + 1) * h] for k in range(4))
        dh = c.dH_out[s] + c.carry["h"]
        dc = c.carry["c"] + dh * o * (1.0 - tanh_c[s] ** 2)
        g["dH"][s], g["dC"][s] = dh, dc
        dgates = np.concatenate([dc * gg, dc * C[s], dc * i, dh * tanh_c[s]], axis=-1)  # di, df, dg, do
        g["dgates"][s] = dgates
        slope = gates[s] * (1.0 - gates[s])
        slope[:, 2 * h:3 * h] = 1.0 - gg * gg
        g["dpre"][s] = dgates * slope
        c.carry["h"] = g["dpre"][s] @ c.U
        c.carry["c"] = dc * f
    return step


def _lstm_update_text(tr, t, b, j, d, f):
    i, fg, g, o = (tr.gate(n)[b, t, j] for n in "ifgo")
    return (f"c[{j + 1}] = f×c_prev + i×g = {d(fg)}×{f(tr.c_prev[b, t, j])} + {d(i)}×{f(g)} = "
            f"{d(tr.c[b, t, j])};  h[{j + 1}] = o×tanh(c) = {d(o)}×{f(tr.tanh_c[b, t, j])} = {d(tr.h[b, t, j])}")


def _lstm_update_equation(tr, t, b, keep, col, prev):
    T1, odot, eq = str(t + 1), ("op", "⊙"), ("op", "=")
    return [("sym", "c", T1, ""), eq, ("sym", "f", "", ""), odot, ("sym", "c", "prev", ""), ("op", "+"),
            ("sym", "i", "", ""), odot, ("sym", "g", "", ""), eq, col(tr.c[b, t, keep]), ("op", ","),
            ("sym", "h", T1, ""), eq, ("sym", "o", "", ""), odot, ("fn", "tanh"), ("open",),
            ("sym", "c", T1, ""), ("close",), eq, col(tr.h[b, t, keep])]


# ---- GRU, PyTorch's (and Keras' reset_after=True): n = tanh(W_n x + b_n + r ⊙ (U_n h + b_Un))

def _gru_forward(c: SweepContext):
    H, Uh, pre, base, UT, h, b_U = c.rec["H"], c.rec["Uh"], c.rec["pre"], c.base, c.UT, c.h, c.b_U
    gates = c.rec["gates"]
    uhb = np.empty((c.D, c.B, 3 * h))

    def step(s):
        np.matmul(H[s], UT, out=Uh[s])
        np.add(Uh[s], b_U, out=uhb)
        p, g = pre[s], gates[s]
        np.add(base[s, ..., :2 * h], uhb[..., :2 * h], out=p[..., :2 * h])
        sigmoid(p[..., :2 * h], out=g[..., :2 * h])                         # r, z
        np.multiply(g[..., :h], uhb[..., 2 * h:], out=p[..., 2 * h:])       # r * (U_n h + b_Un)
        p[..., 2 * h:] += base[s, ..., 2 * h:]
        np.tanh(p[..., 2 * h:], out=g[..., 2 * h:])                         # n
        np.subtract(H[s], g[..., 2 * h:], out=H[s + 1])                     # h' = n + z * (h - n)
        H[s + 1] *= g[..., h:2 * h]
        H[s + 1] += g[..., 2 * h:]
    return step


def _gru_gate_grads(c: BackContext, s: int):
    """dL/dh_s, and the gate values and gradients every GRU shares: h' = (1 - z) n + z h_prev."""
    h, g = c.h, c.grads
    r, z, n = (c.rec["gates"][s, :, k * h:(k + 1) * h] for k in range(3))
    dh = c.dH_out[s] + c.carry["h"]
    g["dH"][s] = dh
    dn = dh * (1.0 - z)
    dz = dh * (c.rec["H"][s] - n)
    return dh, r, z, n, dz, dn, dn * (1.0 - n * n)


def _gru_backward(c: BackContext):
    h, g = c.h, c.grads

    def step(s):
        dh, r, z, n, dz, dn, dpre_n = _gru_gate_grads(c, s)
        dr = dpre_n * (c.rec["Uh"][s, :, 2 * h:] + c.b_U[2 * h:])       # n = tanh(... + r ⊙ (U_n h + b_Un))
        dpre = np.concatenate([dr * r * (1.0 - r), dz * z * (1.0 - z), dpre_n], axis=-1)
        g["dgates"][s] = np.concatenate([dr, dz, dn], axis=-1)
        g["dpre"][s] = dpre
        g["dUh"][s] = dpre
        g["dUh"][s, :, 2 * h:] *= r
        c.carry["h"] = dh * z + g["dUh"][s] @ c.U
    return step


def _gru_update_text(tr, t, b, j, d, f):
    z, n = tr.gate("z")[b, t, j], tr.gate("n")[b, t, j]
    return (f"h[{j + 1}] = (1 - z)×n + z×h_prev = (1 - {d(z)})×{f(n)} + {d(z)}×{f(tr.h_prev[b, t, j])} = "
            f"{d(tr.h[b, t, j])}")


def _gru_update_equation(tr, t, b, keep, col, prev):
    odot = ("op", "⊙")
    return [("sym", "h", str(t + 1), ""), ("op", "="), ("open",), ("text", "1"), ("op", "−"), ("sym", "z", "", ""),
            ("close",), odot, ("sym", "n", "", ""), ("op", "+"), ("sym", "z", "", ""), odot, prev,
            ("op", "="), col(tr.h[b, t, keep])]


# ---- classic GRU (Keras reset_after=False): n = tanh(W_n x + b_n + U_n (r ⊙ h)), one bias

def _gru_classic_forward(c: SweepContext):
    H, Uh, pre, base, UT, h = c.rec["H"], c.rec["Uh"], c.rec["pre"], c.base, c.UT, c.h
    gates = c.rec["gates"]
    UT_rz, UT_n = np.ascontiguousarray(UT[..., :2 * h]), np.ascontiguousarray(UT[..., 2 * h:])
    urz, un, rh = np.empty((c.D, c.B, 2 * h)), np.empty((c.D, c.B, h)), np.empty((c.D, c.B, h))

    def step(s):
        p, g, u = pre[s], gates[s], Uh[s]
        np.matmul(H[s], UT_rz, out=urz)                                     # U_r h, U_z h
        u[..., :2 * h] = urz
        np.add(base[s, ..., :2 * h], urz, out=p[..., :2 * h])
        sigmoid(p[..., :2 * h], out=g[..., :2 * h])                         # r, z
        np.multiply(g[..., :h], H[s], out=rh)                               # r * h_prev
        np.matmul(rh, UT_n, out=un)                                         # U_n (r * h_prev)
        u[..., 2 * h:] = un
        np.add(base[s, ..., 2 * h:], un, out=p[..., 2 * h:])
        np.tanh(p[..., 2 * h:], out=g[..., 2 * h:])                         # n
        np.subtract(H[s], g[..., 2 * h:], out=H[s + 1])                     # h' = n + z * (h - n)
        H[s + 1] *= g[..., h:2 * h]
        H[s + 1] += g[..., 2 * h:]
    return step


def _gru_classic_backward(c: BackContext):
    h, g = c.h, c.grads

    def step(s):
        dh, r, z, n, dz, dn, dpre_n = _gru_gate_grads(c, s)
        d_rh = dpre_n @ c.U[2 * h:]                                          # n = tanh(... + U_n (r ⊙ h))
        dr = d_rh * c.rec["H"][s]
        dpre = np.concatenate([dr * r * (1.0 - r), dz * z * (1.0 - z), dpre_n], axis=-1)
        g["dgates"][s] = np.concatenate([dr, dz, dn], axis=-1)
        g["dpre"][s] = dpre
        c.carry["h"] = dh * z + dpre[:, :2 * h] @ c.U[:2 * h] + d_rh * r
    return step


def _gru_classic_recurrent_input(gates, h_prev):
    """U_r and U_z multiply h_prev, U_n multiplies r ⊙ h_prev."""
    h = h_prev.shape[-1]
    return np.stack([h_prev, h_prev, gates[..., :h] * h_prev], axis=-2)


_GRU_ACTS = {"r": "sigmoid", "z": "sigmoid", "n": "tanh"}

register_cell(Cell(
    "rnn", "SimpleRNN", (), _rnn_forward, "{act}(W x_t + U h_prev + b)",
    KerasLayout("SimpleRNN"), TorchLayout("RNN", nonlinearity=True), backward=_rnn_backward))
register_cell(Cell(
    "gru", "GRU", ("r", "z", "n"), _gru_forward,
    "(1 - z)⊙n + z⊙h_prev, n = tanh(W_n x + b_n + r⊙(U_n h_prev + b_Un))",
    KerasLayout("GRU", (1, 0, 2), split_bias=True, config={"reset_after": True}, gate_names=("z", "r", "h")),
    TorchLayout("GRU"), gate_activations=_GRU_ACTS, gate_forms={"n": "reset_after"},
    records={"gates": (0, 3)}, fold_recurrent_bias=False, two_biases=True,
    update_text=_gru_update_text, update_equation=_gru_update_equation, backward=_gru_backward))
register_cell(Cell(
    "lstm", "LSTM", ("i", "f", "g", "o"), _lstm_forward, "o⊙tanh(c_t), c_t = f⊙c_prev + i⊙g",
    KerasLayout("LSTM", (0, 1, 2, 3), gate_names=("i", "f", "c", "o")), TorchLayout("LSTM"),
    gate_activations={"i": "sigmoid", "f": "sigmoid", "g": "tanh", "o": "sigmoid"},
    records={"gates": (0, 4), "C": (1, 1), "tanh_c": (0, 1)}, states=(("c", "C"),),
    update_text=_lstm_update_text, update_equation=_lstm_update_equation, backward=_lstm_backward))
register_cell(Cell(
    "gru_classic", "GRU (reset before, Keras classic)", ("r", "z", "n"), _gru_classic_forward,
    "(1 - z)⊙n + z⊙h_prev, n = tanh(W_n x + U_n (r⊙h_prev) + b_n)",
    KerasLayout("GRU", (1, 0, 2), split_bias=False, config={"reset_after": False}, gate_names=("z", "r", "h")),
    None, "PyTorch's nn.GRU applies the reset gate after U (r ⊙ (U_n h + b_Un)); this classic GRU "
          "(Keras reset_after=False) applies it before U (U_n (r ⊙ h)), which nn.GRU cannot express: "
          "export it to Keras, or use the 'gru' cell.",
    gate_activations=_GRU_ACTS, gate_forms={"n": "reset_before"}, records={"gates": (0, 3)},
    update_text=_gru_update_text, update_equation=_gru_update_equation, backward=_gru_classic_backward,
    recurrent_input=_gru_classic_recurrent_input))


# ---------------------------------------------------------------- the views the app imports

GATES = _MapView(_CELLS, lambda c: c.gates)
CELL_NAMES = _MapView(_CELLS, lambda c: c.display)
ACTIVATIONS = _NamesView(_ACTIVATIONS)
MERGE_MODES = _NamesView(_MERGES)
HEAD_ACTIVATIONS = _NamesView(_HEAD_ACTIVATIONS)
ACT_SYMBOL = _MapView(_ACTIVATIONS, lambda a: a.symbol)


def n_blocks(cell: str) -> int:
    """Number of gate blocks G stacked in W, U, b for ``cell``."""
    return get_cell(cell).n_blocks


def merge_vectors(mode: str, h_f: np.ndarray, h_b: np.ndarray | None = None):
    """Combine forward and backward vectors as Keras' merge_mode does ('none' returns both)."""
    if h_b is None:
        return h_f
    return get_merge(mode).fn(h_f, h_b)
