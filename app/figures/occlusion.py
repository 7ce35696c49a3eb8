"""The occlusion plot of the Uni vs Bi page: how sure the bidirectional tagger stays of its tag
as the right context grows, and with each right-hand word masked (pure; no Streamlit)."""
from __future__ import annotations

import plotly.graph_objects as go

from taggers import tagger as tg

from app.text import plotly, visible


def occlusion_figure(occ: tg.Occlusion, tokens: list[str]) -> go.Figure:
    """p(bi's full-sentence tag) as the right context grows, and with each right word masked."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=[f"…{plotly(visible(tokens[k]))} ({k + 1})" for k, _, _ in occ.prefix],
        y=[p for _, _, p in occ.prefix], mode="lines+markers", name="sentence cut after this word",
        text=[t for _, t, _ in occ.prefix], hovertemplate="%{x}: p=%{y:.2f}, tag %{text}<extra></extra>"))
    if occ.masked:
        fig.add_trace(go.Bar(
            x=[f"…{plotly(visible(tokens[j]))} ({j + 1})" for j, _, _ in occ.masked],
            y=[p for _, _, p in occ.masked], name="this word masked", opacity=0.45,
            text=[t for _, t, _ in occ.masked], hovertemplate="mask %{x}: p=%{y:.2f}, tag %{text}<extra></extra>"))
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=40, b=10), yaxis_range=[0, 1],
                      yaxis_title=f"p({occ.full_tag})", legend=dict(orientation="h", y=-0.25),
                      title=dict(text=f"'{plotly(visible(occ.token))}' (token {occ.index + 1}) in the "
                                      f"bidirectional model",
                                 font=dict(size=13)))
    return fig
