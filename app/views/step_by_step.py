"""Step by step: edit embeddings and weights, watch every tanh value update, with the arithmetic."""
from __future__ import annotations

import numpy as np
import streamlit as st

from birnn_core import ACTIVATIONS, CELL_NAMES, HEAD_ACTIVATIONS, MERGE_MODES, ValidationError, num, presets
from birnn_core.explain import explain_latex, state_update_lines

from app import exports
from app.state import compute, get_workspace, set_workspace
from app.tables import (CellError, embeddings_frame, matrix_frame, parse_embeddings, parse_matrix, row_labels,
                        states_html)
from app.workspace import MAX_CLASSES, MAX_DIM, MAX_TOKENS, Workspace

PRESETS = presets.all_presets()


# ---------------------------------------------------------------- structural changes (callbacks)

def _restart_editors(ws: Workspace) -> None:
    """A new workspace shape: editors are rebuilt from it (their keys change with 'gen')."""
    set_workspace(ws)
    st.session_state["gen"] = st.session_state.get("gen", 0) + 1
    st.session_state.pop("prev_trace", None)
    st.session_state.pop("last_good", None)


def _load_preset() -> None:
    name = st.session_state["preset_pick"]
    _restart_editors(Workspace.from_example(PRESETS[name]))


def _resize(what: str, key: str) -> None:
    ws = get_workspace()
    value = st.session_state[key]
    _restart_editors(ws.resized(**{what: value}))


def _set_option(what: str, key: str) -> None:
    ws = get_workspace().copy()
    setattr(ws, what, st.session_state[key])
    set_workspace(ws)


def _use_sentence() -> None:
    text = st.session_state.get("sentence", "")
    words = text.split()
    if not words:
        st.session_state["sentence_msg"] = "Type at least one word."
        return
    msg = None
    if len(words) > MAX_TOKENS:
        msg = f"The sentence has {len(words):,} words: this page shows at most {MAX_TOKENS}, so the first {MAX_TOKENS} are used."
        words = words[:MAX_TOKENS]
    ws = get_workspace()
    ws = ws.copy(tokens=[w[:40] for w in words], embeddings=presets.embed(words, ws.d), preset="")
    st.session_state["sentence_msg"] = msg
    _restart_editors(ws)


def _import_file() -> None:
    up = st.session_state.get("import_file")
    if up is None:
        return
    try:
        _restart_editors(exports.from_json(up.getvalue()))
        st.session_state["import_msg"] = None
    except ValidationError as e:
        st.session_state["import_msg"] = f"Import refused: {e}"


# ---------------------------------------------------------------- page parts

def controls(ws: Workspace, gen: int) -> None:
    c = st.columns([3, 2, 2, 2, 2])
    names = list(PRESETS)
    c[0].selectbox("Preset", names, index=names.index(ws.preset) if ws.preset in names else None,
                   placeholder="(your own)", key="preset_pick", on_change=_load_preset)
    cells = ["rnn", "gru", "lstm"]
    c[1].selectbox("Cell", cells, index=cells.index(ws.cell), format_func=CELL_NAMES.get, key=f"cell_{gen}",
                   on_change=_resize, args=("cell", f"cell_{gen}"))
    c[2].selectbox("Activation", ACTIVATIONS, index=ACTIVATIONS.index(ws.activation), key=f"act_{gen}",
                   on_change=_set_option, args=("activation", f"act_{gen}"), disabled=ws.cell != "rnn",
                   help="SimpleRNN's φ; GRU and LSTM use σ and tanh inside their gates.")
    c[3].selectbox("Merge", MERGE_MODES, index=MERGE_MODES.index(ws.merge), key=f"merge_{gen}",
                   on_change=_resize, args=("merge", f"merge_{gen}"), disabled=not ws.bidirectional)
    c[4].selectbox("Output", HEAD_ACTIVATIONS, index=HEAD_ACTIVATIONS.index(ws.head_activation),
                   key=f"out_{gen}", on_change=_set_option, args=("head_activation", f"out_{gen}"))
    c = st.columns([2, 2, 1, 1, 1, 1])
    c[0].toggle("Bidirectional", ws.bidirectional, key=f"bi_{gen}", on_change=_resize,
                args=("bidirectional", f"bi_{gen}"))
    c[1].toggle("Tie forward and backward weights", ws.tie, key=f"tie_{gen}", on_change=_resize,
                args=("tie", f"tie_{gen}"), disabled=not ws.bidirectional,
                help="The seed uses W_f = W_b, U_f = U_b, b_f = b_b.")
    for col, (what, label, value, hi) in zip(c[2:], [("d", "d", ws.d, MAX_DIM), ("h_f", "h_f", ws.h_f, MAX_DIM),
                                                     ("h_b", "h_b", ws.h_b, MAX_DIM),
                                                     ("q", "classes", ws.q, MAX_CLASSES)]):
        col.number_input(label, 1, hi, value, key=f"{what}_{gen}", on_change=_resize, args=(what, f"{what}_{gen}"),
                         disabled=(what == "h_b" and (ws.tie or not ws.bidirectional)))
    for note in ws.notes:
        st.info(note)


def editor(label: str, frame, key: str, **kw):
    """One data_editor; returns the edited frame."""
    return st.data_editor(frame, key=key, width="content", **kw)


def edit_matrix(name: str, frame, key: str, current: np.ndarray, errors: list) -> np.ndarray:
    """Editor + parse: the new values, or the current ones and an error shown beside the editor."""
    st.caption(name)
    edited = editor(name, frame, key)
    try:
        values = parse_matrix(edited, name)
        return values.reshape(current.shape)
    except CellError as e:
        st.error(str(e))
        errors.append(str(e))
        return current


def direction_editors(ws: Workspace, s: str, gen: int, frames: dict, errors: list):
    """W, U, b editors for direction s ('f' or 'b'); returns (W, U, b)."""
    p = ws.fwd if s == "f" else ws.bwd
    name = (lambda m: f"{m}_f (= {m}_b)") if ws.tie else (lambda m: f"{m}_{s}")
    cols = st.columns([ws.d + 1, p.hidden_size + 1, 2])
    with cols[0]:
        W = edit_matrix(name("W"), frames[f"W_{s}"], f"W_{s}_{gen}", p.W, errors)
    with cols[1]:
        U = edit_matrix(name("U"), frames[f"U_{s}"], f"U_{s}_{gen}", p.U, errors)
    with cols[2]:
        b = edit_matrix(name("b"), frames[f"b_{s}"], f"b_{s}_{gen}", p.b, errors)
    return W, U, b


def build_frames(ws: Workspace) -> dict:
    frames = {"X": embeddings_frame(ws.tokens, ws.embeddings),
              "W_o": matrix_frame(ws.head_W, [str(k + 1) for k in range(ws.q)], "m"),
              "b_o": matrix_frame(ws.head_b[:, None], [str(k + 1) for k in range(ws.q)], "b")}
    for s, p in (("f", ws.fwd), ("b", ws.bwd)):
        rows = row_labels(ws.cell, p.hidden_size)
        frames[f"W_{s}"] = matrix_frame(p.W, rows, "x")
        frames[f"U_{s}"] = matrix_frame(p.U, rows, "h")
        frames[f"b_{s}"] = matrix_frame(p.b[:, None], rows, "b")
    return frames


def editors(ws: Workspace, gen: int) -> tuple[Workspace, list[str]]:
    """All the tables; returns the workspace with every valid edit applied, and the errors."""
    if st.session_state.get("frames_gen") != gen:
        st.session_state["frames"], st.session_state["frames_gen"] = build_frames(ws), gen
    frames = st.session_state["frames"]
    errors: list[str] = []
    new = ws.copy()
    tab_x, tab_f, tab_b, tab_o = st.tabs(["Tokens & embeddings", "Forward weights", "Backward weights",
                                          "Output layer"])
    with tab_x:
        st.caption(f"One row per token (add or delete rows; at most {MAX_TOKENS}). Columns x1..x{ws.d} are "
                   f"the embedding x_t.")
        edited = st.data_editor(frames["X"], key=f"X_{gen}", num_rows="dynamic", hide_index=True,
                                width="content")
        try:
            tokens, X, note = parse_embeddings(edited, MAX_TOKENS)
            if note:
                st.warning(note)
            new.tokens, new.embeddings = tokens, X
        except CellError as e:
            st.error(str(e))
            errors.append(str(e))
        st.text_input("…or type a sentence (each new word gets a fixed pseudo-random embedding)",
                      key="sentence", on_change=_use_sentence, placeholder="i went to the bank to sit down")
        if st.session_state.get("sentence_msg"):
            st.warning(st.session_state["sentence_msg"])
    with tab_f:
        new.fwd.W, new.fwd.U, new.fwd.b = direction_editors(ws, "f", gen, frames, errors)
    with tab_b:
        if ws.tie:
            st.info("Tied: the backward direction uses the forward weights (W_b = W_f, U_b = U_f, b_b = b_f). "
                    "Switch 'Tie' off to edit them apart.")
        elif not ws.bidirectional:
            st.info("Unidirectional: there is no backward direction.")
        else:
            new.bwd.W, new.bwd.U, new.bwd.b = direction_editors(ws, "b", gen, frames, errors)
    with tab_o:
        st.caption(f"y_t = {ws.head_activation}(W_o m_t + b_o), W_o is (q, m) = ({ws.q}, {ws.m}).")
        c = st.columns([ws.m + 1, 2])
        with c[0]:
            new.head_W = edit_matrix("W_o", frames["W_o"], f"W_o_{gen}", ws.head_W, errors)
        with c[1]:
            new.head_b = edit_matrix("b_o", frames["b_o"], f"b_o_{gen}", ws.head_b, errors)
    if ws.tie:
        new.bwd = new.fwd.copy()
    return new, errors


def _differs(a: Workspace, b: Workspace) -> bool:
    if a.tokens != b.tokens or a.embeddings.shape != b.embeddings.shape:
        return True
    pairs = [(a.embeddings, b.embeddings), (a.head_W, b.head_W), (a.head_b, b.head_b)]
    pairs += [(getattr(pa, k), getattr(pb, k)) for pa, pb in ((a.fwd, b.fwd), (a.bwd, b.bwd)) for k in ("W", "U", "b")]
    return any(not np.array_equal(x, y) for x, y in pairs)


def step_view(trace, tokens: list[str]) -> None:
    T = len(tokens)
    t = st.select_slider("Time step t", options=list(range(T)), value=min(st.session_state.get("t", 0), T - 1),
                         format_func=lambda i: f"{i + 1} · {tokens[i]}", key="t_slider")
    st.session_state["t"] = t
    layer = trace.layers[-1]
    for d in layer.directions:
        with st.container(border=True):
            arrow = "→ forward (reads x_1 … x_t)" if d.name == "forward" else "← backward (reads x_T … x_t)"
            st.markdown(f"**{arrow}**")
            for line in explain_latex(d, t):
                st.latex(line)
            for line in state_update_lines(d, t):
                st.caption(line)
    if layer.bwd is not None and layer.merged is not None:
        m = layer.merged[0, t]
        op = {"concat": "[h_t^{fwd}; h_t^{bwd}]", "sum": "h_t^{fwd} + h_t^{bwd}", "mul": "h_t^{fwd} \\odot h_t^{bwd}",
              "ave": "(h_t^{fwd} + h_t^{bwd}) / 2"}[layer.merge]
        st.latex(f"m_{{{t + 1}}} = {op} = [" + ", ".join(num(v) for v in m) + "]")
    if trace.probs is not None:
        g = {"softmax": "\\mathrm{softmax}", "sigmoid": "\\sigma", "none": ""}[trace.head_activation]
        st.latex(f"y_{{{t + 1}}} = {g}(W_o m_{{{t + 1}}} + b_o) = {g}([" +
                 ", ".join(num(v) for v in trace.logits[0, t]) + "]) = [" +
                 ", ".join(num(v) for v in trace.probs[0, t]) + "]")


def seed_check(ws: Workspace, trace) -> None:
    ex = presets.seed_example()
    same = (ws.tokens == ex.tokens and np.array_equal(ws.embeddings, ex.embeddings) and ws.cell == "rnn"
            and ws.activation == "tanh" and ws.bidirectional
            and all(np.array_equal(getattr(p, k), getattr(ex.model.layers[0].fwd, k))
                    for p in (ws.fwd, ws.bwd) for k in ("W", "U", "b")))
    with st.expander("Check the seed: its printed values beside the exact ones", expanded=False):
        if not same:
            st.info("You changed the seed's numbers: load the preset 'Seed: I love AI' again to compare.")
            return
        rows = []
        for (direction, t), printed in sorted(presets.SEED_PRINTED.items(), key=lambda kv: (kv[0][0] != "forward", kv[0][1])):
            d = trace.layers[0].fwd if direction == "forward" else trace.layers[0].bwd
            exact = d.h[0, t - 1]
            decimals = max(len(str(v).split(".")[1]) for v in printed)
            ok = np.array_equal(np.round(exact, decimals), printed)
            rows.append({"state": f"h_{t}^{direction[:3]}", "seed prints": str(printed),
                         "exact": "[" + ", ".join(f"{v:.4f}" for v in exact) + "]",
                         "matches": "✅ yes" if ok else "❌ no"})
        st.dataframe(rows, hide_index=True)
        st.caption("Only step 1 forward follows from the seed's own numbers; its later values are hand "
                   "approximations. The backward pass starts from h_4 = 0 at 'AI', so with tied weights h_3^bwd "
                   "= tanh(W x_3 + b).")


def share_and_export(ws: Workspace, trace) -> None:
    state = ws.to_url_state()
    if st.query_params.get("s") != state:
        st.query_params["s"] = state
    with st.expander("Share and export", expanded=False):
        base = getattr(st.context, "url", "") or ""
        st.caption("This link reproduces everything on the page (tokens, embeddings, weights, options):")
        st.code(f"{base.split('?')[0]}?s={state}", language=None, wrap_lines=True)
        c = st.columns(4)
        c[0].download_button("JSON (parameters + trace)", lambda: exports.to_json(ws, trace),
                             "birnn_trace.json", "application/json", on_click="ignore")
        c[1].download_button("CSV of the states", lambda: exports.states_csv(trace), "birnn_states.csv",
                             "text/csv", on_click="ignore")
        c[2].download_button("Worksheet (Markdown + LaTeX)", lambda: exports.worksheet_markdown(ws, trace),
                             "birnn_worksheet.md", "text/markdown", on_click="ignore")
        c[3].download_button("PyTorch code", lambda: exports.pytorch_code(ws), "birnn_reproduce.py",
                             "text/x-python", on_click="ignore")
        st.file_uploader("Import a JSON exported from this page", type=["json"], key="import_file",
                         on_change=_import_file, max_upload_size=2)
        if st.session_state.get("import_msg"):
            st.error(st.session_state["import_msg"])


# ---------------------------------------------------------------- the page

st.title("Step by step")
st.caption("Edit any number: every value that depends on it is recomputed, and the arithmetic is written "
           "out as seed 000 writes it by hand. Forward reads x_1 … x_t, backward reads x_T … x_t; the output "
           "at t merges both. The final state is (h_T forward, h_1 backward).")
ws = get_workspace()
if st.session_state.get("url_error"):
    st.warning(st.session_state["url_error"])
gen = st.session_state.setdefault("gen", 0)
controls(ws, gen)
new_ws, errors = editors(ws, gen)
if _differs(new_ws, ws):
    set_workspace(new_ws)
    ws = new_ws
result = compute()
if result.error:
    st.error(result.error)
trace = result.shown
if trace is None:
    st.stop()
if errors or result.error:
    st.caption("Showing the last valid computation until the problem above is fixed.")
tokens = trace.tokens
step_view(trace, tokens)
st.subheader("All hidden states")
st.html(states_html(trace, tokens, st.session_state.get("prev_trace"), st.session_state.get("t")))
seed_check(ws, trace)
share_and_export(ws, trace)
