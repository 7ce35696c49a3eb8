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
    return get_cell(ws.cell).two_biases or bool(np.any(ws.fwd.b_U) or np.any(ws.bwd.b_U))


def direction_blocks(ws: Workspace, s: str) -> list[tuple[str, np.ndarray]]:
    """The matrices of direction s ('f' or 'b') side by side in its table: [W | U | b (| b_U)],
    named as the page writes them ("W_f (= W_b)" while tied)."""
    p = ws.fwd if s == "f" else ws.bwd
    name = (lambda m: f"{m}_f (= {m}_b)") if ws.tie else (lambda m: f"{m}_{s}")
    blocks = [(name("W"), p.W), (name("U"), p.U), (name("b"), p.b)]
    if has_recurrent_bias(ws):
        blocks.append((name("b_U"), p.b_U))
    return blocks


def direction_caption(ws: Workspace, s: str) -> str:
    """What the rows and columns of direction s's table hold, with its shapes."""
    (W_name, W), (U_name, U) = direction_blocks(ws, s)[:2]
    gates = GATES[ws.cell]
    stacked = f" Rows are the gate blocks {', '.join(gates)} stacked, as PyTorch stores them." if gates else ""
    return (f"Row j holds unit j: W·x columns multiply x_t, U·h columns multiply h_prev, then + b. "
            f"{W_name} is ({W.shape[0]}, {ws.d}), {U_name} is {U.shape}.{stacked}")


def head_caption(ws: Workspace) -> str:
    return (f"y_t = {ws.head_activation}(W_o m_t + b_o): row k holds class k; W_o is (q, m) = "
            f"({ws.q}, {ws.m}), m = the merged vector's size.")


def build_frames(ws: Workspace) -> dict[str, pd.DataFrame]:
    """The editors' tables: "X" (tokens and embeddings), "dir_f", "dir_b" ([W | U | b (| b_U)]), "head"."""
    classes = [str(k + 1) for k in range(ws.q)]
    frames = {"X": embeddings_frame(ws.tokens, ws.embeddings),
              "head": blocks_frame([("W", ws.head_W, "m"), ("b", ws.head_b, "")], classes)}
    for s, p in (("f", ws.fwd), ("b", ws.bwd)):
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
    pairs += [(getattr(pa, k), getattr(pb, k)) for pa, pb in ((a.fwd, b.fwd), (a.bwd, b.bwd))
              for k in ("W", "U", "b", "b_U")]
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
    for s, d in dirs:
        p = getattr(ws, d)
        for i, r in enumerate(row_labels(ws.cell, p.hidden_size)):
            for j in range(ws.d):
                add(f"W_{s}[{r}][{j + 1}]", f"{d}.W", (i, j))
            for j in range(p.hidden_size):
                add(f"U_{s}[{r}][{j + 1}]", f"{d}.U", (i, j))
            add(f"b_{s}[{r}]", f"{d}.b", (i,))
    for k in range(ws.q):
        for j in range(ws.m):
            add(f"W_o[{k + 1}][{j + 1}]", "head_W", (k, j))
        add(f"b_o[{k + 1}]", "head_b", (k,))
    return out


def _array(ws: Workspace, path: str) -> np.ndarray:
    obj: object = ws
    for part in path.split("."):
        obj = getattr(obj, part)
    assert isinstance(obj, np.ndarray), path
    return obj


def value_at(ws: Workspace, path: str, index: tuple) -> float:
    """The number at ``index`` of the array ``path`` (e.g. "fwd.W") of ``ws``."""
    return float(_array(ws, path)[index])


def with_value(ws: Workspace, path: str, index: tuple, value: float) -> Workspace:
    """A copy of ``ws`` with one number changed (the backward weights follow while tied)."""
    new = ws.copy()
    _array(new, path)[index] = value
    if new.tie:
        new.bwd = new.fwd.copy()
    return new
