"""The editable state shared by the step-by-step and diagram pages, and its URL form.

Pure Python + NumPy (no Streamlit): a Workspace holds tokens, embeddings (T, d), 1 to MAX_LAYERS
stacked recurrent layers (one cell, activation, merge and pair of hidden sizes for all of them;
layer l+1 reads layer l's merged vectors) and the output head; it builds the core's ModelParams, resizes
itself when a dimension changes (keeping every value that still fits), and encodes to a
compact, versioned, validated string for share links: "1." + base64url(zlib(JSON)).
"""
from __future__ import annotations

import base64
import binascii
import json
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from birnn_core import (ACTIVATIONS, GATES, HEAD_ACTIVATIONS, MERGE_MODES, DirectionParams, HeadParams,
                        LayerParams, ModelParams, ValidationError, get_cell, get_merge, n_blocks,
                        validate_model)
from birnn_core.presets import Example, init_direction

URL_VERSION = "1"
MAX_TOKENS = 60
MAX_DIM = 16          # d, h_f, h_b
MAX_CLASSES = 12
MAX_LAYERS = 3
MAX_TOKEN_CHARS = 40
# The largest workspace (60 tokens, d = h = 16, LSTM, 12 classes) encodes to about 71,500 characters;
# a trained network from the Train page (GRU, h = 16) to about 31,000.
MAX_URL_CHARS = 80_000
MAX_JSON_BYTES = 256_000
MAX_NUMBER_DIGITS = 30  # an integer literal longer than this is refused, not rounded to inf


@dataclass
class LayerWeights:
    """The weights of a stacked layer above the first: fwd / bwd W (G*h, m_below), U (G*h, h)."""

    fwd: DirectionParams
    bwd: DirectionParams

    def copy(self) -> "LayerWeights":
        return LayerWeights(self.fwd.copy(), self.bwd.copy())


@dataclass
class Workspace:
    """Everything a person can edit. embeddings (T, d); fwd/bwd in the core's layout; head_W (q, m)."""

    tokens: list[str]
    embeddings: np.ndarray
    fwd: DirectionParams
    bwd: DirectionParams
    head_W: np.ndarray
    head_b: np.ndarray
    cell: str = "rnn"
    activation: str = "tanh"
    merge: str = "concat"
    tie: bool = False
    bidirectional: bool = True
    head_activation: str = "softmax"
    preset: str = ""
    upper: list[LayerWeights] = field(default_factory=list)  # layers 2.. (reading the merged vectors below)
    notes: list[str] = field(default_factory=list)  # what the last resize did, shown once

    # ------------------------------------------------------------ sizes
    @property
    def d(self) -> int:
        return self.embeddings.shape[1]

    @property
    def h_f(self) -> int:
        return self.fwd.hidden_size

    @property
    def h_b(self) -> int:
        return self.fwd.hidden_size if self.tie else self.bwd.hidden_size

    @property
    def q(self) -> int:
        return self.head_W.shape[0]

    @property
    def m(self) -> int:
        """Size of the merged vector the head reads."""
        if not self.bidirectional:
            return self.h_f
        return get_merge(self.merge).size(self.h_f, self.h_b)

    @property
    def n_layers(self) -> int:
        return 1 + len(self.upper)

    def weights(self, layer: int) -> tuple[DirectionParams, DirectionParams]:
        """(fwd, bwd) of layer ``layer`` (0-based); layer 0 reads x_t (d), the others m_t (m)."""
        if layer == 0:
            return self.fwd, self.bwd
        return self.upper[layer - 1].fwd, self.upper[layer - 1].bwd

    def model(self) -> ModelParams:
        merge = self.merge if self.bidirectional else "concat"
        layers = []
        for l in range(self.n_layers):
            fwd, bwd = self.weights(l)
            shown = (fwd if self.tie else bwd) if self.bidirectional else None
            layers.append(LayerParams(self.cell, fwd, shown, self.activation, merge))
        return ModelParams(layers, HeadParams(self.head_W, self.head_b, self.head_activation))

    @classmethod
    def from_example(cls, ex: Example) -> "Workspace":
        return cls.from_model(ex.model, list(ex.tokens), ex.embeddings, ex.name)

    @classmethod
    def from_model(cls, model: ModelParams, tokens: list[str], embeddings, name: str = "") -> "Workspace":
        """The workspace that computes ``model`` on ``tokens`` with embeddings (T, d); ValidationError
        when the stack is not one the page edits (one cell, activation, merge and pair of sizes)."""
        if model.head is None:
            raise ValidationError(f"The model {name!r} has no output layer: the workspace shows one.", field="head")
        first = model.layers[0]
        _check_uniform(model.layers)
        pairs = [_folded(layer) for layer in model.layers]
        tie = all(_same(f, b) for f, b in pairs)
        head = model.head
        ws = cls(list(tokens), np.array(embeddings, dtype=np.float64), pairs[0][0], pairs[0][1],
                 head.W.copy(), head.b.copy(), first.cell, first.activation, first.merge, tie,
                 first.bwd is not None, head.activation, name, [LayerWeights(f, b) for f, b in pairs[1:]])
        ws.check_sizes()
        return ws

    def copy(self, **changes) -> "Workspace":
        base = replace(self, tokens=list(self.tokens), embeddings=self.embeddings.copy(), fwd=self.fwd.copy(),
                       bwd=self.bwd.copy(), head_W=self.head_W.copy(), head_b=self.head_b.copy(),
                       upper=[u.copy() for u in self.upper], notes=[])
        return replace(base, **changes) if changes else base

    # ------------------------------------------------------------ resizing
    def resized(self, d: int | None = None, h_f: int | None = None, h_b: int | None = None,
                q: int | None = None, cell: str | None = None, merge: str | None = None,
                bidirectional: bool | None = None, tie: bool | None = None,
                layers: int | None = None) -> "Workspace":
        """A copy with new sizes: values that still fit are kept, new entries are filled (and said so)."""
        ws = self.copy()
        d, h_f, h_b, q = d or self.d, h_f or self.h_f, h_b or self.h_b, q or self.q
        cell, layers = cell or self.cell, layers or self.n_layers
        ws.merge = merge or self.merge
        ws.bidirectional = self.bidirectional if bidirectional is None else bidirectional
        ws.tie = self.tie if tie is None else tie
        notes = ws.notes
        if ws.tie:
            h_b = h_f
        if ws.bidirectional and get_merge(ws.merge).elementwise and h_b != h_f:
            h_b = h_f
            notes.append(f"Merge '{ws.merge}' needs h_b = h_f: h_b set to {h_f}.")
        if layers > 1 and not get_merge(ws.merge).single:
            ws.merge = "concat"
            notes.append("Merge 'none' keeps the two directions apart, which no layer above can read: "
                         "merge set to concat for the stack.")
        if d != self.d:
            ws.embeddings = _fit(self.embeddings, (len(self.tokens), d))
            notes.append(f"d changed {self.d} → {d}: embeddings and W_f, W_b now have {d} columns "
                         + ("(new columns filled with 0)." if d > self.d else "(the last columns were dropped)."))
        rng = np.random.default_rng(0)
        ws.fwd = _fit_direction(self.fwd, self.cell, cell, d, h_f, rng)
        ws.bwd = _fit_direction(self.bwd, self.cell, cell, d, h_b, rng)
        ws.cell = cell
        ws.upper = self._fit_upper(cell, ws.m, h_f, h_b, layers, rng)
        if cell != self.cell:
            notes.append(f"Cell changed to {get_cell(cell).display}: the first gate block "
                         f"keeps your values, new gate blocks are drawn as PyTorch initialises them (seed 0).")
        for name, old, new in (("h_f", self.h_f, h_f), ("h_b", self.h_b, h_b)):
            if old != new:
                notes.append(f"{name} changed {old} → {new}: U and b resized, existing values kept, new ones 0.")
        if layers != self.n_layers:
            notes.append(f"Layers {self.n_layers} → {layers}: " + (
                "the new layers' weights are drawn as PyTorch initialises them (seed 0), rounded to 2 decimals."
                if layers > self.n_layers
                else f"the weights of the layers above layer {layers} were dropped."))
        elif ws.m != self.m and self.n_layers > 1:
            notes.append(f"m changed {self.m} → {ws.m}: the W of the layers above layer 1 now have {ws.m} columns "
                         f"(existing values kept, new ones 0).")
        if ws.tie:
            ws = ws.tied()
        if (q, ws.m) != self.head_W.shape:
            ws.head_W = _fit(self.head_W, (q, ws.m))
            ws.head_b = _fit(self.head_b, (q,))
            notes.append(f"W_o resized to (q, m) = ({q}, {ws.m}); new entries 0.")
        return ws

    def tied(self) -> "Workspace":
        """``self`` with every layer's backward weights set to copies of its forward ones (in place)."""
        self.bwd = self.fwd.copy()
        self.upper = [LayerWeights(u.fwd, u.fwd.copy()) for u in self.upper]
        return self

    def _fit_upper(self, cell: str, m: int, h_f: int, h_b: int, layers: int,
                   rng: np.random.Generator) -> list[LayerWeights]:
        """Layers 2..``layers`` resized to read m-vectors; new layers drawn as PyTorch draws them."""
        out = []
        for u in self.upper[:layers - 1]:
            out.append(LayerWeights(_fit_direction(u.fwd, self.cell, cell, m, h_f, rng),
                                    _fit_direction(u.bwd, self.cell, cell, m, h_b, rng)))
        while len(out) < layers - 1:
            new = LayerParams(cell, init_direction(rng, cell, m, h_f), init_direction(rng, cell, m, h_b))
            fwd, bwd = _folded(new)
            out.append(LayerWeights(*(_rounded(p) for p in (fwd, bwd))))
        return out

    # ------------------------------------------------------------ dict / URL
    def to_dict(self) -> dict:
        """The share-link state: one entry per row of FIELDS (the backward weights only when untied)."""
        out: dict = {"v": URL_VERSION}
        for f in FIELDS:
            if f.applies(self):
                out[f.key] = f.encode(getattr(self, f.attr))
        return out

    @classmethod
    def from_dict(cls, data: object) -> "Workspace":
        """Validate and build; every problem raises ValidationError saying what to change."""
        if not isinstance(data, dict):
            raise ValidationError("The state must be a JSON object.", field="state")
        if str(data.get("v")) != URL_VERSION:
            raise ValidationError(f"This state is version {data.get('v')!r}; this app reads version "
                                  f"{URL_VERSION}.", field="state")
        values: dict = {}
        for f in FIELDS:  # in table order: a derived field reads the fields above it
            derived = f.derive(values) if f.derive else None
            values[f.attr] = f.read(data) if derived is None else derived
        ws = cls(**values)
        ws.check_sizes()
        return ws

    def check_sizes(self) -> None:
        """The bounds that tie fields together: (T, d) embeddings, hidden sizes, classes, shapes."""
        if self.embeddings.shape[0] != len(self.tokens) or not 1 <= self.d <= MAX_DIM:
            raise ValidationError(f"The embeddings are {self.embeddings.shape}: they must be (T, d) = "
                                  f"({len(self.tokens)}, d) with 1 ≤ d ≤ {MAX_DIM}.", field="embeddings")
        for h in (self.h_f, self.h_b):
            if not 1 <= h <= MAX_DIM:
                raise ValidationError(f"Hidden sizes must be between 1 and {MAX_DIM} (got {h}).", field="h")
        if not 1 <= self.q <= MAX_CLASSES:
            raise ValidationError(f"The output layer must have 1 to {MAX_CLASSES} classes (got {self.q}).",
                                  field="q")
        validate_model(self.model(), self.d)

    def to_url_state(self) -> str:
        raw = json.dumps(self.to_dict(), separators=(",", ":")).encode()
        return f"{URL_VERSION}." + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")

    @classmethod
    def from_url_state(cls, s: str) -> "Workspace":
        if not isinstance(s, str) or len(s) > MAX_URL_CHARS:
            raise ValidationError(f"The link's state is too long (over {MAX_URL_CHARS} characters).", field="url")
        version, _, body = s.partition(".")
        if version != URL_VERSION or not body:
            raise ValidationError(f"The link's state is not version {URL_VERSION} of this app's format: "
                                  f"ask for a new link.", field="url")
        try:
            packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            inflater = zlib.decompressobj()
            raw = inflater.decompress(packed, MAX_JSON_BYTES)
        except (binascii.Error, ValueError, zlib.error):
            raise ValidationError("The link's state is damaged (it does not decode): copy the whole link "
                                  "again.", field="url") from None
        if inflater.unconsumed_tail:
            raise ValidationError("The link's state unpacks to more than the app accepts.", field="url")
        return cls.from_dict(load_json(raw, "The link's state"))


# ---------------------------------------------------------------- helpers

def load_json(raw: bytes | str, what: str) -> object:
    """Parse untrusted JSON (a link's state, an imported file); ValidationError says what is wrong.

    Refused, not approximated: NaN / Infinity literals and integers longer than MAX_NUMBER_DIGITS
    digits. Nesting deeper than Python's recursion limit is refused too (json raises RecursionError)."""
    def refuse_constant(name: str):
        raise ValidationError(f"{what} holds {name}: every value must be a finite number.", field="json")

    def parse_int(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
            raise ValidationError(f"{what} holds a {len(digits.lstrip('-'))}-digit number: numbers must be "
                                  f"finite 64-bit floats (at most {MAX_NUMBER_DIGITS} digits).", field="json")
        return int(digits)

    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text, parse_constant=refuse_constant, parse_int=parse_int)
    except UnicodeDecodeError:
        raise ValidationError(f"{what} is not JSON: it holds binary data (this app never reads pickles or "
                              f"other binary formats). Export a JSON file from this app and use that.",
                              field="json") from None
    except RecursionError:
        raise ValidationError(f"{what} is nested too deeply to be this app's format: export it from this app "
                              f"again.", field="json") from None
    except json.JSONDecodeError as e:
        raise ValidationError(f"{what} is not valid JSON ({e.msg} at character {e.pos}): export it from this "
                              f"app again.", field="json") from None


def _folded(layer: LayerParams) -> tuple[DirectionParams, DirectionParams]:
    """Copies of (fwd, bwd) (bwd = fwd when unidirectional); b_U is added into b in the cells where the
    two biases only ever act as their sum (it is shown apart only where it acts apart)."""
    bwd = layer.bwd if layer.bwd is not None else layer.fwd
    if get_cell(layer.cell).two_biases:
        return layer.fwd.copy(), bwd.copy()
    fold = lambda p: DirectionParams(p.W, p.U, p.b + p.b_U)
    return fold(layer.fwd), fold(bwd)


def _rounded(p: DirectionParams, decimals: int = 2) -> DirectionParams:
    """Short numbers for a drawn layer: its tables and written-out steps stay readable."""
    return DirectionParams(*(np.round(getattr(p, k), decimals) for k in ("W", "U", "b", "b_U")))


def _same(a: DirectionParams, b: DirectionParams) -> bool:
    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("W", "U", "b", "b_U"))


def _check_uniform(layers: list[LayerParams]) -> None:
    """The page edits a stack of 1..MAX_LAYERS layers sharing cell, activation, merge, direction and sizes."""
    if not 1 <= len(layers) <= MAX_LAYERS:
        raise ValidationError(f"The model has {len(layers)} recurrent layers: this page shows 1 to {MAX_LAYERS}. "
                              f"Keep the first {MAX_LAYERS} or train a shallower model.", field="layers")
    first = layers[0]
    for l, layer in enumerate(layers[1:], start=2):
        for what, a, b in (("cell", layer.cell, first.cell), ("activation", layer.activation, first.activation),
                           ("merge", layer.merge, first.merge), ("bidirectional", layer.bidirectional, first.bidirectional),
                           ("hidden sizes", layer.hidden_sizes, first.hidden_sizes)):
            if a != b:
                raise ValidationError(f"Layer {l} has {what} {a!r} but layer 1 has {b!r}: this page shows stacks "
                                      f"whose layers share cell, activation, merge, direction and hidden sizes.",
                                      field=what)


def _fit(a: np.ndarray, shape: tuple) -> np.ndarray:
    """Top-left block of ``a`` into a zero array of ``shape``."""
    out = np.zeros(shape)
    sl = tuple(slice(0, min(s, t)) for s, t in zip(a.shape, shape))
    out[sl] = a[sl]
    return out


def _fit_direction(p: DirectionParams, old_cell: str, cell: str, d: int, h: int,
                   rng: np.random.Generator) -> DirectionParams:
    """Resize each gate block to (h, d) / (h, h) / (h,), keeping values; new gate blocks random."""
    G_old, G = n_blocks(old_cell), n_blocks(cell)
    h_old = p.hidden_size
    fresh = init_direction(rng, cell, d, h)
    blocks: dict[str, list[np.ndarray]] = {"W": [], "U": [], "b": [], "b_U": []}
    for k in range(G):
        for name, shape in (("W", (h, d)), ("U", (h, h)), ("b", (h,)), ("b_U", (h,))):
            if k < G_old:
                old = getattr(p, name)[k * h_old:(k + 1) * h_old]
                blocks[name].append(_fit(old, shape))
            else:
                blocks[name].append(getattr(fresh, name)[k * h:(k + 1) * h])
    return DirectionParams(*(np.concatenate(blocks[n]) for n in ("W", "U", "b", "b_U")))


def _choice(data: dict, key: str, allowed: tuple) -> str:
    v = data.get(key)
    if not isinstance(v, str) or v not in allowed:
        shown = v if isinstance(v, (str, int, float, bool)) or v is None else type(v).__name__
        raise ValidationError(f"'{key}' is {shown!r}: it must be one of {', '.join(allowed)}.", field=key)
    return v


def _bool(data: dict, key: str, default: bool) -> bool:
    """A JSON true/false; "no", "false", 0 are refused (bool("no") would read as True)."""
    v = data.get(key, default)
    if not isinstance(v, bool):
        raise ValidationError(f"'{key}' is {v!r}: it must be true or false.", field=key)
    return v


def token_problem(token: str, position: int) -> str | None:
    """What is wrong with one token (1-based ``position``), or None: the one rule for links, files,
    the token table and the sentence box."""
    if not token.strip():
        return f"Token {position} is empty: type a word."
    if len(token) > MAX_TOKEN_CHARS:
        return f"Token {position} has {len(token):,} characters: a token has at most {MAX_TOKEN_CHARS}. Shorten it."
    bad = next((c for c in token if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        return f"Token {position} holds the control character U+{ord(bad):04X}: remove it."
    return None


def _tokens(v) -> list[str]:
    if not isinstance(v, list) or not all(isinstance(t, str) for t in v):
        raise ValidationError("'tokens' must be a list of words (text).", field="tokens")
    if not 1 <= len(v) <= MAX_TOKENS:
        raise ValidationError(f"The state has {len(v)} tokens: this page shows 1 to {MAX_TOKENS}.", field="tokens")
    for i, t in enumerate(v):
        problem = token_problem(t, i + 1)
        if problem:
            raise ValidationError(problem, field="tokens")
    return list(v)


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _numbers(v, name: str, ndim: int) -> np.ndarray:
    """A finite float array of ``ndim`` dimensions (matrix: at most 64 × 64, vector: at most 256).

    The structure is checked before NumPy sees it: no nesting beyond ``ndim``, no strings or
    booleans, rows of one length."""
    what, limit = ("a matrix", (64, 64)) if ndim == 2 else ("a list", (256,))
    rows = v if ndim == 2 else [v]
    shape_ok = (isinstance(v, list) and all(isinstance(r, list) for r in rows) and len(rows) > 0
                and len({len(r) for r in rows}) == 1 and len(rows[0]) > 0)
    if not shape_ok or not all(_is_number(x) for r in rows for x in r):
        raise ValidationError(f"{name} must be {what} of numbers (rows of equal length).", field=name)
    shape = (len(rows), len(rows[0])) if ndim == 2 else (len(v),)
    if any(n > m for n, m in zip(shape, limit)):
        raise ValidationError(f"{name} must be {what} of at most {' × '.join(map(str, limit))} numbers "
                              f"(got shape {shape}).", field=name)
    try:
        a = np.array(v, dtype=np.float64)
    except OverflowError:
        raise ValidationError(f"{name} holds a number beyond the largest 64-bit float (about 1.8e308).",
                              field=name) from None
    if not np.all(np.isfinite(a)):
        raise ValidationError(f"{name} holds NaN or inf: every value must be a finite number.", field=name)
    return a


def _matrix(v, name: str) -> np.ndarray:
    return _numbers(v, name, 2)


def _vector(v, name: str) -> np.ndarray:
    return _numbers(v, name, 1)


def _direction(v, what: str) -> DirectionParams:
    if not isinstance(v, dict):
        raise ValidationError(f"The {what} weights are missing.", field=what)
    *layer, direction = what.split(" ")
    name = lambda sym: " ".join(layer + [f"{sym}_{direction[0]}"])  # "W_f", "layer 2 W_f"
    W, U = _matrix(v.get("W"), name("W")), _matrix(v.get("U"), name("U"))
    b = _vector(v.get("b"), name("b"))
    b_U = _vector(v.get("b_U"), name("b_U")) if v.get("b_U") is not None else None
    return DirectionParams(W, U, b, b_U)


# ---------------------------------------------------------------- the share-link fields: one row each

def _arr(a) -> list:
    return np.asarray(a).tolist()


def _direction_dict(p: DirectionParams) -> dict:
    return {"W": _arr(p.W), "U": _arr(p.U), "b": _arr(p.b), "b_U": _arr(p.b_U)}


def _upper(v, key: str) -> list[LayerWeights]:
    """Layers 2.. from [{"fwd": {...}, "bwd": {...}}, ...]; an absent "bwd" is the same as "fwd"."""
    if not isinstance(v, list) or len(v) > MAX_LAYERS - 1 or not all(isinstance(u, dict) for u in v):
        raise ValidationError(f"'{key}' must be a list of at most {MAX_LAYERS - 1} layers, each "
                              f'{{"fwd": ..., "bwd": ...}}.', field="layers")
    out = []
    for l, u in enumerate(v, start=2):
        fwd = _direction(u.get("fwd"), f"layer {l} forward")
        bwd = fwd.copy() if u.get("bwd") is None else _direction(u.get("bwd"), f"layer {l} backward")
        out.append(LayerWeights(fwd, bwd))
    return out


def _upper_list(upper: list[LayerWeights]) -> list:
    return [{"fwd": _direction_dict(u.fwd)} | ({} if _same(u.fwd, u.bwd) else {"bwd": _direction_dict(u.bwd)})
            for u in upper]


def _text(v, key: str, limit: int = 80) -> str:
    if not isinstance(v, str) or len(v) > limit:
        raise ValidationError(f"'{key}' must be text of at most {limit} characters.", field=key)
    return v


_REQUIRED = object()


@dataclass(frozen=True)
class Field:
    """One share-link field: its key in the link, the Workspace attribute it fills, how a value is
    read (raw JSON value, key -> value, or ValidationError) and written, its default when absent
    (old links keep opening), when it is written at all, and (``derive``) the value it takes from
    the fields above it when it is not written (None: read it)."""

    key: str
    attr: str
    parse: Callable[[Any, str], Any]
    encode: Callable[[Any], Any] = lambda v: v
    default: object = _REQUIRED
    applies: Callable[["Workspace"], bool] = lambda ws: True
    derive: Callable[[dict], object] | None = None

    def read(self, data: dict):
        if self.key not in data:
            if self.default is _REQUIRED:
                raise ValidationError(f"The state has no '{self.key}'.", field=self.key)
            return self.default
        return self.parse(data[self.key], self.key)


def _choice_of(names) -> Callable[[object, str], str]:
    return lambda v, key: _choice({key: v}, key, tuple(names))


FIELDS: list[Field] = [
    Field("tokens", "tokens", lambda v, k: _tokens(v), list),
    Field("X", "embeddings", lambda v, k: _matrix(v, "embeddings"), _arr),
    Field("cell", "cell", _choice_of(GATES)),
    Field("act", "activation", _choice_of(ACTIVATIONS)),
    Field("merge", "merge", _choice_of(MERGE_MODES)),
    Field("tie", "tie", lambda v, k: _bool({k: v}, k, False), default=False),
    Field("bi", "bidirectional", lambda v, k: _bool({k: v}, k, True), default=True),
    Field("fwd", "fwd", lambda v, k: _direction(v, "forward"), _direction_dict),
    Field("bwd", "bwd", lambda v, k: _direction(v, "backward"), _direction_dict, applies=lambda ws: not ws.tie,
          derive=lambda values: values["fwd"].copy() if values["tie"] else None),
    Field("Wo", "head_W", lambda v, k: _matrix(v, "W_o"), _arr),
    Field("bo", "head_b", lambda v, k: _vector(v, "b_o"), _arr),
    Field("out", "head_activation", _choice_of(HEAD_ACTIVATIONS)),
    Field("preset", "preset", _text, default=""),
    Field("up", "upper", _upper, _upper_list, default=[], applies=lambda ws: bool(ws.upper)),
]
