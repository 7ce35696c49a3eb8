"""The Uni vs Bi page's pure parts: app.comparison (examples, tags table, messages), app.model_card
and the occlusion figure, on the shipped taggers."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from app import comparison as cp
from app import model_card as mc
from app.figures.occlusion import occlusion_figure
from taggers import tagger as tg

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def taggers():
    return tg.load_taggers()


@pytest.fixture(scope="module")
def like(taggers):
    """The page's default example, where the right context decides."""
    return tg.compare(*taggers, tg.tokenize("It looks like rain"))


def test_examples_and_the_default():
    assert cp.EXAMPLES[cp.DEFAULT_EXAMPLE][1] == "It looks like rain"
    assert cp.example_sentence("to + noun") == "I went to school" and cp.example_sentence("nope") is None
    assert len(set(cp.EXAMPLE_LABELS)) == len(cp.EXAMPLES)
    for _, sentence, i, gold, _ in cp.EXAMPLES:
        assert 0 <= i < len(tg.tokenize(sentence)) and gold in tg.UPOS_TAGS


def test_length_problem():
    assert cp.length_problem("a" * cp.MAX_CHARS) is None
    msg = cp.length_problem("a" * (cp.MAX_CHARS + 1000))
    assert "5,000 characters" in msg and "at most 4,000" in msg and "Shorten it by 1,000 characters" in msg


def test_verdict_count_and_explanations(like):
    assert cp.focus_verdict(like, "  It looks like rain ") == (
        "Focus word **like**, expected **ADP**: unidirectional SCONJ ✗, bidirectional ADP ✓. "
        + cp.EXAMPLES[cp.DEFAULT_EXAMPLE][4])
    assert cp.focus_verdict(like, "It looks like snow") is None
    n = len(like.disagreements)
    assert cp.disagreement_count(like).startswith(f"**{n} disagreement{'s' if n != 1 else ''}** out of 4 tokens")
    bullets = cp.explanations_markdown(like).splitlines()
    assert len(bullets) == len(like.explanations) and bullets[0].startswith("- **\u2068like\u2069** (token 3)")


def test_tags_html_escapes_and_highlights(taggers):
    cmp = tg.compare(*taggers, ["<b>x</b>", "can", "of", "fish"])
    html = cp.tags_html(cmp)
    assert "<bdi>&lt;b&gt;x&lt;/b&gt;</bdi>" in html and "<b>x</b>" not in html
    assert html.count('data-model="uni"') == 4 and html.count('class="dis" data-model="bi"') == len(cmp.disagreements)
    wide = tg.compare(*taggers, ["word"] * 13)
    assert cp.tags_html(wide, per_row=12).count('<table class="tags">') == 2


def test_sentence_id_and_hand_over_label():
    assert cp.sentence_id(["a", "b"]) != cp.sentence_id(["a b"]) and len(cp.sentence_id(["a"])) == 12
    assert cp.hand_over_label("bi", ["It", "rains"]) == "bi tagger on “It rains”"
    assert cp.hand_over_label("uni", ["word"] * 30).endswith("…”")


def test_occlusion_figure_labels_are_text(taggers, like):
    i = next(iter(like.explanations))
    fig = occlusion_figure(like.explanations[i], ["<b>It</b>", "looks", "like", "rain"])
    assert fig.data[0].x[0].startswith("…like") and "p(ADP)" == fig.layout.yaxis.title.text
    assert len(fig.data) == 2  # cut after each word, and each right-hand word masked


def _cards():
    return [json.loads((ROOT / "assets" / "tagger" / f"{d}.card.json").read_text()) for d in ("uni", "bi")]


def test_card_rows_of_the_shipped_cards():
    uni, bi = _cards()
    rows = {r[""]: r for r in mc.card_rows(uni, bi)}
    assert rows["Test accuracy, shipped seed"]["bidirectional"] == f"{100 * bi['test_accuracy']:.2f}%"
    assert rows["Parameters (total)"]["unidirectional"] == f"{uni['parameters']['total']:,}"
    assert rows["torch"]["bidirectional"] == bi["training"]["torch_version"]
    assert mc.MISSING not in json.dumps(list(rows.values()))
    assert len(mc.per_tag_rows(uni, bi)) == len(tg.UPOS_TAGS)
    assert "CC BY-SA 4.0" in mc.data_caption(bi)


def test_an_older_card_without_optional_fields_says_so():
    uni, bi = _cards()
    old = copy.deepcopy(bi)
    del old["training"]["cpu_count"], old["mean_over_seeds"]["wall_time_seconds"], old["training"]["torch_version"]
    rows = {r[""]: r["bidirectional"] for r in mc.card_rows(uni, old)}
    assert rows["Trained on"] == rows["Training wall time per seed (mean)"] == rows["torch"] == mc.MISSING
    assert "(version not in the card)" in mc.data_caption(old)
    del old["mean_over_seeds"]
    rows = {r[""]: r["bidirectional"] for r in mc.card_rows(uni, old)}
    assert rows["Test accuracy (mean of seeds ± sd)"] == "–"
    assert mc.field(old, "training", "device") == bi["training"]["device"] and mc.field(old, "nope", "x") is None
