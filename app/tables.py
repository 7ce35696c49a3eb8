"""Pure builders of the pages' tables: editor frames <-> matrices, the coloured states table, the
seed check and the output-versus-final-state table.

No Streamlit here: frames go into st.data_editor, the HTML into st.html, the markdown into st.markdown.
"""
from __future__ import annotations

import html
import math
import re

import numpy as np
import pandas as pd

from birnn_core import GATES, ModelTrace, num

from app.text import markdown


def row_labels(cell: str, h: int) -> list[str]:
    """Row names of a stacked (G*h, ...) matrix: ['1', '2'] or ['r1', 'r2', 'z1', ...]."""
    gates = GATES[cell]
    if not gates:
        return [str(j + 1) for j in range(h)]
    return [f"{g}{j + 1}" for g in gates for j in range(h)]


# ---------------------------------------------------------------- cells are text, parsed here

# A number as people type it: 0.5, -.5, 5., 1e-3, 2E+4 (and the minus sign "−" the page prints).
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def cell_text(v: float) -> str:
    """A value as its editor cell shows it: the shortest text that reads back as exactly ``v``."""
    return repr(float(v))


def _missing(raw) -> bool:
    """An empty cell as an editor hands it back: None, NaN or pandas' NA."""
    return raw is None or raw is pd.NA or (isinstance(raw, float) and math.isnan(raw))


def _parse_cells(cells: np.ndarray, where) -> np.ndarray:
    """The floats of an object array of typed cells (r, c); CellError names the first bad cell by
    ``where(i, j)``, which is built only then (a table of 60 x 16 cells is parsed on every rerun)."""
    values = np.empty(cells.shape)
    for (i, j), raw in np.ndenumerate(cells):
        try:
            values[i, j] = parse_number(raw, "")
        except CellError:
            parse_number(raw, where(i, j))  # raises again, naming the cell
    return values


def parse_number(raw, where: str) -> float:
    """The float a person typed in a cell, or CellError saying what to type instead.

    The editors hold text, not browser number fields: a number field drops what it does not
    accept (1e309 became 1309, 1,5 became 15) and the server never saw what was typed."""
    text = "" if _missing(raw) else str(raw).strip()
    text = text.replace("\u2212", "-")
    if not text:
        raise CellError(f"{where} is empty: type a finite number. The results still use the last valid values.")
    if _NUMBER.fullmatch(text) is None:
        shown = text if len(text) <= 24 else text[:24] + "…"
        if re.fullmatch(r"[+-]?\d*,\d+", text):
            hint = f"write the decimal point as a dot ({text.replace(',', '.')})"
        elif text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            hint = "NaN and infinity cannot be computed with: type a finite number"
        else:
            hint = "type a number such as -0.25 or 1e-3"
        raise CellError(f"{where} is '{shown}': {hint}. The results still use the last valid values.")
    value = float(text)
    if not math.isfinite(value):
        raise CellError(f"{where} is '{text}', beyond the largest 64-bit float (about 1.8e308): type a "
                        f"smaller number. The results still use the last valid values.")
    return value


def embeddings_frame(tokens: list[str], X: np.ndarray) -> pd.DataFrame:
    """Tokens and their embeddings (T, d) as one editable table of text (rows can be added and removed)."""
    X = np.asarray(X, dtype=np.float64)
    df = pd.DataFrame([[cell_text(v) for v in row] for row in X], columns=[f"x{j + 1}" for j in range(X.shape[1])],
                      dtype=object)
    df.insert(0, "token", list(tokens))
    return df


def blocks_frame(blocks: list[tuple[str, np.ndarray, str]], rows: list[str]) -> pd.DataFrame:
    """Several matrices side by side in one table, e.g. [W | U | b]: row j holds unit j's weights.

    blocks: (column symbol, (r, c) or (r,) values, column prefix); columns are named "W·x1", "b", ...
    """
    parts = []
    for sym, M, prefix in blocks:
        M = np.asarray(M, dtype=np.float64).reshape(len(rows), -1)
        cols = [sym] if M.shape[1] == 1 and not prefix else [f"{sym}·{prefix}{j + 1}" for j in range(M.shape[1])]
        parts.append(pd.DataFrame([[cell_text(v) for v in row] for row in M], index=rows, columns=cols, dtype=object))
    return pd.concat(parts, axis=1)


def parse_blocks(df: pd.DataFrame, blocks: list[tuple[str, tuple]]) -> list[np.ndarray]:
    """Split an edited [W | U | b] frame back into its matrices; CellError names matrix[row][col]."""
    out, start = [], 0
    cells, rows = df.to_numpy(dtype=object), list(df.index)
    for name, shape in blocks:
        width = 1 if len(shape) == 1 else shape[1]

        def where(i: int, j: int, name=name, shape=shape) -> str:
            at = f"{name}[{i + 1}]" if len(shape) == 1 else f"{name}[{i + 1}][{j + 1}]"
            return f"{at} (row {rows[i]})"

        out.append(_parse_cells(cells[:, start:start + width], where).reshape(shape))
        start += width
    return out


class CellError(ValueError):
    """A cell of an editor that is not a finite number; the message says which and what to do."""


def parse_matrix(df: pd.DataFrame, name: str) -> np.ndarray:
    """The numbers of an edited frame; raises CellError naming the first bad cell (1-based)."""
    rows, cols = list(df.index), list(df.columns)
    return _parse_cells(df.to_numpy(dtype=object), lambda i, j: f"{name} row {rows[i]}, column {cols[j]}")


def parse_embeddings(df: pd.DataFrame, max_tokens: int, token_problem) -> tuple[list[str], np.ndarray]:
    """(tokens, X (T, d)) from the edited token table; CellError says what to change.

    token_problem(token, position) -> message or None: the workspace's rule for a token."""
    if len(df) == 0:
        raise CellError("The token list is empty: add at least one row (token and its embedding).")
    if len(df) > max_tokens:
        raise CellError(f"The table has {len(df)} rows: this page shows at most {max_tokens} tokens. Delete "
                        f"{len(df) - max_tokens} row(s). The results still use the last valid values.")
    tokens = []
    for i, tok in enumerate(df["token"].tolist()):
        tok = "" if _missing(tok) else str(tok).strip()
        problem = token_problem(tok, i + 1)
        if problem:
            raise CellError(problem + " (Or delete the row.) The results still use the last valid values.")
        tokens.append(tok)
    cols = [c for c in df.columns if c != "token"]
    cells = df.to_numpy(dtype=object)[:, [df.columns.get_loc(c) for c in cols]]
    X = _parse_cells(cells, lambda i, j: f"Embeddings row {i + 1}, column {cols[j]}")
    return tokens, X


# ---------------------------------------------------------------- the states table

def _colour(v: float, vmax: float) -> str:
    """Diverging blue (negative) / white / red (positive) background."""
    a = 0.0 if vmax == 0 or not np.isfinite(v) else max(-1.0, min(1.0, v / vmax))
    if a >= 0:
        r, g, b = 255, int(255 - 140 * a), int(255 - 160 * a)
    else:
        r, g, b = int(255 + 160 * a), int(255 + 110 * a), 255
    return f"rgb({r},{g},{b})"


def states_columns(trace: ModelTrace, batch: int | slice = 0) -> list[tuple[str, str, np.ndarray]]:
    """(group, column label, values) for forward, backward and merged of every layer (groups named
    "layer 2 · h fwd →" when there are several), then the output. Values are (T,) for one sequence
    ``batch``, (B, T) for batch=slice(None)."""
    cols = []
    for l, layer in enumerate(trace.layers):
        pre = f"layer {l + 1} · " if len(trace.layers) > 1 else ""
        for d in layer.directions:
            group = pre + ("h fwd →" if d.name == "forward" else "h bwd ←")
            cols += [(group, f"{j + 1}", d.h[batch, :, j]) for j in range(d.hidden_size)]
        if layer.merged is not None and layer.bwd is not None:
            cols += [(f"{pre}merged ({layer.merge})", f"{j + 1}", layer.merged[batch, :, j])
                     for j in range(layer.merged.shape[-1])]
    if trace.probs is not None:
        cols += [("output y", f"{k + 1}", trace.probs[batch, :, k]) for k in range(trace.probs.shape[-1])]
    return cols


def changed_mask(trace: ModelTrace, prev: ModelTrace | None) -> np.ndarray | None:
    """(T, n_columns) True where a value differs from the previous trace (None if not comparable)."""
    if prev is None:
        return None
    a, b = states_columns(trace), states_columns(prev)
    if [(g, c) for g, c, _ in a] != [(g, c) for g, c, _ in b] or a[0][2].shape != b[0][2].shape:
        return None
    return np.stack([~np.isclose(x, y, rtol=0, atol=1e-12) for (_, _, x), (_, _, y) in zip(a, b)], axis=1)


def states_html(trace: ModelTrace, tokens: list[str], prev: ModelTrace | None = None, selected: int | None = None,
                digits: int = 3) -> str:
    """All hidden states at once, coloured by value; cells changed since ``prev`` get class 'changed'."""
    cols = states_columns(trace)
    changed = changed_mask(trace, prev)
    vmax = max(float(np.nanmax(np.abs(v))) for _, _, v in cols) if cols else 1.0
    groups: list[tuple[str, int]] = []
    for g, _, _ in cols:
        if groups and groups[-1][0] == g:
            groups[-1] = (g, groups[-1][1] + 1)
        else:
            groups.append((g, 1))
    head1 = "".join(f'<th colspan="{n}">{html.escape(g)}</th>' for g, n in groups)
    head2 = "".join(f"<th>{html.escape(c)}</th>" for _, c, _ in cols)
    body = []
    for t, tok in enumerate(tokens):
        cls = ' class="sel"' if t == selected else ""
        cells = []
        for k, (_, _, v) in enumerate(cols):
            mark = ' class="changed"' if changed is not None and changed[t, k] else ""
            cells.append(f'<td{mark} style="background:{_colour(v[t], vmax)}">{num(v[t], digits)}</td>')
        body.append(f'<tr{cls}><th>{t + 1}</th><th class="tok">{html.escape(tok)}</th>{"".join(cells)}</tr>')
    n_changed = int(changed.sum()) if changed is not None else 0
    caption = (f"{n_changed} value(s) changed by the last edit (outlined)." if changed is not None
               else "Values coloured blue (negative) to red (positive).")
    return (f'<div class="states" data-changed="{n_changed}">'
            "<style>.states table{border-collapse:collapse;font:13px/1.3 ui-monospace,monospace}"
            ".states td,.states th{border:1px solid #ddd;padding:3px 6px;text-align:right}"
            ".states th.tok{text-align:left}.states tr.sel th{background:#fff3b0}"
            ".states td.changed{outline:3px solid #f59e0b;outline-offset:-3px;font-weight:700}</style>"
            f"<table><thead><tr><th></th><th></th>{head1}</tr><tr><th>t</th><th>token</th>{head2}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table><p style='font-size:12px;color:#666'>{caption}</p></div>")


# ---------------------------------------------------------------- the seed check

def seed_markdown(values) -> str:
    """presets.seed_comparison's rows as a markdown table: printed, exact (4 decimals), matches."""
    lines = ["| state | seed prints | exact | matches |", "|---|---|---|---|"]
    for v in values:
        lines.append(f"| h_{v.t} {v.direction} | {v.printed} | [{', '.join(f'{x:.4f}' for x in v.exact)}] | "
                     f"{'✅ yes' if v.matches else '❌ no'} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- output versus final state

def vector_text(v, digits: int = 3) -> str:
    """A vector's first 8 values ("[0.1, 0.2, …]"); a matrix's first 3 rows, separated by "; "."""
    v = np.asarray(v)
    if v.ndim == 2:
        return "; ".join(vector_text(r, digits) for r in v[:3]) + (" …" if len(v) > 3 else "")
    shown = ", ".join(num(float(x), digits) for x in v[:8])
    return f"[{shown}{', …' if v.size > 8 else ''}]"


def final_state_markdown(rows) -> str:
    """app.figures.diagram.final_state_rows as a markdown table: code in code spans, every other cell
    escaped (app.text.markdown), so no cell can turn into markup or split the table."""
    lines = ["| | expression | what it is | values | equals | |", "|---|---|---|---|---|---|"]
    code = lambda s: f"`{s}`" if s and "`" not in s and "|" not in s else markdown(s)
    for r in rows:
        mark = "" if r.same is None else ("✓ equal" if r.same else "✗ different")
        lines.append(f"| {markdown(r.framework)} | {code(r.expression)} | {markdown(r.meaning)} | "
                     f"{code(vector_text(r.values))} | {code(r.same_as)} | {mark} |")
    return "\n".join(lines)
