"""Figure of the Context vectors page (pure: vectors in, a Plotly figure out, no Streamlit)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.text import plotly


def vectors_heatmap(va: np.ndarray, vb: np.ndarray, word: str, title: str) -> go.Figure:
    """Rows: the word's vector in sentence A, in sentence B, and A − B; a column per unit.
    ``word`` is user text (escaped here); ``title`` the caller's own text."""
    w = plotly(word)
    rows = [f"{w} in A", f"{w} in B", "A − B"]
    z = np.vstack([va, vb, va - vb])
    fig = go.Figure(go.Heatmap(z=z, y=[0, 1, 2], colorscale="RdBu", zmid=0, zmin=-1, zmax=1,
                               customdata=[[r] * z.shape[1] for r in rows],
                               hovertemplate="%{customdata}, unit %{x}: %{z:.3f}<extra></extra>",
                               colorbar=dict(thickness=10)))
    fig.update_yaxes(tickvals=[0, 1, 2], ticktext=rows, autorange="reversed")
    fig.update_xaxes(title_text="unit")
    fig.update_layout(height=220, margin=dict(l=10, r=10, t=40, b=10), title=dict(text=title, font=dict(size=13)))
    return fig
