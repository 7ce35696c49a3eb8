"""Presenter mode, for a projector: one switch (or ?present=1 in the address) hides the sidebar and the
editors, moves the page links to a bar on top, enlarges type and figures, and lets the arrow keys step
the Arrows diagram and the Guided lesson. The entry file asks `presenting()` before it lays out the
navigation, then calls `presenter_controls()`; a page that has editors asks `presenting()` too."""
from __future__ import annotations

import streamlit as st

from app.state import HAS_PRESENTED, PRESENT_LEAVE, PRESENT_LINK_READ, PRESENT_SWITCH, PRESENTING

# Larger type everywhere in the main area, figures zoomed, no sidebar (the page links are on top).
STYLE = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none !important; }
[data-testid="stMain"] { font-size: 1.3rem; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li,
[data-testid="stMain"] [data-testid="stWidgetLabel"] p,
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] label p { font-size: 1.3rem !important; line-height: 1.5; }
[data-testid="stMain"] h1 { font-size: 3.2rem !important; }
[data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 2.1rem !important; }
[data-testid="stMain"] button p { font-size: 1.25rem !important; }
[data-testid="stMain"] [data-testid="stPlotlyChart"] { zoom: 1.15; width: calc(100% / 1.15) !important; }
.stMainBlockContainer { max-width: 100% !important; padding-left: 3rem; padding-right: 3rem; }
</style>"""

# Arrow keys press the page's own step buttons (not while typing in a box); installed once per page load.
KEYS = """<script>
if (!window.__birnnPresenterKeys) {
  window.__birnnPresenterKeys = true;
  const NEXT = ["Step ▶", "Next step ▶"], BACK = ["◀ Step", "◀ Previous step"];
  document.addEventListener("keydown", (e) => {
    if (!window.__birnnPresenting || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const t = e.target;
    if (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName)
              || t.getAttribute("role") === "slider")) return;
    const names = e.key === "ArrowRight" ? NEXT : e.key === "ArrowLeft" ? BACK : null;
    if (!names) return;
    const button = [...document.querySelectorAll("[data-testid=stMain] button")]
      .find((b) => names.includes(b.innerText.trim()) && !b.disabled);
    if (button) { e.preventDefault(); button.click(); }
  });
}
window.__birnnPresenting = true;
</script>"""
KEYS_OFF = "<script>window.__birnnPresenting = false;</script>"


def presenting() -> bool:
    """Is presenter mode on? ?present=1 (or 0) in the address decides once per session; the switch after."""
    if not st.session_state.get(PRESENT_LINK_READ):
        st.session_state[PRESENT_LINK_READ] = True
        st.session_state[PRESENTING] = st.query_params.get("present") == "1"
    return bool(st.session_state.get(PRESENTING))


def _switched() -> None:
    st.session_state[PRESENTING] = bool(st.session_state.get(PRESENT_SWITCH))


def _leave() -> None:
    st.session_state[PRESENTING] = False


def presenter_controls() -> None:
    """Off: the switch in the sidebar. On: the stylesheet, the arrow keys and a button that leaves."""
    if not presenting():
        st.sidebar.toggle("Presenter mode", key=PRESENT_SWITCH, value=False, on_change=_switched,
                          help="For a projector: no sidebar or editors, large type, ← / → step the diagram "
                               "and the lesson. The address gets ?present=1, so a link opens it this way.")
        if "present" in st.query_params:
            del st.query_params["present"]
        if st.session_state.get(HAS_PRESENTED):  # only a tab that has presented has the keys to switch off
            st.html(KEYS_OFF, unsafe_allow_javascript=True)
        return
    st.session_state[HAS_PRESENTED] = True
    st.query_params["present"] = "1"
    st.html(STYLE + KEYS, unsafe_allow_javascript=True)
    st.button("Leave presenter mode", key=PRESENT_LEAVE, on_click=_leave, type="tertiary",
              help="Back to the sidebar and the editors. ← / → step the diagram and the lesson meanwhile.")
