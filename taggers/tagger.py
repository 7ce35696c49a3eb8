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
only; training lives in :mod:`taggers.train` (the only module that imports torch).
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
MAX_TOKEN_CHARS = 1000  # EWT test has URLs of 473 characters

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


# ---------------------------------------------------------------------------------------------
# Tokenizer (EWT conventions: punctuation split off, n't / 's / 're / 'll / 've / 'd / 'm split,
# "can't" -> "ca n't", "cannot" -> "can not", "gonna" -> "gon na", hyphens between letters split,
# abbreviations, numbers, URLs and e-mail addresses kept whole, emoji as their own tokens)
# ---------------------------------------------------------------------------------------------

class TaggerInputError(ValueError):
    """Input the taggers cannot take (empty, too long), with a message a person can act on."""


_APOS = "'\u2019"
_ABBREVIATIONS = {
    "mr.", "mrs.", "ms.", "dr.", "st.", "jr.", "sr.", "prof.", "inc.", "co.", "corp.", "ltd.", "vs.",
    "etc.", "e.g.", "i.e.", "u.s.", "u.k.", "a.m.", "p.m.", "no.", "jan.", "feb.", "mar.", "apr.",
    "jun.", "jul.", "aug.", "sep.", "sept.", "oct.", "nov.", "dec.", "gen.", "ft.", "mt.", "ave.",
    "capt.", "col.", "lt.", "sgt.", "gov.", "sen.", "rep.", "rev.", "dept.", "univ.", "approx.",
}
_HYPHEN_PREFIXES = {"e", "non", "pre", "post", "co", "ex", "multi", "mid", "pro", "anti", "re", "sub",
                    "semi", "inter", "self"}
_URLISH = re.compile(r"^(https?://\S+|www\.\S+|[\w.+-]+@[\w-]+(\.[\w-]+)+)$", re.IGNORECASE)
_NUMBERISH = re.compile(r"^\d+([.,:/]\d+)*$")
_SPLIT_CLITIC = re.compile(r"^(.+?)(n[" + _APOS + r"]t|[" + _APOS + r"](s|re|ll|ve|d|m))$", re.IGNORECASE)
_SPECIAL = {"cannot": ("can", "not"), "gonna": ("gon", "na"), "wanna": ("wan", "na"),
            "gotta": ("got", "ta")}
_LEAD = "\"'\u2018\u201c([{<*#$\u00a3\u20ac"
_TRAIL = "\"'\u2019\u201d)]}>.,!?;:*%\u2026"


def _is_symbolic(ch: str) -> bool:
    return unicodedata.category(ch) in ("So", "Sk", "Cs") or 0x1F000 <= ord(ch) <= 0x1FAFF


def _split_word(tok: str) -> list[str]:
    low = tok.lower()
    if _URLISH.match(tok) or _NUMBERISH.match(tok) or low in _ABBREVIATIONS:
        return [tok]
    if low in _SPECIAL:
        a, b = _SPECIAL[low]
        return [tok[:len(a)], tok[len(a):]]
    m = _SPLIT_CLITIC.match(tok)
    if m and m.group(1).isalpha():
        return [m.group(1), m.group(2)]
    if "/" in tok and re.match(r"^[^\W\d_]+(/[^\W\d_]+)+$", tok):
        pieces: list[str] = []
        for i, p in enumerate(tok.split("/")):
            pieces.extend(["/", *_split_word(p)] if i else _split_word(p))
        return pieces
    if "-" in tok and re.match(r"^[^\W_]+(-[^\W_]+)+$", tok) and re.search(r"[^\W\d_]", tok):
        parts = tok.split("-")
        if parts[0].lower() in _HYPHEN_PREFIXES and len(parts) == 2:
            return [tok]
        out: list[str] = []
        for i, p in enumerate(parts):
            if i:
                out.append("-")
            out.append(p)
        return out
    return [tok]


_EMOTICON = re.compile(r"[:;=8][-o^']?[()DPp/\\|\[\]]+$")
_RUN_PUNCT = re.compile(r"([.!?]{2,}|([^\w\s])\2+)$")


def _peel(chunk: str) -> list[str]:
    """Split leading and trailing punctuation off one whitespace-separated chunk."""
    lead: list[str] = []
    trail: list[str] = []
    while chunk and (chunk[0] in _LEAD or _is_symbolic(chunk[0])) and not _URLISH.match(chunk):
        if chunk[0] in _APOS and _SPLIT_CLITIC.match("x" + chunk) is None and len(chunk) > 1 \
                and chunk[1:].lower() in ("s", "re", "ll", "ve", "d", "m"):
            break  # a bare clitic such as 's after a space
        if chunk[0] == "#" and len(chunk) > 1 and chunk[1].isalnum():
            break  # a hashtag stays whole
        run = len(chunk) - len(chunk.lstrip(chunk[0]))
        if run > 1 and not chunk[0].isalnum() and not _is_symbolic(chunk[0]):
            lead.append(chunk[:run])  # "<<", "$$$"
            chunk = chunk[run:]
            continue
        lead.append(chunk[0])
        chunk = chunk[1:]
    while chunk:
        if chunk.lower() in _ABBREVIATIONS or _URLISH.match(chunk) or _NUMBERISH.match(chunk):
            break
        emo = _EMOTICON.search(chunk)
        if emo and (emo.start() == 0 or not chunk[emo.start() - 1].isalnum() or chunk[emo.start()] in ":;="):
            trail.insert(0, emo.group(0))
            chunk = chunk[:emo.start()]
            continue
        punct = _RUN_PUNCT.search(chunk)
        if punct and punct.start() > 0 or punct and punct.group(0) == chunk:
            trail.insert(0, punct.group(0))  # "!!", "...", "?!", "***"
            chunk = chunk[:punct.start()]
            continue
        ch = chunk[-1]
        if ch in _TRAIL or _is_symbolic(ch):
            if ch in _APOS and len(chunk) > 1 and chunk[-2].lower() == "s" and ch == "'":
                trail.insert(0, ch)  # plural possessive: "dogs'" -> dogs '
                chunk = chunk[:-1]
                continue
            if ch == "." and re.match(r"^([A-Za-z]\.)+$", chunk):
                break  # initials: "J." or "U.S."
            trail.insert(0, ch)
            chunk = chunk[:-1]
            continue
        break
    middle: list[str] = []
    if chunk:
        # emoji glued inside a word become their own tokens
        buf = ""
        for ch in chunk:
            if _is_symbolic(ch):
                if buf:
                    middle.extend(_split_word(buf))
                    buf = ""
                middle.append(ch)
            else:
                buf += ch
        if buf:
            middle.extend(_split_word(buf))
    return lead + middle + trail


def tokenize(text: str) -> list[str]:
    """Split text into EWT-style tokens, e.g. "I can't go." -> ['I', 'ca', "n't", 'go', '.']."""
    if not isinstance(text, str):
        raise TaggerInputError("the text must be a string")
    tokens: list[str] = []
    for chunk in text.split():
        tokens.extend(t for t in _peel(chunk) if t)
    return tokens


# ---------------------------------------------------------------------------------------------
# Inference with the step-by-step NumPy engine
# ---------------------------------------------------------------------------------------------

MASK_TOKEN = "\x00<mask>"  # what occlusion puts in place of a word: an unknown word with no n-grams


class Tagger:
    """One pretrained tagger: word-local features -> engine (LSTM layers) -> Linear -> softmax.

    ``tag(tokens)`` returns (tags, probs (T, 17)); ``trace(tokens)`` the engine's full
    ModelTrace (every gate of every step, both directions, logits and probs).
    """

    def __init__(self, name: str, arrays: dict[str, np.ndarray], vocab: Vocab, card: dict):
        from birnn_core.convert import layers_from_torch_state_dict
        from birnn_core.params import HeadParams, ModelParams

        self.name = name
        self.vocab = vocab
        self.card = card
        self.tags = vocab.tags
        arch = card.get("hyperparameters", {})
        self.direction = card.get("direction", "bi" if "rnn.weight_ih_l0_reverse" in arrays else "uni")
        self.cell = arch.get("cell", "lstm")
        a = {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items() if k != "ngram.weight"}
        try:
            self.E_word = a["word.weight"]
            # kept as shipped (float16: 16 MiB, not 64 as float64); rows are widened before their mean
            self.E_ngram = np.asarray(arrays["ngram.weight"])
            layers = layers_from_torch_state_dict({k: v for k, v in a.items() if k.startswith("rnn.")},
                                                  self.cell, prefix="rnn.",
                                                  bidirectional=self.direction == "bi")
            head = HeadParams(a["out.weight"], a["out.bias"], "softmax")
        except KeyError as e:
            raise ValueError(f"weights of the {name} tagger lack {e.args[0]!r}") from None
        self.model = ModelParams(layers, head)
        self._fast = _FastStack(layers, head) if self.cell == "lstm" else None
        if self.E_word.shape[0] != len(vocab.words):
            raise ValueError(f"{name}: the word embedding has {self.E_word.shape[0]} rows but the vocabulary "
                             f"{len(vocab.words)} words: weights and vocabulary do not belong together")
        if self.E_ngram.shape[0] != vocab.ngram_buckets:
            raise ValueError(f"{name}: {self.E_ngram.shape[0]} n-gram rows, vocabulary says "
                             f"{vocab.ngram_buckets} buckets")
        self.input_size = self.E_word.shape[1] + self.E_ngram.shape[1] + N_SHAPE
        self._ngram_mean_cache: dict[str, np.ndarray] = {}

    # ---- features ---------------------------------------------------------------------------
    def _token_vector(self, word: str) -> np.ndarray:
        v = self._ngram_mean_cache.get(word)
        if v is None:
            if word == MASK_TOKEN:
                v = np.zeros(self.input_size)
                v[:self.E_word.shape[1]] = self.E_word[UNK]
            else:
                ids = ngram_ids(word, self.vocab.ngram_buckets)
                v = np.concatenate([self.E_word[self.vocab.word_id(word)],
                                    self.E_ngram[list(ids)].astype(np.float64).mean(axis=0),
                                    np.asarray(shape_vector(word))])
            if len(self._ngram_mean_cache) < 100_000:
                self._ngram_mean_cache[word] = v
        return v

    def inputs(self, tokens: Sequence[str]) -> np.ndarray:
        """(T, d) input vectors x_t (each from its own word only)."""
        return np.stack([self._token_vector(w) for w in tokens])

    def batch_inputs(self, batch: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        lengths = np.array([len(s) for s in batch])
        X = np.zeros((len(batch), int(lengths.max()), self.input_size))
        for b, s in enumerate(batch):
            X[b, :len(s)] = self.inputs(s)
        return X, lengths

    # ---- inference --------------------------------------------------------------------------
    def trace(self, tokens: Sequence[str]):
        """The engine's full ModelTrace for one sentence (B = 1)."""
        tokens = check_tokens(tokens)
        from birnn_core.engine import run
        with _BlasThreads():
            return run(self.model, self.inputs(tokens), tokens=list(tokens))

    def logits_batch(self, batch: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Logits (B, T, 17) and lengths for a batch of token lists (padding rows are zero)."""
        from birnn_core.engine import run
        X, lengths = self.batch_inputs([check_tokens(s) for s in batch])
        with _BlasThreads():
            tr = run(self.model, X, lengths)
        return _logits(tr), lengths

    def fast_logits_batch(self, batch: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Same logits as :meth:`logits_batch` without recording the trace (see _FastStack)."""
        X, lengths = self.batch_inputs([check_tokens(s) for s in batch])
        if self._fast is None:
            from birnn_core.engine import run
            return _logits(run(self.model, X, lengths)), lengths
        return self._fast.logits(X, lengths), lengths

    def probs_batch(self, batch: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        logits, lengths = self.fast_logits_batch(batch)
        return softmax(logits), lengths

    def tag(self, tokens: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """(tags, probs (T, 17)) for one tokenised sentence."""
        logits, _ = self.fast_logits_batch([tokens])
        probs = softmax(logits[0])
        return [self.tags[k] for k in probs.argmax(-1)], probs


def _logits(trace) -> np.ndarray:
    """The trace's logits (B, T, 17): a tagger always has its output layer."""
    assert trace.logits is not None, "a tagger's model has a head"
    return trace.logits


class _BlasThreads:
    """Run a block with OpenBLAS limited to one thread (what threadpoolctl does, without the dependency).

    Tagging a sentence is a few hundred tiny matrix products: a second BLAS thread only adds a
    hand-over per product, and on a busy machine each hand-over waits for a free core (measured
    here with two training jobs on the two cores: 30-35 ms per sentence with two BLAS threads,
    4-8 ms with one). The limit is restored afterwards; without OpenBLAS this does nothing.
    """

    _lib = None
    _names: tuple[str, str] | None = None

    @classmethod
    def _find(cls):
        if cls._names is not None:
            return cls._lib
        cls._names = ("", "")
        try:
            import ctypes
            with open("/proc/self/maps", encoding="utf-8") as fh:
                paths = sorted({line.split()[-1] for line in fh if "openblas" in line and "/" in line})
            for path in paths:
                lib = ctypes.CDLL(path)
                for pre in ("scipy_openblas_", "openblas_"):
                    for suf in ("64_", ""):
                        if hasattr(lib, f"{pre}set_num_threads{suf}"):
                            cls._lib, cls._names = lib, (f"{pre}get_num_threads{suf}",
                                                         f"{pre}set_num_threads{suf}")
                            return lib
        except (OSError, AttributeError, IndexError):
            cls._lib = None
        return cls._lib

    def __enter__(self):
        lib = self._find()
        self.before = None
        if lib is not None:
            get, set_ = self._names
            self.before = int(getattr(lib, get)())
            if self.before != 1:
                getattr(lib, set_)(1)
        return self

    def __exit__(self, *exc):
        if self.before not in (None, 1):
            getattr(self._lib, self._names[1])(self.before)
        return False


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class _FastStack:
    """LSTM layers + head without the per-step records: the inference path of ``Tagger.tag``.

    The engine (``birnn_core.run``) validates every weight and re-stacks the matrices on each
    call and keeps every gate of every step, which is what the step-by-step views need; tagging
    needs only the logits. This runs the same equations (PyTorch's LSTM, gate order i, f, g, o)
    with the matrices prepared once; ``tests/taggers/test_tagger_parity.py`` checks it against the
    engine and against torch.
    """

    def __init__(self, layers, head, dtype=np.float64, recurrent_float32: bool = True):
        self.dtype = np.dtype(dtype)
        # U h_{t-1} is memory-bound at batch 1 (U is 0.5-1.5 MB of float64, read every step): U is
        # kept in float32 (exact: the shipped weights are float16) and h_{t-1} is rounded to float32
        # for that product only; everything else stays float64. Measured on the whole EWT test set:
        # logits within 3.1e-6 of torch float64 (the all-float64 engine: 3.2e-14); both models
        # 5.8 -> about 4.6 ms per 40-token sentence.
        self.recurrent_dtype = np.dtype(np.float32) if recurrent_float32 else self.dtype
        self.layers = []
        for layer in layers:
            dirs = [p for _, p in layer.directions()]
            WT = np.stack([p.W.T for p in dirs])                       # (D, d, 4h)
            UT = np.stack([p.U.T for p in dirs])                       # (D, h, 4h)
            b = np.stack([p.b + p.b_U for p in dirs])[:, None, None, :]  # (D, 1, 1, 4h)
            # sigmoid(x) = (1 + tanh(x / 2)) / 2: halve the i, f, o columns once (exact: a power
            # of two), so one tanh per step serves all four gates.
            h = UT.shape[1]
            half = np.ones(4 * h)
            half[:2 * h] = half[3 * h:] = 0.5
            self.layers.append((np.ascontiguousarray(WT * half, dtype=self.dtype),
                                np.ascontiguousarray(UT * half, dtype=self.recurrent_dtype),
                                np.ascontiguousarray(b * half, dtype=self.dtype)))
        self.W_o, self.b_o = head.W.T.astype(self.dtype), head.b.astype(self.dtype)

    def outputs(self, X: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        B, T, _ = X.shape
        full = bool(np.all(lengths == T))
        t_idx = np.arange(T)[None, :]
        rev = np.where(t_idx < lengths[:, None], lengths[:, None] - 1 - t_idx, t_idx)  # (B, T)
        inp = np.asarray(X, dtype=self.dtype)
        for WT, UT, b in self.layers:
            D, h = UT.shape[0], UT.shape[1]
            if D == 2:
                X_rev = inp[:, ::-1] if full else np.take_along_axis(inp, rev[:, :, None], axis=1)
                Xs = np.stack([inp, X_rev])                            # (2, B, T, d)
            else:
                Xs = inp[None]
            d_in = Xs.shape[-1]
            base = np.matmul(Xs.reshape(D, B * T, d_in), WT).reshape(D, B, T, 4 * h) + b  # all steps at once
            base = np.ascontiguousarray(base.transpose(2, 0, 1, 3))    # (T, D, B, 4h): one block per step
            H = np.empty((T, D, B, h), dtype=self.dtype)
            hs_r = np.zeros((D, B, h), dtype=self.recurrent_dtype)     # h_{t-1} for U h_{t-1}
            c = np.zeros((D, B, h), dtype=self.dtype)
            z = np.empty((D, B, 4 * h), dtype=self.dtype)
            uh = np.empty((D, B, 4 * h), dtype=self.recurrent_dtype)
            ig = np.empty((D, B, h), dtype=self.dtype)
            scale = np.full(4 * h, 0.5, dtype=self.dtype)
            scale[2 * h:3 * h] = 1.0
            shift = 1.0 - scale
            for t in range(T):
                np.matmul(hs_r, UT, out=uh)          # (D, B, h) @ (D, h, 4h): one GEMM per direction
                np.add(base[t], uh, out=z)
                np.tanh(z, out=z)
                z *= scale                           # i, f, o: (1 + tanh) / 2 = sigmoid; g: tanh
                z += shift
                c *= z[..., h:2 * h]
                np.multiply(z[..., :h], z[..., 2 * h:3 * h], out=ig)
                c += ig
                np.tanh(c, out=ig)
                np.multiply(z[..., 3 * h:], ig, out=H[t])  # h_t = o * tanh(c_t)
                hs_r[...] = H[t]
            H = H.transpose(1, 2, 0, 3)                                # (D, B, T, h)
            if D == 2:
                back = H[1, :, ::-1] if full else np.take_along_axis(H[1], rev[:, :, None], axis=1)
                inp = np.concatenate([H[0], back], axis=-1)
            else:
                inp = H[0]
        return inp

    def logits(self, X: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        with _BlasThreads():
            logits = self.outputs(X, lengths) @ self.W_o + self.b_o
        logits[~(np.arange(X.shape[1])[None, :] < lengths[:, None])] = 0.0
        return logits


def check_tokens(tokens: Sequence[str], max_tokens: int = MAX_TOKENS) -> list[str]:
    """The token list as given, or TaggerInputError with what to change."""
    if isinstance(tokens, str):
        raise TaggerInputError("pass a list of tokens (use tokenize(text) to split a text)")
    tokens = list(tokens)
    if not tokens:
        raise TaggerInputError("there is nothing to tag: type a sentence first")
    if len(tokens) > max_tokens:
        raise TaggerInputError(f"the text has {len(tokens)} tokens; the taggers take at most {max_tokens} "
                               f"at a time: shorten it or split it into sentences")
    for i, t in enumerate(tokens):
        if not isinstance(t, str) or not t or any(ch.isspace() for ch in t):
            raise TaggerInputError(f"token {i + 1} ({t!r}) is empty or contains spaces: tokens must be "
                                   f"non-empty words without whitespace")
        if len(t) > MAX_TOKEN_CHARS:
            raise TaggerInputError(f"token {i + 1} has {len(t)} characters; at most {MAX_TOKEN_CHARS} are "
                                   f"accepted")
    return tokens


def load_tagger(assets_dir: str | Path, direction: str) -> Tagger:
    """Read ``{direction}.npz`` (allow_pickle=False), ``.vocab.json`` and ``.card.json``.

    ``assets_dir`` may also be one training run directory (``model.npz``, ``vocab.json``, ``card.json``).
    """
    d = Path(assets_dir)
    paths = [d / f"{direction}.npz", d / f"{direction}.vocab.json", d / f"{direction}.card.json"]
    if not paths[0].exists() and (d / "model.npz").exists():  # a training run directory
        paths = [d / "model.npz", d / "vocab.json", d / "card.json"]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"the {direction} tagger is incomplete in {d}: missing {', '.join(missing)} "
                                f"(train it with python -m taggers.train)")
    with np.load(paths[0], allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    vocab = Vocab.from_json(json.loads(paths[1].read_text(encoding="utf-8")))
    card = json.loads(paths[2].read_text(encoding="utf-8"))
    return Tagger(direction, arrays, vocab, card)


DEFAULT_ASSETS = Path(__file__).resolve().parent.parent / "assets" / "tagger"


def load_taggers(assets_dir: str | Path = DEFAULT_ASSETS) -> tuple[Tagger, Tagger]:
    """(unidirectional, bidirectional) taggers from the shipped assets."""
    return load_tagger(assets_dir, "uni"), load_tagger(assets_dir, "bi")


# ---------------------------------------------------------------------------------------------
# Occlusion: which right-hand words change the bidirectional model's mind
# ---------------------------------------------------------------------------------------------

@dataclass
class Occlusion:
    """How the tag of token i depends on the words to its right.

    ``no_right``: (tag, prob) with every word right of i removed (the sentence ends at i);
    ``prefix``: for k = i..T-1, (tag, prob of the full-sentence tag) when the sentence ends at k;
    ``masked``: for each j > i, (tag, prob of the full-sentence tag) when word j alone is
    replaced by an unknown word without features; ``decisive``: the right-hand positions whose
    masking flips the tag or lowers its probability most.
    """

    index: int
    token: str
    full_tag: str
    full_prob: float
    no_right: tuple[str, float]
    prefix: list[tuple[int, str, float]]
    masked: list[tuple[int, str, float]]
    decided_at: int | None
    decisive: list[int]

    def summary(self, tokens: Sequence[str]) -> str:
        i = self.index
        if self.index == len(tokens) - 1:
            return (f"'{self.token}' is the last word: there is no right context to remove, so a difference "
                    f"here comes from the models' different weights and left-context states.")
        nr_tag, nr_p = self.no_right
        parts = [f"Without the words to its right the bidirectional model tags '{self.token}' as "
                 f"{nr_tag} ({nr_p:.0%}); with the whole sentence, {self.full_tag} ({self.full_prob:.0%})."]
        if nr_tag != self.full_tag and self.decided_at is not None:
            seen = " ".join(tokens[i + 1:self.decided_at + 1])
            parts.append(f"It switches to {self.full_tag} for good once it has seen '{seen}'.")
        flips = [j for j, tag, _ in self.masked if tag != self.full_tag]
        if flips:
            words = ", ".join(f"'{tokens[j]}'" for j in flips)
            parts.append(f"Masking {words} alone flips the tag.")
        elif self.decisive:
            j = self.decisive[0]
            p = dict((k, p) for k, _, p in self.masked)[j]
            parts.append(f"Masking '{tokens[j]}' lowers p({self.full_tag}) most, to {p:.0%}.")
        return " ".join(parts)


def occlusion(tagger: Tagger, tokens: Sequence[str], index: int, top: int = 3,
              window: int = 20) -> Occlusion:
    """Occlusion analysis of token ``index`` for ``tagger`` (meaningful for the bidirectional one).

    Runs one batch: the sentence cut after each k >= index (the backward direction then starts
    at k, exactly as if the words after k did not exist) and the sentence with each right-hand
    word masked. Only the ``window`` words right of ``index`` are cut or masked one by one (the
    full sentence is always the last cut), so a long text stays quick.
    """
    tokens = check_tokens(tokens)
    T = len(tokens)
    if not 0 <= index < T:
        raise TaggerInputError(f"token index {index} is outside the sentence (0..{T - 1})")
    ks = list(range(index, min(T - 1, index + window + 1))) + [T - 1]
    js = list(range(index + 1, min(T, index + window + 1)))
    cuts = [tokens[:k + 1] for k in ks]                                  # last one is the full sentence
    masks = [tokens[:j] + [MASK_TOKEN] + tokens[j + 1:] for j in js]
    probs, _ = tagger.probs_batch(cuts + masks)
    P = probs[:, index, :]
    full = P[len(cuts) - 1]
    y = int(full.argmax())
    tag = lambda p: tagger.tags[int(p.argmax())]
    prefix = [(k, tag(P[n]), float(P[n, y])) for n, k in enumerate(ks)]
    masked = [(j, tag(P[len(cuts) + n]), float(P[len(cuts) + n, y])) for n, j in enumerate(js)]
    decided_at = None
    for k, t_k, _ in reversed(prefix):
        if t_k != tagger.tags[y]:
            break
        decided_at = k
    decisive = [j for j, _, p in sorted(masked, key=lambda r: r[2])[:top] if p < float(full[y])]
    return Occlusion(index, tokens[index], tagger.tags[y], float(full[y]),
                     (tag(P[0]), float(P[0].max())), prefix, masked, decided_at, decisive)


@dataclass
class Comparison:
    tokens: list[str]
    uni_tags: list[str]
    uni_probs: np.ndarray
    bi_tags: list[str]
    bi_probs: np.ndarray
    disagreements: list[int]
    explanations: dict[int, Occlusion]


LONG_TEXT = 60  # tokens; beyond this, fewer disagreements are explained, over a shorter window


def compare(uni: Tagger, bi: Tagger, tokens: Sequence[str], explain_limit: int = 12) -> Comparison:
    """Tag with both models; explain by occlusion the tokens where they disagree (up to a limit).

    Each explanation re-runs the whole text once per right-hand word it cuts or masks, so for
    texts longer than LONG_TEXT tokens at most 4 disagreements are explained, over 8 words each.
    """
    tokens = check_tokens(tokens)
    ut, up = uni.tag(tokens)
    bt, bp = bi.tag(tokens)
    dis = [i for i, (a, b) in enumerate(zip(ut, bt)) if a != b]
    window = 20
    if len(tokens) > LONG_TEXT:
        explain_limit, window = min(explain_limit, 4), 8
    expl = {i: occlusion(bi, tokens, i, window=window) for i in dis[:explain_limit]}
    return Comparison(list(tokens), ut, up, bt, bp, dis, expl)
