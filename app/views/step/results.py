"""Below the tables: one step written out, the seed check, and the share and export panel."""
from __future__ import annotations

from functools import partial

import streamlit as st

from birnn_core import ModelTrace, ValidationError, presets
from birnn_core.explain import equations_html, explain_html, output_equations, state_update_lines

from app import exports, text
from app.state import IMPORT_FILE, IMPORT_MSG, SHOW_SEED, SHOW_SHARE, STEP_LAYER, T_SLIDER, restart_workspace
from app.tables import seed_markdown
from app.workspace import MAX_URL_CHARS, Workspace


def current_step(T: int) -> int:
    """The step the "Time step t" slider holds, moved to the last token when the sentence got shorter
    (read before the slider is drawn: the states table above it highlights that row)."""
    if st.session_state.get(T_SLIDER, 0) >= T:
        st.session_state[T_SLIDER] = T - 1
    return st.session_state.get(T_SLIDER, 0)


def step_view(trace: ModelTrace, tokens: list[str]) -> None:
    t = st.select_slider("Time step t", options=list(range(len(tokens))), key=T_SLIDER,
                         format_func=lambda i: f"{i + 1} · {text.markdown(tokens[i])}")
    n = len(trace.layers)
    if st.session_state.get(STEP_LAYER, 0) >= n:
        st.session_state[STEP_LAYER] = 0
    l = 0 if n == 1 else st.radio("Layer", list(range(n)), horizontal=True, key=STEP_LAYER,
                                  format_func=lambda k: f"layer {k + 1}")
    x = "x" if l == 0 else f"m⁽{l}⁾"  # layer l+1 reads layer l's merged vectors
    for d in trace.layers[l].directions:
        with st.container(border=True):
            arrow = (f"→ forward (reads {x}_1 … {x}_t)" if d.name == "forward"
                     else f"← backward (reads {x}_T … {x}_t)")
            st.markdown(f"**{arrow}**")
            st.html(explain_html(d, t))
            for line in state_update_lines(d, t):
                st.caption(line)
    lines = output_equations(trace, t)
    if lines:
        st.html(equations_html(lines))


def seed_check(trace: ModelTrace) -> None:
    # A toggle, not an expander: a closed panel then costs nothing on every edit.
    if not st.toggle("Check the seed: its printed values beside the exact ones", key=SHOW_SEED):
        return
    with st.container(border=True):
        if not presets.is_seed_trace(trace):
            st.info("You changed the seed's numbers: load the preset 'Seed: I love AI' again to compare.")
            return
        st.markdown(seed_markdown(presets.seed_comparison(trace)))
        st.caption("Only step 1 forward follows from the seed's own numbers; its later values are hand "
                   "approximations. The backward pass starts from h_4 = 0 at 'AI', so with tied weights h_3^bwd "
                   "= tanh(W x_3 + b).")


def _import_file() -> None:
    up = st.session_state.get(IMPORT_FILE)
    if up is None:
        return
    try:
        restart_workspace(exports.from_json(up.getvalue()))
        st.session_state[IMPORT_MSG] = None
    except ValidationError as e:
        st.session_state[IMPORT_MSG] = f"Import refused: {e}"


def share_and_export(ws: Workspace, trace: ModelTrace) -> None:
    link_state = ws.to_url_state()
    fits = len(link_state) <= MAX_URL_CHARS
    if fits and st.query_params.get("s") != link_state:
        st.query_params["s"] = link_state
    elif not fits and "s" in st.query_params:
        del st.query_params["s"]  # the address must not reopen an older model
    if not st.toggle("Share and export (the address bar already holds the share link)", key=SHOW_SHARE):
        return
    with st.container(border=True):
        base = getattr(st.context, "url", "") or ""
        if fits:
            st.caption("This link reproduces everything on the page (tokens, embeddings, weights, options):")
            st.code(f"{base.split('?')[0]}?s={link_state}", language=None, wrap_lines=True)
        else:
            st.warning(f"This model is too large for a link ({len(link_state):,} characters; a link holds "
                       f"{MAX_URL_CHARS:,}): download the JSON below and import it to open it again.")
        for column, export in zip(st.columns(len(exports.EXPORTS)), exports.EXPORTS):
            refusal = export.refusal(ws)
            if refusal:
                column.caption(refusal)
            else:
                column.download_button(export.label, partial(export.make, ws, trace), export.filename, export.mime,
                                       on_click="ignore")
        st.file_uploader("Import a JSON exported from this page", type=["json"], key=IMPORT_FILE,
                         on_change=_import_file, max_upload_size=2)
        if st.session_state.get(IMPORT_MSG):
            st.error(text.markdown(st.session_state[IMPORT_MSG]))
