"""The scrub's frames: the states table for every value of one number, computed before the drag.

Pure functions of the Workspace (no Streamlit). birnn_core.scan runs the model once per value as
one batch; each frame is the states table's cells (app.tables.states_columns, the same columns the
page prints) as integers at the table's display precision, so the browser only swaps numbers in.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from birnn_core import num
from birnn_core.scan import Number, scan, scan_values

from app.editing import nudge_targets, value_at
from app.tables import states_columns
from app.workspace import Workspace

FRAMES = 201          # values in one scrub: the middle one is the current value
HALF_WIDTH = 1.0      # the drag covers value - 1 ... value + 1, in steps of 0.01
DIGITS = 3            # the states table's precision (app.tables.states_html)
VALUE_DIGITS = 4      # the dragged number's own precision (the nudge box's format)
PRECOMPUTE_CELLS = 600_000  # frames x cells of a whole matrix computed at once (else only the chosen number's)
# Integer codes for non-finite cells, one set per encoding (the largest magnitudes the type holds).
SENTINELS = {"int16": (-32768, 32767, -32767), "int32": (-2**31, 2**31 - 1, -(2**31 - 1))}  # nan, inf, -inf


def number_of(ws: Workspace, path: str, index: tuple) -> Number:
    """The core's Number for an editing path ("embeddings", "fwd.W", "upper.0.bwd.b", "head_W", ...)
    as app.editing.nudge_targets names it; a tied forward weight is held by both directions."""
    if path == "embeddings":
        return Number("x", index)
    if path in ("head_W", "head_b"):
        return Number(path, index)
    parts = path.split(".")
    layer = 0 if parts[0] != "upper" else int(parts[1]) + 1
    side, array = parts[-2], parts[-1]
    if side == "bwd":
        dirs: tuple[str, ...] = ("backward",)
    else:
        dirs = ("forward", "backward") if ws.tie and ws.bidirectional else ("forward",)
    return Number(array, index, layer, dirs)


@dataclass
class Frames:
    """Every frame of one scrub. values (K,) the number's values; cells (K, T, C) the states table;
    vmax (K,) each frame's colour scale (the largest magnitude, as states_html computes it);
    groups: the table's column groups in order (see column_groups)."""

    values: np.ndarray
    cells: np.ndarray
    vmax: np.ndarray
    groups: list[dict]

    @property
    def centre(self) -> int:
        return len(self.values) // 2


def scrub_frames(ws: Workspace, path: str, index: tuple, n: int = FRAMES, half_width: float = HALF_WIDTH) -> Frames:
    """The states table for n values of the number at (path, index), centred on its current value."""
    return matrix_frames(ws, path, [index], n, half_width)[0]


def matrix_frames(ws: Workspace, path: str, indices: list[tuple], n: int = FRAMES,
                  half_width: float = HALF_WIDTH) -> list[Frames]:
    """scrub_frames of several numbers of one array, computed as one batch of len(indices) * n runs."""
    values = np.stack([scan_values(value_at(ws, path, i), half_width, n) for i in indices])  # (E, n)
    rows = [i for i in indices for _ in range(n)]
    trace = scan(ws.model(), ws.embeddings, number_of(ws, path, indices[0]), values.reshape(-1), rows)
    cols = states_columns(trace, batch=slice(None))
    cells = np.stack([v for _, _, v in cols], axis=-1).reshape(len(indices), n, len(ws.tokens), -1)  # (E, n, T, C)
    with np.errstate(invalid="ignore"):
        vmax = np.nanmax(np.abs(cells), axis=(2, 3)) if cells.size else np.ones((len(indices), n))
    groups = column_groups([g for g, _, _ in cols])
    return [Frames(values[e], cells[e], vmax[e], groups) for e in range(len(indices))]


def column_groups(names: list[str]) -> list[dict]:
    """The states table's column groups ("h fwd →", "h bwd ←", "merged (concat)", "output y", per
    layer) as {name, start, size, flow}: flow 1 for a state carried left to right, -1 right to left,
    0 for the merged vectors and the output (computed at each step on its own)."""
    groups: list[dict] = []
    for c, name in enumerate(names):
        if groups and groups[-1]["name"] == name:
            groups[-1]["size"] += 1
        else:
            groups.append({"name": name, "start": c, "size": 1, "flow": 1 if "→" in name else -1 if "←" in name else 0})
    return groups


def value_for(ws: Workspace, path: str, index: tuple, frame: object, n: int = FRAMES,
              half_width: float = HALF_WIDTH) -> float | None:
    """The value frame ``frame`` of the scrub stood for (None for a frame outside it)."""
    if not isinstance(frame, int) or isinstance(frame, bool) or not 0 <= frame < n:
        return None
    return float(scan_values(value_at(ws, path, index), half_width, n)[frame])


def display_integers(v: np.ndarray, digits: int = DIGITS) -> np.ndarray:
    """round(v * 10**digits) as int64, rounded exactly as num() prints (decimal, half to even);
    non-finite entries are 0 (the caller marks them)."""
    scaled = np.where(np.isfinite(v), v, 0.0) * 10.0 ** digits
    n = np.rint(scaled)
    near_tie = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6  # where x * 10**digits rounded away the tie
    for i in zip(*np.nonzero(near_tie)):
        n[i] = float(f"{v[i]:.{digits}f}".replace(".", ""))
    return n.astype(np.int64)


def encoded(cells: np.ndarray, digits: int = DIGITS) -> tuple[str, object]:
    """(encoding, payload): "int16" / "int32" with base64 little-endian integers (non-finite cells as
    SENTINELS), or "text" with every cell as num() prints it (numbers too large for 32 bits)."""
    finite = np.isfinite(cells)
    biggest = float(np.abs(cells[finite]).max()) * 10.0 ** digits if finite.any() else 0.0
    for kind, dtype in (("int16", "<i2"), ("int32", "<i4")):
        nan, pinf, ninf = SENTINELS[kind]
        if biggest < pinf - 1:
            n = display_integers(cells, digits)
            n = np.where(np.isnan(cells), nan, np.where(cells == np.inf, pinf, np.where(cells == -np.inf, ninf, n)))
            return kind, base64.b64encode(n.astype(dtype).tobytes()).decode("ascii")
    return "text", [[[num(float(x), digits) for x in row] for row in frame] for frame in cells]


def matrix_entries(ws: Workspace, path: str) -> list[tuple[str, tuple, str]]:
    """Every number of the array ``path`` as (nudge label, index, symbol), in row-major order."""
    return [(label, index, symbol) for label, (p, index, symbol) in nudge_targets(ws).items() if p == path]


def matrix_view(ws: Workspace, path: str) -> dict:
    """The array holding a number, as the scrub draws it: its name, row and column labels, and one
    entry per number (label, symbol, grid position, value as the nudge box prints it). Plain text only."""
    entries = matrix_entries(ws, path)
    index_2d = [(i[0], i[1] if len(i) > 1 else 0) for _, i, _ in entries]
    n_rows, n_cols = max(r for r, _ in index_2d) + 1, max(c for _, c in index_2d) + 1
    first = entries[0][2]
    name = "x (embeddings)" if path == "embeddings" else first.split("[")[0]
    if path == "embeddings":
        rows = [f"x_{t + 1} {tok}" for t, tok in enumerate(ws.tokens)]
    else:
        rows = [_brackets(symbol)[0] for (_, i, symbol) in entries if (len(i) == 1 or i[1] == 0)]
    cols = [str(j + 1) for j in range(n_cols)] if n_cols > 1 or path == "embeddings" else [""]
    return {"name": name, "rows": rows[:n_rows], "cols": cols,
            "entries": [{"label": label, "symbol": symbol, "r": r, "c": c,
                         "text": num(value_at(ws, path, index), VALUE_DIGITS)}
                        for (label, index, symbol), (r, c) in zip(entries, index_2d)]}


def _brackets(symbol: str) -> list[str]:
    """"W_f[i1][2]" -> ["i1", "2"]."""
    return [part.split("]")[0] for part in symbol.split("[")[1:]]


def _n_columns(ws: Workspace) -> int:
    """Columns of the states table: every layer's states (and merged vectors), then the output."""
    per_layer = ws.h_f + (ws.h_b + ws.m if ws.bidirectional else 0)
    return ws.n_layers * per_layer + ws.q


def frames_payload(frames: Frames) -> dict:
    """One number's frames for the browser: the values as the nudge box prints them, the encoded
    cells and each frame's colour scale."""
    encoding, data = encoded(frames.cells)
    return {**values_payload(frames.values), "encoding": encoding, "cells": data,
            "sentinels": SENTINELS.get(encoding), "vmax": np.where(np.isfinite(frames.vmax), frames.vmax, -1.0).tolist()}


def values_payload(values: np.ndarray) -> dict:
    """The scrub's values as num(v, VALUE_DIGITS) prints them: as integers (v * 10**VALUE_DIGITS, which
    the browser prints by the same rule as the cells), or as text when they are too large for that."""
    if np.abs(values).max() * 10.0 ** VALUE_DIGITS < 2.0 ** 53:
        return {"value_ints": display_integers(values, VALUE_DIGITS).tolist(), "value_digits": VALUE_DIGITS}
    return {"value_texts": [num(float(v), VALUE_DIGITS) for v in values]}


def ident(label: str, value: float) -> str:
    """Names one scrub: the number and the value its frames are centred on."""
    return f"{label}={float(value)!r}"


def payload(ws: Workspace, label: str, budget: int = PRECOMPUTE_CELLS) -> dict:
    """Everything the scrub needs for the number ``label`` of the nudge box and its matrix: the chosen
    number's frames, and every other entry's too while their cells stay within ``budget`` (so pressing
    on any of them scrubs at once); JSON only, every string drawn as text."""
    targets = nudge_targets(ws)
    path, index, symbol = targets[label]
    matrix = matrix_view(ws, path)
    labels = [e["label"] for e in matrix["entries"]]
    if len(labels) * FRAMES * len(ws.tokens) * _n_columns(ws) > budget:
        labels = [label]
    computed = dict(zip(labels, matrix_frames(ws, path, [targets[other][1] for other in labels])))
    chosen = computed[label]
    K, T, C = chosen.cells.shape
    frames = {other: frames_payload(f) for other, f in computed.items()}
    for e in matrix["entries"]:
        e["id"] = ident(e["label"], value_at(ws, path, targets[e["label"]][1]))
    return {"id": ident(label, chosen.values[chosen.centre]), "active": label, "symbol": symbol,
            "matrix": matrix, "frames": frames, "centre": chosen.centre, "T": T, "C": C, "digits": DIGITS,
            "tokens": list(ws.tokens), "groups": chosen.groups}
