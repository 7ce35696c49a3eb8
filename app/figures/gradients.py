"""Figures of the Gradients page (pure: trace numbers in, Plotly figures out, no Streamlit).

``influence_heatmap``: a (T, T) map of ||d q_t / d x_k||, outputs t down, inputs k across.
``decay_figure``: mean influence against distance |t - k|, one line per cell, on a log scale.
Tokens are user text and are escaped here for Plotly's labels (app.text.plotly).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.text import plotly
from birnn_core import get_cell


def tick_labels(tokens: list[str]) -> list[str]:
    """'1 · I', '2 · love', ... (escaped: the token shows as typed)."""
    return [f"{k + 1} · {plotly(w)}" for k, w in enumerate(tokens)]


def influence_heatmap(M: np.ndarray, tokens: list[str], title: str, zmax: float | None = None) -> go.Figure:
    """M (T, T): rows are outputs q_t, columns inputs x_k. ``title`` is the caller's own text (Plotly
    markup); ``zmax`` a shared colour scale top, so maps side by side compare."""
    labels = tick_labels(tokens)
    T = len(labels)
    # several tokens may read the same: the axes are categories by position, labelled by token
    fig = go.Figure(go.Heatmap(
        z=M, x=list(range(T)), y=list(range(T)), colorscale="Blues", zmin=0.0,
        zmax=zmax if zmax and zmax > 0 else None, customdata=[[[labels[t], labels[k]] for k in range(T)]
                                                              for t in range(T)],
        text=[[f"{v:.3g}" for v in row] for row in M], texttemplate="%{text}" if T <= 12 else None,
        hovertemplate="output t = %{customdata[0]}<br>input k = %{customdata[1]}<br>"
                      "‖∂q_t/∂x_k‖ = %{z:.4g}<extra></extra>",
        colorbar=dict(thickness=10)))
    fig.update_xaxes(tickvals=list(range(T)), ticktext=labels, title_text="input x_k", side="bottom")
    fig.update_yaxes(tickvals=list(range(T)), ticktext=labels, title_text="output at t", autorange="reversed")
    fig.update_layout(height=120 + 28 * min(T, 20), margin=dict(l=10, r=10, t=40, b=10),
                      title=dict(text=title, font=dict(size=13)))
    return fig


def decay_figure(decays: dict[str, np.ndarray], own_cell: str, factor: float) -> go.Figure:
    """Mean ||d h_t / d x_{t - dist}|| of the forward chain at each distance, one line per cell."""
    fig = go.Figure()
    for cell, values in decays.items():
        own = cell == own_cell
        name = get_cell(cell).display + (" (this model)" if own else " (random, seed 0)")
        shown = np.where(values > 0, values, np.nan)  # log scale: an exact zero has no point
        fig.add_trace(go.Scatter(x=list(range(len(values))), y=shown, mode="lines+markers", name=name,
                                 line=dict(width=3 if own else 1.5, dash=None if own else "dot"),
                                 hovertemplate=f"{name}<br>distance %{{x}}: %{{y:.3g}}<extra></extra>"))
    fig.update_xaxes(title_text="distance t − k (steps back along the forward chain)", dtick=1)
    fig.update_yaxes(title_text="mean ‖∂h_t/∂x_k‖", type="log")
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=40, b=10),
                      title=dict(text=f"How influence fades with distance (every U × {factor:g})",
                                 font=dict(size=13)),
                      legend=dict(orientation="h", y=-0.25))
    return fig
