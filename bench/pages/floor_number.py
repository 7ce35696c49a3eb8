"""Floor for the step page's benchmark: one st.number_input and one line of text."""
import numpy as np
import streamlit as st

v = st.number_input("w", value=0.5, step=0.1, format="%.6f", key="w")
st.markdown(f'<p id="out">value: {float(np.tanh(v)):.6f}</p>', unsafe_allow_html=True)
