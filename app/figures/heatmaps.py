"""Heatmaps of hidden states over time, for models too large to print (pure: no Streamlit)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go


def states_heatmap(h: np.ndarray, tokens: list[str], title: str) -> go.Figure:
    """h (T, units) as a units × tokens heatmap, diverging around 0 on [-1, 1] (tanh range)."""
    fig = go.Figure(go.Heatmap(z=h.T, x=[f"{t} ({i + 1})" for i, t in enumerate(tokens)],
                               colorscale="RdBu", zmid=0, zmin=-1, zmax=1,
                               hovertemplate="%{x}, unit %{y}: %{z:.3f}<extra></extra>"))
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=30, b=10), title=dict(text=title, font=dict(size=13)),
                      yaxis_title="hidden unit")
    return fig
