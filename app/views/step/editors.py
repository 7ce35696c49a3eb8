"""The editor tabs: tokens and embeddings (and the sentence box), each direction's weights, the
output layer, and one number at a time. Only the open tab's tables are drawn (speed)."""
from __future__ import annotations

from typing import Callable

import numpy as np
import streamlit as st

from birnn_core import presets

from app import text
from app.editing import (RECURRENT_BIAS_NOTE, build_frames, direction, direction_blocks, direction_caption, head_caption,
                         nudge_targets, sentence_problem, value_at, with_value)
from app.state import (DIRECTION_EDITOR, EDIT_LAYER, EDIT_TAB, EMBEDDINGS_EDITOR, FRAMES, FRAMES_GEN, HEAD_EDITOR, NUDGE_TARGET,
                       NUDGE_VALUE, SENTENCE, SENTENCE_MSG, TAB_GEN, get_workspace, restart_workspace,
                       set_workspace)
from app.tables import CellError, parse_blocks, parse_embeddings
from app.views.step.scrub import scrub_later
from app.workspace import MAX_TOKENS, Workspace, token_problem

TABS = ["Tokens & embeddings", "Forward weights", "Backward weights", "Output layer", "Nudge one number"]


def _tab_changed() -> None:
    # Only the open tab's tables are rendered (speed); a table that reappears starts from the workspace.
    st.session_state[TAB_GEN] = st.session_state.get(TAB_GEN, 0) + 1


def edited_layer(ws: Workspace) -> int:
    """The layer (0-based) whose weights the Forward / Backward tabs show: a radio above the tabs in a stack."""
    if ws.n_layers == 1:
        return 0
    if st.session_state.get(EDIT_LAYER, 0) >= ws.n_layers:
        st.session_state[EDIT_LAYER] = 0
    return st.radio("Weights of layer", list(range(ws.n_layers)), horizontal=True, key=EDIT_LAYER,
                    format_func=lambda l: f"layer {l + 1}" + (" (reads x_t)" if l == 0 else f" (reads m_t of layer {l})"),
                    on_change=_tab_changed)


def editors(ws: Workspace, gen: int) -> tuple[Workspace, list[str], Callable[[], None] | None]:
    """The open tab's tables; returns the workspace with every valid edit applied, the errors, and
    what the page draws after the states table (the Nudge tab's scrub, when that tab is open)."""
    layer = edited_layer(ws)
    tab_gen = f"{gen}_{st.session_state.get(TAB_GEN, 0)}"
    if st.session_state.get(FRAMES_GEN) != tab_gen:
        st.session_state[FRAMES], st.session_state[FRAMES_GEN] = build_frames(ws, layer), tab_gen
    frames = st.session_state[FRAMES]
    errors: list[str] = []
    new = ws.copy()
    tab_x, tab_f, tab_b, tab_o, tab_n = st.tabs(TABS, key=EDIT_TAB, on_change=_tab_changed)
    draw_last = None
    if tab_n.open:
        with tab_n:
            draw_last = nudge(ws, tab_gen)
    if tab_x.open:
        with tab_x:
            embeddings_editor(ws, new, tab_gen, frames, errors)
    if tab_f.open:
        with tab_f:
            p = direction(new, "f", layer)
            p.W, p.U, p.b, p.b_U = direction_editor(ws, "f", layer, tab_gen, frames, errors)
    if tab_b.open:
        with tab_b:
            if ws.tie:
                st.info("Tied: the backward direction uses the forward weights (W_b = W_f, U_b = U_f, "
                        "b_b = b_f). Switch 'Tie' off to edit them apart.")
            elif not ws.bidirectional:
                st.info("Unidirectional: there is no backward direction.")
            else:
                p = direction(new, "b", layer)
                p.W, p.U, p.b, p.b_U = direction_editor(ws, "b", layer, tab_gen, frames, errors)
    if tab_o.open:
        with tab_o:
            st.caption(head_caption(ws))
            new.head_W, new.head_b = edit_blocks(frames["head"], HEAD_EDITOR.at(gen),
                                                 [("W_o", ws.head_W), ("b_o", ws.head_b)], errors)
    return (new.tied() if ws.tie else new), errors, draw_last


def edit_blocks(frame, key: str, blocks: list[tuple[str, np.ndarray]], errors: list) -> list[np.ndarray]:
    """One table holding several matrices side by side; returns their new values, or the current ones
    and an error shown right under the table."""
    edited = st.data_editor(frame, key=key, width="content")
    try:
        return parse_blocks(edited, [(name, M.shape) for name, M in blocks])
    except CellError as e:
        st.error(text.markdown(str(e)))
        errors.append(str(e))
        return [M for _, M in blocks]


def direction_editor(ws: Workspace, s: str, layer: int, gen: str, frames: dict, errors: list) -> list[np.ndarray]:
    """[W | U | b (| b_U)] of direction s ('f' or 'b') of ``layer`` in one table; returns [W, U, b, b_U]."""
    st.caption(direction_caption(ws, s, layer))
    blocks = direction_blocks(ws, s, layer)
    if len(blocks) == 4:
        st.caption(RECURRENT_BIAS_NOTE)
    values = edit_blocks(frames[f"dir_{s}"], DIRECTION_EDITOR.at(s, gen), blocks, errors)
    return values if len(values) == 4 else values + [direction(ws, s, layer).b_U]


def _use_sentence() -> None:
    words = st.session_state.get(SENTENCE, "").split()
    st.session_state[SENTENCE_MSG] = sentence_problem(words)
    if st.session_state[SENTENCE_MSG] is None:
        ws = get_workspace()
        restart_workspace(ws.copy(tokens=words, embeddings=presets.embed(words, ws.d), preset=""))


def embeddings_editor(ws: Workspace, new: Workspace, gen: str, frames: dict, errors: list) -> None:
    st.caption(f"One row per token (add or delete rows; at most {MAX_TOKENS}). Columns x1..x{ws.d} are "
               f"the embedding x_t.")
    edited = st.data_editor(frames["X"], key=EMBEDDINGS_EDITOR.at(gen), num_rows="dynamic", hide_index=True,
                            width="content")
    try:
        new.tokens, new.embeddings = parse_embeddings(edited, MAX_TOKENS, token_problem)
    except CellError as e:
        st.error(text.markdown(str(e)))
        errors.append(str(e))
    st.text_input("…or type a sentence (each new word gets a fixed pseudo-random embedding)",
                  key=SENTENCE, on_change=_use_sentence, placeholder="i went to the bank to sit down")
    if st.session_state.get(SENTENCE_MSG):
        st.warning(st.session_state[SENTENCE_MSG])


def _apply_nudge(path: str, index: tuple, key: str) -> None:
    set_workspace(with_value(get_workspace(), path, index, float(st.session_state[key])))


def nudge(ws: Workspace, gen: str) -> Callable[[], None]:
    """The fastest editing path: one number input (arrow keys step it by 0.05), no table to redraw;
    returns what draws the scrub under it."""
    targets = nudge_targets(ws)
    label = st.selectbox("Number to change", list(targets), key=NUDGE_TARGET.at(gen))
    path, index, symbol = targets[label]
    key = NUDGE_VALUE.at(gen, label)
    st.number_input(symbol, value=value_at(ws, path, index), step=0.05, format="%.4f", key=key,
                    on_change=_apply_nudge, args=(path, index, key),
                    help="Type a value or use the arrow keys; every value below follows at once.")
    return scrub_later(gen)
