"""Uni vs Bi taggers: two trained POS taggers on any sentence, where they disagree, and why."""
from __future__ import annotations

import hashlib

import plotly.graph_objects as go
import streamlit as st

from taggers import tagger as tg

from app.figures.heatmaps import states_heatmap
from app.text import html_text, isolate, markdown, plotly, visible

TEXT_KEY = "compare_text"
MAX_CHARS = 4000

# (label, sentence, focus token index, tag a careful annotator gives it, why right context matters)
EXAMPLES: list[tuple[str, str, int, str, str]] = [
    ("Book a flight to Boston", "Book a flight to Boston", 0, "VERB",
     "At the start of a sentence 'Book' could be a noun; 'a flight' makes it an imperative verb."),
    ("I read the book", "I read the book", 3, "NOUN", "Here 'book' follows 'the': left context is enough."),
    ("I can fish", "I can fish", 1, "AUX", "'can' before a bare verb is a modal."),
    ("a can of fish", "a can of fish", 1, "NOUN", "'can' between 'a' and 'of' is a container."),
    ("bank ... to deposit cash", "I went to the bank to deposit cash", 4, "NOUN",
     "The d2l polysemy pair: the tag of 'bank' is the same, its meaning is not; compare the hidden states."),
    ("bank ... to sit down", "I went to the bank to sit down", 4, "NOUN",
     "Same words up to 'to': the unidirectional tagger's states there are identical in both sentences."),
    ("that + clause", "I know that he left early", 2, "SCONJ",
     "'that' introduces a clause only if a clause follows."),
    ("that + noun", "I know that man", 2, "DET", "'that' before a noun is a determiner."),
    ("that alone", "I know that .", 2, "PRON", "With nothing after it, 'that' is a pronoun."),
    ("to + verb", "I want to go home", 2, "PART", "'to' before a verb is the infinitive marker."),
    ("to + noun", "I went to school", 2, "ADP", "'to' before a noun phrase is a preposition."),
    ("like (verb)", "I like cats", 1, "VERB", "After a subject pronoun 'like' is the verb."),
    ("like (preposition)", "It looks like rain", 2, "ADP",
     "Cut after 'like', the sentence could go on with a clause ('It looks like it will rain'): "
     "the noun 'rain' makes 'like' a preposition."),
    ("'s (possessive)", "John's car is red", 1, "PART", "'s followed by a noun is possessive."),
    ("'s (is)", "John's here now", 1, "AUX", "'s followed by an adverb is 'is'."),
    ("Capital: Will you", "Will you come tomorrow ?", 0, "AUX", "Sentence-initial 'Will' + 'you': a question."),
    ("Capital: Will Smith", "Will Smith came tomorrow", 0, "PROPN", "'Will Smith': a name."),
]

# The page opens on a sentence where the right context decides for the shipped models: at 'like'
# uni says SCONJ (64%), bi says ADP (97%, the expected tag), and bi cut right after 'like' says
# SCONJ (73%; ADP 23%). tests/test_tagger_page.py checks all three with the shipped weights.
DEFAULT_EXAMPLE = [label for label, *_ in EXAMPLES].index("like (preposition)")

# ---------------------------------------------------------------- pure helpers (no Streamlit)

def tags_html(cmp: tg.Comparison, per_row: int = 12) -> str:
    """The interlinear view: token / uni tag / bi tag, disagreements highlighted."""
    tags = tg.UPOS_TAGS
    rows = []
    for start in range(0, len(cmp.tokens), per_row):
        idx = range(start, min(start + per_row, len(cmp.tokens)))
        cells = {"tok": [], "uni": [], "bi": []}
        for i in idx:
            dis = i in cmp.disagreements
            style = ' class="dis"' if dis else ""
            cells["tok"].append(f'<td{style}><b><bdi>{html_text(visible(cmp.tokens[i]))}</bdi></b></td>')
            for name, t, p in (("uni", cmp.uni_tags, cmp.uni_probs), ("bi", cmp.bi_tags, cmp.bi_probs)):
                prob = float(p[i, tags.index(t[i])])
                cells[name].append(f'<td{style} data-model="{name}">{t[i]} '
                                   f'<span class="p">{prob:.2f}</span></td>')
        rows.append(
            '<table class="tags"><tr><th>token</th>' + "".join(cells["tok"]) + "</tr>"
            '<tr><th>uni →</th>' + "".join(cells["uni"]) + "</tr>"
            '<tr><th>bi ↔</th>' + "".join(cells["bi"]) + "</tr></table>")
    css = ("<style>table.tags{border-collapse:collapse;margin-bottom:0.6rem;font-size:0.9rem}"
           "table.tags td,table.tags th{border:1px solid #ccc;padding:2px 6px;text-align:center;"
           "white-space:nowrap}table.tags th{background:#f3f3f3;text-align:left}"
           "table.tags td.dis{background:#ffe08a}table.tags span.p{color:#666;font-size:0.8em}</style>")
    return css + '<div style="overflow-x:auto">' + "".join(rows) + "</div>"


def occlusion_figure(occ: tg.Occlusion, tokens: list[str]) -> go.Figure:
    """p(bi's full-sentence tag) as the right context grows, and with each right word masked."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=[f"…{plotly(visible(tokens[k]))} ({k + 1})" for k, _, _ in occ.prefix],
        y=[p for _, _, p in occ.prefix], mode="lines+markers", name="sentence cut after this word",
        text=[t for _, t, _ in occ.prefix], hovertemplate="%{x}: p=%{y:.2f}, tag %{text}<extra></extra>"))
    if occ.masked:
        fig.add_trace(go.Bar(
            x=[f"…{plotly(visible(tokens[j]))} ({j + 1})" for j, _, _ in occ.masked],
            y=[p for _, _, p in occ.masked], name="this word masked", opacity=0.45,
            text=[t for _, t, _ in occ.masked], hovertemplate="mask %{x}: p=%{y:.2f}, tag %{text}<extra></extra>"))
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=40, b=10), yaxis_range=[0, 1],
                      yaxis_title=f"p({occ.full_tag})", legend=dict(orientation="h", y=-0.25),
                      title=dict(text=f"'{plotly(visible(occ.token))}' (token {occ.index + 1}) in the "
                                      f"bidirectional model",
                                 font=dict(size=13)))
    return fig


def card_rows(uni: dict, bi: dict) -> list[dict]:
    def pct(x):
        return "–" if x is None else f"{100 * x:.2f}%"

    def mean(card, key):
        m = card.get("mean_over_seeds", {}).get(key, {})
        return m.get("mean"), m.get("std")

    rows = []
    for label, key in (("Test accuracy (mean of seeds ± sd)", "test_accuracy"),
                       ("Dev accuracy (mean of seeds ± sd)", "dev_accuracy")):
        cells = {}
        for name, c in (("uni", uni), ("bi", bi)):
            m, s = mean(c, key)
            cells[name] = "–" if m is None else f"{100 * m:.2f} ± {100 * s:.2f}%"
        rows.append({"": label, "unidirectional": cells["uni"], "bidirectional": cells["bi"]})
    rows.append({"": "Test accuracy, shipped seed", "unidirectional": pct(uni["test_accuracy"]),
                 "bidirectional": pct(bi["test_accuracy"])})
    names = {"unseen": "Words unseen in training", "that": "'that'", "to": "'to'", "like": "'like'",
             "'s": "'s", "sentence_initial_capital": "Sentence-initial capital",
             "ambiguous_in_train": "Words with several tags in training"}
    for g, label in names.items():
        gu = uni.get("mean_over_seeds", {}).get("groups", {}).get(g, {})
        gb = bi.get("mean_over_seeds", {}).get("groups", {}).get(g, {})
        n = bi["test"]["groups"][g]["tokens"]
        rows.append({"": f"{label} (test, {n} tokens, mean of seeds)", "unidirectional": pct(gu.get("mean")),
                     "bidirectional": pct(gb.get("mean"))})
    base = bi["baseline_most_frequent_tag_test"]["overall"]["accuracy"]
    rows.append({"": "Most-frequent-tag baseline (test)", "unidirectional": pct(base), "bidirectional": pct(base)})
    for label, key in (("Parameters (total)", "total"), ("Recurrent + output parameters", "total_without_embeddings")):
        rows.append({"": label, "unidirectional": f"{uni['parameters'][key]:,}",
                     "bidirectional": f"{bi['parameters'][key]:,}"})
    rows.append({"": "Recurrent layers", "unidirectional": uni["architecture"]["recurrent"],
                 "bidirectional": bi["architecture"]["recurrent"]})
    for label, fn in (("Trained on", lambda c: f"{c['training']['device']} ({c['training']['torch_threads']} torch "
                                               f"thread(s), {c['training']['cpu_count']} cores)"),
                      ("Training wall time per seed (mean)",
                       lambda c: f"{c['mean_over_seeds']['wall_time_seconds']['mean'] / 60:.1f} min"),
                      ("torch", lambda c: c["training"]["torch_version"])):
        try:
            rows.append({"": label, "unidirectional": fn(uni), "bidirectional": fn(bi)})
        except (KeyError, TypeError):  # an older card without the field: say so rather than drop the row
            rows.append({"": label, "unidirectional": "not in the card", "bidirectional": "not in the card"})
    return rows


def per_tag_rows(uni: dict, bi: dict) -> list[dict]:
    out = []
    for t in tg.UPOS_TAGS:
        u, b = uni["test"]["per_tag"][t], bi["test"]["per_tag"][t]
        acc = lambda x: None if x["accuracy"] is None else round(100 * x["accuracy"], 2)
        out.append({"tag": t, "test tokens": b["tokens"], "uni %": acc(u), "bi %": acc(b),
                    "bi − uni": None if acc(u) is None else round(acc(b) - acc(u), 2)})
    return out


# ---------------------------------------------------------------- the page

@st.cache_resource(show_spinner="Loading the two taggers…")
def _models():
    return tg.load_taggers()


def _use_example() -> None:
    label = st.session_state.get("compare_example")
    for ex in EXAMPLES:
        if ex[0] == label:
            st.session_state[TEXT_KEY] = ex[1]


MAX_INSPECT = 120


def _hand_over(model: tg.Tagger, tokens: list[str], page: str, source_key: str) -> None:
    """Give the Step by step / Arrows diagram views this sentence's full trace of one tagger.

    The label is plain text (the sentence as typed, shortened): the receiving views escape it."""
    text = " ".join(tokens)
    label = f"{model.direction} tagger on “{text if len(text) < 60 else text[:57] + '…'}”"
    st.session_state["inspect"] = {"label": label, "trace": model.trace(tokens)}
    st.session_state[source_key] = "tagger"
    try:
        st.switch_page(page)
    except st.errors.StreamlitAPIException:
        st.info(f"The {markdown(label)} is ready: open the view from the sidebar and pick “tagger”.")


def _render_comparison(uni: tg.Tagger, bi: tg.Tagger, text: str) -> None:
    if not text.strip():
        st.info("Type a sentence (or pick an example) to see both taggers' tags.")
        return
    if len(text) > MAX_CHARS:
        # the box keeps the whole text (no max_chars: the browser would silently drop a longer paste)
        st.warning(f"The text has {len(text):,} characters; the comparison takes at most {MAX_CHARS:,}. "
                   f"Shorten it by {len(text) - MAX_CHARS:,} characters or more, or paste one sentence "
                   f"at a time.")
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
    n = len(cmp.disagreements)
    st.markdown(f"**{n} disagreement{'s' if n != 1 else ''}** out of {len(tokens)} tokens "
                f"(highlighted). Numbers are each model's probability for its own tag.")
    example = next((ex for ex in EXAMPLES if ex[1] == text.strip()), None)
    if example is not None:
        _, _, i, gold, why = example
        ok_u, ok_b = cmp.uni_tags[i] == gold, cmp.bi_tags[i] == gold
        st.info(f"Focus word **{markdown(tokens[i])}**, expected **{gold}**: unidirectional "
                f"{cmp.uni_tags[i]} {'✓' if ok_u else '✗'}, bidirectional {cmp.bi_tags[i]} "
                f"{'✓' if ok_b else '✗'}. {why}")
    if n:
        st.subheader("Why they disagree: occlusion of the right context")
        st.caption("The unidirectional tagger cannot see words to the right, so its tag at a word is the "
                   "same whatever follows. For each disagreement, the bidirectional tagger is re-run with "
                   "the sentence cut after each later word, and with each later word masked (replaced by "
                   "an unknown word): the words whose removal flips its tag are the right context that "
                   "made the difference.")
        shown = [visible(t) for t in tokens]
        st.markdown("\n".join(
            f"- **{isolate(markdown(shown[i]))}** (token {i + 1}): uni {cmp.uni_tags[i]}, bi "
            f"{cmp.bi_tags[i]}. {markdown(occ.summary(shown))}" for i, occ in cmp.explanations.items()))
        if n > len(cmp.explanations):
            st.caption(f"Explained the first {len(cmp.explanations)} of {n} disagreements.")
        options = list(cmp.explanations)
        # selectbox options are plain text in Streamlit (no markdown): only control characters need
        # care. One widget per sentence: with a fixed key, a new sentence whose first disagreement
        # has the same index kept showing the old word in the box while the chart showed the new one.
        sentence_id = hashlib.sha1("\x1f".join(tokens).encode("utf-8", "surrogatepass")).hexdigest()[:12]
        pick = st.selectbox("Plot the occlusion of", options, key=f"compare_occ_pick_{sentence_id}",
                            format_func=lambda i: f"{shown[i]} (token {i + 1})")
        if pick in cmp.explanations:
            st.plotly_chart(occlusion_figure(cmp.explanations[pick], tokens), key="compare_occ_fig")
    with st.expander("Inspect the real models' hidden states (heatmaps)"):
        st.caption("States of the shipped taggers for this sentence, computed step by step by "
                   "birnn_core's engine (the same trace the step-by-step view records). Each column is a "
                   "token, each row one hidden unit; values lie in (−1, 1).")
        if len(tokens) > MAX_INSPECT:
            st.info(f"Heatmaps and the hand-over to the other views take sentences of at most "
                    f"{MAX_INSPECT} tokens; this one has {len(tokens)}: shorten it to see them.")
        else:
            c = st.columns(4)
            for k, (name, model, page, key) in enumerate(
                    [("bi", bi, "views/step_by_step.py", "step_source"),
                     ("bi", bi, "views/diagram.py", "diagram_source"),
                     ("uni", uni, "views/step_by_step.py", "step_source"),
                     ("uni", uni, "views/diagram.py", "diagram_source")]):
                where = "Step by step" if "step" in page else "Arrows diagram"
                if c[k].button(f"{name} tagger → {where}", key=f"inspect_{name}_{key}"):
                    _hand_over(model, tokens, page, key)
            layer = st.radio("Layer", [1, 2], horizontal=True, key="compare_layer")
            tb, tu = bi.trace(tokens), uni.trace(tokens)
            lt_b, lt_u = tb.layers[layer - 1], tu.layers[layer - 1]
            ticks = [visible(t) for t in tokens]
            st.plotly_chart(states_heatmap(lt_u.fwd.h[0], ticks, f"uni, layer {layer}, forward h_t"),
                            key="hm_uni")
            st.plotly_chart(states_heatmap(lt_b.fwd.h[0], ticks, f"bi, layer {layer}, forward h_t"),
                            key="hm_bf")
            st.plotly_chart(states_heatmap(lt_b.bwd.h[0], ticks, f"bi, layer {layer}, backward h_t"),
                            key="hm_bb")


def _render_card(uni: tg.Tagger, bi: tg.Tagger) -> None:
    st.subheader("Model card")
    cu, cb = uni.card, bi.card
    st.markdown(
        "Both taggers read the same **strictly word-local** input per token (a word embedding, the mean "
        "of hashed character 3–5-gram embeddings, 16 shape flags), feed it to two stacked `nn.LSTM` "
        "layers, and map every step to the 17 UPOS tags with one linear layer. The unidirectional one "
        "reads left to right only; the bidirectional one also reads right to left. Hidden sizes are "
        "chosen so both have about the same number of recurrent weights.")
    st.table(card_rows(cu, cb))
    with st.expander("Per-tag accuracy on the test set (shipped seeds)"):
        st.dataframe(per_tag_rows(cu, cb), hide_index=True)
    data = cb["data"]
    st.caption(
        f"Data: {data['name']} ({data['url']}), licensed {data['license']}; train "
        f"{data['splits']['train']['sentences']:,} sentences / {data['splits']['train']['tokens']:,} tokens, "
        f"test {data['splits']['test']['tokens']:,} tokens (gold tokenisation). Trained with PyTorch "
        f"{cb['training']['torch_version']} on {cb['training']['device']} by `python -m taggers.train`, "
        f"{len(cb['seeds']['seeds'])} seeds per model; the seed with the best dev accuracy ships. The app "
        f"runs the weights in NumPy (no torch).")


def main() -> None:
    st.title("Uni vs Bi taggers")
    st.caption("Two part-of-speech taggers trained on UD English-EWT: one reads left to right, one reads "
               "both ways. Type a sentence and see where the right-hand context changes a tag.")
    try:
        uni, bi = _models()
    except (FileNotFoundError, ValueError, OSError) as e:
        st.error(f"The trained taggers could not be loaded: {markdown(str(e))}")
        return
    st.selectbox("Examples where right context decides", [ex[0] for ex in EXAMPLES], index=None,
                 placeholder="Pick an example…", key="compare_example", on_change=_use_example)
    st.session_state.setdefault(TEXT_KEY, EXAMPLES[DEFAULT_EXAMPLE][1])
    text = st.text_input("Sentence (tokenised the way EWT does: punctuation, n't, 's, quotes split off)",
                         key=TEXT_KEY)  # no max_chars: the browser would drop a longer paste silently
    try:
        _render_comparison(uni, bi, text)
    except (ValueError, IndexError, KeyError, MemoryError) as e:  # no traceback on the page
        st.error(f"Could not tag this text ({type(e).__name__}: {markdown(str(e))}). "
                 f"Try a shorter or simpler sentence.")
    try:
        _render_card(uni, bi)
    except (KeyError, TypeError) as e:
        st.warning(f"The model card is incomplete ({e}).")


main()
