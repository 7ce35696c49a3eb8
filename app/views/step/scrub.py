"""The scrub: press on any number of the chosen matrix and drag, and every state follows, from frames
NumPy computed first.

app/scrub.py computes the frames; scrub.js swaps them into the states table while the pointer
moves; releasing sends the frame back and the page recomputes for real."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import streamlit as st

from app.editing import nudge_targets, value_at, with_value
from app.scrub import ident, payload, value_for
from app.state import NUDGE_TARGET, NUDGE_VALUE, SCRUB, SCRUB_ERROR, SCRUB_RERUN_PAGE, get_workspace, set_workspace
from app.tables import CellError, parse_number

_JS = (Path(__file__).parent / "scrub.js").read_text(encoding="utf-8")
_CSS = (Path(__file__).parent / "scrub.css").read_text(encoding="utf-8")
_scrub = st.components.v2.component("birnn_scrub", js=_JS, css=_CSS)


def _target(label: object) -> tuple[str, tuple, str] | None:
    """The (path, index, symbol) of a nudge label the browser sent back (None if it names nothing)."""
    return nudge_targets(get_workspace()).get(label) if isinstance(label, str) else None


def _pick(gen: str, event: object) -> None:
    """A number pressed on: while a drag waits for its frames only this fragment reruns; a number
    chosen (a press without a drag) reruns the page, so the nudge box shows it too."""
    if not isinstance(event, dict) or _target(event.get("label")) is None:
        return
    st.session_state[NUDGE_TARGET.at(gen)] = event["label"]
    st.session_state.pop(SCRUB_ERROR, None)
    if not event.get("drag"):
        st.session_state[SCRUB_RERUN_PAGE] = True


def _release(gen: str, event: object) -> None:
    """Keep the value of the frame let go at. Frames centred on another value (an older scrub, or
    this release already applied: the callback can run more than once for one event) are ignored."""
    if not isinstance(event, dict):
        return
    label = event.get("label")
    target = _target(label)
    if target is None:
        return
    path, index, _ = target
    ws = get_workspace()
    value = value_for(ws, path, index, event.get("frame"))
    if value is None or event.get("id") != ident(str(label), value_at(ws, path, index)):
        return
    _keep(gen, str(label), path, index, value)


def _keep(gen: str, label: str, path: str, index: tuple, value: float) -> None:
    """Set the number to ``value``, make it the nudge box's, and rerun the whole page."""
    set_workspace(with_value(get_workspace(), path, index, value))
    st.session_state[NUDGE_TARGET.at(gen)] = label
    st.session_state[NUDGE_VALUE.at(gen, label)] = value
    st.session_state.pop(SCRUB_ERROR, None)
    st.session_state[SCRUB_RERUN_PAGE] = True


def _edit(gen: str, event: object) -> None:
    """A number typed into the matrix: taken as typed (app.tables.parse_number's rules), or refused
    with its message and the text kept in the box."""
    if not isinstance(event, dict) or _target(event.get("label")) is None or not isinstance(event.get("text"), str):
        return
    label, typed = event["label"], event["text"]
    path, index, symbol = nudge_targets(get_workspace())[label]
    try:
        value = parse_number(typed, symbol)
    except CellError as e:
        st.session_state[SCRUB_ERROR] = {"label": label, "text": typed, "message": str(e)}
        return
    _keep(gen, label, path, index, value)


def _event(gen: str, name: str) -> object:
    return (st.session_state.get(SCRUB.at(gen)) or {}).get(name)


def scrub_later(gen: str) -> Callable[[], None]:
    """Keeps the scrub's place; the function returned draws it there. The page calls it after the
    states table: its frames (about 20 kB per number of the matrix) would otherwise reach the browser
    before the values a person is waiting for."""
    place = st.container()

    def draw() -> None:
        with place:
            scrub(gen)
    return draw


@st.fragment
def scrub(gen: str) -> None:
    """The matrix of the nudge box's number, every entry draggable and typeable, and a slider for it.

    Its own fragment: pressing on a number whose frames are not in the page reruns only this part
    (the frames arrive sooner); letting go changes the workspace, so the whole page is rerun."""
    if st.session_state.pop(SCRUB_RERUN_PAGE, False):
        st.rerun()
    label = st.session_state[NUDGE_TARGET.at(gen)]
    data = payload(get_workspace(), label)
    data["error"] = st.session_state.get(SCRUB_ERROR)
    _scrub(key=SCRUB.at(gen), data=data, height="content",
           on_release_change=lambda: _release(gen, _event(gen, "release")),
           on_pick_change=lambda: _pick(gen, _event(gen, "pick")),
           on_edit_change=lambda: _edit(gen, _event(gen, "edit")))
