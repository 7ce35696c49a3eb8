"""Context vectors (d2l's exercise 3, seed 000's "bass"): one word in two sentences, through the shipped
taggers, layer by layer and direction by direction. Pure functions on the engine's traces, no Streamlit.

A state vector of word w at position t: the forward state h_t^(fwd) has read x_1..x_t, the backward
state h_t^(bwd) x_t..x_T, the merged vector both. Two sentences that agree up to w give w the same
forward states (bit for bit); whatever follows w can only change the backward and merged ones.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from taggers import tagger as tg

# (label, sentence A, sentence B, the shared word): the d2l pair and seed 000's pair
PAIRS: list[tuple[str, str, str, str]] = [
    ("bank: deposit / sit", "I went to the bank to deposit cash", "I went to the bank to sit down", "bank"),
    ("bass: plays / caught", "He plays the bass", "He caught a bass", "bass"),
    ("can: modal / container", "I can fish", "a can of fish", "can"),
    ("book: verb / noun", "Book a flight to Boston", "I read the book", "Book"),
]
# sentences whose words make the reference set for "nearest words"
REFERENCE = [a for _, a, _, _ in PAIRS] + [b for _, _, b, _ in PAIRS] + [
    "The river bank was muddy after the rain", "She sat on the grassy bank", "The bank lent them money",
    "He deposited the cheque at the bank", "The band played a song", "He tuned his guitar",
    "They went fishing on the lake", "I caught a trout", "She sings in a choir", "The salmon swam upstream",
]
PARTS = ("forward", "backward", "merged")


@dataclass(frozen=True)
class Row:
    """The word's vectors in sentence A and B at one layer and part, compared."""

    layer: int            # 1-based
    part: str             # forward, backward, merged
    cosine: float
    max_abs_diff: float

    @property
    def identical(self) -> bool:
        return self.max_abs_diff == 0.0


def vectors(trace, t: int) -> dict[tuple[int, str], np.ndarray]:
    """(layer 1.., part) -> the state vector at position t of a B = 1 trace (parts the model has)."""
    out = {}
    for ell, layer in enumerate(trace.layers, start=1):
        out[ell, "forward"] = layer.fwd.h[0, t]
        if layer.bwd is not None:
            out[ell, "backward"] = layer.bwd.h[0, t]
            out[ell, "merged"] = layer.merged[0, t]
    return out


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    n = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / n if n > 0 else float("nan")


def shared_positions(a: list[str], b: list[str], word: str) -> tuple[int, int] | None:
    """The first position of ``word`` in each token list (ignoring case), or None if one lacks it."""
    la, lb, w = [t.lower() for t in a], [t.lower() for t in b], word.lower()
    return (la.index(w), lb.index(w)) if w in la and w in lb else None


def shared_words(a: list[str], b: list[str]) -> list[str]:
    """Words in both token lists (ignoring case), as A writes them, in A's order, each once."""
    seen = {t.lower() for t in b}
    return list(dict.fromkeys(w for w in a if w.lower() in seen))


def compare(trace_a, trace_b, i: int, j: int) -> list[Row]:
    """The word at position i of A's trace and j of B's, per layer and part: cosine and largest difference."""
    va, vb = vectors(trace_a, i), vectors(trace_b, j)
    return [Row(ell, part, cosine(va[ell, part], vb[ell, part]), float(np.abs(va[ell, part] - vb[ell, part]).max()))
            for ell, part in va]


def compare_word(model: tg.Tagger, a: list[str], b: list[str], word: str) -> list[Row]:
    """``compare`` of one tagger on two token lists at the word they share."""
    where = shared_positions(a, b, word)
    if where is None:
        raise ValueError(f"'{word}' is not in both sentences: pick a word they share.")
    return compare(model.trace(a), model.trace(b), *where)


def same_prefix(a: list[str], b: list[str], word: str) -> bool:
    """Whether A and B agree on every token up to and including the word's first position."""
    where = shared_positions(a, b, word)
    return where is not None and where[0] == where[1] and a[:where[0]] == b[:where[1]] and \
        a[where[0]] == b[where[1]]


@dataclass(frozen=True)
class Neighbour:
    word: str
    sentence: str
    cosine: float


Reference = list[tuple[str, list[str], object]]  # (sentence, tokens, the tagger's trace)


def reference_traces(model: tg.Tagger) -> Reference:
    """The tagger's trace of every REFERENCE sentence (the page keeps them: they never change)."""
    return [(sentence, tokens, model.trace(tokens)) for sentence in REFERENCE for tokens in [tg.tokenize(sentence)]]


def reference_vectors(reference: Reference, layer: int, part: str) -> list[tuple[str, str, np.ndarray]]:
    """(word, sentence, vector) of every reference token at one layer and part."""
    return [(w, sentence, vectors(trace, t)[layer, part])
            for sentence, tokens, trace in reference for t, w in enumerate(tokens)]


def _ranked(v: np.ndarray, candidates) -> list[Neighbour]:
    return sorted((Neighbour(w, s, cosine(v, r)) for w, s, r in candidates), key=lambda n: -n.cosine)


def nearest(v: np.ndarray, reference: list[tuple[str, str, np.ndarray]], own: str, k: int = 5) -> list[Neighbour]:
    """The k reference tokens whose vectors are closest to v by cosine, leaving out the tokens of the
    sentence ``own`` (where v comes from)."""
    return _ranked(v, (c for c in reference if c[1] != own))[:k]


def occurrences(word: str, reference: list[tuple[str, str, np.ndarray]], v: np.ndarray, own: str) -> list[Neighbour]:
    """Every other reference sentence's use of ``word``, by cosine to v (closest first)."""
    return _ranked(v, (c for c in reference if c[0].lower() == word.lower() and c[1] != own))


def context_note(a: list[str], b: list[str], word: str, uni: list[Row], bi: list[Row]) -> str:
    """What the two tables show about where the sentences differ (plain text)."""
    i, j = shared_positions(a, b, word) or (0, 0)
    if not same_prefix(a, b, word):
        return (f"A and B differ before “{word}” (position {i + 1} in A, {j + 1} in B), so even its forward "
                "states differ.")
    same = [r for r in bi if r.identical]
    return (f"A and B agree up to “{word}” (position {i + 1}): the unidirectional tagger's vectors there are "
            f"identical in {sum(r.identical for r in uni)} of {len(uni)} (layer, part) pairs, the bidirectional "
            f"tagger's in {len(same)} of {len(bi)}" + (f" ({', '.join(f'layer {r.layer} {r.part}' for r in same)})"
                                                       if same else "")
            + ". A bidirectional layer above the first reads merged vectors, which have seen the words after it.")
