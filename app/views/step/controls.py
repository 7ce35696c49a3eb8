"""The controls above the tables: preset, cell, activation, merge, output, direction, sizes.

A control that changes the workspace's shape restarts it (app.state.restart_workspace), so every
editor is rebuilt under new keys; the others only change an option."""
from __future__ import annotations

import streamlit as st

from birnn_core import ACTIVATIONS, CELL_NAMES, HEAD_ACTIVATIONS, MERGE_MODES, get_cell, presets

from app.state import (ACTIVATION, BIDIRECTIONAL, CELL, MERGE, OUTPUT, PRESET_PICK, SIZES, TIE, get_workspace,
                       restart_workspace, set_workspace)
from app.workspace import MAX_CLASSES, MAX_DIM, MAX_LAYERS, Workspace

PRESETS = presets.all_presets()


def _load_preset() -> None:
    restart_workspace(Workspace.from_example(PRESETS[st.session_state[PRESET_PICK]]))


def _resize(what: str, key: str) -> None:
    restart_workspace(get_workspace().resized(**{what: st.session_state[key]}))


def _set_option(what: str, key: str) -> None:
    ws = get_workspace().copy()
    setattr(ws, what, st.session_state[key])
    set_workspace(ws)


def controls(ws: Workspace, gen: int) -> None:
    c = st.columns([3, 2, 2, 2, 2])
    names = list(PRESETS)
    c[0].selectbox("Preset", names, index=names.index(ws.preset) if ws.preset in names else None,
                   placeholder="(your own)", key=PRESET_PICK, on_change=_load_preset)
    cells = list(CELL_NAMES)  # every registered cell
    c[1].selectbox("Cell", cells, index=cells.index(ws.cell), format_func=lambda name: CELL_NAMES[name], key=CELL.at(gen),
                   on_change=_resize, args=("cell", CELL.at(gen)))
    c[2].selectbox("Activation", ACTIVATIONS, index=ACTIVATIONS.index(ws.activation), key=ACTIVATION.at(gen),
                   on_change=_set_option, args=("activation", ACTIVATION.at(gen)),
                   disabled=not get_cell(ws.cell).uses_activation,
                   help="SimpleRNN's φ; GRU and LSTM use σ and tanh inside their gates.")
    c[3].selectbox("Merge", MERGE_MODES, index=MERGE_MODES.index(ws.merge), key=MERGE.at(gen),
                   on_change=_resize, args=("merge", MERGE.at(gen)), disabled=not ws.bidirectional)
    c[4].selectbox("Output", HEAD_ACTIVATIONS, index=HEAD_ACTIVATIONS.index(ws.head_activation),
                   key=OUTPUT.at(gen), on_change=_set_option, args=("head_activation", OUTPUT.at(gen)))
    c = st.columns([2, 2, 1, 1, 1, 1, 1])
    c[0].toggle("Bidirectional", ws.bidirectional, key=BIDIRECTIONAL.at(gen), on_change=_resize,
                args=("bidirectional", BIDIRECTIONAL.at(gen)))
    c[1].toggle("Tie forward and backward weights", ws.tie, key=TIE.at(gen), on_change=_resize,
                args=("tie", TIE.at(gen)), disabled=not ws.bidirectional,
                help="The seed uses W_f = W_b, U_f = U_b, b_f = b_b.")
    sizes = [("d", "d", ws.d, MAX_DIM), ("h_f", "h_f", ws.h_f, MAX_DIM), ("h_b", "h_b", ws.h_b, MAX_DIM),
             ("q", "classes", ws.q, MAX_CLASSES), ("layers", "layers", ws.n_layers, MAX_LAYERS)]
    for col, (what, label, value, hi) in zip(c[2:], sizes):
        key = SIZES[what].at(gen)
        col.number_input(label, 1, hi, value, key=key, on_change=_resize, args=(what, key),
                         disabled=(what == "h_b" and (ws.tie or not ws.bidirectional)))
    for note in ws.notes:
        st.info(note)
