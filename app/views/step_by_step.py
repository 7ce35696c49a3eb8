"""Step by step: edit embeddings and weights, watch every tanh value update, with the arithmetic."""
from __future__ import annotations

import time

import numpy as np
import streamlit as st

from birnn_core import (ACTIVATIONS, CELL_NAMES, GATES, HEAD_ACTIVATIONS, MERGE_MODES, ValidationError, get_cell, num,
                        presets)
from birnn_core.explain import equations_html, explain_html, state_update_lines
from birnn_core.registry import get_head_activation, get_merge

from app import exports, text
from app.state import compute, get_workspace, log_rerun_ms, set_workspace
from app.tables import (CellError, blocks_frame, embeddings_frame, parse_blocks, parse_embeddings, row_labels,
                        states_html)
from app.workspace import MAX_CLASSES, MAX_DIM, MAX_TOKENS, Workspace, token_problem

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


def sentence_problem(words: list[str]) -> str | None:
    """Why a typed sentence cannot be used as it is (what to change), or None."""
    if not words:
        return "Type at least one word."
    if len(words) > MAX_TOKENS:
        return (f"The sentence has {len(words):,} words: this page shows at most {MAX_TOKENS}. Shorten it; "
                f"the model still shows the last sentence.")
    problems = (token_problem(w, i + 1) for i, w in enumerate(words))
    problem = next((p for p in problems if p), None)
    return None if problem is None else f"{problem} The model still shows the last sentence."


def _use_sentence() -> None:
    words = st.session_state.get("sentence", "").split()
    st.session_state["sentence_msg"] = sentence_problem(words)
    if st.session_state["sentence_msg"] is None:
        ws = get_workspace()
        _restart_editors(ws.copy(tokens=words, embeddings=presets.embed(words, ws.d), preset=""))


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
    cells = list(CELL_NAMES)  # every registered cell
    c[1].selectbox("Cell", cells, index=cells.index(ws.cell), format_func=CELL_NAMES.get, key=f"cell_{gen}",
                   on_change=_resize, args=("cell", f"cell_{gen}"))
    c[2].selectbox("Activation", ACTIVATIONS, index=ACTIVATIONS.index(ws.activation), key=f"act_{gen}",
                   on_change=_set_option, args=("activation", f"act_{gen}"), disabled=not get_cell(ws.cell).uses_activation,
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


def has_recurrent_bias(ws: Workspace) -> bool:
    """Show a b_U column: always for a GRU, elsewhere only if a link or import brought one."""
    return get_cell(ws.cell).two_biases or bool(np.any(ws.fwd.b_U) or np.any(ws.bwd.b_U))


def direction_editors(ws: Workspace, s: str, gen: str, frames: dict, errors: list):
    """[W | U | b (| b_U)] of direction s ('f' or 'b') in one table; returns [W, U, b, b_U]."""
    p = ws.fwd if s == "f" else ws.bwd
    name = (lambda m: f"{m}_f (= {m}_b)") if ws.tie else (lambda m: f"{m}_{s}")
    G = "" if not GATES[ws.cell] else f" Rows are the gate blocks {', '.join(GATES[ws.cell])} stacked, as PyTorch stores them."
    st.caption(f"Row j holds unit j: W·x columns multiply x_t, U·h columns multiply h_prev, then + b. "
               f"{name('W')} is ({p.W.shape[0]}, {ws.d}), {name('U')} is {p.U.shape}.{G}")
    blocks = [(name("W"), p.W), (name("U"), p.U), (name("b"), p.b)]
    if has_recurrent_bias(ws):
        st.caption("b_U is the recurrent bias (PyTorch's bias_hh): the GRU's candidate n applies the reset "
                   "gate to U h + b_U, so it cannot be folded into b.")
        blocks.append((name("b_U"), p.b_U))
    values = edit_blocks(frames[f"dir_{s}"], f"dir_{s}_{gen}", blocks, errors)
    return values if len(values) == 4 else values + [p.b_U]


def build_frames(ws: Workspace) -> dict:
    classes = [str(k + 1) for k in range(ws.q)]
    frames = {"X": embeddings_frame(ws.tokens, ws.embeddings),
              "head": blocks_frame([("W", ws.head_W, "m"), ("b", ws.head_b, "")], classes)}
    for s, p in (("f", ws.fwd), ("b", ws.bwd)):
        blocks = [("W", p.W, "x"), ("U", p.U, "h"), ("b", p.b, "")]
        if has_recurrent_bias(ws):
            blocks.append(("b_U", p.b_U, ""))
        frames[f"dir_{s}"] = blocks_frame(blocks, row_labels(ws.cell, p.hidden_size))
    return frames


TABS = ["Tokens & embeddings", "Forward weights", "Backward weights", "Output layer", "Nudge one number"]


def _tab_changed() -> None:
    # Only the open tab's tables are rendered (speed); a table that reappears starts from the workspace.
    st.session_state["tab_gen"] = st.session_state.get("tab_gen", 0) + 1


def editors(ws: Workspace, gen: int) -> tuple[Workspace, list[str]]:
    """The open tab's tables; returns the workspace with every valid edit applied, and the errors."""
    gen = f"{gen}_{st.session_state.get('tab_gen', 0)}"
    if st.session_state.get("frames_gen") != gen:
        st.session_state["frames"], st.session_state["frames_gen"] = build_frames(ws), gen
    frames = st.session_state["frames"]
    errors: list[str] = []
    new = ws.copy()
    tab_x, tab_f, tab_b, tab_o, tab_n = st.tabs(TABS, key="edit_tab", on_change=_tab_changed)
    if tab_n.open:
        with tab_n:
            nudge(ws, gen)
    if tab_x.open:
        with tab_x:
            embeddings_editor(ws, new, gen, frames, errors)
    if tab_f.open:
        with tab_f:
            new.fwd.W, new.fwd.U, new.fwd.b, new.fwd.b_U = direction_editors(ws, "f", gen, frames, errors)
    if tab_b.open:
        with tab_b:
            if ws.tie:
                st.info("Tied: the backward direction uses the forward weights (W_b = W_f, U_b = U_f, "
                        "b_b = b_f). Switch 'Tie' off to edit them apart.")
            elif not ws.bidirectional:
                st.info("Unidirectional: there is no backward direction.")
            else:
                new.bwd.W, new.bwd.U, new.bwd.b, new.bwd.b_U = direction_editors(ws, "b", gen, frames, errors)
    if tab_o.open:
        with tab_o:
            st.caption(f"y_t = {ws.head_activation}(W_o m_t + b_o): row k holds class k; W_o is (q, m) = "
                       f"({ws.q}, {ws.m}), m = the merged vector's size.")
            new.head_W, new.head_b = edit_blocks(frames["head"], f"head_{gen}",
                                                 [("W_o", ws.head_W), ("b_o", ws.head_b)], errors)
    if ws.tie:
        new.bwd = new.fwd.copy()
    return new, errors


def nudge_targets(ws: Workspace) -> dict[str, tuple[str, tuple, str]]:
    """Every editable number: option label -> (workspace array path, index, symbol such as x_1[2]).

    An embedding's option label adds its token to the symbol; the symbol alone labels the input."""
    out = {}

    def add(symbol: str, path: str, index: tuple, label: str | None = None) -> None:
        out[label or symbol] = (path, index, symbol)

    for t, tok in enumerate(ws.tokens):
        for j in range(ws.d):
            add(f"x_{t + 1}[{j + 1}]", "embeddings", (t, j), f"x_{t + 1}[{j + 1}]  ({tok})")
    dirs = [("f", "fwd")] + ([("b", "bwd")] if ws.bidirectional and not ws.tie else [])
    for s, d in dirs:
        p = getattr(ws, d)
        for i, r in enumerate(row_labels(ws.cell, p.hidden_size)):
            for j in range(ws.d):
                add(f"W_{s}[{r}][{j + 1}]", f"{d}.W", (i, j))
            for j in range(p.hidden_size):
                add(f"U_{s}[{r}][{j + 1}]", f"{d}.U", (i, j))
            add(f"b_{s}[{r}]", f"{d}.b", (i,))
    for k in range(ws.q):
        for j in range(ws.m):
            add(f"W_o[{k + 1}][{j + 1}]", "head_W", (k, j))
        add(f"b_o[{k + 1}]", "head_b", (k,))
    return out


def _array(ws: Workspace, path: str) -> np.ndarray:
    obj = ws
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _apply_nudge(path: str, index: tuple, key: str) -> None:
    ws = get_workspace().copy()
    _array(ws, path)[index] = float(st.session_state[key])
    if ws.tie:
        ws.bwd = ws.fwd.copy()
    set_workspace(ws)


def nudge(ws: Workspace, gen: str) -> None:
    """The fastest editing path: one number input (arrow keys step it by 0.05), no table to redraw."""
    targets = nudge_targets(ws)
    label = st.selectbox("Number to change", list(targets), key=f"nudge_target_{gen}")
    path, index, symbol = targets[label]
    key = f"nudge_value_{gen}_{label}"
    st.number_input(symbol, value=float(_array(ws, path)[index]), step=0.05, format="%.4f", key=key,
                    on_change=_apply_nudge, args=(path, index, key),
                    help="Type a value or use the arrow keys; every value below follows at once.")


def embeddings_editor(ws: Workspace, new: Workspace, gen: str, frames: dict, errors: list) -> None:
    st.caption(f"One row per token (add or delete rows; at most {MAX_TOKENS}). Columns x1..x{ws.d} are "
               f"the embedding x_t.")
    edited = st.data_editor(frames["X"], key=f"X_{gen}", num_rows="dynamic", hide_index=True, width="content")
    try:
        new.tokens, new.embeddings = parse_embeddings(edited, MAX_TOKENS, token_problem)
    except CellError as e:
        st.error(text.markdown(str(e)))
        errors.append(str(e))
    st.text_input("…or type a sentence (each new word gets a fixed pseudo-random embedding)",
                  key="sentence", on_change=_use_sentence, placeholder="i went to the bank to sit down")
    if st.session_state.get("sentence_msg"):
        st.warning(st.session_state["sentence_msg"])


def _differs(a: Workspace, b: Workspace) -> bool:
    if a.tokens != b.tokens or a.embeddings.shape != b.embeddings.shape:
        return True
    pairs = [(a.embeddings, b.embeddings), (a.head_W, b.head_W), (a.head_b, b.head_b)]
    pairs += [(getattr(pa, k), getattr(pb, k)) for pa, pb in ((a.fwd, b.fwd), (a.bwd, b.bwd))
              for k in ("W", "U", "b", "b_U")]
    return any(not np.array_equal(x, y) for x, y in pairs)


def current_step(T: int) -> int:
    """The step the "Time step t" slider holds, moved to the last token when the sentence got shorter
    (read before the slider is drawn: the states table above it highlights that row)."""
    if st.session_state.get("t_slider", 0) >= T:
        st.session_state["t_slider"] = T - 1
    return st.session_state.get("t_slider", 0)


def step_view(trace, tokens: list[str]) -> None:
    T = len(tokens)
    t = st.select_slider("Time step t", options=list(range(T)), key="t_slider",
                         format_func=lambda i: f"{i + 1} · {text.markdown(tokens[i])}")
    layer = trace.layers[-1]
    for d in layer.directions:
        with st.container(border=True):
            arrow = "→ forward (reads x_1 … x_t)" if d.name == "forward" else "← backward (reads x_T … x_t)"
            st.markdown(f"**{arrow}**")
            st.html(explain_html(d, t))
            for line in state_update_lines(d, t):
                st.caption(line)
    row = lambda v: ("mat", [[num(x) for x in v]])
    sym = lambda base, sup="": ("sym", base, str(t + 1), sup)
    lines = []
    if layer.bwd is not None and layer.merged is not None:
        fwd, bwd = sym("h", "fwd"), sym("h", "bwd")
        lines.append([sym("m"), ("op", "=")] + get_merge(layer.merge).parts(fwd, bwd)
                     + [("op", "="), row(layer.merged[0, t])])
    if trace.probs is not None:
        g = get_head_activation(trace.head_activation).symbol
        lines.append([sym("y"), ("op", "="), ("text", g), ("open",), ("sym", "W", "o", ""), sym("m"), ("op", "+"),
                      ("sym", "b", "o", ""), ("close",), ("op", "="), ("text", g), ("open",),
                      row(trace.logits[0, t]), ("close",), ("op", "="), row(trace.probs[0, t])])
    if lines:
        st.html(equations_html(lines))


def seed_check(ws: Workspace, trace) -> None:
    ex = presets.seed_example()
    same = (ws.tokens == ex.tokens and np.array_equal(ws.embeddings, ex.embeddings) and ws.cell == "rnn"
            and ws.activation == "tanh" and ws.bidirectional
            and all(np.array_equal(getattr(p, k), getattr(ex.model.layers[0].fwd, k))
                    for p in (ws.fwd, ws.bwd) for k in ("W", "U", "b")))
    # A toggle, not an expander: a closed panel then costs nothing on every edit.
    if not st.toggle("Check the seed: its printed values beside the exact ones", key="show_seed"):
        return
    with st.container(border=True):
        if not same:
            st.info("You changed the seed's numbers: load the preset 'Seed: I love AI' again to compare.")
            return
        lines = ["| state | seed prints | exact | matches |", "|---|---|---|---|"]
        for (direction, t), printed in sorted(presets.SEED_PRINTED.items(),
                                              key=lambda kv: (kv[0][0] != "forward", kv[0][1])):
            d = trace.layers[0].fwd if direction == "forward" else trace.layers[0].bwd
            exact = d.h[0, t - 1]
            decimals = max(len(str(v).split(".")[1]) for v in printed)
            ok = np.array_equal(np.round(exact, decimals), printed)
            lines.append(f"| h_{t} {direction} | {printed} | [{', '.join(f'{v:.4f}' for v in exact)}] | "
                         f"{'✅ yes' if ok else '❌ no'} |")
        st.markdown("\n".join(lines))
        st.caption("Only step 1 forward follows from the seed's own numbers; its later values are hand "
                   "approximations. The backward pass starts from h_4 = 0 at 'AI', so with tied weights h_3^bwd "
                   "= tanh(W x_3 + b).")


def share_and_export(ws: Workspace, trace) -> None:
    state = ws.to_url_state()
    if st.query_params.get("s") != state:
        st.query_params["s"] = state
    if not st.toggle("Share and export (the address bar already holds the share link)", key="show_share"):
        return
    with st.container(border=True):
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
        if get_cell(ws.cell).torch is None:
            c[3].caption(get_cell(ws.cell).torch_refusal)
        else:
            c[3].download_button("PyTorch code", lambda: exports.pytorch_code(ws), "birnn_reproduce.py",
                                 "text/x-python", on_click="ignore")
        st.file_uploader("Import a JSON exported from this page", type=["json"], key="import_file",
                         on_change=_import_file, max_upload_size=2)
        if st.session_state.get("import_msg"):
            st.error(text.markdown(st.session_state["import_msg"]))


def inspect_view(trace, label: str) -> None:
    """A trained model's trace, read-only: heatmaps of every state, and any unit's step written out."""
    from app.figures.heatmaps import states_heatmap
    tokens, layer = trace.tokens, trace.layers[-1]
    st.caption(f"The trained tagger on “{text.markdown(label)}”: {layer.fwd.cell.upper()}, h = {layer.fwd.hidden_size} per "
               f"direction, inputs of size d = {trace.X.shape[-1]}. Read-only: edit on “Your model”.")
    for d in layer.directions:
        st.plotly_chart(states_heatmap(d.h[0], tokens, f"h {d.name} (units × tokens)"),
                        key=f"inspect_{d.name}", theme=None)
    c = st.columns([3, 2, 3])
    t = c[0].select_slider("Time step t", options=list(range(len(tokens))), key="inspect_t",
                           format_func=lambda i: f"{i + 1} · {text.markdown(tokens[i])}")
    names = [d.name for d in layer.directions]
    which = c[1].radio("Direction", names, horizontal=True, key="inspect_dir")
    d = layer.directions[names.index(which)]
    units = c[2].multiselect("Units to write out", list(range(d.hidden_size)), default=[0],
                             format_func=lambda j: f"unit {j + 1}", key="inspect_units", max_selections=4)
    if units:
        st.html(explain_html(d, t, units=sorted(units)))


# ---------------------------------------------------------------- the page

st.title("Step by step")
st.caption("Edit any number: every value that depends on it is recomputed, and the arithmetic is written "
           "out as seed 000 writes it by hand. Forward reads x_1 … x_t, backward reads x_T … x_t; the output "
           "at t merges both. The final state is (h_T forward, h_1 backward).")
inspected = st.session_state.get("inspect")  # {"label", "trace"} handed over by the taggers page
if inspected is not None:
    source = st.radio("Model", ["workspace", "tagger"], horizontal=True, key="step_source",
                      format_func={"workspace": "Your model (editable)",
                                   "tagger": f"The trained tagger: {text.markdown(inspected['label'])}"}.get)
    if source == "tagger":
        inspect_view(inspected["trace"], inspected["label"])
        st.stop()
ws = get_workspace()
gen = st.session_state.setdefault("gen", 0)
st.session_state["drawn_gen"] = gen
controls(ws, gen)


@st.fragment
def body() -> None:
    """Tables and results: a table edit or a step change reruns only this part of the page.

    A control inside this fragment may replace the workspace (a typed sentence, an imported file):
    its callback bumps "gen". A fragment rerun then still holds the editors of the old workspace,
    whose tables would write the old values back, and the controls above it show the old sizes,
    so the whole page is rerun instead, with new editors."""
    if st.session_state.get("gen", 0) != st.session_state.get("drawn_gen"):
        st.rerun()
    t0 = time.perf_counter()
    gen = st.session_state["gen"]
    ws = get_workspace()
    new_ws, errors = editors(ws, gen)
    if _differs(new_ws, ws):
        set_workspace(new_ws)
        ws = new_ws
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
    st.html(states_html(trace, trace.tokens, st.session_state.get("prev_trace"), selected))
    st.subheader("One step, written out")
    step_view(trace, trace.tokens)
    seed_check(ws, trace)
    share_and_export(ws, trace)
    log_rerun_ms("step_by_step.body", t0)


body()
