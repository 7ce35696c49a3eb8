"""Heatmaps of hidden states over time, for models too large to print (pure: no Streamlit)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.text import plotly


def states_heatmap(h: np.ndarray, tokens: list[str], title: str) -> go.Figure:
    """h (T, units) as a units × tokens heatmap, diverging around 0 on [-1, 1] (tanh range).

    ``tokens`` are user text, escaped here for Plotly's labels; ``title`` is the caller's own text
    (Plotly markup): a caller that puts user text in it escapes it with ``app.text.plotly``."""
    fig = go.Figure(go.Heatmap(z=h.T, x=[f"{plotly(t)} ({i + 1})" for i, t in enumerate(tokens)],
                               colorscale="RdBu", zmid=0, zmin=-1, zmax=1,
                               hovertemplate="%{x}, unit %{y}: %{z:.3f}<extra></extra>"))
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=30, b=10), title=dict(text=title, font=dict(size=13)),
                      yaxis_title="hidden unit")
    return fig
