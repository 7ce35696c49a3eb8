"""A trained tagger's trace handed over by Uni vs Bi, read-only: heatmaps of every state, and any
unit's step written out."""
from __future__ import annotations

import streamlit as st

from birnn_core.explain import explain_html

from app import text
from app.state import INSPECT_DIR, INSPECT_HEATMAP, INSPECT_T, INSPECT_UNITS, HandedOver


def inspect_view(handed: HandedOver) -> None:
    from app.figures.heatmaps import states_heatmap  # plotly: only once a trace is handed over
    trace = handed.trace
    tokens, layer = trace.tokens, trace.layers[-1]
    st.caption(f"The trained tagger on “{text.markdown(handed.label)}”: {layer.fwd.cell.upper()}, h = "
               f"{layer.fwd.hidden_size} per direction, inputs of size d = {trace.X.shape[-1]}. Read-only: edit "
               f"on “Your model”.")
    for d in layer.directions:
        st.plotly_chart(states_heatmap(d.h[0], tokens, f"h {d.name} (units × tokens)"),
                        key=INSPECT_HEATMAP.at(d.name), theme=None)
    c = st.columns([3, 2, 3])
    t = c[0].select_slider("Time step t", options=list(range(len(tokens))), key=INSPECT_T,
                           format_func=lambda i: f"{i + 1} · {text.markdown(tokens[i])}")
    names = [d.name for d in layer.directions]
    which = c[1].radio("Direction", names, horizontal=True, key=INSPECT_DIR)
    d = layer.directions[names.index(which)]
    units = c[2].multiselect("Units to write out", list(range(d.hidden_size)), default=[0],
                             format_func=lambda j: f"unit {j + 1}", key=INSPECT_UNITS, max_selections=4)
    if units:
        st.html(explain_html(d, t, units=sorted(units)))
