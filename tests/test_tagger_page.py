"""AppTest for the compare page (app/views/compare.py): tags, disagreements, limits, odd input."""
import json
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "app" / "views" / "compare.py"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def at():
    app = AppTest.from_file(str(PAGE), default_timeout=60)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _markdown(app) -> str:
    return "\n".join(m.value for m in app.markdown)


def _type(app, text):
    app.text_input(key="compare_text").input(text).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_default_example_shows_both_rows_and_card(at):
    md = _markdown(at)
    assert at.title[0].value == "Uni vs Bi taggers"
    assert "uni →" in md and "bi ↔" in md
    assert md.count('data-model="uni"') == 4 and md.count('data-model="bi"') == 4  # "a can of fish"
    assert "Focus word **can**, expected **NOUN**" in at.info[0].value
    assert "Model card" in [s.value for s in at.subheader]
    card = at.table[0].value
    assert "Most-frequent-tag baseline (test)" in card.iloc[:, 0].tolist()
    bi_card = json.loads((ROOT / "assets" / "tagger" / "bi.card.json").read_text())
    acc = f"{100 * bi_card['test_accuracy']:.2f}%"
    assert acc in card["bidirectional"].tolist()
    assert "CC BY-SA 4.0" in "\n".join(c.value for c in at.caption)


def test_examples_fill_the_box(at):
    at.selectbox(key="compare_example").select("to + noun").run()
    assert at.text_input(key="compare_text").value == "I went to school"
    assert "Focus word **to**, expected **ADP**" in at.info[0].value
    assert _markdown(at).count('data-model="bi"') == 4


def test_disagreements_are_explained(at):
    _type(at, "Book a flight to Boston")
    md = _markdown(at)
    n = md.count('class="dis" data-model="bi"')
    assert f"**{n} disagreement" in md
    # the shipped models disagree on "can" in "a can of fish" (uni AUX, bi NOUN): explained by occlusion
    _type(at, "a can of fish")
    md = _markdown(at)
    assert md.count('class="dis" data-model="bi"') >= 1 and "**1 disagreement" in md
    assert "Without the words to its right" in md or "last word" in md
    assert at.selectbox(key="compare_occ_pick").options


def test_empty_box_long_text_and_odd_scripts(at):
    _type(at, "   ")
    assert "Type a sentence" in at.info[0].value
    _type(at, "word " * 500)
    assert "500 tokens" in at.warning[0].value and "at most" in at.warning[0].value
    _type(at, "I love it \U0001F600 \u2014 \u041c\u043e\u0441\u043a\u0432\u0430 \u6771\u4eac !!")
    md = _markdown(at)
    assert md.count('data-model="bi"') == 8 and not at.error


def test_hidden_state_heatmaps_and_hand_over(at):
    at.radio(key="compare_layer").set_value(2).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 3
    at.button(key="inspect_bi_step_source").click().run()
    assert not at.exception, [e.value for e in at.exception]
    handed = at.session_state["inspect"]
    assert handed["trace"].tokens == ["a", "can", "of", "fish"]
    assert handed["trace"].layers[0].bwd is not None and handed["trace"].probs.shape == (1, 4, 17)
    assert "bi tagger" in handed["label"]


def test_page_does_not_import_torch():
    import subprocess
    code = ("import sys, runpy; sys.path.insert(0, %r); from streamlit.testing.v1 import AppTest; "
            "at = AppTest.from_file(%r, default_timeout=60); at.run(); "
            "assert not at.exception; print('torch' in sys.modules)") % (str(ROOT), str(PAGE))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"
