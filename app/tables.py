"""Pure builders for the step-by-step page: editor frames <-> matrices, and the coloured states table.

No Streamlit here: frames go into st.data_editor, the HTML goes into st.html.
"""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

from birnn_core import GATES, ModelTrace, num


def row_labels(cell: str, h: int) -> list[str]:
    """Row names of a stacked (G*h, ...) matrix: ['1', '2'] or ['r1', 'r2', 'z1', ...]."""
    gates = GATES[cell]
    if not gates:
        return [str(j + 1) for j in range(h)]
    return [f"{g}{j + 1}" for g in gates for j in range(h)]


def embeddings_frame(tokens: list[str], X: np.ndarray) -> pd.DataFrame:
    """Tokens and their embeddings (T, d) as one editable table (rows can be added and removed)."""
    df = pd.DataFrame(np.asarray(X, dtype=np.float64), columns=[f"x{j + 1}" for j in range(X.shape[1])])
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
        parts.append(pd.DataFrame(M, index=rows, columns=cols))
    return pd.concat(parts, axis=1)


def parse_blocks(df: pd.DataFrame, blocks: list[tuple[str, tuple]]) -> list[np.ndarray]:
    """Split an edited [W | U | b] frame back into its matrices; CellError names matrix[row][col]."""
    try:
        values = df.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        values = df.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    out, start = [], 0
    for name, shape in blocks:
        width = 1 if len(shape) == 1 else shape[1]
        part = values[:, start:start + width]
        bad = np.argwhere(~np.isfinite(part))
        if len(bad):
            i, j = (int(v) for v in bad[0])
            where = f"{name}[{i + 1}]" if len(shape) == 1 else f"{name}[{i + 1}][{j + 1}]"
            raise CellError(f"{where} (row {df.index[i]}) is empty: type a finite number. The results still "
                            f"use the last valid values.")
        out.append(part.reshape(shape))
        start += width
    return out


class CellError(ValueError):
    """A cell of an editor that is not a finite number; the message says which and what to do."""


def parse_matrix(df: pd.DataFrame, name: str) -> np.ndarray:
    """The numbers of an edited frame; raises CellError naming the first bad cell (1-based)."""
    try:
        values = df.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        values = df.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        i, j = (int(v) for v in bad[0])
        raw = df.iat[i, j]
        what = "empty" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else f"'{raw}'"
        raise CellError(f"{name} row {df.index[i]}, column {df.columns[j]} is {what}: type a finite "
                        f"number. The results still use the last valid values.")
    return values


def parse_embeddings(df: pd.DataFrame, max_tokens: int) -> tuple[list[str], np.ndarray, str | None]:
    """(tokens, X (T, d), note) from the edited token table; note says when the list was capped."""
    if len(df) == 0:
        raise CellError("The token list is empty: add at least one row (token and its embedding).")
    note = None
    if len(df) > max_tokens:
        df = df.iloc[:max_tokens]
        note = f"This page shows at most {max_tokens} tokens: the first {max_tokens} rows are used."
    tokens = []
    for i, tok in enumerate(df["token"].tolist()):
        if tok is None or (isinstance(tok, float) and np.isnan(tok)) or not str(tok).strip():
            raise CellError(f"Token {i + 1} has no word: type one (or delete the row).")
        tokens.append(str(tok).strip()[:40])
    X = parse_matrix(df.drop(columns=["token"]).reset_index(drop=True).rename(index=lambda i: i + 1),
                     "Embeddings")
    return tokens, X, note


# ---------------------------------------------------------------- the states table

def _colour(v: float, vmax: float) -> str:
    """Diverging blue (negative) / white / red (positive) background."""
    a = 0.0 if vmax == 0 or not np.isfinite(v) else max(-1.0, min(1.0, v / vmax))
    if a >= 0:
        r, g, b = 255, int(255 - 140 * a), int(255 - 160 * a)
    else:
        r, g, b = int(255 + 160 * a), int(255 + 110 * a), 255
    return f"rgb({r},{g},{b})"


def states_columns(trace: ModelTrace) -> list[tuple[str, str, np.ndarray]]:
    """(group, column label, (T,) values) for forward, backward, merged and output."""
    layer = trace.layers[-1]
    cols = []
    for d in layer.directions:
        group = "h fwd →" if d.name == "forward" else "h bwd ←"
        cols += [(group, f"{j + 1}", d.h[0, :, j]) for j in range(d.hidden_size)]
    if layer.merged is not None and layer.bwd is not None:
        cols += [(f"merged ({layer.merge})", f"{j + 1}", layer.merged[0, :, j])
                 for j in range(layer.merged.shape[-1])]
    if trace.probs is not None:
        cols += [("output y", f"{k + 1}", trace.probs[0, :, k]) for k in range(trace.probs.shape[-1])]
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
    groups = []
    for g, _, _ in cols:
        if groups and groups[-1][0] == g:
            groups[-1][1] += 1
        else:
            groups.append([g, 1])
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
