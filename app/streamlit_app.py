"""BiRNN Explainer: the Streamlit entry file (`streamlit run app/streamlit_app.py`).

It sets the page config and hands over to st.navigation. The pages live in app/views/ (not in a
folder named pages/, which would switch on Streamlit's legacy auto-discovery); which pages exist
is decided by app/navigation.py, so a new view is one file in app/views/ plus, at most, one row
in its PAGE_TABLE.
"""
from __future__ import annotations

import os
import sys
import time

# The core's per-step matmuls are tiny: OpenBLAS threads only add overhead (and fight on 2 cores).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
_t0 = time.perf_counter()

# Let the pages import `birnn_core` and the `app` helpers without `pip install -e .`.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import streamlit as st  # noqa: E402

from app.navigation import PAGE_TABLE  # noqa: E402

# page_icon: a file served by this app (a Material icon would make the browser fetch its SVG from Google).
st.set_page_config(page_title="BiRNN Explainer", page_icon=os.path.join(ROOT, "assets", "favicon.png"), layout="wide")

PAGES = [
    st.Page(p.path, title=p.title, icon=p.icon, default=p.default)
    for p in PAGE_TABLE
]

from app.state import RERUN_MS, enter_page, show_link_problem  # noqa: E402
from app.views.presenter import presenter_controls, presenting  # noqa: E402

# presenter mode hides the sidebar, so its page links move to a bar on top
current = st.navigation(PAGES, position="top" if presenting() else "sidebar")
enter_page(current.url_path)
show_link_problem()
presenter_controls()
current.run()
# Server-side time of this rerun, for bench/bench_step_page.py (AppTest reads the session value, a
# real server prints it to its log when BIRNN_LOG_RERUN_MS is set).
st.session_state[RERUN_MS] = (time.perf_counter() - _t0) * 1e3
if os.environ.get("BIRNN_LOG_RERUN_MS"):
    print(f"rerun_ms={st.session_state[RERUN_MS]:.2f} part=full", file=sys.stderr, flush=True)
