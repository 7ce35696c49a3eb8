"""Pretrained UPOS taggers in NumPy: tokenizer, word-local features, weights, inference, occlusion.

Two models share the same strictly word-local token input (no feature looks at a neighbour):

    x_t = [ E_word[w_t]  ;  mean_k E_ngram[g_k(w_t)]  ;  shape(w_t) ]

- ``E_word``: one vector per lower-cased training word (digits mapped to 0) seen at least twice,
  index 1 for unknown words;
- ``E_ngram``: fastText-style character n-grams (3..5 characters of ``<word>``, plus the whole
  ``<word>``) hashed with CRC-32 into a fixed number of buckets, averaged: prefixes, suffixes
  and spelling for words never seen in training;
- ``shape``: a handful of 0/1 flags (capitalised, all caps, digits, hyphen, punctuation, emoji,
  non-Latin letters, ...).

The recurrent layers are plain PyTorch ``nn.LSTM`` layers (forward-only for the
unidirectional tagger, ``bidirectional=True`` for the other), run here by the step-by-step
NumPy engine of :mod:`birnn_core`, followed by one linear layer per token onto the 17 UPOS tags.
Weights are read from ``.npz`` files with ``allow_pickle=False``. This module imports NumPy
only; training lives in :mod:`birnn_core.train_tagger` (the only module that imports torch).
"""
from __future__ import annotations

import json
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from .conllu import UPOS_TAGS

PAD, UNK = 0, 1
NGRAM_MIN, NGRAM_MAX = 3, 5
MAX_NGRAM_CHARS = 24  # longer words (URLs) keep their first and last 12 characters
MAX_TOKENS = 300  # the app refuses longer inputs with a message
MAX_TOKEN_CHARS = 200

# ---------------------------------------------------------------------------------------------
# Word-local features
# ---------------------------------------------------------------------------------------------

SHAPE_FEATURES: tuple[str, ...] = (
    "first_upper", "all_upper", "inner_upper", "all_lower", "has_digit", "is_number",
    "has_hyphen", "has_punct", "all_punct", "has_letter", "non_ascii", "non_latin_letter",
    "symbol_or_emoji", "url_or_email", "single_char", "long_word",
)
N_SHAPE = len(SHAPE_FEATURES)

_NUMBER_RE = re.compile(r"^[+-]?[\d][\d,.:/-]*$")
_URL_RE = re.compile(r"(^https?:|^www\.|@\w|\.(com|org|net|edu|gov)\b)", re.IGNORECASE)


def normalise(word: str) -> str:
    """The key of the word embedding: lower case, every digit mapped to 0."""
    return "".join("0" if ch.isdigit() else ch for ch in word.lower())


def _is_latin(ch: str) -> bool:
    try:
        return "LATIN" in unicodedata.name(ch)
    except ValueError:
        return False


@lru_cache(maxsize=200_000)
def shape_vector(word: str) -> tuple[float, ...]:
    letters = [ch for ch in word if ch.isalpha()]
    cats = [unicodedata.category(ch) for ch in word]
    f = {
        "first_upper": bool(word) and word[0].isupper(),
        "all_upper": len(letters) > 1 and all(ch.isupper() for ch in letters),
        "inner_upper": any(ch.isupper() for ch in word[1:]),
        "all_lower": bool(letters) and all(ch.islower() for ch in letters),
        "has_digit": any(ch.isdigit() for ch in word),
        "is_number": bool(_NUMBER_RE.match(word)),
        "has_hyphen": "-" in word,
        "has_punct": any(c.startswith("P") for c in cats),
        "all_punct": bool(word) and all(c.startswith("P") for c in cats),
        "has_letter": bool(letters),
        "non_ascii": any(ord(ch) > 127 for ch in word),
        "non_latin_letter": any(not _is_latin(ch) for ch in letters),
        "symbol_or_emoji": any(c.startswith("S") or c == "So" for c in cats),
        "url_or_email": bool(_URL_RE.search(word)),
        "single_char": len(word) == 1,
        "long_word": len(word) > 12,
    }
    return tuple(1.0 if f[name] else 0.0 for name in SHAPE_FEATURES)


@lru_cache(maxsize=200_000)
def ngram_ids(word: str, buckets: int) -> tuple[int, ...]:
    """Hashed character n-grams of ``<normalised word>`` (ids 1..buckets-1; 0 is padding)."""
    w = normalise(word)
    if len(w) > MAX_NGRAM_CHARS:
        half = MAX_NGRAM_CHARS // 2
        w = w[:half] + "\u2026" + w[-half:]
    s = f"<{w}>"
    grams = [s]
    for n in range(NGRAM_MIN, NGRAM_MAX + 1):
        grams.extend(s[i:i + n] for i in range(len(s) - n + 1) if s[i:i + n] != s)
    return tuple(zlib.crc32(g.encode("utf-8")) % (buckets - 1) + 1 for g in grams)


@dataclass(frozen=True)
class Vocab:
    """Word list (index 0 padding, 1 unknown), n-gram buckets and the tag set."""

    words: tuple[str, ...]
    ngram_buckets: int
    tags: tuple[str, ...] = UPOS_TAGS
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.words[:2] != ("<pad>", "<unk>"):
            raise ValueError("vocabulary must start with '<pad>', '<unk>'")
        object.__setattr__(self, "index", {w: i for i, w in enumerate(self.words)})

    @classmethod
    def build(cls, sentences_words: Sequence[Sequence[str]], min_count: int = 2,
              ngram_buckets: int = 1 << 14) -> "Vocab":
        counts: dict[str, int] = {}
        for words in sentences_words:
            for w in words:
                k = normalise(w)
                counts[k] = counts.get(k, 0) + 1
        kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls(("<pad>", "<unk>", *kept), ngram_buckets)

    def word_id(self, word: str) -> int:
        return self.index.get(normalise(word), UNK)

    def to_json(self) -> dict:
        return {"format": "birnn-tagger-vocab/1", "words": list(self.words),
                "ngram_buckets": self.ngram_buckets, "ngram_n": [NGRAM_MIN, NGRAM_MAX],
                "tags": list(self.tags), "shape_features": list(SHAPE_FEATURES),
                "normalisation": "lower case, digits -> 0"}

    @classmethod
    def from_json(cls, data: dict) -> "Vocab":
        if data.get("format") != "birnn-tagger-vocab/1":
            raise ValueError("not a birnn-tagger vocabulary file (format field missing or different)")
        if list(data.get("shape_features", [])) != list(SHAPE_FEATURES):
            raise ValueError("vocabulary was written with different shape features than this code")
        if [NGRAM_MIN, NGRAM_MAX] != list(data.get("ngram_n", [])):
            raise ValueError("vocabulary was written with different n-gram sizes than this code")
        return cls(tuple(data["words"]), int(data["ngram_buckets"]), tuple(data["tags"]))


@dataclass
class Features:
    """Index arrays for a batch of sentences, padded: word (B,T), ngrams (B,T,K), shape (B,T,S)."""

    word: np.ndarray
    ngrams: np.ndarray
    shape: np.ndarray
    lengths: np.ndarray


def featurise(batch: Sequence[Sequence[str]], vocab: Vocab) -> Features:
    B = len(batch)
    T = max((len(s) for s in batch), default=0)
    per_tok = [[ngram_ids(w, vocab.ngram_buckets) for w in s] for s in batch]
    K = max((len(g) for s in per_tok for g in s), default=1)
    word = np.zeros((B, T), dtype=np.int64)
    ngrams = np.zeros((B, T, K), dtype=np.int64)
    shape = np.zeros((B, T, N_SHAPE), dtype=np.float32)
    for b, s in enumerate(batch):
        for t, w in enumerate(s):
            word[b, t] = vocab.word_id(w)
            g = per_tok[b][t]
            ngrams[b, t, :len(g)] = g
            shape[b, t] = shape_vector(w)
    lengths = np.array([len(s) for s in batch], dtype=np.int64)
    return Features(word, ngrams, shape, lengths)


# ---------------------------------------------------------------------------------------------
# Evaluation (pure Python/NumPy, shared by the trainer, the tests and the model card)
# ---------------------------------------------------------------------------------------------

AMBIGUOUS_FORMS: dict[str, tuple[str, ...]] = {
    "that": ("that",),
    "to": ("to",),
    "like": ("like",),
    "'s": ("'s", "\u2019s"),
}


def _acc(ok: int, n: int) -> dict:
    return {"accuracy": (ok / n) if n else None, "correct": ok, "tokens": n}


def accuracy_report(words: Sequence[Sequence[str]], gold: Sequence[Sequence[str]],
                    pred: Sequence[Sequence[str]], train_forms: set[str],
                    ambiguous_types: set[str] | None = None) -> dict:
    """Token accuracy overall, per gold tag, on unseen forms and on right-context cases.

    - unseen: the exact form never occurs in the training data;
    - ``that``/``to``/``like``/``'s``: tokens with that (lower-cased) form;
    - sentence_initial_capital: first token of a sentence starting with an upper-case letter;
    - ambiguous_in_train: forms seen in training with more than one tag.
    """
    ok = n = 0
    per_tag: dict[str, list[int]] = {t: [0, 0] for t in UPOS_TAGS}
    groups: dict[str, list[int]] = {k: [0, 0] for k in
                                    ["unseen", *AMBIGUOUS_FORMS, "sentence_initial_capital",
                                     "ambiguous_in_train"]}
    form_group = {f: k for k, forms in AMBIGUOUS_FORMS.items() for f in forms}
    for ws, gs, ps in zip(words, gold, pred):
        if len(ws) != len(gs) or len(gs) != len(ps):
            raise ValueError("words, gold and predicted tags must have the same lengths")
        for t, (w, g, p) in enumerate(zip(ws, gs, ps)):
            hit = int(g == p)
            ok += hit
            n += 1
            per_tag[g][0] += hit
            per_tag[g][1] += 1
            keys = []
            if w not in train_forms:
                keys.append("unseen")
            if w.lower() in form_group:
                keys.append(form_group[w.lower()])
            if t == 0 and w[:1].isupper():
                keys.append("sentence_initial_capital")
            if ambiguous_types is not None and w in ambiguous_types:
                keys.append("ambiguous_in_train")
            for k in keys:
                groups[k][0] += hit
                groups[k][1] += 1
    return {"overall": _acc(ok, n),
            "per_tag": {t: _acc(*v) for t, v in per_tag.items()},
            "groups": {k: _acc(*v) for k, v in groups.items()}}


def most_frequent_tag_baseline(train_words, train_tags, test_words) -> list[list[str]]:
    """Each form gets its most frequent training tag; unseen forms get the most frequent tag."""
    counts: dict[str, dict[str, int]] = {}
    overall: dict[str, int] = {}
    for ws, ts in zip(train_words, train_tags):
        for w, t in zip(ws, ts):
            counts.setdefault(w, {}).setdefault(t, 0)
            counts[w][t] += 1
            overall[t] = overall.get(t, 0) + 1
    default = max(sorted(overall), key=lambda t: overall[t])
    best = {w: max(sorted(c), key=lambda t: c[t]) for w, c in counts.items()}
    return [[best.get(w, default) for w in ws] for ws in test_words]


def ambiguous_forms(train_words, train_tags, min_share: float = 0.05) -> set[str]:
    """Forms whose second most frequent training tag has at least ``min_share`` of its tokens."""
    counts: dict[str, dict[str, int]] = {}
    for ws, ts in zip(train_words, train_tags):
        for w, t in zip(ws, ts):
            counts.setdefault(w, {}).setdefault(t, 0)
            counts[w][t] += 1
    out = set()
    for w, c in counts.items():
        if len(c) > 1:
            vals = sorted(c.values(), reverse=True)
            if vals[1] / sum(vals) >= min_share:
                out.add(w)
    return out
