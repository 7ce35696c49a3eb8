"""Trace objects: every intermediate term of a run, time-aligned, plus JSON round-trip.

Shapes use B = batch, T = time steps (padded), d = input size, h = hidden size of the
direction, G = gate blocks (1 SimpleRNN, 3 GRU, 4 LSTM: see registry.py), m = merged size, q = classes.
Arrays are indexed [b, t] with t = 0..T-1 standing for the paper's t = 1..T.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import ClassVar

import numpy as np

from .params import DirectionParams
from .registry import get_cell, merge_vectors  # noqa: F401 (merge_vectors: the one merge formula, re-exported)

TRACE_FORMAT = "birnn-trace/1"


@dataclass
class DirectionTrace:
    """One direction of one layer.

    x (B,T,d) inputs; Wx = W x_t (B,T,G*h); Uh = U h_prev (B,T,G*h) without bias;
    pre (B,T,G*h) pre-activations (RNN: W x + b + U h + b_U; LSTM: the same per gate;
    GRU r, z: the same, n: W_n x + b_n + r * (U_n h + b_Un); classic GRU n: W_n x + b_n + U_n (r * h) + b_Un,
    where its Uh holds U_n (r * h_prev) for the n block);
    gates (B,T,G*h) after their nonlinearity (None for SimpleRNN);
    h_prev (B,T,h): the state this direction read at t (h_{t-1} forward, h_{t+1} backward);
    h (B,T,h) the new state; c_prev, c, tanh_c (B,T,h) for LSTM; mask (B,T) real tokens;
    final_h (B,h): h_T forward / h_1 backward (at each sequence's own length); final_c for LSTM.
    """

    name: str
    cell: str
    activation: str
    params: DirectionParams
    x: np.ndarray
    Wx: np.ndarray
    Uh: np.ndarray
    pre: np.ndarray
    h_prev: np.ndarray
    h: np.ndarray
    mask: np.ndarray
    final_h: np.ndarray
    gates: np.ndarray | None = None
    c_prev: np.ndarray | None = None
    c: np.ndarray | None = None
    tanh_c: np.ndarray | None = None
    final_c: np.ndarray | None = None

    @property
    def hidden_size(self) -> int:
        return self.h.shape[-1]

    def gate(self, name: str) -> np.ndarray:
        """(B,T,h) values of gate ``name`` (r/z/n for GRU, i/f/g/o for LSTM)."""
        k, h = get_cell(self.cell).gate_index(name), self.hidden_size
        assert self.gates is not None, "a cell with gates records them"
        return self.gates[..., k * h:(k + 1) * h]

    def order(self, length: int) -> list[int]:
        """Time indices in the order this direction computes them, for a sequence of ``length``."""
        ts = list(range(length))
        return ts if self.name == "forward" else ts[::-1]


@dataclass
class LayerTrace:
    """One layer: its directions and the merged vectors m_t (B,T,m); merged is None for merge 'none'."""

    merge: str
    fwd: DirectionTrace
    bwd: DirectionTrace | None
    merged: np.ndarray | None

    @property
    def directions(self) -> list[DirectionTrace]:
        return [self.fwd] + ([self.bwd] if self.bwd is not None else [])

    def torch_outputs(self):
        """(output (B,T,H_f+H_b), h_n) as nn.RNN(batch_first=True) returns them (padding rows zero).

        h_n is (D,B,H) when both directions have one size H (all PyTorch can build), else a list."""
        out = np.concatenate([d.h for d in self.directions], axis=-1)
        finals = [d.final_h for d in self.directions]
        same = len({f.shape for f in finals}) == 1
        return out, (np.stack(finals) if same else finals)

    def keras_outputs(self, return_sequences: bool = True, return_state: bool = False):
        """What Keras' Bidirectional(RNN(...)) returns: the merged sequence (B,T,m) or the merged
        last outputs (B,m) = merge(h_T^fwd, h_1^bwd); with return_state, followed by the states
        [h_fwd, (c_fwd,) h_bwd, (c_bwd,)]."""
        if return_sequences:
            out = self.merged if self.merged is not None else [d.h for d in self.directions]
        else:
            out = merge_vectors(self.merge, *[d.final_h for d in self.directions])
        if not return_state:
            return out
        states = []
        for d in self.directions:
            states += [d.final_h] + ([d.final_c] if d.final_c is not None else [])
        return [out] + states


class JsonRecord:
    """JSON for a dataclass of arrays: ``FORMAT`` names the format (checked on reading), ``NESTED``
    maps a field name to the dataclass of its value(s)."""

    FORMAT: ClassVar[str]
    NESTED: ClassVar[dict]

    def to_dict(self) -> dict:
        return {"format": self.FORMAT, **encode_dataclass(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict):
        if data.get("format") != cls.FORMAT:
            raise ValueError(f"Not a {cls.__name__} in format {cls.FORMAT} (got {data.get('format')!r}).")
        return decode_dataclass(cls, data, cls.NESTED)

    @classmethod
    def from_json(cls, text: str):
        return cls.from_dict(json.loads(text))


@dataclass
class ModelTrace(JsonRecord):
    """A whole run: inputs X (B,T,d), lengths (B,), every layer, and the head's logits/probs (B,T,q)."""

    FORMAT = TRACE_FORMAT
    X: np.ndarray
    lengths: np.ndarray
    layers: list[LayerTrace]
    logits: np.ndarray | None = None
    probs: np.ndarray | None = None
    head_activation: str | None = None
    tokens: list = field(default_factory=list)

    @property
    def output(self):
        """The last layer's merged outputs (B,T,m) (or [h_fwd, h_bwd] for merge 'none')."""
        last = self.layers[-1]
        return last.merged if last.merged is not None else [d.h for d in last.directions]



_NESTED = {"layers": LayerTrace, "fwd": DirectionTrace, "bwd": DirectionTrace, "params": DirectionParams}
ModelTrace.NESTED = _NESTED


def encode_dataclass(obj) -> dict:
    """A JSON-ready dict of a dataclass: arrays as {dtype, data}, nested dataclasses as dicts."""
    out: dict[str, object] = {}
    for f in fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, np.ndarray):
            out[f.name] = {"dtype": str(v.dtype), "data": v.tolist()}
        elif isinstance(v, list) and v and hasattr(v[0], "__dataclass_fields__"):
            out[f.name] = [encode_dataclass(x) for x in v]
        elif hasattr(v, "__dataclass_fields__"):
            out[f.name] = encode_dataclass(v)
        else:
            out[f.name] = v
    return out


def decode_dataclass(cls, data: dict, nested: dict | None = None):
    """``cls`` from encode_dataclass's dict; ``nested``: field name -> dataclass of its value(s)."""
    nested = _NESTED if nested is None else nested
    kwargs = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        v = data[f.name]
        if isinstance(v, dict) and "dtype" in v and "data" in v:
            v = np.array(v["data"], dtype=v["dtype"])
        elif f.name in nested and isinstance(v, list):
            v = [decode_dataclass(nested[f.name], x, nested) for x in v]
        elif f.name in nested and isinstance(v, dict):
            v = decode_dataclass(nested[f.name], v, nested)
        kwargs[f.name] = v
    return cls(**kwargs)
