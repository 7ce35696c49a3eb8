"""Home: what a bidirectional RNN is, and links to the other views."""
from __future__ import annotations

import streamlit as st

from app.navigation import PAGE_TABLE

st.title("BiRNN Explainer")
st.caption("A bidirectional recurrent neural network, taken apart one step at a time.")

left, right = st.columns([3, 2], gap="large")

with left:
    st.subheader("Two RNNs, one sequence")
    st.markdown(
        r"""
A bidirectional RNN runs two ordinary RNNs over the same inputs $x_1, \dots, x_T$,
each with its own weights.

- The **forward** direction reads left to right, so $\overrightarrow{h}_t$ summarises
  $x_1, \dots, x_t$:
  $\;\overrightarrow{h}_t = \phi(W_f\, x_t + U_f\, \overrightarrow{h}_{t-1} + b_f)$
- The **backward** direction reads right to left, so $\overleftarrow{h}_t$ summarises
  $x_t, \dots, x_T$:
  $\;\overleftarrow{h}_t = \phi(W_b\, x_t + U_b\, \overleftarrow{h}_{t+1} + b_b)$
- The **output** at step $t$ merges the two states of that step:
  $y_t = \mathrm{merge}(\overrightarrow{h}_t, \overleftarrow{h}_t)$, where merge is
  concat (the default), sum, mul or ave.

Here $\phi$ is the activation (tanh for a simple RNN), $W$ has shape $(h, d)$ and $U$ shape
$(h, h)$. So every output sees the whole sentence: its left context through the forward
state and its right context through the backward state.
"""
    )
    st.info(
        r"""
**Final state $\neq$ last output.** The final state is
$(\overrightarrow{h}_T, \overleftarrow{h}_1)$: each direction's *last* step, at opposite ends
of the sequence. The last output $y_T$ holds $\overleftarrow{h}_T$ instead, which has seen only
$x_T$. In PyTorch that is `h_n` versus `output[:, -1]`.
""",
        icon=":material/lightbulb:",
    )

with right:
    st.subheader("Unrolled over four steps")
    st.code(
        """\
  x_1        x_2        x_3        x_4
   |          |          |          |
 →h_1 ────▶ →h_2 ────▶ →h_3 ────▶ →h_4    forward:  reads x_1 .. x_t
 ←h_1 ◀──── ←h_2 ◀──── ←h_3 ◀──── ←h_4    backward: reads x_t .. x_T
   |          |          |          |
  y_1        y_2        y_3        y_4    y_t = merge(→h_t, ←h_t)

 final state = (→h_4, ←h_1)""",
        language=None,
    )

others = [p for p in PAGE_TABLE if not p.default]
st.subheader("Explore")
if others:
    for p in others:
        st.page_link(p.path, label=p.title, icon=p.icon)
        st.caption(p.blurb)
else:
    st.caption("The step-by-step, diagram and comparison views will appear here.")
