"""The panel that loads a person's own PyTorch or Keras model into the workspace (app.own_model)."""
from __future__ import annotations

import streamlit as st

from birnn_core import ACTIVATIONS, MERGE_MODES, ValidationError

from app import own_model, text, upload
from app.state import (OWN_ACTIVATION, OWN_FILE, OWN_LOAD, OWN_MERGE, OWN_MSG, OWN_TOKENS, OWN_VOCAB, SHOW_OWN,
                       restart_workspace)

MAX_MB = max(1, upload.MAX_UPLOAD_BYTES // 1_000_000)


def _load() -> None:
    weights = st.session_state.get(OWN_FILE)
    if weights is None:
        st.session_state[OWN_MSG] = ("error", "Choose a weights file first (.safetensors or .npz).")
        return
    vocab = st.session_state.get(OWN_VOCAB)
    try:
        ws, loaded = own_model.load(weights.name, weights.getvalue(), st.session_state.get(OWN_TOKENS, ""),
                                    st.session_state.get(OWN_ACTIVATION, "tanh"),
                                    st.session_state.get(OWN_MERGE, "concat"),
                                    (vocab.name, vocab.getvalue()) if vocab is not None else None)
    except ValidationError as e:
        st.session_state[OWN_MSG] = ("error", f"Not loaded: {e}")
        return
    restart_workspace(ws)
    st.session_state[OWN_MSG] = ("success", loaded + " Step by step, the Arrows diagram and Gradients show it.")


def own_model_panel() -> None:
    if not st.toggle("Load your own PyTorch or Keras model", key=SHOW_OWN):
        return
    with st.container(border=True):
        st.caption("A state_dict of nn.RNN / nn.GRU / nn.LSTM (any layers, uni or bi, with or without bias), or "
                   "Keras weights, with an optional output layer (nn.Linear / Dense) and embedding in the same "
                   f"file. At most 3 layers, d and h up to 16, {MAX_MB} MB. This page never unpickles: a .pt "
                   "file gets the lines that save it as safetensors. Save your model with one of:")
        st.code(f"# PyTorch\nfrom safetensors.torch import save_file\nsave_file(model.state_dict(), \"model.safetensors\")\n"
                f"# Keras 3\n{upload.KERAS_NPZ_LINE}", language="python")
        c = st.columns([3, 2])
        c[0].file_uploader("Weights (.safetensors or .npz)", key=OWN_FILE, max_upload_size=MAX_MB)
        c[1].file_uploader("Vocabulary of its embedding (optional: .txt or .json)", key=OWN_VOCAB,
                           max_upload_size=MAX_MB)
        c = st.columns([3, 1, 1])
        c[0].text_input("Sentence", "I love AI", key=OWN_TOKENS,
                        help="Words are split at spaces; with a vocabulary, each must be in it.")
        c[1].selectbox("SimpleRNN activation", ACTIVATIONS, key=OWN_ACTIVATION,
                       help="nn.RNN's nonlinearity / SimpleRNN's activation: the weights do not hold it.")
        c[2].selectbox("Merge", MERGE_MODES, key=OWN_MERGE,
                       help="Keras' merge_mode (the weights do not hold it); PyTorch concatenates.")
        st.button("Load into the page", key=OWN_LOAD, on_click=_load, type="primary")
        kind, message = st.session_state.get(OWN_MSG) or (None, "")
        if kind == "error":
            st.error(text.markdown(message))
        elif kind == "success":
            st.success(text.markdown(message))
