"""AppTest: the entry file runs its default page (Home) without an exception."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

ENTRY = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"


def test_entry_runs_home_without_exception():
    at = AppTest.from_file(str(ENTRY), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["BiRNN Explainer"]
