"""Shapes & parameters: what comes out of a Keras or PyTorch recurrent layer, how many
parameters it has, and the code that gives it (seed 002). Every number comes from
birnn_core.shapes; this page only lays it out."""
from __future__ import annotations

import streamlit as st

from app.figures_shapes import shape_flow_dot
from birnn_core.shapes import (
    ACTIVATIONS,
    CELLS,
    MERGE_MODES,
    REGULARIZER_KINDS,
    RecurrentSpec,
    Regularizer,
    ShapeConfigError,
    keras_code,
    keras_outputs,
    model_weights,
    param_counts,
    regularization_penalty,
    seed_002_checks,
    shape_flow,
    torch_caveats,
    torch_code,
    torch_outputs,
)

CELL_CLASS = {"rnn": "SimpleRNN", "gru": "GRU", "lstm": "LSTM"}  # birnn_core cell -> Keras
MAX_LAYERS = 3  # the tests check every setting up to here against torch


def shape_str(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def shapes_table(rows) -> str:
    lines = ["| returned | shape | axes: what it holds |", "|---|---|---|"]
    lines += [f"| {r.name} | `{shape_str(r.shape)}` | {r.axes}" + (f": {r.note}" if r.note else "")
              + " |" for r in rows]
    return "\n".join(lines)


def params_table(rows) -> str:
    lines = ["| layer | d | formula per direction, with the numbers | parameters |",
             "|---|---|---|---|"]
    lines += [f"| {r.layer} | {r.input_size} | `{r.formula}`: {r.arithmetic} | **{r.total:,}** |"
              for r in rows]
    lines.append(f"| **total** | | | **{sum(r.total for r in rows):,}** |")
    return "\n".join(lines)


def tensors_text(rows) -> str:
    return "\n".join(
        f"- layer {r.layer}: " + ", ".join(f"`{n}` {shape_str(s)}" for n, s in r.tensors)
        + (" (× 2: forward and backward)" if r.directions == 2 else "")
        for r in rows)


st.title("Shapes & parameters")
st.caption("What shape comes out of a recurrent layer, how many parameters it has, and the "
           "Keras and PyTorch code that gives it. Defaults: seed 002's input (1, 3, 5) and "
           "64 units.")

# ---------------------------------------------------------------------------------- settings
with st.container(border=True):
    c = st.columns(5)
    batch = c[0].number_input("Batch size", 1, 512, 1, key="shapes_batch")
    steps = c[1].number_input("Time steps", 1, 1000, 3, key="shapes_steps")
    features = c[2].number_input("Features d", 1, 4096, 5, key="shapes_features")
    units = c[3].number_input("Units h", 1, 4096, 64, key="shapes_units")
    layers = c[4].number_input("Stacked layers", 1, MAX_LAYERS, 1, key="shapes_layers")
    c = st.columns(5)
    cell = c[0].selectbox("Cell", CELLS, index=1, key="shapes_cell")
    activation = c[1].selectbox("Activation", ACTIVATIONS, key="shapes_activation",
                                help="SimpleRNN's activation; the candidate activation of LSTM "
                                     "and GRU. Changes values, never shapes or counts.")
    bidirectional = c[2].toggle("Bidirectional", key="shapes_bi")
    merge = c[3].selectbox("Merge mode", MERGE_MODES, key="shapes_merge",
                           format_func=lambda m: "None (both returned)" if m is None else m,
                           disabled=not bidirectional,
                           help="Keras' Bidirectional merge_mode: how the forward and backward "
                                "outputs are combined.")
    reset_after = c[4].toggle("GRU reset_after", True, key="shapes_reset_after",
                              disabled=cell != "GRU",
                              help="Keras' GRU default (True) applies the reset gate after the "
                                   "recurrent product, as PyTorch does, with two biases.")
    c = st.columns(5)
    return_sequences = c[0].toggle("return_sequences", True, key="shapes_return_sequences")
    return_state = c[1].toggle("return_state", False, key="shapes_return_state")
    use_bias = c[2].toggle("use_bias", True, key="shapes_use_bias")
    batch_first = c[3].toggle("PyTorch batch_first", True, key="shapes_batch_first")

spec = RecurrentSpec(
    batch_size=int(batch), time_steps=int(steps), features=int(features), units=int(units),
    cell=cell, bidirectional=bidirectional, merge_mode=merge if bidirectional else "concat",
    num_layers=int(layers), return_sequences=return_sequences, return_state=return_state,
    use_bias=use_bias, activation=activation, reset_after=reset_after,
)

try:
    spec.validate()
    error = None
except ShapeConfigError as e:
    error = str(e)

if error:
    st.error(error, icon=":material/error:")
else:
    keras_rows, torch_rows = keras_outputs(spec), torch_outputs(spec, batch_first)
    keras_counts, torch_counts = param_counts(spec, "Keras"), param_counts(spec, "PyTorch")
    st.markdown(f"Input **x**: `{shape_str((spec.batch_size, spec.time_steps, spec.features))}` "
                "(batch, time steps, features) in Keras"
                + ("" if batch_first else
                   f"; `{shape_str((spec.time_steps, spec.batch_size, spec.features))}` "
                   "(time steps, batch, features) in PyTorch with batch_first=False") + ".")
    keras_col, torch_col = st.columns(2, gap="large")
    with keras_col:
        st.subheader("Keras")
        st.markdown(f"Output: `{shape_str(keras_rows[0].shape)}`")
        st.markdown(shapes_table(keras_rows))
        if not spec.return_state:
            st.caption("Turn on return_state to get the final states as well.")
        st.markdown("**Parameters**")
        st.markdown(params_table(keras_counts))
        with st.expander("Weight tensors (Keras layout: kernel is Wᵀ)"):
            st.markdown(tensors_text(keras_counts))
    with torch_col:
        st.subheader("PyTorch")
        st.markdown(f"Output: `{shape_str(torch_rows[0].shape)}`")
        st.markdown(shapes_table(torch_rows))
        st.caption("PyTorch always returns every time step and the final state of every "
                   "layer; there is no return_sequences, return_state or merge_mode.")
        st.markdown("**Parameters**")
        st.markdown(params_table(torch_counts))
        with st.expander("Weight tensors (state_dict names; `_reverse` for backward)"):
            st.markdown(tensors_text(torch_counts))

    for note in torch_caveats(spec):
        st.info(note, icon=":material/info:")
    if spec.bidirectional:
        st.info("**Final state ≠ last output.** The forward direction's final state is after "
                "x_T, the backward one's after x_1 (it runs T → 1). In PyTorch that is "
                "`h_n[-2]` and `h_n[-1]`; `output[:, -1]` holds the backward state after x_T "
                "only, which has seen a single token.", icon=":material/lightbulb:")

    st.subheader("Code that gives these shapes")
    keras_col, torch_col = st.columns(2, gap="large")
    with keras_col:
        st.markdown("**Keras 3** (tf.keras: `from tensorflow.keras import layers`)")
        st.code(keras_code(spec), language="python")
    with torch_col:
        st.markdown(f"**PyTorch** (batch_first={batch_first})")
        st.code(torch_code(spec, batch_first), language="python")

    st.subheader("Shapes through the stack")
    framework = st.segmented_control("Diagram for", ["Keras", "PyTorch"], default="Keras",
                                     key="shapes_flow_framework") or "Keras"
    flow = shape_flow(spec, framework, batch_first)
    st.graphviz_chart(shape_flow_dot(flow, framework))
    if framework == "PyTorch":
        st.caption("Dashed: h_n / c_n gather the final state of every layer, not only the top.")
    else:
        st.caption("Layers below the top return sequences so the next layer gets one vector "
                   "per time step; dashed boxes are states.")

# ------------------------------------------------------------------------------ regularizers
st.subheader("Regularizers")
st.markdown("Keras adds `l1·Σ|w|` (L1), `l2·Σw²` (L2, no ½) or both (L1L2) to the loss, "
            "separately for the kernel (W), the recurrent kernel (U) and the bias. Here on the "
            "current weights of the Step by step page's model.")

regs = {}
cols = st.columns(3)
for col, (role, label) in zip(cols, [("kernel", "kernel_regularizer (W)"),
                                     ("recurrent", "recurrent_regularizer (U)"),
                                     ("bias", "bias_regularizer (b)")]):
    with col:
        kind = st.selectbox(label, REGULARIZER_KINDS, index=0 if role == "bias" else 2,
                            key=f"shapes_reg_{role}")
        l1 = st.number_input("l1", 0.0, 10.0, 0.01, step=0.001, format="%.4f",
                             key=f"shapes_reg_{role}_l1", disabled=kind not in ("L1", "L1L2"))
        l2 = st.number_input("l2", 0.0, 10.0, 0.01, step=0.001, format="%.4f",
                             key=f"shapes_reg_{role}_l2", disabled=kind not in ("L2", "L1L2"))
        regs[role] = Regularizer(kind, l1, l2)


def current_model():
    """The Step by step page's model, else the seed's worked example; (model, source) or
    (None, reason)."""
    model = st.session_state.get("model_params")
    if model is not None:
        return model, "the Step by step page's current model"
    try:
        from birnn_core import presets
        return presets.seed_example().model, "the seed's worked example “I love AI” " \
                                             "(open Step by step to edit it)"
    except Exception as e:  # the core may be mid-change: say so instead of failing the page
        return None, f"no model is available ({type(e).__name__}: {e})"


model, source = current_model()
if model is None:
    st.warning(f"Cannot compute the penalties: {source}.", icon=":material/warning:")
else:
    try:
        report = regularization_penalty(model_weights(model), **regs)
    except ShapeConfigError as e:
        report = None
        st.error(f"Cannot compute the penalties on {source}: {e}", icon=":material/error:")
    except Exception as e:  # a model object of another shape than expected
        report = None
        st.error(f"Cannot read the weights of {source}: {type(e).__name__}: {e}. Reset the model "
                 "on the Step by step page.", icon=":material/error:")
    if report is not None:
        st.caption(f"Weights: {source}. The output head is a Dense layer, not regularized here.")
        lines = ["| weight | role | shape | Σ\\|w\\| | Σw² | penalty |", "|---|---|---|---|---|---|"]
        lines += [f"| {t.name} | {t.role} | `{shape_str(t.shape)}` | {t.abs_sum:.4g} | "
                  f"{t.square_sum:.4g} | {t.arithmetic} |" for t in report.terms]
        st.markdown("\n".join(lines))
        st.markdown(f"**Total penalty: {report.total:.6g}** (kernel {report.by_role['kernel']:.6g}"
                    f" + recurrent {report.by_role['recurrent']:.6g} + bias "
                    f"{report.by_role['bias']:.6g})")
        layer_cls = CELL_CLASS.get(getattr(model.layers[0], "cell", None), "SimpleRNN") \
            if getattr(model, "layers", None) else "SimpleRNN"
        pad = " " * (len(layer_cls) + 8)
        st.code("from keras import layers, regularizers\n\n"
                f"layers.{layer_cls}(units,\n"
                f"{pad}kernel_regularizer={regs['kernel'].keras_expr()},\n"
                f"{pad}recurrent_regularizer={regs['recurrent'].keras_expr()},\n"
                f"{pad}bias_regularizer={regs['bias'].keras_expr()})",
                language="python")

# ------------------------------------------------------------------------------ seed 002
st.subheader("Seed 002 checked")
st.caption("Each example of the seed, recomputed. Shapes are Keras layout (batch, time, "
           "features); input_data is (1, 3, 5) unless said otherwise.")
for check in seed_002_checks():
    ok = check.verdict == "matches"
    icon = ":material/check_circle:" if ok else ":material/cancel:"
    with st.expander(f"{'Matches' if ok else 'Wrong in the seed'}: {check.title}",
                     icon=icon, expanded=not ok):
        st.code(check.seed_code, language="python")
        st.markdown(f"**Seed says:** {check.seed_says}  \n**Right answer:** {check.correct}")
        st.markdown(check.explanation)
        if check.corrected_code:
            st.markdown("**Corrected code**")
            st.code(check.corrected_code, language="python")
