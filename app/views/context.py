"""Context vectors: one word in two sentences through the shipped taggers, layer by layer and direction
by direction (d2l's exercise 3, seed 000's "bass"). The page lays out what app.context computes from
the engine's traces; it does no arithmetic itself."""
from __future__ import annotations

import streamlit as st

from app import context as C
from app.figures.context import vectors_heatmap
from app.state import (CONTEXT_A, CONTEXT_B, CONTEXT_CHART, CONTEXT_LAYER, CONTEXT_PAIR, CONTEXT_PART, CONTEXT_WORD,
                       shipped_taggers)
from app.text import markdown, visible
from taggers import tagger as tg

PAIR_LABELS = [label for label, *_ in C.PAIRS]


@st.cache_resource(show_spinner=False)
def reference_traces(direction: str, _model: tg.Tagger) -> C.Reference:
    """The reference sentences' traces, once per server and tagger (the tagger is keyed by its direction)."""
    return C.reference_traces(_model)


def use_pair() -> None:
    pair = next((p for p in C.PAIRS if p[0] == st.session_state.get(CONTEXT_PAIR)), None)
    if pair is not None:
        st.session_state[CONTEXT_A], st.session_state[CONTEXT_B] = pair[1], pair[2]
        st.session_state[CONTEXT_WORD] = pair[3]


def table(rows: list[C.Row]) -> list[dict]:
    return [{"layer": r.layer, "part": r.part, "cosine(A, B)": round(r.cosine, 4),
             "largest |A − B|": round(r.max_abs_diff, 4), "identical": "yes" if r.identical else "no"}
            for r in rows]


def tokens_of(label: str, text: str) -> list[str] | None:
    tokens = tg.tokenize(text)
    try:
        return tg.check_tokens(tokens)
    except tg.TaggerInputError as e:
        st.warning(f"Sentence {label}: {markdown(str(e))}.")
        return None


st.title("Context vectors")
st.caption("The same word in two sentences: its state vectors in each layer and direction of the shipped "
           "taggers. The forward state at a word has read only the words up to it; the backward state only "
           "the words from it to the end; the merged vector both.")
try:
    uni, bi = shipped_taggers()
except (OSError, ValueError) as e:
    st.error(f"The trained taggers could not be loaded: {markdown(str(e))}")
    st.stop()

st.selectbox("Example pair", PAIR_LABELS, index=None, placeholder="Pick a pair…", key=CONTEXT_PAIR, on_change=use_pair)
first = C.PAIRS[0]
for key, value in ((CONTEXT_A, first[1]), (CONTEXT_B, first[2])):
    st.session_state.setdefault(key, value)
c = st.columns(2)
text_a = c[0].text_input("Sentence A", key=CONTEXT_A)
text_b = c[1].text_input("Sentence B", key=CONTEXT_B)
a, b = tokens_of("A", text_a), tokens_of("B", text_b)
if a is None or b is None:
    st.stop()
words = C.shared_words(a, b)
if not words:
    st.info("The two sentences share no word: type sentences that both use the word you want to follow.")
    st.stop()
if st.session_state.get(CONTEXT_WORD) not in words:
    st.session_state[CONTEXT_WORD] = first[3] if first[3] in words else words[0]
word = st.selectbox("Shared word", words, key=CONTEXT_WORD, format_func=visible)

i, j = C.shared_positions(a, b, word) or (0, 0)
traces = {name: (m.trace(a), m.trace(b)) for name, m in (("unidirectional tagger", uni), ("bidirectional tagger", bi))}
shown = {name: C.compare(ta, tb, i, j) for name, (ta, tb) in traces.items()}
cols = st.columns(2)
for col, (name, rows) in zip(cols, shown.items()):
    col.markdown(f"**{name}**")
    col.dataframe(table(rows), hide_index=True)
st.caption(markdown(C.context_note(a, b, word, *shown.values())))

st.subheader("The vectors")
c = st.columns(2)
layer = c[0].radio("Layer", [1, 2], horizontal=True, key=CONTEXT_LAYER)
part = c[1].radio("Part of the bidirectional tagger", list(C.PARTS), horizontal=True, key=CONTEXT_PART)
trace_a, trace_b = traces["bidirectional tagger"]
va, vb = C.vectors(trace_a, i)[layer, part], C.vectors(trace_b, j)[layer, part]
st.plotly_chart(vectors_heatmap(va, vb, word, f"bidirectional tagger, layer {layer}, {part}"), theme=None,
                key=CONTEXT_CHART, config={"displayModeBar": False})
reference = C.reference_vectors(reference_traces(bi.direction, bi), layer, part)
left, right = st.columns(2)
for col, label, v, text in ((left, "A", va, text_a), (right, "B", vb, text_b)):
    col.markdown(f"**Nearest to “{markdown(word)}” in {label}** (layer {layer}, {part}, cosine)")
    col.dataframe([{"word": n.word, "in": n.sentence, "cosine": round(n.cosine, 4)}
                   for n in C.nearest(v, reference, text)], hide_index=True)
    others = C.occurrences(word, reference, v, text)
    col.markdown(f"**Other uses of “{markdown(word)}”** in the reference sentences")
    col.dataframe([{"in": n.sentence, "cosine": round(n.cosine, 4)} for n in others], hide_index=True)
st.caption(f"Among the {len(C.REFERENCE)} reference sentences' {len(reference)} tokens (the example pairs and "
           "a few more; the sentence itself left out). A part-of-speech tagger learns what decides a tag: "
           "its vectors need not separate a word's meanings.")
