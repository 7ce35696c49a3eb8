"""Step by step: edit embeddings and weights, watch every tanh value update, with the arithmetic.

The page lays out its widget groups (app/views/step/): the controls, then one fragment holding
the editor tabs and everything computed from them."""
from __future__ import annotations

import time

import streamlit as st

from app import text
from app.editing import differs
from app.state import (PREV_TRACE, SOURCES, STEP_SOURCE, compute, generation, get_workspace, handed_over,
                       log_rerun_ms, mark_drawn, set_workspace, workspace_restarted)
from app.tables import states_html
from app.views.step.controls import controls
from app.views.step.editors import editors
from app.views.step.own_model import own_model_panel
from app.views.presenter import presenting
from app.views.step.results import current_step, seed_check, share_and_export, step_view
from app.workspace import Workspace

st.title("Step by step")
st.caption("Edit any number: every value that depends on it is recomputed, and the arithmetic is written "
           "out as seed 000 writes it by hand. Forward reads x_1 … x_t, backward reads x_T … x_t; the output "
           "at t merges both. The final state is (h_T forward, h_1 backward).")
handed = handed_over()  # a trained tagger's trace, from the Uni vs Bi page
if handed is not None:
    source = st.radio("Model", SOURCES, horizontal=True, key=STEP_SOURCE,
                      format_func={"workspace": "Your model (editable)",
                                   "tagger": f"The trained tagger: {text.markdown(handed.label)}"}.get)
    if source == "tagger":
        from app.views.step.inspect import inspect_view
        inspect_view(handed)
        st.stop()
gen = generation()
mark_drawn(gen)
if presenting():  # a projector shows the states and the written-out step; the editors stay off
    st.caption("Presenter mode: the editors are hidden (Leave presenter mode above to edit).")
else:
    controls(get_workspace(), gen)
    own_model_panel()


@st.fragment
def body() -> None:
    """Tables and results: a table edit or a step change reruns only this part of the page.

    A control inside this fragment may replace the workspace (a typed sentence, an imported file):
    its callback bumps the generation. A fragment rerun then still holds the editors of the old
    workspace, whose tables would write the old values back, and the controls above it show the
    old sizes, so the whole page is rerun instead, with new editors."""
    if workspace_restarted():
        st.rerun()
    t0 = time.perf_counter()
    ws = get_workspace()
    new_ws, errors, draw_last = (ws, [], None) if presenting() else editors(ws, generation())
    if differs(new_ws, ws):
        set_workspace(new_ws)
        ws = new_ws
    results(ws, errors)
    if draw_last:
        draw_last()
    log_rerun_ms("step_by_step.body", t0)


def results(ws: Workspace, errors: list[str]) -> None:
    """The states table, the written-out step, the seed check and the share panel."""
    result = compute()
    if result.error:
        st.error(text.markdown(result.error))
    trace = result.shown
    if trace is None:
        return
    if errors or result.error:
        st.caption("Showing the last valid computation until the problem above is fixed.")
    st.subheader("All hidden states")
    selected = current_step(len(trace.tokens))
    st.html(states_html(trace, trace.tokens, st.session_state.get(PREV_TRACE), selected))
    st.subheader("One step, written out")
    step_view(trace, trace.tokens)
    seed_check(trace)
    if not presenting():
        share_and_export(ws, trace)


body()
