"""Streamlit glue for the shared Workspace: one per session, read from a share link once, and the
trace computed once per change (every page reads the same trace).

Session keys: "workspace" (Workspace), "ws_version" (int, bumped on every change),
"trace" / "trace_version" (the last computation), "last_good" (last valid ModelTrace),
"prev_trace" (the trace before the last change, to highlight what an edit changed),
"model_params" (ModelParams of the workspace, read by other pages).
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import streamlit as st

from birnn_core import ModelTrace, NonFiniteResultError, ValidationError, presets, run

from app import text
from app.workspace import Workspace

KEY = "workspace"


@dataclass
class Computation:
    """The result of running the workspace: a trace, or the error and the last valid trace."""

    trace: ModelTrace | None
    error: str | None = None
    last_good: ModelTrace | None = None

    @property
    def shown(self) -> ModelTrace | None:
        """What the page shows: the new trace, or the last valid one while there is an error."""
        return self.trace if self.trace is not None else self.last_good


def get_workspace() -> Workspace:
    """The session's Workspace: from the link's ?s= the first time (if valid), else the seed example."""
    if KEY not in st.session_state:
        ws, error = None, None
        s = st.query_params.get("s")
        if s:
            try:
                ws = Workspace.from_url_state(s)
            except ValidationError as e:
                error = f"The shared link could not be opened: {e} The seed example is shown instead."
        st.session_state[KEY] = ws or Workspace.from_example(presets.seed_example())
        st.session_state["ws_version"] = 0
        st.session_state["url_error"] = error
    return st.session_state[KEY]


def set_workspace(ws: Workspace) -> None:
    """Replace the workspace (every page sees the change on its next run)."""
    st.session_state[KEY] = ws
    st.session_state["url_error"] = None  # the person has moved on from the link that failed
    st.session_state["ws_version"] = st.session_state.get("ws_version", 0) + 1


def show_link_problem() -> None:
    """Open the share link of this address (if any) and say, on whatever page, why it failed."""
    if "s" in st.query_params:
        get_workspace()
    if st.session_state.get("url_error"):
        st.warning(text.markdown(st.session_state["url_error"]))


def compute() -> Computation:
    """Run the core on the workspace once per version; keep the last valid trace on errors."""
    ws = get_workspace()
    version = st.session_state.get("ws_version", 0)
    cached = st.session_state.get("trace")
    if cached is not None and st.session_state.get("trace_version") == version:
        return cached
    last_good = st.session_state.get("last_good")
    try:
        model = ws.model()
        trace = run(model, ws.embeddings, tokens=ws.tokens)
        st.session_state["model_params"] = model
        result = Computation(trace, last_good=last_good)
        if last_good is not None:
            st.session_state["prev_trace"] = last_good
        st.session_state["last_good"] = trace
    except ValidationError as e:
        result = Computation(None, str(e), last_good)
    except NonFiniteResultError as e:
        result = Computation(None, str(e), last_good)
    st.session_state["trace"], st.session_state["trace_version"] = result, version
    return result


def log_rerun_ms(label: str, t0: float) -> None:
    """Print a (fragment) rerun's script time to the server log when BIRNN_LOG_RERUN_MS is set."""
    if os.environ.get("BIRNN_LOG_RERUN_MS"):
        print(f"rerun_ms={(time.perf_counter() - t0) * 1e3:.2f} part={label}", file=sys.stderr, flush=True)
