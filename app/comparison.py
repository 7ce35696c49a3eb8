"""What the Uni vs Bi page shows about one sentence, built from the taggers' Comparison: the
examples, the interlinear tags table, the messages. Pure functions, no Streamlit."""
from __future__ import annotations

import hashlib

from taggers import tagger as tg

from app.text import html_text, isolate, markdown, visible

MAX_CHARS = 4000    # characters the comparison takes (the box keeps a longer text, with a message)
MAX_INSPECT = 120   # tokens the heatmaps and the hand-over to the other pages take

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
EXAMPLE_LABELS = [label for label, *_ in EXAMPLES]

# The page opens on a sentence where the right context decides for the shipped models: at 'like'
# uni says SCONJ (76%), bi says ADP (88%, the expected tag), and bi cut right after 'like' says
# SCONJ (67%; ADP 30%; bench/tagger_figures.py prints these). tests/app/test_tagger_page.py checks
# all three tags with the shipped weights.
DEFAULT_EXAMPLE = EXAMPLE_LABELS.index("like (preposition)")


def example_sentence(label: str | None) -> str | None:
    """The sentence of the example called ``label`` (None for no such example)."""
    return next((sentence for lab, sentence, *_ in EXAMPLES if lab == label), None)


def length_problem(text: str) -> str | None:
    """Why ``text`` is too long to compare (what to do), or None."""
    if len(text) <= MAX_CHARS:
        return None
    return (f"The text has {len(text):,} characters; the comparison takes at most {MAX_CHARS:,}. "
            f"Shorten it by {len(text) - MAX_CHARS:,} characters or more, or paste one sentence at a time.")


def focus_verdict(cmp: tg.Comparison, text: str) -> str | None:
    """For an example sentence: its focus word, the expected tag, each tagger's tag and why (markdown)."""
    example = next((ex for ex in EXAMPLES if ex[1] == text.strip()), None)
    if example is None:
        return None
    _, _, i, gold, why = example
    mark = lambda tag: "✓" if tag == gold else "✗"
    return (f"Focus word **{markdown(cmp.tokens[i])}**, expected **{gold}**: unidirectional "
            f"{cmp.uni_tags[i]} {mark(cmp.uni_tags[i])}, bidirectional {cmp.bi_tags[i]} {mark(cmp.bi_tags[i])}. "
            f"{why}")


def disagreement_count(cmp: tg.Comparison) -> str:
    n = len(cmp.disagreements)
    return (f"**{n} disagreement{'s' if n != 1 else ''}** out of {len(cmp.tokens)} tokens "
            f"(highlighted). Numbers are each model's probability for its own tag.")


def explanations_markdown(cmp: tg.Comparison) -> str:
    """One bullet per explained disagreement: both tags and what the occlusion found."""
    shown = [visible(t) for t in cmp.tokens]
    return "\n".join(f"- **{isolate(markdown(shown[i]))}** (token {i + 1}): uni {cmp.uni_tags[i]}, bi "
                     f"{cmp.bi_tags[i]}. {markdown(occ.summary(shown))}" for i, occ in cmp.explanations.items())


def sentence_id(tokens: list[str]) -> str:
    """A short fingerprint of a token list (one occlusion picker per sentence)."""
    return hashlib.sha1("\x1f".join(tokens).encode("utf-8", "surrogatepass")).hexdigest()[:12]


def hand_over_label(direction: str, tokens: list[str]) -> str:
    """Plain text naming a tagger on a sentence (shortened); the receiving pages escape it."""
    sentence = " ".join(tokens)
    return f"{direction} tagger on “{sentence if len(sentence) < 60 else sentence[:57] + '…'}”"


def tags_html(cmp: tg.Comparison, per_row: int = 12) -> str:
    """The interlinear view: token / uni tag / bi tag, disagreements highlighted."""
    tags = tg.UPOS_TAGS
    rows = []
    for start in range(0, len(cmp.tokens), per_row):
        idx = range(start, min(start + per_row, len(cmp.tokens)))
        cells: dict[str, list[str]] = {"tok": [], "uni": [], "bi": []}
        for i in idx:
            style = ' class="dis"' if i in cmp.disagreements else ""
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
