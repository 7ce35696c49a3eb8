"""Arrows diagram: the unrolled bidirectional RNN of the shared workspace, animated step by step,
with what each h_t depends on, the merged vectors, and where PyTorch and Keras put the final state.

The page only lays out what app.figures.diagram draws from the trace that app.state computes
(the same trace the Step by step page shows, so an edit there shows here)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from app.figures.diagram import (PARALLEL, SEQUENTIAL, arrows_figure, diagram_steps, final_state_rows,
                                 merge_caption, merge_figure, stack_figure)
from app.state import (DIAGRAM_BACK, DIAGRAM_CHART, DIAGRAM_FOCUS, DIAGRAM_LAYER, DIAGRAM_LAYER_SHOWN,
                       DIAGRAM_MERGE_CHART, DIAGRAM_NEXT, DIAGRAM_ORDER,
                       DIAGRAM_SOURCE, DIAGRAM_STEP, SOURCES, compute, handed_over)
from app.tables import final_state_markdown, vector_text
from app.text import isolate, markdown
from birnn_core import ModelTrace, explain_latex

ORDERS = {SEQUENTIAL: "Forward sweep, then backward", PARALLEL: "Both directions at once"}
LATEX_MAX_UNITS = 8  # st.latex of a step only while its matrices stay readable
CHART_CONFIG = {"displayModeBar": False}
NO_FOCUS = -1  # the "(none)" option (a None value would make the selectbox show no choice at all)
WHOLE_STACK = "all"  # the Layer radio's option that draws every layer in one figure


def shift_step(delta: int, n: int, n_layers: int) -> None:
    """One step on; past a layer's last step (first step) into the next (previous) layer of a stack."""
    k = st.session_state.get(DIAGRAM_STEP, n - 1) + delta
    layer = st.session_state.get(DIAGRAM_LAYER, 0)
    if n_layers == 1:  # one layer drawn (or the whole stack, whose steps already cross the layers)
        pass
    elif k >= n and layer < n_layers - 1:
        st.session_state[DIAGRAM_LAYER], k = layer + 1, 0
    elif k < 0 and layer > 0:
        st.session_state[DIAGRAM_LAYER], k = layer - 1, n - 1
    st.session_state[DIAGRAM_STEP] = int(np.clip(k, 0, n - 1))
    st.session_state[DIAGRAM_LAYER_SHOWN] = st.session_state.get(DIAGRAM_LAYER, 0)


def carried_step(k: int, before: int | str, now: int | str, n: int) -> int:
    """Step k of the layer choice ``before`` as a step of ``now`` (n steps per layer): the same step
    of the stack; a layer the step had not reached yet starts at its first step, a finished one shows its last."""
    g = k if before == WHOLE_STACK else int(before) * n + k  # the step in the whole stack's numbering
    return g if now == WHOLE_STACK else int(np.clip(g - int(now) * n, 0, n - 1))


st.title("Arrows diagram")
st.caption("The network unrolled over time, as seed 000 draws it: each x_t feeds the forward chain "
           "(left to right) and the backward chain (right to left); the two states at t are merged "
           "into m_t, and the output layer reads m_t. Edits on the Step by step page show here.")

handed = handed_over()  # a trained tagger's trace, from the Uni vs Bi page
source = "workspace"
if handed is not None:
    # the taggers page sets DIAGRAM_SOURCE to "tagger" when it hands a sentence over
    source = st.radio("Draw", SOURCES, horizontal=True, key=DIAGRAM_SOURCE,
                      format_func={"workspace": "the Step by step model",  # radio options render markdown
                                   "tagger": f"the trained tagger: {markdown(isolate(handed.label))}"}.get)
trace: ModelTrace | None
if source == "tagger" and handed is not None:
    trace = handed.trace
    st.caption("The real model's hidden states (h is large, so nodes are heatmap strips; hover for values).")
else:
    comp = compute()
    if comp.error:
        st.error(markdown(comp.error)
                 + ("  The diagram below shows the last valid values." if comp.shown is not None else ""))
    trace = comp.shown
if trace is None:
    st.info("Nothing to draw yet: fix the input on the Step by step page.")
    st.stop()

T = int(trace.lengths[0])
tokens = [str(w) for w in (trace.tokens or [])][:T]
tokens += [f"x{i + 1}" for i in range(len(tokens), T)]  # a trace without words: x1, x2, …
n_layers = len(trace.layers)
layer: int | str
if source == "tagger" or n_layers == 1:
    layer = n_layers - 1
else:
    layer_options = [*range(n_layers), WHOLE_STACK]
    if st.session_state.get(DIAGRAM_LAYER, 0) not in layer_options:
        st.session_state[DIAGRAM_LAYER] = 0
    layer = st.radio("Layer", layer_options, horizontal=True, key=DIAGRAM_LAYER,
                     format_func=lambda l: "all layers (the whole stack)" if l == WHOLE_STACK else f"layer {l + 1}"
                     + (" (reads x_t)" if l == 0 else f" (reads m_t of layer {l})"),
                     help="A stack: layer l+1 reads layer l's merged vectors as its inputs. Step ▶ at the last "
                          "step of a layer goes on into the next layer; 'all layers' draws the stack in one "
                          "figure and animates it layer by layer.")
whole = layer == WHOLE_STACK
top = n_layers - 1 if whole else int(layer)  # the layer whose merged vectors and final state are shown
bidirectional = trace.layers[top].bwd is not None

c1, c2 = st.columns([2, 3])
order = c1.radio("Animation order", list(ORDERS), format_func=ORDERS.get, key=DIAGRAM_ORDER,
                 horizontal=True, disabled=not bidirectional)
# A widget whose options change (another sentence length, another order) is a new widget to
# Streamlit, which would start it on its first option: write the kept value back every run.
focus_options = [NO_FOCUS] + list(range(T))
kept = st.session_state.get(DIAGRAM_FOCUS, NO_FOCUS)
st.session_state[DIAGRAM_FOCUS] = kept if kept in focus_options else NO_FOCUS
focus = c2.selectbox("Show what reaches h_t for token", focus_options, key=DIAGRAM_FOCUS, disabled=whole,
                     format_func=lambda i: "(none)" if i == NO_FOCUS else f"t = {i + 1}: {tokens[i]}",  # plain text
                     help="One layer at a time: in a stack, every state above layer 1 has read the whole "
                          "sentence already." if n_layers > 1 else None)
focus_t = None if focus == NO_FOCUS or whole else focus

steps = diagram_steps(trace, None if whole else top, 0, order)
n = len(steps)
kept = st.session_state.get(DIAGRAM_STEP, n - 1)
before = st.session_state.get(DIAGRAM_LAYER_SHOWN, layer)
if before != layer and isinstance(kept, int) and source == "workspace":
    kept = carried_step(kept, before, layer, len(diagram_steps(trace, 0, 0, order)))
st.session_state[DIAGRAM_LAYER_SHOWN] = layer
# the same step number after a change of order; the last step when there are fewer steps now
st.session_state[DIAGRAM_STEP] = kept if isinstance(kept, int) and 0 <= kept < n else n - 1
s1, s2, s3 = st.columns([1, 8, 1], vertical_alignment="bottom")
stack = 1 if source == "tagger" or whole else n_layers
s1.button("◀ Step", key=DIAGRAM_BACK, on_click=shift_step, args=(-1, n, stack), use_container_width=True,
          help="The previous step (the equation below follows it)")
step = s2.select_slider("Step", options=list(range(n)), key=DIAGRAM_STEP,
                        format_func=lambda k: f"{k + 1}: {steps[k].label()}")
s3.button("Step ▶", key=DIAGRAM_NEXT, on_click=shift_step, args=(1, n, stack), use_container_width=True,
          help="The next step")

if whole:
    fig = stack_figure(trace, tokens, order=order, step=step)
else:
    fig = arrows_figure(trace, tokens, layer=top, order=order, step=step, focus=focus_t)
st.plotly_chart(fig, theme=None, key=DIAGRAM_CHART, config=CHART_CONFIG)
st.caption("▶ Play animates in the browser (the slider scrubs); ◀ Step / Step ▶ above move the step "
           "whose equation is written out below. Hover a node for its whole vector; faded nodes are "
           "not computed yet at that step.")

if focus_t is not None:
    t = focus_t + 1
    st.markdown(
        f"**What reaches t = {t} (“{markdown(isolate(tokens[focus_t]))}”)**: the forward state h_{t}^(fwd) has read "
        f"x_1..x_{t} (blue boxes); the backward state h_{t}^(bwd) has read x_{t}..x_{T} (orange); "
        f"the merged vector m_{t} sees all {T} tokens (purple).")

current = steps[step]
step_layer = top if current.layer is None else current.layer
lt = trace.layers[step_layer]
with st.expander(f"The equation of step {step + 1} ({current.label()}) in full", expanded=T <= 8):
    if whole:
        st.caption(f"Layer {step_layer + 1} of {n_layers}")
    if current.kind == "merge":
        st.markdown("Every state is known: the merged vectors and the outputs are formed at every t "
                    "(see the strips below).")
    for tr, step_t in ((lt.fwd, current.t_fwd), (lt.bwd, current.t_bwd)):
        if step_t is None or tr is None:
            continue
        if tr.hidden_size <= LATEX_MAX_UNITS and tr.x.shape[-1] <= LATEX_MAX_UNITS:
            st.latex(r"\begin{aligned}" + r" \\ ".join("&" + line for line in explain_latex(tr, step_t))
                     + r"\end{aligned}")
        else:
            st.markdown(f"{tr.name}, t = {step_t + 1}: h = {vector_text(tr.h[0, step_t])} "
                        f"({tr.hidden_size} units; hover the node in the diagram for all of them)")

lt = trace.layers[top]
st.subheader("The merged vectors" + (f" of layer {top + 1}, the top of the stack" if whole else ""))
st.caption(merge_caption(lt.merge if bidirectional else None))
st.plotly_chart(merge_figure(trace, tokens, layer=top), theme=None, key=DIAGRAM_MERGE_CHART,
                config=CHART_CONFIG)

st.subheader("Output versus final state")
st.markdown(
    "The output at t is merge(h_t^(fwd), h_t^(bwd)); the final state is **(h_T^(fwd), h_1^(bwd))**: "
    "each direction's *last computed* state, which for the backward direction sits at the **first** "
    "token. So `h_n[1]` is `output[:, 0, H:]`, not `output[:, -1, H:]`.")
st.markdown(final_state_markdown(final_state_rows(trace, top)))
