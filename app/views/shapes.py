"""Shapes & parameters: what comes out of a Keras or PyTorch recurrent layer, how many
parameters it has, and the code that gives it (seed 002). Every number, code line and text comes
from the shape_calculator package; this page only lays it out."""
from __future__ import annotations

import streamlit as st

from app.figures_shapes import shape_flow_dot
from app import state
from app.state import MODEL_PARAMS
from birnn_core import ValidationError, presets
from birnn_core.registry import activations, cells, get_cell, get_merge, merges
from shape_calculator import (FRAMEWORKS, REGULARIZER_KINDS, RecurrentSpec, Regularizer, keras_code, keras_outputs,
                              model_cell, model_weights, param_counts, regularization_penalty, regularizer_code,
                              report, seed_002_checks, shape_flow, shape_text, torch_caveats, torch_code,
                              torch_outputs)

MAX_LAYERS = 3  # the tests check every setting up to here against torch
ROLES = [("kernel", "kernel_regularizer (W)"), ("recurrent", "recurrent_regularizer (U)"),
         ("bias", "bias_regularizer (b)")]


def settings() -> tuple[RecurrentSpec, bool]:
    """The settings panel: (spec, PyTorch's batch_first)."""
    names, merge_names = [c.name for c in cells()], [m.name for m in merges()]
    with st.container(border=True):
        c = st.columns(5)
        batch = c[0].number_input("Batch size", 1, 512, 1, key=state.SHAPES_BATCH)
        steps = c[1].number_input("Time steps", 1, 1000, 3, key=state.SHAPES_STEPS)
        features = c[2].number_input("Features d", 1, 4096, 5, key=state.SHAPES_FEATURES)
        units = c[3].number_input("Units h", 1, 4096, 64, key=state.SHAPES_UNITS)
        layers = c[4].number_input("Stacked layers", 1, MAX_LAYERS, 1, key=state.SHAPES_LAYERS)
        r = st.columns([2, 1, 1, 1])
        cell = r[0].selectbox("Cell", names, index=names.index("lstm"), key=state.SHAPES_CELL,
                              format_func=lambda n: get_cell(n).display, help=report.cells_help())
        activation = r[1].selectbox("Activation", [a.name for a in activations()], key=state.SHAPES_ACTIVATION,
                                    help="SimpleRNN's activation; the candidate activation of LSTM and GRU. "
                                         "Changes values, never shapes or counts.")
        bidirectional = r[2].toggle("Bidirectional", key=state.SHAPES_BI)
        merge = r[3].selectbox("Merge mode", merge_names, key=state.SHAPES_MERGE, disabled=not bidirectional,
                               format_func=lambda m: m if get_merge(m).single else f"{m} (both returned)",
                               help=report.merges_help())
        c = st.columns(5)
        return_sequences = c[0].toggle("return_sequences", True, key=state.SHAPES_RETURN_SEQUENCES)
        return_state = c[1].toggle("return_state", False, key=state.SHAPES_RETURN_STATE)
        use_bias = c[2].toggle("use_bias", True, key=state.SHAPES_USE_BIAS)
        batch_first = c[3].toggle("PyTorch batch_first", True, key=state.SHAPES_BATCH_FIRST)
    return RecurrentSpec(
        batch_size=int(batch), time_steps=int(steps), features=int(features), units=int(units), cell=cell,
        bidirectional=bidirectional, merge_mode=merge, num_layers=int(layers),
        return_sequences=return_sequences, return_state=return_state, use_bias=use_bias, activation=activation,
    ), batch_first


def framework_column(name: str, rows, counts, caption: str) -> None:
    st.subheader(name)
    st.markdown(f"Output: `{shape_text(rows[0].shape)}`")
    st.markdown(report.shapes_table(rows))
    if caption:
        st.caption(caption)
    st.markdown("**Parameters**")
    st.markdown(report.params_table(counts))


def show_shapes(spec: RecurrentSpec, batch_first: bool) -> None:
    refusal = spec.torch_refusal
    st.markdown(report.input_text(spec, batch_first))
    keras_col, torch_col = st.columns(2, gap="large")
    with keras_col:
        counts = param_counts(spec, "Keras")
        framework_column("Keras", keras_outputs(spec), counts,
                         "" if spec.return_state else "Turn on return_state to get the final states as well.")
        with st.expander("Weight tensors (Keras layout: kernel is Wᵀ)"):
            st.markdown(report.tensors_text(counts, spec))
    with torch_col:
        if refusal:
            st.subheader("PyTorch")
            st.warning(refusal, icon=":material/block:")
        else:
            counts = param_counts(spec, "PyTorch")
            framework_column("PyTorch", torch_outputs(spec, batch_first), counts,
                             "PyTorch always returns every time step and the final state of every layer; there "
                             "is no return_sequences, return_state or merge_mode.")
            with st.expander("Weight tensors (state_dict names; `_reverse` for backward)"):
                st.markdown(report.tensors_text(counts, spec))
    for note in torch_caveats(spec) if not refusal else []:
        st.info(note, icon=":material/info:")
    if spec.bidirectional:
        st.info(report.FINAL_STATE_NOTE, icon=":material/lightbulb:")

    st.subheader("Code that gives these shapes")
    keras_col, torch_col = st.columns(2, gap="large")
    with keras_col:
        st.markdown("**Keras 3** (tf.keras: `from tensorflow.keras import layers`)")
        st.code(keras_code(spec), language="python")
    with torch_col:
        st.markdown(f"**PyTorch** (batch_first={batch_first})")
        if refusal:
            st.caption("No PyTorch code: nn's modules cannot express this cell (see PyTorch above).")
        else:
            st.code(torch_code(spec, batch_first), language="python")

    st.subheader("Shapes through the stack")
    framework = st.segmented_control("Diagram for", list(FRAMEWORKS), default="Keras",
                                     key=state.SHAPES_FLOW_FRAMEWORK) or "Keras"
    if framework == "PyTorch" and refusal:
        st.warning(refusal, icon=":material/block:")
        return
    st.graphviz_chart(shape_flow_dot(shape_flow(spec, framework, batch_first), framework))
    if framework == "PyTorch":
        st.caption("Dashed: h_n / c_n gather the final state of every layer, not only the top.")
    else:
        st.caption("Layers below the top return sequences so the next layer gets one vector per time step; "
                   "dashed boxes are states.")


def current_model():
    """The Step by step page's model, else the seed's worked example: (model, where it comes from)."""
    model = st.session_state.get(MODEL_PARAMS)
    if model is not None:
        return model, "the Step by step page's current model"
    return presets.seed_example().model, "the seed's worked example “I love AI” (open Step by step to edit it)"


def show_regularizers() -> None:
    st.subheader("Regularizers")
    st.markdown("Keras adds `l1·Σ|w|` (L1), `l2·Σw²` (L2, no ½) or both (L1L2) to the loss, separately for the "
                "kernel (W), the recurrent kernel (U) and the bias. Here on the current weights of the Step by "
                "step page's model.")
    regs = {}
    for col, (role, label) in zip(st.columns(3), ROLES):
        with col:
            kind = st.selectbox(label, REGULARIZER_KINDS, index=0 if role == "bias" else 2, key=state.SHAPES_REG.at(role))
            l1 = st.number_input("l1", 0.0, 10.0, 0.01, step=0.001, format="%.4f", key=state.SHAPES_REG.at(role, "l1"),
                                 disabled=kind not in ("L1", "L1L2"))
            l2 = st.number_input("l2", 0.0, 10.0, 0.01, step=0.001, format="%.4f", key=state.SHAPES_REG.at(role, "l2"),
                                 disabled=kind not in ("L2", "L1L2"))
            regs[role] = Regularizer(kind, l1, l2)
    model, source = current_model()
    try:
        penalties = regularization_penalty(model_weights(model), **regs)
        code = regularizer_code(model_cell(model), **regs)
    except ValidationError as e:
        st.error(f"Cannot compute the penalties on {source}: {e} Reset the model on the Step by step page.",
                 icon=":material/error:")
        return
    st.caption(f"Weights: {source}. The output head is a Dense layer, not regularized here.")
    st.markdown(report.penalty_table(penalties))
    st.markdown(report.penalty_total(penalties))
    st.code(code, language="python")


def show_seed_checks() -> None:
    st.subheader("Seed 002 checked")
    st.caption("Each example of the seed, recomputed. Shapes are Keras layout (batch, time, features); "
               "input_data is (1, 3, 5) unless said otherwise.")
    for check in seed_002_checks():
        ok = check.verdict == "matches"
        with st.expander(f"{'Matches' if ok else 'Wrong in the seed'}: {check.title}",
                         icon=":material/check_circle:" if ok else ":material/cancel:", expanded=not ok):
            st.code(check.seed_code, language="python")
            st.markdown(f"**Seed says:** {check.seed_says}  \n**Right answer:** {check.correct}")
            st.markdown(check.explanation)
            if check.corrected_code:
                st.markdown("**Corrected code**")
                st.code(check.corrected_code, language="python")


st.title("Shapes & parameters")
st.caption("What shape comes out of a recurrent layer, how many parameters it has, and the Keras and PyTorch "
           "code that gives it. Defaults: seed 002's input (1, 3, 5) and 64 units.")
spec, batch_first = settings()
try:
    spec.validate()
except ValidationError as e:
    st.error(str(e), icon=":material/error:")
else:
    show_shapes(spec, batch_first)
show_regularizers()
show_seed_checks()
