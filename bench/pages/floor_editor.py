"""Floor for the step page's benchmark: one st.data_editor and one line of text."""
import time

_t0 = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

df = st.data_editor(pd.DataFrame(np.array([[0.5, 0.3, 0.2], [0.4, 0.7, 0.6]]), columns=["x1", "x2", "x3"]),
                    key="W")
st.markdown(f'<p id="out">value: {float(np.tanh(df.to_numpy().sum())):.6f}</p>', unsafe_allow_html=True)
st.session_state["_rerun_ms"] = (time.perf_counter() - _t0) * 1e3
print(f"rerun_ms={st.session_state['_rerun_ms']:.2f}", file=__import__("sys").stderr, flush=True)
