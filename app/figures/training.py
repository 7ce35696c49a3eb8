"""Charts of the Train page (pure: runs in, Vega-Lite specs and tables out, no Streamlit).

These change many times a second while the networks train. The curves are Vega-Lite, not Plotly:
Streamlit keys a Plotly chart by a hash of its figure, so every new figure remounts it and the chart
stayed blank while training; a Vega-Lite chart whose spec stays the same only gets its data replaced.

``curves``: training loss and held-out accuracy against the step, one line per network, with the
best accuracy a left-to-right reader can reach dashed. ``weights_image``: every weight of both
networks as one picture, a panel per matrix (W and U of each direction, the head's W_oᵀ), on one
colour scale centred on 0.
Every label is the app's own text (task tokens are digits); nothing a person typed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from playground import Run

NAMES = {"uni": "unidirectional", "bi": "bidirectional"}
COLOURS = {"unidirectional": "#e67e22", "bidirectional": "#1f77b4"}
BLOCKS = ["W_f", "U_f", "W_b", "U_b", "W_oᵀ"]
CANVAS = {"usermeta": {"embedOptions": {"renderer": "canvas"}}}  # one bitmap, not an SVG node per mark
_NETWORK_COLOUR = {"field": "network", "type": "nominal", "title": None,
                   "scale": {"domain": list(COLOURS), "range": list(COLOURS.values())},
                   "legend": {"orient": "bottom"}}


def curves_table(runs: dict[str, Run]) -> pd.DataFrame:
    """One row per network and evaluation: step, network, loss (mini-batch), accuracy (held out)."""
    rows = [(step, NAMES[net], loss, acc) for net, run in runs.items() for step, loss, acc in run.history]
    return pd.DataFrame(rows, columns=["step", "network", "loss", "accuracy"])


def curves_spec(left_bound: float) -> dict:
    """Loss (log scale) beside accuracy (with the left-to-right ceiling dashed), against the Adam step."""
    x = {"field": "step", "type": "quantitative", "title": "Adam step"}
    line = {"mark": {"type": "line", "strokeWidth": 2}}
    return {
        **CANVAS,
        "hconcat": [
            {**line, "title": "training loss (mini-batch)", "width": 420, "height": 240,
             "encoding": {"x": x, "y": {"field": "loss", "type": "quantitative", "scale": {"type": "log"},
                                        "title": "loss"}, "color": _NETWORK_COLOUR}},
            {"title": "accuracy (256 held-out sequences)", "width": 420, "height": 240, "layer": [
                {**line, "encoding": {"x": x, "y": {"field": "accuracy", "type": "quantitative",
                                                    "scale": {"domain": [0, 1]}, "axis": {"format": ".0%"},
                                                    "title": "accuracy"}, "color": _NETWORK_COLOUR}},
                {"data": {"values": [{}]}, "mark": {"type": "rule", "strokeDash": [6, 4], "color": "#7f7f7f"},
                 "encoding": {"y": {"datum": left_bound}}},
                {"data": {"values": [{}]}, "mark": {"type": "text", "align": "right", "baseline": "top", "dy": 4, "x": "width",
                          "color": "#555"},
                 "encoding": {"y": {"datum": left_bound}, "text": {"value": f"best left-to-right: {left_bound:.1%}"}}},
            ]},
        ],
        "resolve": {"scale": {"color": "shared"}},
    }


def weight_blocks(run: Run) -> list[tuple[str, np.ndarray]]:
    """(name, matrix) per panel: W and U of each direction (gate units × d, gate units × h), then W_oᵀ (m × q)."""
    layer = run.model.layers[0]
    blocks = [(f"{k}_{name[0]}", getattr(p, k)) for name, p in layer.directions() for k in ("W", "U")]
    assert run.model.head is not None, "a tagging model has a head"
    return blocks + [("W_oᵀ", run.model.head.W.T)]


def weights_layout(runs: dict[str, Run]) -> tuple[dict, dict, int, int]:
    """Where each panel goes: a band of rows per network, a panel per matrix side by side, a blank row or
    column between panels. Returns (top row per network, left column per matrix, rows, columns)."""
    blocks = {net: dict(weight_blocks(run)) for net, run in runs.items()}
    names = [b for b in BLOCKS if any(b in nb for nb in blocks.values())]
    widths = [max(nb[b].shape[1] for nb in blocks.values() if b in nb) for b in names]
    heights = [max(M.shape[0] for M in nb.values()) for nb in blocks.values()]
    lefts = dict(zip(names, np.cumsum([0] + [w + 1 for w in widths])[:-1].tolist()))
    tops = dict(zip(blocks, np.cumsum([0] + [h + 1 for h in heights])[:-1].tolist()))
    return tops, lefts, sum(heights) + len(heights) - 1, sum(widths) + len(widths) - 1


# RdBu (ColorBrewer), from -1 to 1: negative weights red, positive blue, zero white
_RDBU = np.array([[103, 0, 31], [178, 24, 43], [214, 96, 77], [244, 165, 130], [253, 219, 199], [247, 247, 247],
                  [209, 229, 240], [146, 197, 222], [67, 147, 195], [33, 102, 172], [5, 48, 97]], dtype=float)
BLANK = (255, 255, 255)
CELL_PX = 8   # each weight is a CELL_PX × CELL_PX square


def colours(z: np.ndarray, top: float) -> np.ndarray:
    """z (rows, cols) with NaN for no weight -> RGB uint8 (rows, cols, 3), z / top mapped onto RdBu."""
    t = (np.clip(np.nan_to_num(z) / top, -1, 1) + 1) / 2 * (len(_RDBU) - 1)
    i = np.minimum(t.astype(int), len(_RDBU) - 2)
    f = (t - i)[..., None]
    rgb = _RDBU[i] * (1 - f) + _RDBU[i + 1] * f
    rgb[np.isnan(z)] = BLANK
    return np.rint(rgb).astype(np.uint8)


def weights_image(runs: dict[str, Run]) -> tuple[np.ndarray, float]:
    """Every weight of both networks as one picture: a band per network (unidirectional on top), a panel
    per matrix in the order of BLOCKS, a blank line between. Returns (RGB uint8 image, the |w| that
    maps to the darkest colour). The page sends a picture, not a chart: the browser swaps an image in
    a millisecond, where redrawing two thousand chart marks took longer than a training update."""
    tops, lefts, rows, columns = weights_layout(runs)
    z = np.full((rows, columns), np.nan)
    for net, run in runs.items():
        for name, M in weight_blocks(run):
            z[tops[net]:tops[net] + M.shape[0], lefts[name]:lefts[name] + M.shape[1]] = M
    top = float(np.nanmax(np.abs(z))) or 1.0
    return np.repeat(np.repeat(colours(z, top), CELL_PX, axis=0), CELL_PX, axis=1), top


def weights_caption(runs: dict[str, Run], top: float) -> str:
    """What the picture shows, in order (plain text)."""
    _, lefts, _, _ = weights_layout(runs)
    return (f"Every weight, one square each: top band {NAMES['uni']}, bottom band {NAMES['bi']}; panels left to "
            f"right {', '.join(lefts)} (a row per gate unit; W_oᵀ has a row per merged unit). "
            f"Red < 0 < blue, darkest at |w| = {top:.3g}.")
