"""AppTest and logic: the Context vectors page (app/views/context.py) and app/context.py on the shipped taggers."""
from __future__ import annotations

import numpy as np
import pytest

from apptest_utils import chart_specs, open_view, plotly_array

from app import context as C
from app.state import CONTEXT_A, CONTEXT_B, CONTEXT_LAYER, CONTEXT_PAIR, CONTEXT_PART, CONTEXT_WORD
from taggers import tagger as tg


@pytest.fixture(scope="module")
def taggers():
    return tg.load_taggers()


def test_a_shared_prefix_gives_identical_forward_states_and_the_right_context_changes_the_rest(taggers):
    """d2l's 'bank' pair: A and B agree up to 'bank'. The unidirectional tagger's vectors there are the same
    bit for bit in every layer; the bidirectional tagger's only in layer 1's forward chain (layer 2's forward
    chain reads layer 1's merged vectors, which have seen what follows)."""
    uni, bi = taggers
    _, a, b, word = C.PAIRS[0]
    a, b = tg.tokenize(a), tg.tokenize(b)
    assert C.same_prefix(a, b, word)
    u, v = C.compare_word(uni, a, b, word), C.compare_word(bi, a, b, word)
    assert all(r.identical for r in u) and [r.part for r in u] == ["forward", "forward"]
    assert [(r.layer, r.part) for r in v if r.identical] == [(1, "forward")]
    assert all(r.cosine < 1 for r in v if not r.identical)
    assert "identical in 2 of 2 (layer, part) pairs, the bidirectional tagger's in 1 of 6 (layer 1 forward)" in \
        C.context_note(a, b, word, u, v)


def test_a_shared_suffix_gives_identical_backward_states(taggers):
    """'He plays the bass' / 'He caught a bass': 'bass' ends both, so layer 1's backward chain reads the same
    single word in both; the forward chains differ."""
    _, bi = taggers
    _, a, b, word = C.PAIRS[1]
    rows = {(r.layer, r.part): r for r in C.compare_word(bi, tg.tokenize(a), tg.tokenize(b), word)}
    assert rows[1, "backward"].identical and not rows[1, "forward"].identical
    assert "differ before “bass”" in C.context_note(tg.tokenize(a), tg.tokenize(b), word, [], list(rows.values()))


def test_rows_are_the_engines_vectors(taggers):
    _, bi = taggers
    a, b = ["I", "can", "fish"], ["a", "can", "of", "fish"]
    ta, tb = bi.trace(a), bi.trace(b)
    for r in C.compare_word(bi, a, b, "can"):
        va, vb = C.vectors(ta, 1)[r.layer, r.part], C.vectors(tb, 1)[r.layer, r.part]
        assert r.cosine == pytest.approx(va @ vb / np.linalg.norm(va) / np.linalg.norm(vb), rel=1e-12)
        assert r.max_abs_diff == np.abs(va - vb).max()
    merged = C.vectors(ta, 1)[2, "merged"]
    np.testing.assert_array_equal(merged, np.concatenate([ta.layers[1].fwd.h[0, 1], ta.layers[1].bwd.h[0, 1]]))


def test_words_match_ignoring_case_and_a_missing_word_is_refused(taggers):
    assert C.shared_words(["Book", "a", "flight"], ["I", "read", "the", "book"]) == ["Book"]
    assert C.shared_positions(["Book", "a"], ["the", "book"], "book") == (0, 1)
    with pytest.raises(ValueError, match="pick a word they share"):
        C.compare_word(taggers[1], ["a"], ["b"], "a")


def test_nearest_leaves_out_the_sentence_itself(taggers):
    _, bi = taggers
    ref = C.reference_vectors(C.reference_traces(bi), 2, "merged")
    text = C.PAIRS[0][1]
    v = C.vectors(bi.trace(tg.tokenize(text)), 4)[2, "merged"]
    near = C.nearest(v, ref, text)
    assert len(near) == 5 and all(n.sentence != text for n in near)
    assert [n.cosine for n in near] == sorted((n.cosine for n in near), reverse=True)
    others = C.occurrences("bank", ref, v, text)
    assert {n.sentence for n in others} == {s for s in C.REFERENCE if "bank" in s.split() and s != text}


def test_page_shows_the_tables_the_chart_and_follows_its_controls():
    at = open_view("views/context.py")
    assert [t.value for t in at.title] == ["Context vectors"] and not at.error
    assert len(at.dataframe) == 6  # two taggers' tables; for A and for B the nearest tokens and other uses
    others = at.dataframe[3].value
    assert list(others["in"]) == [n.sentence for n in C.occurrences(
        "bank", C.reference_vectors(C.reference_traces(tg.load_taggers()[1]), 1, "forward"),
        C.vectors(tg.load_taggers()[1].trace(tg.tokenize(C.PAIRS[0][1])), 4)[1, "forward"], C.PAIRS[0][1])]
    uni_table = at.dataframe[0].value
    assert list(uni_table["identical"]) == ["yes", "yes"]
    z = plotly_array(chart_specs(at)[0]["data"][0]["z"])
    uni, bi = tg.load_taggers()
    a = tg.tokenize(C.PAIRS[0][1])
    np.testing.assert_array_equal(z[0], C.vectors(bi.trace(a), 4)[1, "forward"])
    at.radio(key=CONTEXT_LAYER).set_value(2)
    at.radio(key=CONTEXT_PART).set_value("backward").run()
    z = plotly_array(chart_specs(at)[0]["data"][0]["z"])
    np.testing.assert_array_equal(z[0], C.vectors(bi.trace(a), 4)[2, "backward"])
    at.selectbox(key=CONTEXT_PAIR).set_value(C.PAIRS[1][0]).run()
    assert at.text_input(key=CONTEXT_A).value == C.PAIRS[1][1] and at.selectbox(key=CONTEXT_WORD).value == "bass"
    at.text_input(key=CONTEXT_B).input("nothing shared here").run()
    assert any("share no word" in i.value for i in at.info) and not at.exception
    at.text_input(key=CONTEXT_B).input("x " * 301).run()
    assert any("at most 300" in w.value for w in at.warning)
