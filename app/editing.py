"""What the Step by step page's editors edit, as pure functions of the Workspace (no Streamlit):
the tables' blocks, frames and captions, every number the nudge box can change, the rule for a
typed sentence, and whether an edit changed anything."""
from __future__ import annotations

import numpy as np
import pandas as pd

from birnn_core import GATES, get_cell

from app.tables import blocks_frame, embeddings_frame, row_labels
from app.workspace import MAX_TOKENS, Workspace, token_problem

RECURRENT_BIAS_NOTE = ("b_U is the recurrent bias (PyTorch's bias_hh): the GRU's candidate n applies the reset "
                       "gate to U h + b_U, so it cannot be folded into b.")


def sentence_problem(words: list[str]) -> str | None:
    """Why a typed sentence cannot be used as it is (what to change), or None."""
    if not words:
        return "Type at least one word."
    if len(words) > MAX_TOKENS:
        return (f"The sentence has {len(words):,} words: this page shows at most {MAX_TOKENS}. Shorten it; "
                f"the model still shows the last sentence.")
    problems = (token_problem(w, i + 1) for i, w in enumerate(words))
    problem = next((p for p in problems if p), None)
    return None if problem is None else f"{problem} The model still shows the last sentence."


def has_recurrent_bias(ws: Workspace) -> bool:
    """Show a b_U column: always for a GRU, elsewhere only if a link or import brought one."""
    every = [p for l in range(ws.n_layers) for p in ws.weights(l)]
    return get_cell(ws.cell).two_biases or any(bool(np.any(p.b_U)) for p in every)


def direction(ws: Workspace, s: str, layer: int = 0):
    """The DirectionParams of direction s ('f' or 'b') of ``layer`` (0-based)."""
    return ws.weights(layer)[0 if s == "f" else 1]


def direction_blocks(ws: Workspace, s: str, layer: int = 0) -> list[tuple[str, np.ndarray]]:
    """The matrices of direction s ('f' or 'b') of ``layer`` side by side in its table: [W | U | b (| b_U)],
    named as the page writes them ("W_f (= W_b)" while tied, "layer 2 W_f" in a stack)."""
    p = direction(ws, s, layer)
    pre = f"layer {layer + 1} " if ws.n_layers > 1 else ""
    name = (lambda m: f"{pre}{m}_f (= {m}_b)") if ws.tie else (lambda m: f"{pre}{m}_{s}")
    blocks = [(name("W"), p.W), (name("U"), p.U), (name("b"), p.b)]
    if has_recurrent_bias(ws):
        blocks.append((name("b_U"), p.b_U))
    return blocks


def direction_caption(ws: Workspace, s: str, layer: int = 0) -> str:
    """What the rows and columns of direction s's table hold, with its shapes."""
    (W_name, W), (U_name, U) = direction_blocks(ws, s, layer)[:2]
    gates = GATES[ws.cell]
    stacked = f" Rows are the gate blocks {', '.join(gates)} stacked, as PyTorch stores them." if gates else ""
    reads = ("x_t" if layer == 0 else
             f"x_t = m_t of layer {layer}, the merged vector of the layer below (size m = {ws.m})")
    return (f"Row j holds unit j: W·x columns multiply {reads}, U·h columns multiply h_prev, then + b. "
            f"{W_name} is ({W.shape[0]}, {W.shape[1]}), {U_name} is {U.shape}.{stacked}")


def head_caption(ws: Workspace) -> str:
    return (f"y_t = {ws.head_activation}(W_o m_t + b_o): row k holds class k; W_o is (q, m) = "
            f"({ws.q}, {ws.m}), m = the merged vector's size.")


def build_frames(ws: Workspace, layer: int = 0) -> dict[str, pd.DataFrame]:
    """The editors' tables: "X" (tokens and embeddings), "dir_f", "dir_b" ([W | U | b (| b_U)] of
    ``layer``), "head"."""
    classes = [str(k + 1) for k in range(ws.q)]
    frames = {"X": embeddings_frame(ws.tokens, ws.embeddings),
              "head": blocks_frame([("W", ws.head_W, "m"), ("b", ws.head_b, "")], classes)}
    for s, p in zip("fb", ws.weights(layer)):
        blocks = [("W", p.W, "x"), ("U", p.U, "h"), ("b", p.b, "")]
        if has_recurrent_bias(ws):
            blocks.append(("b_U", p.b_U, ""))
        frames[f"dir_{s}"] = blocks_frame(blocks, row_labels(ws.cell, p.hidden_size))
    return frames


def differs(a: Workspace, b: Workspace) -> bool:
    """Do two workspaces of the same options hold different tokens or numbers?"""
    if a.tokens != b.tokens or a.embeddings.shape != b.embeddings.shape:
        return True
    pairs = [(a.embeddings, b.embeddings), (a.head_W, b.head_W), (a.head_b, b.head_b)]
    if a.n_layers != b.n_layers:
        return True
    directions = [(pa, pb) for l in range(a.n_layers) for pa, pb in zip(a.weights(l), b.weights(l))]
    pairs += [(getattr(pa, k), getattr(pb, k)) for pa, pb in directions for k in ("W", "U", "b", "b_U")]
    return any(not np.array_equal(x, y) for x, y in pairs)


# ---------------------------------------------------------------- one number at a time

def nudge_targets(ws: Workspace) -> dict[str, tuple[str, tuple, str]]:
    """Every editable number: option label -> (workspace array path, index, symbol such as x_1[2]).

    An embedding's option label adds its token to the symbol; the symbol alone labels the input."""
    out = {}

    def add(symbol: str, path: str, index: tuple, label: str | None = None) -> None:
        out[label or symbol] = (path, index, symbol)

    for t, tok in enumerate(ws.tokens):
        for j in range(ws.d):
            add(f"x_{t + 1}[{j + 1}]", "embeddings", (t, j), f"x_{t + 1}[{j + 1}]  ({tok})")
    dirs = [("f", "fwd")] + ([("b", "bwd")] if ws.bidirectional and not ws.tie else [])
    for l in range(ws.n_layers):
        base, pre = ("", "") if l == 0 else (f"upper.{l - 1}.", f"layer {l + 1} ")
        for s, d in dirs:
            p = direction(ws, s, l)
            for i, r in enumerate(row_labels(ws.cell, p.hidden_size)):
                for j in range(p.input_size):
                    add(f"{pre}W_{s}[{r}][{j + 1}]", f"{base}{d}.W", (i, j))
                for j in range(p.hidden_size):
                    add(f"{pre}U_{s}[{r}][{j + 1}]", f"{base}{d}.U", (i, j))
                add(f"{pre}b_{s}[{r}]", f"{base}{d}.b", (i,))
            if has_recurrent_bias(ws):
                for i, r in enumerate(row_labels(ws.cell, p.hidden_size)):
                    add(f"{pre}b_U_{s}[{r}]", f"{base}{d}.b_U", (i,))
    for k in range(ws.q):
        for j in range(ws.m):
            add(f"W_o[{k + 1}][{j + 1}]", "head_W", (k, j))
        add(f"b_o[{k + 1}]", "head_b", (k,))
    return out


def _array(ws: Workspace, path: str) -> np.ndarray:
    obj: object = ws
    for part in path.split("."):  # "fwd.W", "upper.0.bwd.b"
        obj = obj[int(part)] if isinstance(obj, list) else getattr(obj, part)
    assert isinstance(obj, np.ndarray), path
    return obj


def value_at(ws: Workspace, path: str, index: tuple) -> float:
    """The number at ``index`` of the array ``path`` (e.g. "fwd.W") of ``ws``."""
    return float(_array(ws, path)[index])


def with_value(ws: Workspace, path: str, index: tuple, value: float) -> Workspace:
    """A copy of ``ws`` with one number changed (the backward weights follow while tied)."""
    new = ws.copy()
    _array(new, path)[index] = value
    return new.tied() if new.tie else new
