"""Uni vs Bi taggers: two trained POS taggers on any sentence, where they disagree, and why.

The page lays out what app.comparison, app.model_card and the figure builders make of the
taggers' output (taggers.tagger)."""
from __future__ import annotations

import streamlit as st

from taggers import tagger as tg

from app.comparison import (DEFAULT_EXAMPLE, EXAMPLE_LABELS, EXAMPLES, MAX_INSPECT, disagreement_count,
                            example_sentence, explanations_markdown, focus_verdict, hand_over_label,
                            length_problem, sentence_id, tags_html)
from app.figures.heatmaps import states_heatmap
from app.figures.occlusion import occlusion_figure
from app.model_card import INTRO, card_rows, data_caption, per_tag_rows
from app.state import (COMPARE_EXAMPLE, shipped_taggers, COMPARE_HEATMAP, COMPARE_LAYER, COMPARE_OCC_FIG, COMPARE_OCC_PICK,
                       COMPARE_TEXT, DIAGRAM_SOURCE, HAND_OVER, STEP_SOURCE, HandedOver, Key, hand_over)
from app.text import isolate, markdown, visible

# (button label, page, the page's source radio)
HAND_OVER_TARGETS = [("Step by step", "views/step_by_step.py", STEP_SOURCE),
                     ("Arrows diagram", "views/diagram.py", DIAGRAM_SOURCE)]


def _use_example() -> None:
    sentence = example_sentence(st.session_state.get(COMPARE_EXAMPLE))
    if sentence is not None:
        st.session_state[COMPARE_TEXT] = sentence


def _hand_over(model: tg.Tagger, tokens: list[str], page: str, source: Key) -> None:
    """Give the Step by step / Arrows diagram pages this sentence's full trace of one tagger."""
    handed = HandedOver(hand_over_label(model.direction, tokens), model.trace(tokens))
    hand_over(handed, source)
    try:
        st.switch_page(page)
    except st.errors.StreamlitAPIException:  # the page is not in this app's navigation (run on its own)
        st.info(f"The {markdown(handed.label)} is ready: open the view from the sidebar and pick “tagger”.")


def _occlusion(cmp: tg.Comparison) -> None:
    n = len(cmp.disagreements)
    st.subheader("Why they disagree: occlusion of the right context")
    st.caption("The unidirectional tagger cannot see words to the right, so its tag at a word is the "
               "same whatever follows. For each disagreement, the bidirectional tagger is re-run with "
               "the sentence cut after each later word, and with each later word masked (replaced by "
               "an unknown word): the words whose removal flips its tag are the right context that "
               "made the difference.")
    st.markdown(explanations_markdown(cmp))
    if n > len(cmp.explanations):
        st.caption(f"Explained the first {len(cmp.explanations)} of {n} disagreements.")
    shown = [visible(t) for t in cmp.tokens]
    # selectbox options are plain text in Streamlit (no markdown): only control characters need
    # care. One widget per sentence: with a fixed key, a new sentence whose first disagreement
    # has the same index kept showing the old word in the box while the chart showed the new one.
    pick = st.selectbox("Plot the occlusion of", list(cmp.explanations),
                        key=COMPARE_OCC_PICK.at(sentence_id(cmp.tokens)), format_func=lambda i: f"{shown[i]} (token {i + 1})")
    if pick in cmp.explanations:
        st.plotly_chart(occlusion_figure(cmp.explanations[pick], cmp.tokens), key=COMPARE_OCC_FIG)


def _heatmaps(uni: tg.Tagger, bi: tg.Tagger, tokens: list[str]) -> None:
    st.caption("States of the shipped taggers for this sentence, computed step by step by "
               "birnn_core's engine (the same trace the step-by-step view records). Each column is a "
               "token, each row one hidden unit; values lie in (−1, 1).")
    if len(tokens) > MAX_INSPECT:
        st.info(f"Heatmaps and the hand-over to the other views take sentences of at most "
                f"{MAX_INSPECT} tokens; this one has {len(tokens)}: shorten it to see them.")
        return
    c = st.columns(4)
    targets = [(name, model, *target) for name, model in (("bi", bi), ("uni", uni)) for target in HAND_OVER_TARGETS]
    for k, (name, model, where, page, source) in enumerate(targets):
        if c[k].button(f"{name} tagger → {where}", key=HAND_OVER.at(name, source)):
            _hand_over(model, tokens, page, source)
    layer = st.radio("Layer", [1, 2], horizontal=True, key=COMPARE_LAYER)
    traces = {"uni": uni.trace(tokens), "bi": bi.trace(tokens)}
    ticks = [visible(t) for t in tokens]
    for name, direction in (("uni", "fwd"), ("bi", "fwd"), ("bi", "bwd")):
        d = getattr(traces[name].layers[layer - 1], direction)
        st.plotly_chart(states_heatmap(d.h[0], ticks, f"{name}, layer {layer}, {d.name} h_t"),
                        key=COMPARE_HEATMAP.at(name, direction))


def _comparison(uni: tg.Tagger, bi: tg.Tagger, text: str) -> None:
    problem = length_problem(text)
    if problem:  # the box keeps the whole text (no max_chars: the browser would silently drop a longer paste)
        st.warning(problem)
        return
    tokens = tg.tokenize(text)
    if not tokens:
        st.info("Type a sentence (or pick an example) to see both taggers' tags.")
        return
    try:
        cmp = tg.compare(uni, bi, tokens)
    except tg.TaggerInputError as e:
        st.warning(f"Cannot tag this text: {markdown(str(e))}.")
        return
    st.caption("Tokens: " + " · ".join(isolate(markdown(visible(t))) for t in tokens))
    st.html(tags_html(cmp))
    st.markdown(disagreement_count(cmp))
    verdict = focus_verdict(cmp, text)
    if verdict is not None:
        st.info(verdict)
    if cmp.disagreements:
        _occlusion(cmp)
    with st.expander("Inspect the real models' hidden states (heatmaps)"):
        _heatmaps(uni, bi, tokens)


def _card(uni: tg.Tagger, bi: tg.Tagger) -> None:
    st.subheader("Model card")
    st.markdown(INTRO)
    st.table(card_rows(uni.card, bi.card))
    with st.expander("Per-tag accuracy on the test set (shipped seeds)"):
        st.dataframe(per_tag_rows(uni.card, bi.card), hide_index=True)
    st.caption(data_caption(bi.card))


def main() -> None:
    st.title("Uni vs Bi taggers")
    st.caption("Two part-of-speech taggers trained on UD English-EWT: one reads left to right, one reads "
               "both ways. Type a sentence and see where the right-hand context changes a tag.")
    try:
        uni, bi = shipped_taggers()
    except (OSError, ValueError) as e:  # missing or unreadable weights, vocabulary or card
        st.error(f"The trained taggers could not be loaded: {markdown(str(e))}")
        return
    st.selectbox("Examples where right context decides", EXAMPLE_LABELS, index=None,
                 placeholder="Pick an example…", key=COMPARE_EXAMPLE, on_change=_use_example)
    st.session_state.setdefault(COMPARE_TEXT, EXAMPLES[DEFAULT_EXAMPLE][1])
    text = st.text_input("Sentence (tokenised the way EWT does: punctuation, n't, 's, quotes split off)",
                         key=COMPARE_TEXT)  # no max_chars: the browser would drop a longer paste silently
    if text.strip():
        _comparison(uni, bi, text)
    else:
        st.info("Type a sentence (or pick an example) to see both taggers' tags.")
    _card(uni, bi)


main()
