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

from app.editing import value_at
from app.tables import states_columns
from app.workspace import Workspace

FRAMES = 201          # values in one scrub: the middle one is the current value
HALF_WIDTH = 1.0      # the drag covers value - 1 ... value + 1, in steps of 0.01
DIGITS = 3            # the states table's precision (app.tables.states_html)
VALUE_DIGITS = 4      # the dragged number's own precision (the nudge box's format)
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
    vmax (K,) each frame's colour scale (the largest magnitude, as states_html computes it)."""

    values: np.ndarray
    cells: np.ndarray
    vmax: np.ndarray

    @property
    def centre(self) -> int:
        return len(self.values) // 2


def scrub_frames(ws: Workspace, path: str, index: tuple, n: int = FRAMES, half_width: float = HALF_WIDTH) -> Frames:
    """The states table for n values of the number at (path, index), centred on its current value."""
    values = scan_values(value_at(ws, path, index), half_width, n)
    trace = scan(ws.model(), ws.embeddings, number_of(ws, path, index), values)
    cols = states_columns(trace, batch=slice(None))
    cells = np.stack([v for _, _, v in cols], axis=-1)  # (K, T, C)
    with np.errstate(invalid="ignore"):
        vmax = np.nanmax(np.abs(cells), axis=(1, 2)) if cells.size else np.ones(n)
    return Frames(values, cells, vmax)


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
    n = display_integers(cells, digits)
    biggest = int(np.abs(n).max()) if n.size else 0
    for kind, dtype in (("int16", "<i2"), ("int32", "<i4")):
        nan, pinf, ninf = SENTINELS[kind]
        if biggest < pinf - 1:
            n = np.where(np.isnan(cells), nan, np.where(cells == np.inf, pinf, np.where(cells == -np.inf, ninf, n)))
            return kind, base64.b64encode(n.astype(dtype).tobytes()).decode("ascii")
    return "text", [[[num(float(x), digits) for x in row] for row in frame] for frame in cells]


def payload(frames: Frames, symbol: str, ident: str) -> dict:
    """What the browser needs to draw any frame: JSON only (no user text is rendered as HTML there)."""
    K, T, C = frames.cells.shape
    encoding, data = encoded(frames.cells)
    return {"id": ident, "symbol": symbol, "values": [num(float(v), VALUE_DIGITS) for v in frames.values],
            "centre": frames.centre, "T": T, "C": C, "digits": DIGITS, "encoding": encoding, "frames": data,
            "sentinels": SENTINELS.get(encoding), "vmax": [float(x) if np.isfinite(x) else -1.0 for x in frames.vmax]}
