"""Helpers the AppTest tests share: open a page through the entry file, read its Plotly charts."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from app.state import WORKSPACE, WS_VERSION
from app.workspace import Workspace

ENTRY = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"


def open_view(view: str, workspace: Workspace | None = None, timeout: int = 60) -> AppTest:
    """The app opened on ``view`` (e.g. "views/diagram.py"), with ``workspace`` as the session's
    model if given; fails on an exception."""
    at = AppTest.from_file(str(ENTRY), default_timeout=timeout)
    if workspace is not None:
        at.session_state[WORKSPACE] = workspace
        at.session_state[WS_VERSION] = 1
    at.run()
    at.switch_page(view).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_specs(at: AppTest) -> list[dict]:
    """Every Plotly chart's figure spec, in page order."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def plotly_array(v) -> np.ndarray:
    """A spec array as NumPy: plain lists, or Plotly's typed arrays {"dtype", "bdata", "shape"}."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(n) for n in str(v.get("shape", a.size)).split(",")]).astype(np.float64)
    return np.asarray(v, dtype=np.float64)
