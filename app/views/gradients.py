"""Gradients: how far a gradient reaches in the shared workspace's model, uni beside bi, as U is
scaled; one step of the chain rule with the real numbers; the seeds' gradient claims, measured.

The page lays out what app.gradients computes from the core (birnn_core.backprop) and what
app.figures.gradients draws; it does no arithmetic itself."""
from __future__ import annotations

import numpy as np
import streamlit as st

from app.figures.gradients import decay_figure, influence_heatmap
from app.gradients import (COMPARE_SEED, LOSS_TEXT, chain_lines, chain_step, gradients, measure, rule_text,
                           scale_U, spectral_radii)
from app.state import GRAD_CHAIN, GRAD_CHART, GRAD_MAP, GRAD_SCALE, GRAD_T, compute, model_params
from app.text import markdown
from birnn_core import NonFiniteResultError, get_cell, run

MAPS = {"merged": "the merged output m_t (both chains)", "forward": "the forward chain h_t^(fwd) (k ≤ t)",
        "backward": "the backward chain h_t^(bwd) (k ≥ t)"}
CHAINS = ["forward", "backward"]
CHART_CONFIG = {"displayModeBar": False}
# Streamlit hashes the model's arrays: a slider's recent positions are kept, and a change of t or
# chain measures nothing again.
measured_for = st.cache_data(max_entries=16, show_spinner="Measuring the gradients …")(measure)

st.title("Gradients")
st.caption("How much each input x_k moves each output: the influence map ‖∂q_t/∂x_k‖ (T × T), "
           "computed by backpropagation through time in the core. Edits on the Step by step page show here.")

comp = compute()
if comp.error:
    st.error(markdown(comp.error) + ("  The page shows the last valid model." if comp.shown is not None else ""))
trace, model = comp.shown, model_params()
if trace is None or model is None:
    st.info("Nothing to measure yet: fix the input on the Step by step page.")
    st.stop()

T = int(trace.lengths[0])
X = trace.X[0, :T]
tokens = [str(w) for w in (trace.tokens or [])][:T]
tokens += [f"x{i + 1}" for i in range(len(tokens), T)]
layer = model.layers[-1]
bidirectional = layer.bwd is not None
cell = get_cell(layer.cell)

# ---------------------------------------------------------------- U's scale and the influence maps
factor = st.slider("Scale every U by", 0.0, 3.0, 1.0, 0.05, format="%.2f", key=GRAD_SCALE,
                   help="Multiplies the recurrent matrix of both directions (the page's copy; the workspace "
                        "is not changed). Watch the spectral radius and how fast influence fades.")
scaled = scale_U(model, factor)
radii = []
for name, p in scaled.layers[-1].directions():
    rho, sym = spectral_radii(layer.cell, p.U), f"U_{name[0]}"
    radii.append(f"ρ({sym}) = {rho['']:.3f}" if "" in rho else
                 f"ρ of {sym}'s blocks: " + ", ".join(f"{g} {v:.3f}" for g, v in rho.items()))
st.markdown(markdown("Spectral radius (largest |eigenvalue|): " + ";  ".join(radii)))
st.caption("For a SimpleRNN, ρ(U) well below 1 (with tanh' ≤ 1) makes influence fade geometrically with "
           "distance; far above 1 lets it grow until tanh saturates.")

try:
    s_trace = run(scaled, trace.X, lengths=trace.lengths, tokens=trace.tokens)
except NonFiniteResultError as e:
    st.error(markdown(f"With every U scaled by {factor:g} the model overflows: {e} Choose a smaller factor."))
    st.stop()
measured = measured_for(model, X, factor)
maps = measured.maps
if bidirectional:
    shown = st.radio("Bidirectional map of", list(MAPS), format_func=MAPS.get, key=GRAD_MAP, horizontal=True)
else:
    shown = "merged"
    st.info("The workspace model is unidirectional: turn on Bidirectional on the Step by step page to "
            "compare. Both maps below are of the forward direction.")
bi_map = maps.bi[shown]
top = float(max(bi_map.max(), maps.uni.max()))
left, right = st.columns(2)
left.plotly_chart(influence_heatmap(bi_map, tokens, f"Bidirectional: {MAPS[shown]}", top),
                  theme=None, key=GRAD_CHART.at("bi"), config=CHART_CONFIG)
right.plotly_chart(influence_heatmap(maps.uni, tokens, "Unidirectional: the forward direction alone", top),
                   theme=None, key=GRAD_CHART.at("uni"), config=CHART_CONFIG)
st.caption("Rows: the output at t; columns: the input x_k. The unidirectional model is blank above the "
           "diagonal: y_t cannot depend on a later input. One colour scale for both maps.")

# ---------------------------------------------------------------- decay with distance, by cell
st.subheader("How it fades with distance")
decays = measured.decays
st.plotly_chart(decay_figure(decays, layer.cell, factor), theme=None, key=GRAD_CHART.at("decay"),
                config=CHART_CONFIG)
far = {c: v[-1] / v[0] if v[0] > 0 else np.nan for c, v in decays.items()}
st.caption(markdown(
    f"The forward chain's mean ‖∂h_t/∂x_(t−dist)‖ on this sentence. The {cell.display} line is this model; "
    f"the other cells are random models drawn as PyTorch initialises them (NumPy seed {COMPARE_SEED}) with "
    f"this model's sizes, their U scaled by the same factor. At distance {T - 1} relative to distance 0: "
    + ", ".join(f"{get_cell(c).display} {v:.3g}" for c, v in far.items()) + "."))

# ---------------------------------------------------------------- one step of the chain rule
st.subheader("One step of the chain rule, with the real numbers")
head = trace.head_activation or "none"
st.caption(markdown(f"Loss: the {LOSS_TEXT.get(head, LOSS_TEXT['none'])}. U scaled by {factor:g}."))
kept = st.session_state.get(GRAD_T, 0)
st.session_state[GRAD_T] = kept if isinstance(kept, int) and 0 <= kept < T else 0
c1, c2 = st.columns([3, 2])
t = c1.select_slider("Time step t", options=list(range(T)), key=GRAD_T,
                     format_func=lambda k: f"{k + 1} · {tokens[k]}")  # select_slider labels are plain text
direction = c2.radio("Chain", CHAINS if bidirectional else CHAINS[:1], key=GRAD_CHAIN, horizontal=True)
st.markdown(markdown(rule_text(layer.cell, direction)))
step = chain_step(s_trace, gradients(s_trace, scaled), direction, t)
st.code("\n".join(chain_lines(step)), language=None)
ok = np.allclose(step.total, step.recorded, rtol=1e-9, atol=1e-12)
st.caption(("The sum of the terms equals the core's recorded gradient." if ok else
            "The sum of the terms differs from the core's recorded gradient.")
           + f" In the {direction} chain the step after t = {t + 1} is "
           + (f"t = {step.source + 1}." if step.source is not None else "none: the chain ends here."))

# ---------------------------------------------------------------- the seeds' claims
st.subheader("Seed claims checked")
st.caption("Measured on this model and sentence, U scaled as above (timings on this server, when this model "
           "was first measured).")
for claim in measured.claims:
    with st.container(border=True):
        st.markdown(f"**Seed {claim.seed}**: “{markdown(claim.claim)}”")
        st.markdown(f"*Measured*: {markdown(claim.measured)}")
        st.markdown(f"*Verdict*: {markdown(claim.verdict)}")
if not bidirectional:
    st.info("The claims compare a bidirectional model with its forward direction: turn on Bidirectional "
            "on the Step by step page to check them.")
