"""The shipped taggers in NumPy: tokenizer, word-local features, left-to-right-ness, occlusion, errors."""
import json
from pathlib import Path

import numpy as np
import pytest

from taggers import tagger as tg
from taggers.conllu import UPOS_TAGS

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "tagger"
DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "ud_english_ewt"


@pytest.fixture(scope="module")
def models():
    return tg.load_taggers(ASSETS)


@pytest.mark.parametrize("text, tokens", [
    ("I can't go.", ["I", "ca", "n't", "go", "."]),
    ("We're sure it's John's, they'll say", ["We", "'re", "sure", "it", "'s", "John", "'s", ",", "they",
                                             "'ll", "say"]),
    ("I won't, I cannot, I'm gonna", ["I", "wo", "n't", ",", "I", "can", "not", ",", "I", "'m", "gon", "na"]),
    ('"Hello," she said (quietly)...', ['"', "Hello", ",", '"', "she", "said", "(", "quietly", ")", "..."]),
    ("\u201cWell\u201d, it\u2019s fine", ["\u201c", "Well", "\u201d", ",", "it", "\u2019s", "fine"]),
    ("Dr. Smith lives in the U.S. at 3:30 p.m.", ["Dr.", "Smith", "lives", "in", "the", "U.S.", "at", "3:30",
                                                  "p.m."]),
    ("It costs $5.50, i.e. 10% more!!", ["It", "costs", "$", "5.50", ",", "i.e.", "10", "%", "more", "!!"]),
    ("mail joe.b@example.com or www.example.com :)", ["mail", "joe.b@example.com", "or", "www.example.com",
                                                      ":)"]),
    ("a long-term e-mail", ["a", "long", "-", "term", "e-mail"]),
    ("I love it\U0001F600!", ["I", "love", "it", "\U0001F600", "!"]),
    ("Москва — столица", ["Москва", "—", "столица"]),
    ("   ", []),
])
def test_tokenize_like_ewt(text, tokens):
    assert tg.tokenize(text) == tokens


def test_tokenizer_matches_ewt_dev_on_most_sentences():
    """Exact token sequence on the dev set's raw '# text' lines (measured: 90.8%; EWT's own
    typo splits such as "its" -> "it s" are out of reach)."""
    from taggers.conllu import find_split, read_conllu
    if not DATA.is_dir():
        pytest.skip("UD English-EWT not present")
    dev = read_conllu(find_split(DATA, "dev"))
    exact = sum(tg.tokenize(s.text) == list(s.words) for s in dev) / len(dev)
    assert exact > 0.88


def test_features_are_word_local(models):
    """x_t depends on word t only: the same word gets the same vector in any sentence."""
    uni, _ = models
    a = uni.inputs(["I", "can", "fish"])
    b = uni.inputs(["a", "can", "of", "fish"])
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[2], b[3])
    assert not np.array_equal(a[0], b[0])


def test_shape_flags():
    f = dict(zip(tg.SHAPE_FEATURES, tg.shape_vector("Boston")))
    assert f["first_upper"] == 1 and f["all_upper"] == 0 and f["has_letter"] == 1
    f = dict(zip(tg.SHAPE_FEATURES, tg.shape_vector("\U0001F600")))
    assert f["symbol_or_emoji"] == 1 and f["has_letter"] == 0
    f = dict(zip(tg.SHAPE_FEATURES, tg.shape_vector("Москва")))
    assert f["non_latin_letter"] == 1 and f["non_ascii"] == 1
    f = dict(zip(tg.SHAPE_FEATURES, tg.shape_vector("3,000")))
    assert f["is_number"] == 1 and f["has_digit"] == 1
    assert tg.ngram_ids("Walking", 1 << 14) == tg.ngram_ids("walking", 1 << 14)
    assert all(0 < i < 1 << 14 for i in tg.ngram_ids("walking", 1 << 14))


def test_uni_cannot_see_the_right_context(models):
    """Changing the words to the right of t leaves the unidirectional tagger's output at t unchanged,
    while the bidirectional one does change (the whole point of the comparison)."""
    uni, bi = models
    a = ["I", "went", "to", "the", "bank", "to", "deposit", "cash"]
    b = ["I", "went", "to", "the", "bank", "to", "sit", "down", "quietly"]
    pu_a, pu_b = uni.tag(a)[1], uni.tag(b)[1]
    np.testing.assert_allclose(pu_a[:6], pu_b[:6], atol=1e-12)
    pb_a, pb_b = bi.tag(a)[1], bi.tag(b)[1]
    assert np.abs(pb_a[:6] - pb_b[:6]).max() > 1e-3


def test_tag_trace_and_batch_agree(models):
    """tag() (fast path), trace() (the engine's full record) and a ragged batch give the same numbers."""
    for m in models:
        sents = [tg.tokenize("Book a flight to Boston"), tg.tokenize("I read the book that you like ."),
                 ["Hi"]]
        fast, lengths = m.fast_logits_batch(sents)
        engine, _ = m.logits_batch(sents)
        # the fast path computes U h_{t-1} in float32 (see _FastStack): within 3.1e-6 of torch on the test set
        np.testing.assert_allclose(fast, engine, atol=5e-6)
        exact = tg._FastStack(m.model.layers, m.model.head, recurrent_float32=False)
        X, L = m.batch_inputs(sents)
        np.testing.assert_allclose(exact.logits(X, L), engine, atol=1e-10)  # all-float64: the engine's numbers
        for b, s in enumerate(sents):
            tags, probs = m.tag(s)
            tr = m.trace(s)
            np.testing.assert_allclose(tr.probs[0], probs, atol=5e-6)
            np.testing.assert_allclose(tr.logits[0], fast[b, :len(s)], atol=5e-6)
            assert len(tags) == len(s) and all(t in UPOS_TAGS for t in tags)
            np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-12)
        assert m.trace(sents[0]).layers[-1].fwd.h.shape[:2] == (1, 5)


def test_right_context_examples(models):
    """The curated examples: the bidirectional tagger gets the right-context cases right."""
    _, bi = models
    assert bi.tag(tg.tokenize("Book a flight to Boston"))[0][0] == "VERB"
    assert bi.tag(tg.tokenize("I read the book"))[0][3] == "NOUN"
    assert bi.tag(tg.tokenize("I can fish"))[0][1] == "AUX"
    assert bi.tag(tg.tokenize("a can of fish"))[0][1] == "NOUN"


def test_occlusion_cut_equals_shorter_sentence(models):
    """Cutting the sentence after k is exactly tagging tokens[:k+1] (the backward pass starts at k)."""
    _, bi = models
    toks = tg.tokenize("Book a flight to Boston")
    occ = tg.occlusion(bi, toks, 0)
    assert occ.prefix[-1][0] == len(toks) - 1
    for k, tag, p in occ.prefix:
        tags, probs = bi.tag(toks[:k + 1])
        assert tag == tags[0]
        # occlusion runs the float64 engine, tag() the fast path (U h in float32): equal to ~1e-8
        assert p == pytest.approx(probs[0, UPOS_TAGS.index(occ.full_tag)], abs=1e-6)
    assert occ.full_tag == "VERB"
    assert len(occ.masked) == len(toks) - 1
    assert "Book" in occ.summary(toks)
    last = tg.occlusion(bi, toks, len(toks) - 1)
    assert last.masked == [] and "last word" in last.summary(toks)


def test_compare_lists_disagreements(models):
    uni, bi = models
    toks = tg.tokenize("Book a flight to Boston")
    c = tg.compare(uni, bi, toks)
    assert c.disagreements == [i for i in range(len(toks)) if c.uni_tags[i] != c.bi_tags[i]]
    assert set(c.explanations) == set(c.disagreements)


@pytest.mark.parametrize("tokens, message", [
    ([], "nothing to tag"),
    (["a"] * (tg.MAX_TOKENS + 1), f"at most {tg.MAX_TOKENS}"),
    (["a b"], "contains spaces"),
    (["x" * (tg.MAX_TOKEN_CHARS + 1)], "characters"),
    ("a string", "list of tokens"),
])
def test_bad_input_gets_a_message(models, tokens, message):
    with pytest.raises(tg.TaggerInputError, match=message):
        models[1].tag(tokens)


def test_odd_scripts_get_a_tag(models):
    uni, bi = models
    for text in ["\U0001F600 \U0001F44D", "Москва — столица России", "東京 は 大きい", "?!?", "x" * 150]:
        for m in (uni, bi):
            tags, probs = m.tag(tg.tokenize(text))
            assert all(t in UPOS_TAGS for t in tags) and np.all(np.isfinite(probs))


def test_assets_are_safe_and_small():
    """Weights load without pickle; the cards carry what the issue asks for."""
    total = 0
    for d in ("uni", "bi"):
        path = ASSETS / f"{d}.npz"
        total += path.stat().st_size
        with np.load(path, allow_pickle=False) as z:
            assert all(z[k].dtype.kind == "f" for k in z.files)
        card = json.loads((ASSETS / f"{d}.card.json").read_text())
        for key in ("data", "hyperparameters", "parameters", "training", "dev_accuracy", "test_accuracy",
                    "test", "baseline_most_frequent_tag_test", "mean_over_seeds", "seeds"):
            assert key in card, key
        assert card["data"]["license"] == "CC BY-SA 4.0"
        assert len(card["data"]["splits"]["train"]["sha256"]) == 64
        assert card["direction"] == d
        assert len(card["seeds"]["test_accuracy"]) == 3
        assert set(card["test"]["per_tag"]) == set(UPOS_TAGS)
        for k in ("device", "wall_time_seconds", "torch_version"):
            assert k in card["training"]
    # Each file is about 18.5 MB, mostly the 65,536 x 128 character n-gram table in float16 (16 MiB):
    # the image and the clone carry both, so a bigger table must be a decision, not an accident.
    assert total < 40 * 2**20


def test_missing_assets_message(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing uni.npz"):
        tg.load_tagger(tmp_path, "uni")
