"""The editable state shared by the step-by-step and diagram pages, and its URL form.

Pure Python + NumPy (no Streamlit): a Workspace holds tokens, embeddings (T, d), one
bidirectional layer's weights and the output head; it builds the core's ModelParams, resizes
itself when a dimension changes (keeping every value that still fits), and encodes to a
compact, versioned, validated string for share links: "1." + base64url(zlib(JSON)).
"""
from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass, field, replace

import numpy as np

from birnn_core import (ACTIVATIONS, GATES, HEAD_ACTIVATIONS, MERGE_MODES, DirectionParams, HeadParams,
                        LayerParams, ModelParams, ValidationError, n_blocks)
from birnn_core.presets import Example, init_direction

URL_VERSION = "1"
MAX_TOKENS = 60
MAX_DIM = 16          # d, h_f, h_b
MAX_CLASSES = 12
MAX_URL_CHARS = 16_000
MAX_JSON_BYTES = 256_000


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
        return self.h_f + self.h_b if self.merge == "concat" else self.h_f

    def model(self) -> ModelParams:
        bwd = (self.fwd if self.tie else self.bwd) if self.bidirectional else None
        merge = self.merge if self.bidirectional else "concat"
        layer = LayerParams(self.cell, self.fwd, bwd, self.activation, merge)
        return ModelParams([layer], HeadParams(self.head_W, self.head_b, self.head_activation))

    @classmethod
    def from_example(cls, ex: Example) -> "Workspace":
        layer, head = ex.model.layers[0], ex.model.head
        bwd = layer.bwd if layer.bwd is not None else layer.fwd.copy()
        if layer.cell != "gru":  # only the GRU needs two biases: elsewhere b + b_U is one bias, shown as b
            fold = lambda p: DirectionParams(p.W, p.U, p.b + p.b_U)
            layer = replace(layer, fwd=fold(layer.fwd), bwd=fold(layer.bwd) if layer.bwd else None)
            bwd = fold(bwd)
        tie = all(np.array_equal(getattr(layer.fwd, k), getattr(bwd, k)) for k in ("W", "U", "b", "b_U"))
        return cls(list(ex.tokens), np.array(ex.embeddings, dtype=np.float64), layer.fwd.copy(), bwd.copy(),
                   head.W.copy(), head.b.copy(), layer.cell, layer.activation, layer.merge, tie,
                   layer.bwd is not None, head.activation, ex.name)

    def copy(self, **changes) -> "Workspace":
        base = replace(self, tokens=list(self.tokens), embeddings=self.embeddings.copy(), fwd=self.fwd.copy(),
                       bwd=self.bwd.copy(), head_W=self.head_W.copy(), head_b=self.head_b.copy(), notes=[])
        return replace(base, **changes) if changes else base

    # ------------------------------------------------------------ resizing
    def resized(self, d: int | None = None, h_f: int | None = None, h_b: int | None = None,
                q: int | None = None, cell: str | None = None, merge: str | None = None,
                bidirectional: bool | None = None, tie: bool | None = None) -> "Workspace":
        """A copy with new sizes: values that still fit are kept, new entries are filled (and said so)."""
        ws = self.copy()
        d, h_f, h_b, q = d or self.d, h_f or self.h_f, h_b or self.h_b, q or self.q
        cell = cell or self.cell
        ws.merge = merge or self.merge
        ws.bidirectional = self.bidirectional if bidirectional is None else bidirectional
        ws.tie = self.tie if tie is None else tie
        if ws.tie:
            h_b = h_f
        if ws.bidirectional and ws.merge in ("sum", "mul", "ave") and h_b != h_f:
            h_b = h_f
            ws.notes.append(f"Merge '{ws.merge}' needs h_b = h_f: h_b set to {h_f}.")
        notes = ws.notes
        if d != self.d:
            ws.embeddings = _fit(self.embeddings, (len(self.tokens), d))
            notes.append(f"d changed {self.d} → {d}: embeddings and W_f, W_b now have {d} columns "
                         + ("(new columns filled with 0)." if d > self.d else "(the last columns were dropped)."))
        rng = np.random.default_rng(0)
        ws.fwd = _fit_direction(self.fwd, self.cell, cell, d, h_f, rng)
        ws.bwd = _fit_direction(self.bwd, self.cell, cell, d, h_b, rng)
        if cell != self.cell:
            notes.append(f"Cell changed to {cell.upper() if cell != 'rnn' else 'SimpleRNN'}: the first gate block "
                         f"keeps your values, new gate blocks are drawn as PyTorch initialises them (seed 0).")
        ws.cell = cell
        for name, old, new in (("h_f", self.h_f, h_f), ("h_b", self.h_b, h_b)):
            if old != new:
                notes.append(f"{name} changed {old} → {new}: U and b resized, existing values kept, new ones 0.")
        if ws.tie:
            ws.bwd = ws.fwd.copy()
        if (q, ws.m) != self.head_W.shape:
            ws.head_W = _fit(self.head_W, (q, ws.m))
            ws.head_b = _fit(self.head_b, (q,))
            notes.append(f"W_o resized to (q, m) = ({q}, {ws.m}); new entries 0.")
        return ws

    # ------------------------------------------------------------ dict / URL
    def to_dict(self) -> dict:
        arr = lambda a: np.asarray(a).tolist()
        direction = lambda p: {"W": arr(p.W), "U": arr(p.U), "b": arr(p.b), "b_U": arr(p.b_U)}
        out = {"v": URL_VERSION, "tokens": self.tokens, "X": arr(self.embeddings), "cell": self.cell,
               "act": self.activation, "merge": self.merge, "tie": self.tie, "bi": self.bidirectional,
               "fwd": direction(self.fwd), "Wo": arr(self.head_W), "bo": arr(self.head_b),
               "out": self.head_activation, "preset": self.preset}
        if not self.tie:
            out["bwd"] = direction(self.bwd)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Workspace":
        """Validate and build; every problem raises ValidationError saying what to change."""
        if not isinstance(data, dict):
            raise ValidationError("The state must be a JSON object.", field="state")
        if str(data.get("v")) != URL_VERSION:
            raise ValidationError(f"This state is version {data.get('v')!r}; this app reads version "
                                  f"{URL_VERSION}.", field="state")
        tokens = data.get("tokens")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ValidationError("'tokens' must be a list of words.", field="tokens")
        if not 1 <= len(tokens) <= MAX_TOKENS:
            raise ValidationError(f"The state has {len(tokens)} tokens: this page shows 1 to {MAX_TOKENS}.",
                                  field="tokens")
        tokens = [t[:40] for t in tokens]
        cell = _choice(data, "cell", tuple(GATES))
        act = _choice(data, "act", ACTIVATIONS)
        merge = _choice(data, "merge", MERGE_MODES)
        out = _choice(data, "out", HEAD_ACTIVATIONS)
        X = _matrix(data.get("X"), "embeddings")
        if X.shape[0] != len(tokens) or not 1 <= X.shape[1] <= MAX_DIM:
            raise ValidationError(f"The embeddings are {X.shape}: they must be (T, d) = ({len(tokens)}, d) "
                                  f"with 1 ≤ d ≤ {MAX_DIM}.", field="embeddings")
        tie, bi = bool(data.get("tie", False)), bool(data.get("bi", True))
        fwd = _direction(data.get("fwd"), "forward")
        bwd = fwd.copy() if tie else _direction(data.get("bwd"), "backward")
        ws = cls(list(tokens), X, fwd, bwd, _matrix(data.get("Wo"), "W_o"), _vector(data.get("bo"), "b_o"),
                 cell, act, merge, tie, bi, out, str(data.get("preset", ""))[:80])
        for h in (ws.h_f, ws.h_b):
            if not 1 <= h <= MAX_DIM:
                raise ValidationError(f"Hidden sizes must be between 1 and {MAX_DIM} (got {h}).", field="h")
        if not 1 <= ws.q <= MAX_CLASSES:
            raise ValidationError(f"The output layer must have 1 to {MAX_CLASSES} classes (got {ws.q}).",
                                  field="q")
        from birnn_core import validate_model
        validate_model(ws.model(), ws.d)
        return ws

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
            if inflater.unconsumed_tail:
                raise ValidationError("The link's state unpacks to more than the app accepts.", field="url")
            data = json.loads(raw.decode("utf-8"))
        except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError) as e:
            if isinstance(e, ValidationError):
                raise
            raise ValidationError("The link's state is damaged (it does not decode): copy the whole link "
                                  "again.", field="url") from None
        return cls.from_dict(data)


# ---------------------------------------------------------------- helpers

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
    blocks = {"W": [], "U": [], "b": [], "b_U": []}
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
    if v not in allowed:
        raise ValidationError(f"'{key}' is {v!r}: it must be one of {', '.join(allowed)}.", field=key)
    return v


def _numbers(v, name: str, ndim: int) -> np.ndarray:
    """A finite float array of ``ndim`` dimensions (matrix: at most 64 × 64, vector: at most 256)."""
    what, limit = ("a matrix", (64, 64)) if ndim == 2 else ("a list", (256,))
    try:
        a = np.array(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be {what} of numbers.", field=name) from None
    if a.ndim != ndim or a.size == 0 or any(n > m for n, m in zip(a.shape, limit)):
        raise ValidationError(f"{name} must be {what} of at most {' × '.join(map(str, limit))} numbers "
                              f"(got shape {a.shape}).", field=name)
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
    s = what[0]
    W, U = _matrix(v.get("W"), f"W_{s}"), _matrix(v.get("U"), f"U_{s}")
    b = _vector(v.get("b"), f"b_{s}")
    b_U = _vector(v.get("b_U"), f"b_U{s}") if v.get("b_U") is not None else None
    return DirectionParams(W, U, b, b_U)
