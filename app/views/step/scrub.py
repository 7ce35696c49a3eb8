"""The scrub: drag the chosen number and watch every state follow, from frames NumPy computed first.

app/scrub.py computes the frames; scrub.js swaps them into the states table while the pointer
moves; releasing sends the frame back and the page recomputes for real."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.editing import value_at, with_value
from app.scrub import payload, scrub_frames, value_for
from app.state import NUDGE_VALUE, SCRUB, get_workspace, set_workspace
from app.workspace import Workspace

_JS = (Path(__file__).parent / "scrub.js").read_text(encoding="utf-8")
_CSS = """
.scrub{font:14px/1.4 sans-serif;max-width:640px}
.scrub .head{font-family:ui-monospace,monospace;margin-bottom:2px}
.scrub .value{font-weight:700}
.scrub .range{width:100%;accent-color:#ff4b4b;cursor:ew-resize}
.scrub .ends{display:flex;justify-content:space-between;font-size:12px;color:#666;gap:8px}
.scrub .hint{text-align:center}
"""
_scrub = st.components.v2.component("birnn_scrub", js=_JS, css=_CSS)


def _ident(label: str, value: float) -> str:
    """Names one scrub: the number and the value its frames are centred on."""
    return f"{label}={float(value)!r}"


def _release(key: str, label: str, path: str, index: tuple, value_key: str) -> None:
    event = (st.session_state.get(key) or {}).get("release")
    ws = get_workspace()
    # Frames centred on another value (an older scrub, or this release already applied: the callback
    # can be called more than once for one event) are not applied.
    if not isinstance(event, dict) or event.get("id") != _ident(label, value_at(ws, path, index)):
        return
    value = value_for(ws, path, index, event.get("frame"))
    if value is None:
        return
    set_workspace(with_value(ws, path, index, value))
    st.session_state[value_key] = value


def scrub(ws: Workspace, gen: str, label: str, path: str, index: tuple, symbol: str) -> None:
    """The drag control for the number ``label`` (path, index) of the nudge box."""
    frames = scrub_frames(ws, path, index)
    ident = _ident(label, frames.values[frames.centre])
    _scrub(key=SCRUB.at(gen), data=payload(frames, symbol, ident), height="content",
           on_release_change=lambda: _release(SCRUB.at(gen), label, path, index, NUDGE_VALUE.at(gen, label)))
