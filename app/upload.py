"""Read a person's uploaded recurrent model (and its vocabulary) into the core's parameters.

Pure Python + NumPy (no Streamlit, no torch): nothing uploaded is ever unpickled.

Formats read:

- A PyTorch ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` state_dict, saved as ``.safetensors``
  (``safetensors.torch.save_file(model.state_dict(), "model.safetensors")``) or ``.npz``
  (``np.savez("model.npz", **{k: v.numpy() for k, v in model.state_dict().items()})``). Keys may carry
  a module prefix ("rnn.weight_ih_l0"). The same file may hold an ``nn.Embedding`` (V, d) before the
  recurrent module and an ``nn.Linear`` (q, m) after it, told apart by shape (the embedding has d
  columns, the Linear m = the recurrent output size) and, where the shapes fit both, by name.
  The cell comes from the shapes: weight_hh (G*h, h) with G = 1 (nn.RNN), 3 (nn.GRU), 4 (nn.LSTM).
- Keras 3 weights as ``.npz`` keyed by each variable's path (``KERAS_NPZ_LINE``), e.g.
  "sequential/bidirectional/forward_lstm/lstm_cell/kernel", "sequential/dense/kernel",
  "sequential/embedding/embeddings". The recurrent layers are taken in the file's order (the model's
  layer order); a GRU's bias shape tells reset_after (2, 3h) from reset_before (3h,).

What weights cannot tell is a parameter of :func:`read_model`: nn.RNN's / SimpleRNN's ``activation``,
the Bidirectional ``merge`` (one for every layer) and the output layer's ``head_activation``.
Every refusal is a :class:`ValidationError` that says what to change.
"""
from __future__ import annotations

import io
import json
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.workspace import MAX_CLASSES, MAX_DIM, MAX_LAYERS, MAX_TOKENS, load_json, token_problem
from birnn_core import (HeadParams, LayerParams, ModelParams, ValidationError, from_keras, get_activation,
                        get_cell, get_merge, keras_cell, layers_from_torch_state_dict, validate_model)
from birnn_core.registry import cells, get_head_activation, merges

MAX_UPLOAD_BYTES = 8 * 2**20          # a 100,000 x 16 float32 embedding (6.4 MB) and a full-size model fit
MAX_UNPACKED_BYTES = 4 * MAX_UPLOAD_BYTES
MAX_MEMBERS = 256
MAX_VOCAB_TOKENS = 100_000
MAX_VOCAB_BYTES = 4 * 2**20
MAX_HEADER_BYTES = 2**20

KERAS_NPZ_LINE = 'np.savez("model.npz", **{w.path: w.numpy() for w in model.weights})'
PICKLE_EXTENSIONS = (".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".joblib")
KERAS_EXTENSIONS = (".keras", ".h5", ".hdf5")
_FLOAT_KINDS = "f"
_SAFETENSORS_FLOATS = {"F16": 2, "F32": 4, "F64": 8}

_SMALLER = (f"the explainer shows at most {MAX_LAYERS} recurrent layers, input and hidden sizes up to {MAX_DIM} "
            f"and up to {MAX_CLASSES} output classes: train a smaller model and upload that")


@dataclass
class UploadedModel:
    """An uploaded network in the core's layout.

    layers: 1..MAX_LAYERS LayerParams sharing cell and activation (merge: the given one on every
    bidirectional layer); head: W (q, m), b (q,) or None; embeddings: (V, d) or None;
    source: what was read, in words, for the page to show."""

    layers: list[LayerParams]
    head: HeadParams | None
    embeddings: np.ndarray | None
    source: str

    @property
    def model(self) -> ModelParams:
        return ModelParams(self.layers, self.head)


def _refuse(message: str, field: str = "upload") -> ValidationError:
    return ValidationError(message, field=field)


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n:,} bytes"


def _listing(keys, limit: int = 8) -> str:
    keys = list(keys)
    shown = ", ".join(repr(k) for k in keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


# ---------------------------------------------------------------- files -> arrays

def _pickle_message(name: str) -> str:
    return (f"{name!r} is a pickle file, and this app never unpickles uploads (unpickling runs code). Save the "
            f"model's state_dict as safetensors (pip install safetensors), where `model` is your network, and upload "
            f"model.safetensors:\n\n"
            f"    from safetensors.torch import save_file\n"
            f"    model.load_state_dict(torch.load({json.dumps(name)}, weights_only=True))\n"
            f"    save_file(model.state_dict(), \"model.safetensors\")\n\n"
            f"(Right after training, the last line alone does it.)")


def _extension(name: str) -> str:
    lower = name.lower()
    if lower.endswith(PICKLE_EXTENSIONS):
        raise _refuse(_pickle_message(name))
    if lower.endswith(KERAS_EXTENSIONS):
        raise _refuse(f"{name!r} is a Keras model file, which this app does not read (it reads .safetensors and "
                      f".npz): save the weights as .npz with `{KERAS_NPZ_LINE}` (import numpy as np) and upload "
                      f"model.npz.")
    for ext in (".safetensors", ".npz"):
        if lower.endswith(ext):
            return ext
    raise _refuse(f"{name!r} is not a file this app reads: upload a PyTorch state_dict as .safetensors or .npz, "
                  f"or Keras weights as .npz ({KERAS_NPZ_LINE}).")


def read_arrays(name: str, data: bytes) -> dict[str, np.ndarray]:
    """The named arrays in an uploaded .safetensors or .npz file (by ``name``'s extension), as float64,
    in the file's order. Refuses pickles, other formats, empty, oversized, damaged or unpacking-too-large
    files, non-float arrays and NaN / inf values."""
    ext = _extension(name)
    if not data:
        raise _refuse(f"{name!r} is empty: upload the saved file again.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse(f"{name!r} is {_size(len(data))}: this app reads files up to {_size(MAX_UPLOAD_BYTES)}. Save "
                      f"float32 weights (model.float()); if it is still too large, {_SMALLER}.")
    raw = _read_safetensors(name, data) if ext == ".safetensors" else _read_npz(name, data)
    if not raw:
        raise _refuse(f"{name!r} holds no arrays: save the model's weights into it.")
    return {key: _float_array(name, key, a) for key, a in raw.items()}


def _float_array(name: str, key: str, a: np.ndarray) -> np.ndarray:
    if a.dtype.kind not in _FLOAT_KINDS:
        raise _refuse(f"{key!r} in {name!r} holds {a.dtype} values: the explainer reads float weights only. Save "
                      f"only the float parameters (e.g. model.float().state_dict(), without integer buffers).")
    out = a.astype(np.float64)
    if not np.all(np.isfinite(out)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
        raise _refuse(f"{key!r} in {name!r} holds {out[where]} at {list(where)}: every weight must be a finite "
                      f"number. Check the training (a NaN loss leaves NaN weights) and save the model again.")
    return out


def _damaged(name: str, what: str) -> ValidationError:
    return _refuse(f"{name!r} is not a readable {what} file (it is damaged or cut short): save it again and upload "
                   f"the whole file.")


def _read_safetensors(name: str, data: bytes) -> dict[str, np.ndarray]:
    import safetensors.numpy
    from safetensors import SafetensorError

    _check_safetensors_header(name, data)
    try:
        return dict(safetensors.numpy.load(data))
    except (SafetensorError, KeyError, ValueError):
        raise _damaged(name, "safetensors") from None


def _check_safetensors_header(name: str, data: bytes) -> None:
    """The header's own claims (length, dtypes, offsets) against the file, before the library reads it."""
    if len(data) < 8:
        raise _damaged(name, "safetensors")
    (n,) = struct.unpack("<Q", data[:8])
    if n > min(len(data) - 8, MAX_HEADER_BYTES):
        raise _refuse(f"{name!r} claims a {n:,}-byte header in a {len(data):,}-byte file: it is damaged or not a "
                      f"safetensors file. Save it again with safetensors' save_file.")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _damaged(name, "safetensors") from None
    if not isinstance(header, dict):
        raise _damaged(name, "safetensors")
    for key, info in header.items():
        if key != "__metadata__":
            _check_safetensors_entry(name, key, info, len(data) - 8 - n)


def _check_safetensors_entry(name: str, key: str, info, body: int) -> None:
    if not isinstance(info, dict):
        raise _damaged(name, "safetensors")
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if dtype not in _SAFETENSORS_FLOATS:
        raise _refuse(f"{key!r} in {name!r} holds {dtype} values: the explainer reads float16/32/64 weights only. "
                      f"Save model.float().state_dict() (float32), without integer buffers.")
    if not (isinstance(shape, list) and all(isinstance(s, int) and s >= 0 for s in shape)
            and isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)
            and 0 <= offsets[0] <= offsets[1] <= body
            and offsets[1] - offsets[0] == _SAFETENSORS_FLOATS[dtype] * _count(shape)):
        raise _refuse(f"The header of {name!r} gives {key!r} a shape and byte range ({shape}, {offsets}) that do "
                      f"not fit the file's {body:,} data bytes: it is damaged. Save it again.")


def _count(shape) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def _read_npz(name: str, data: bytes) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            _check_members(name, infos)
            return {info.filename[:-4]: _read_npy(name, info.filename[:-4], _member(zf, info)) for info in infos}
    except ValidationError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError,
            struct.error):
        raise _damaged(name, ".npz (zip)") from None


def _check_members(name: str, infos: list[zipfile.ZipInfo]) -> None:
    """Count, names and declared unpacked sizes, before anything is unpacked."""
    if len(infos) > MAX_MEMBERS:
        raise _refuse(f"{name!r} holds {len(infos):,} arrays: a model the explainer shows has far fewer (at most "
                      f"{MAX_MEMBERS}). Save only the model's weights.")
    total = sum(info.file_size for info in infos)
    if total > MAX_UNPACKED_BYTES:
        raise _refuse(f"{name!r} unpacks to {_size(total)}: this app unpacks at most {_size(MAX_UNPACKED_BYTES)} "
                      f"({_SMALLER}).")
    names = [info.filename for info in infos]
    odd = [n for n in names if not n.endswith(".npy")]
    if odd or len(set(names)) != len(names):
        what = f"it holds {_listing(odd)}" if odd else "it repeats a name"
        raise _refuse(f"{name!r} is not an .npz written by np.savez ({what}): save it with "
                      f"np.savez(\"model.npz\", **arrays).")


def _member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with zf.open(info) as f:
        raw = f.read(info.file_size + 1)
    if len(raw) != info.file_size:
        raise zipfile.BadZipFile(info.filename)
    return raw


def _read_npy(name: str, key: str, raw: bytes) -> np.ndarray:
    fp = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(fp)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}[version]
        shape, _, dtype = read_header(fp)
    except (ValueError, KeyError, EOFError):
        raise _damaged(name, ".npz") from None
    if dtype.hasobject:
        raise _refuse(f"{key!r} in {name!r} is an object array (a pickle), which this app never loads: save plain "
                      f"float arrays, e.g. {{k: v.numpy() for k, v in model.state_dict().items()}}.")
    if len(raw) - fp.tell() != dtype.itemsize * _count(shape):
        raise _damaged(name, ".npz")
    try:
        return np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
    except ValueError:
        raise _damaged(name, ".npz") from None


# ---------------------------------------------------------------- shared checks

def _fits(arrays: dict, key: str, shape: tuple, why: str) -> np.ndarray:
    a = arrays[key]
    if a.shape != shape:
        raise _refuse(f"{key!r} has shape {a.shape} but {why}, so it must be {shape}: is the file one model, saved "
                      f"whole?", field="shape")
    return a


def _cell_for(G: int, key: str, shape: tuple, framework: str) -> str:
    """The registered cell with G gate blocks that ``framework`` ('torch' / 'keras') stores."""
    names = {c.n_blocks: c.name for c in cells() if getattr(c, framework) is not None}
    if G not in names:
        kinds = ", ".join(f"{G_} ({get_cell(n).display})" for G_, n in sorted(names.items()))
        raise _refuse(f"{key!r} has shape {shape}: its {'rows' if framework == 'torch' else 'columns'} must be G "
                      f"times the hidden size with G = {kinds}. Is this a recurrent layer's weight?", field="cell")
    return names[G]


def _same_cell(found: list[tuple[int, str]]) -> str:
    """The one cell of (layer number, cell) pairs."""
    first = found[0][1]
    for l, cell in found:
        if cell != first:
            raise _refuse(f"Layer 1's cell is {get_cell(first).display} but layer {l}'s is {get_cell(cell).display}: "
                          f"the explainer shows stacks of one cell. Upload a model whose layers share one cell.",
                          field="cell")
    return first


def _merge_hint(layer: LayerParams, size: int) -> str:
    if not layer.bidirectional:
        return ""
    fit = [m.name for m in merges() if m.single and m.name != layer.merge and m.size(*layer.hidden_sizes) == size]
    return f"; {size} features fit merge {' or '.join(map(repr, fit))}" if fit else ""


def _check_limits(layers: list[LayerParams], head: HeadParams | None) -> None:
    if len(layers) > MAX_LAYERS:
        raise _refuse(f"The model has {len(layers)} recurrent layers: {_SMALLER}.", field="layers")
    d = layers[0].fwd.input_size
    if not 1 <= d <= MAX_DIM:
        raise _refuse(f"The model reads inputs of size d = {d}: {_SMALLER}.", field="d")
    for l, layer in enumerate(layers):
        if max(layer.hidden_sizes) > MAX_DIM:
            raise _refuse(f"Layer {l + 1} has hidden size {max(layer.hidden_sizes)}: {_SMALLER}.", field="h")
    if head is not None and head.W.shape[0] > MAX_CLASSES:
        raise _refuse(f"The output layer has {head.W.shape[0]} classes: {_SMALLER}.", field="q")


def _unused(keys, hint: str = "") -> None:
    if keys:
        raise _refuse(f"The file holds weights the explainer cannot place: {_listing(keys)}{hint}. It reads one "
                      f"recurrent network, an optional embedding before it and an optional output layer after it: "
                      f"{'choose that merge, or ' if hint else ''}save only those.", field="keys")


def _one(found: Sequence[tuple[str, ...]], what: str) -> tuple[str, ...] | None:
    if len(found) > 1:
        raise _refuse(f"Several entries could be the {what}: {_listing(k for keys in found for k in keys)}. Save "
                      f"only the one the model uses.", field="keys")
    return found[0] if found else None


# ---------------------------------------------------------------- arrays -> model

def read_model(name: str, data: bytes, activation: str = "tanh", merge: str = "concat",
               head_activation: str = "softmax", reset_after: bool | None = None) -> UploadedModel:
    """The recurrent network in an uploaded file (see the module docstring for the formats).

    ``activation``: nn.RNN's nonlinearity / SimpleRNN's activation (the gated cells ignore it);
    ``merge``: how every Bidirectional layer merges its directions (a stacked bidirectional PyTorch
    module concatenates between its layers, so it takes concat only); ``head_activation``: the output layer's g; ``reset_after``: a bias-free Keras GRU's variant
    (its bias shape tells otherwise; default Keras' True)."""
    get_activation(activation)
    get_merge(merge)
    get_head_activation(head_activation)
    arrays = read_arrays(name, data)
    if any(k.rsplit("/", 1)[-1] == "recurrent_kernel" for k in arrays):
        up = _keras_model(arrays, activation, merge, head_activation, reset_after)
    elif any(_TORCH_KEY.fullmatch(k) for k in arrays):
        up = _torch_model(arrays, activation, merge, head_activation)
    else:
        raise _refuse(f"{name!r} holds no recurrent layer: found {_listing(arrays)}. Upload an nn.RNN / nn.GRU / "
                      f"nn.LSTM state_dict (keys like 'weight_ih_l0') or Keras weights saved with {KERAS_NPZ_LINE}.",
                      field="keys")
    _check_limits(up.layers, up.head)
    validate_model(up.model)
    return up


def _describe(framework: str, layers: list[LayerParams], head, emb, extra: str = "") -> str:
    n, bi = len(layers), layers[0].bidirectional
    parts = [f"{framework}{extra}, {n} layer{'s' if n > 1 else ''}",
             f"bidirectional (merge {layers[-1].merge})" if bi else "unidirectional"]
    if get_cell(layers[0].cell).uses_activation:
        parts.append(f"activation {layers[0].activation}")
    if emb is not None:
        parts.append(f"embedding {emb.shape[0]:,} × {emb.shape[1]}")
    if head is not None:
        parts.append(f"output layer {head.W.shape[0]} classes ({head.activation})")
    return ", ".join(parts)


# ---- PyTorch

_TORCH_KEY = re.compile(r"(?P<prefix>.*?)(?P<kind>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(?P<layer>\d+)"
                        r"(?P<reverse>_reverse)?")
_EMBEDDING_NAMES = ("emb", "lookup", "wte")
_HEAD_NAMES = ("fc", "linear", "out", "head", "classif", "dense", "proj", "decoder", "tag", "logit", "cls")


def _torch_keys(arrays: dict) -> tuple[str, int, bool]:
    """(prefix, number of layers, bidirectional) of the one recurrent module, its keys all present."""
    found = {m: key for key in arrays if (m := _TORCH_KEY.fullmatch(key))}
    prefixes = sorted({m["prefix"] for m in found})
    if len(prefixes) > 1:
        raise _refuse(f"The file holds several recurrent modules (key prefixes {_listing(prefixes)}): the explainer "
                      f"shows one. Save that module's keys only.", field="keys")
    prefix = prefixes[0]
    if any(m["kind"] == "weight_hr" for m in found):
        raise _refuse("The file holds weight_hr keys: an nn.LSTM with proj_size, which the explainer does not show. "
                      "Train it with proj_size=0.", field="keys")
    L = max(int(m["layer"]) for m in found) + 1
    bi = any(m["reverse"] for m in found)
    bias = any(m["kind"].startswith("bias") for m in found)
    kinds = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if bias else ())
    want = [f"{prefix}{k}_l{l}{r}" for l in range(L) for r in ("", "_reverse")[: 1 + bi] for k in kinds]
    missing = [k for k in want if k not in arrays]
    if missing:
        raise _refuse(f"The file has no {_listing(missing)}: a {L}-layer {'bidirectional ' if bi else ''}module needs "
                      f"weight_ih, weight_hh{' and both biases' if bias else ''} for every layer and direction. Save "
                      f"the whole state_dict.", field="keys")
    return prefix, L, bi


def _torch_cell(arrays: dict, prefix: str, L: int, bi: bool) -> str:
    """The cell, after checking every direction's shapes against the layer below."""
    U0 = arrays[f"{prefix}weight_hh_l0"]
    if U0.ndim != 2 or U0.shape[1] < 1 or U0.shape[0] % U0.shape[1]:
        raise _refuse(f"{prefix + 'weight_hh_l0'!r} has shape {U0.shape}: it must be (G·h, h).", field="shape")
    W0 = arrays[f"{prefix}weight_ih_l0"]
    if W0.ndim != 2:
        raise _refuse(f"{prefix + 'weight_ih_l0'!r} has shape {W0.shape}: it must be a (G·h, d) matrix.", field="shape")
    cell = _cell_for(U0.shape[0] // U0.shape[1], f"{prefix}weight_hh_l0", U0.shape, "torch")
    G, h, d = get_cell(cell).n_blocks, U0.shape[1], W0.shape[1]
    module = f"{_torch_module(cell)} with hidden size {h}"
    for l in range(L):
        for r in ("", "_reverse")[: 1 + bi]:
            key = lambda kind: f"{prefix}{kind}_l{l}{r}"
            _fits(arrays, key("weight_hh"), (G * h, h), f"the file is an {module} ({G} blocks of h rows)")
            _fits(arrays, key("weight_ih"), (G * h, d), f"an {module} has {G}·h rows, and its layer {l + 1} reads "
                                                       f"{d} features")
            for kind in ("bias_ih", "bias_hh"):
                if key(kind) in arrays:
                    _fits(arrays, key(kind), (G * h,), f"an {module} has {G}·h biases")
        d = h * (1 + bi)
    return cell


def _torch_module(cell: str) -> str:
    layout = get_cell(cell).torch
    return f"nn.{layout.module}" if layout is not None else get_cell(cell).display


def _torch_model(arrays: dict, activation: str, merge: str, head_activation: str) -> UploadedModel:
    prefix, L, bi = _torch_keys(arrays)
    cell = _torch_cell(arrays, prefix, L, bi)
    spec = get_cell(cell)
    if spec.uses_activation and get_activation(activation).torch is None:
        raise _refuse(f"nn.RNN computes tanh or relu, not {activation!r}: choose one of those.", field="activation")
    if bi and L > 1 and merge != "concat":
        raise _refuse(f"PyTorch feeds each layer of a stacked bidirectional {_torch_module(cell)} both directions "
                      f"concatenated, and the explainer uses one merge for every layer: choose merge 'concat' (or "
                      f"upload a one-layer model to merge by {merge!r}).", field="merge")
    layers = layers_from_torch_state_dict(arrays, cell, L, bi, prefix, activation if spec.uses_activation else "tanh",
                                          merge if bi else "concat")
    _check_limits(layers, None)
    rnn_keys = {k for k in arrays if k.startswith(prefix) and _TORCH_KEY.fullmatch(k)}
    rest = {k: v for k, v in arrays.items() if k not in rnn_keys}
    head, emb, used = _torch_extras(rest, layers, head_activation)
    _unused([k for k in rest if k not in used],
            "".join(_merge_hint(layers[-1], rest[k].shape[1]) for k in rest if k not in used and rest[k].ndim == 2))
    return UploadedModel(layers, head, emb, _describe(f"PyTorch {_torch_module(cell)}", layers, head, emb))


def _named(key: str, names: tuple[str, ...]) -> bool:
    return any(n in key.lower() for n in names)


def _torch_extras(rest: dict, layers: list[LayerParams], head_activation: str):
    """(head, embedding, keys used) among the keys outside the recurrent module."""
    d, m = layers[0].fwd.input_size, layers[-1].output_size
    heads, embs = [], []
    for key, W in rest.items():
        if not key.endswith("weight") or W.ndim != 2:
            continue
        b_key = key[: -len("weight")] + "bias"
        b = rest.get(b_key)
        as_head = W.shape[1] == m and (b is None or b.shape == (W.shape[0],))
        as_emb = W.shape[1] == d and b is None
        if as_head and as_emb:
            as_head, as_emb = not _named(key, _EMBEDDING_NAMES), not _named(key, _HEAD_NAMES)
        if as_head and as_emb:
            raise _refuse(f"{key!r} {W.shape} could be the embedding (d = {d} columns) or the output layer (m = {m} "
                          f"inputs): rename it to 'embedding.weight' or 'fc.weight' (sd['fc.weight'] = "
                          f"sd.pop({key!r})) and save again.", field="keys")
        if as_head:
            heads.append((key,) + ((b_key,) if b is not None else ()))
        elif as_emb:
            embs.append((key,))
    head_keys, emb_keys = _one(heads, "output layer (nn.Linear)"), _one(embs, "embedding (nn.Embedding)")
    head = None if head_keys is None else HeadParams(
        rest[head_keys[0]], rest[head_keys[1]] if len(head_keys) > 1 else np.zeros(rest[head_keys[0]].shape[0]),
        head_activation)
    emb = None if emb_keys is None else rest[emb_keys[0]]
    return head, emb, set(head_keys or ()) | set(emb_keys or ())


# ---- Keras

def _keras_groups(arrays: dict) -> dict[str, dict[str, str]]:
    """parent path -> {leaf name: key}, in the file's order."""
    groups: dict[str, dict[str, str]] = {}
    for key in arrays:
        parent, _, leaf = key.rpartition("/")
        groups.setdefault(parent, {})[leaf] = key
    return groups


def _keras_layer_id(parent: str) -> tuple[str, str]:
    """('sequential/bidirectional', 'backward') for 'sequential/bidirectional/backward_lstm/lstm_cell'."""
    parts = parent.split("/")
    for i in range(len(parts) - 1, max(len(parts) - 3, -1), -1):
        for direction in ("forward", "backward"):
            if parts[i].startswith(direction + "_"):
                return "/".join(parts[:i]), direction
    return parent, "forward"


def _keras_direction(arrays: dict, leaves: dict, reset_after: bool | None) -> tuple[str, dict]:
    """(cell, {kernel, recurrent_kernel, bias}) of one Keras recurrent cell, shapes checked."""
    rec_key, kernel_key = leaves["recurrent_kernel"], leaves.get("kernel")
    R = arrays[rec_key]
    if R.ndim != 2 or R.shape[0] < 1 or R.shape[1] % R.shape[0]:
        raise _refuse(f"{rec_key!r} has shape {R.shape}: it must be (h, G·h).", field="shape")
    h = R.shape[0]
    kind = get_cell(_cell_for(R.shape[1] // h, rec_key, R.shape, "keras")).keras.layer
    bias = arrays[leaves["bias"]] if "bias" in leaves else None
    if kind == "GRU" and bias is not None:
        if reset_after is not None and reset_after != (bias.ndim == 2):
            raise _refuse(f"{leaves['bias']!r} has shape {bias.shape}, a GRU with reset_after={bias.ndim == 2}, but "
                          f"reset_after={reset_after} was chosen: choose {bias.ndim == 2}.", field="reset_after")
        reset_after = bias.ndim == 2
    cell = keras_cell(kind, {} if kind != "GRU" else {"reset_after": True if reset_after is None else reset_after})
    if kernel_key is None:
        raise _refuse(f"The file has {rec_key!r} but no kernel beside it: save every weight of the model.",
                      field="keys")
    Gh, K = R.shape[1], arrays[kernel_key]
    if K.ndim != 2:
        raise _refuse(f"{kernel_key!r} has shape {K.shape}: it must be a (d, {Gh}) matrix.", field="shape")
    _fits(arrays, kernel_key, (K.shape[0], Gh), f"{rec_key!r} has {Gh} columns")
    if bias is not None:
        want = (2, Gh) if get_cell(cell).keras.split_bias else (Gh,)
        _fits(arrays, leaves["bias"], want, f"a Keras {kind} with {Gh} gate columns has that bias")
    return cell, {"kernel": arrays[kernel_key], "recurrent_kernel": R, "bias": bias}


def _keras_layers(arrays: dict, groups: dict, reset_after: bool | None) -> list[dict]:
    """[{'forward': (cell, weights), 'backward': ...}] per recurrent layer, in the file's order."""
    layers: dict[str, dict] = {}
    for parent, leaves in groups.items():
        if "recurrent_kernel" in leaves:
            layer_id, direction = _keras_layer_id(parent)
            if direction in layers.setdefault(layer_id, {}):
                raise _refuse(f"The file holds two {direction} cells under {layer_id!r}: save it with "
                              f"{KERAS_NPZ_LINE}.", field="keys")
            layers[layer_id][direction] = _keras_direction(arrays, leaves, reset_after)
    for layer_id, dirs in layers.items():
        if "forward" not in dirs:
            raise _refuse(f"{layer_id!r} holds a backward cell but no forward one: save every weight of the model.",
                          field="keys")
    return list(layers.values())


def _keras_stack(found: list[dict], activation: str, merge: str) -> list[LayerParams]:
    cell = _same_cell([(l, c) for l, dirs in enumerate(found, start=1) for c, _ in dirs.values()])
    act = activation if get_cell(cell).uses_activation else "tanh"
    layers: list[LayerParams] = []
    for l, dirs in enumerate(found):
        fwd = from_keras(**dirs["forward"][1], cell=cell)
        bwd = from_keras(**dirs["backward"][1], cell=cell) if "backward" in dirs else None
        layer = LayerParams(cell, fwd, bwd, act, merge if bwd is not None else "concat")
        if layers and fwd.input_size != layers[-1].output_size:
            raise _refuse(f"Layer {l + 1}'s kernel reads {fwd.input_size} features but layer {l} hands on "
                          f"{layers[-1].output_size} with merge {layers[-1].merge!r}"
                          f"{_merge_hint(layers[-1], fwd.input_size)}: choose the merge_mode the model was built "
                          f"with.", field="merge")
        layers.append(layer)
    return layers


def _keras_model(arrays: dict, activation: str, merge: str, head_activation: str,
                 reset_after: bool | None) -> UploadedModel:
    groups = _keras_groups(arrays)
    layers = _keras_stack(_keras_layers(arrays, groups, reset_after), activation, merge)
    _check_limits(layers, None)
    d, m = layers[0].fwd.input_size, layers[-1].output_size
    dense = [g for g in groups.values() if "recurrent_kernel" not in g and "kernel" in g]
    heads = [(g["kernel"],) + ((g["bias"],) if "bias" in g else ()) for g in dense
             if arrays[g["kernel"]].ndim == 2 and arrays[g["kernel"]].shape[0] == m]
    embs = [(g["embeddings"],) for g in groups.values() if "embeddings" in g
            and arrays[g["embeddings"]].ndim == 2 and arrays[g["embeddings"]].shape[1] == d]
    head_keys, emb_keys = _one(heads, "output layer (Dense)"), _one(embs, "embedding (Embedding)")
    head = None if head_keys is None else _keras_head(arrays, head_keys, head_activation)
    emb = None if emb_keys is None else arrays[emb_keys[0]]
    used = {k for g in groups.values() if "recurrent_kernel" in g for k in g.values()}
    used |= set(head_keys or ()) | set(emb_keys or ())
    left = [k for k in arrays if k not in used]
    _unused(left, "".join(_merge_hint(layers[-1], arrays[k].shape[0]) for k in left
                          if k.endswith("kernel") and arrays[k].ndim == 2))
    spec = get_cell(layers[0].cell)
    extra = "".join(f" ({k}={v})" for k, v in spec.keras.config.items())
    return UploadedModel(layers, head, emb, _describe(f"Keras {spec.keras.layer}", layers, head, emb, extra))


def _keras_head(arrays: dict, keys: tuple[str, ...], head_activation: str) -> HeadParams:
    kernel = arrays[keys[0]]
    if len(keys) == 1:
        return HeadParams(kernel.T, np.zeros(kernel.shape[1]), head_activation)
    bias = _fits(arrays, keys[1], (kernel.shape[1],), f"the Dense kernel has {kernel.shape[1]} units")
    return HeadParams(kernel.T, bias, head_activation)


# ---------------------------------------------------------------- vocabulary

def read_vocabulary(name: str, data: bytes) -> list[str]:
    """The tokens of an uploaded vocabulary, row i of the embedding matrix being token i: a .txt file
    (UTF-8, one token per line) or a .json list of strings (or {token: index} with indices 0..V-1)."""
    lower = name.lower()
    if not lower.endswith((".txt", ".json")):
        raise _refuse(f"{name!r} is not a vocabulary file this app reads: upload a .txt (one token per line) or a "
                      f".json list of tokens.", field="vocabulary")
    if not data:
        raise _refuse(f"{name!r} is empty: it must list one token per row of the embedding matrix.",
                      field="vocabulary")
    if len(data) > MAX_VOCAB_BYTES:
        raise _refuse(f"{name!r} is {_size(len(data))}: this app reads vocabularies up to {_size(MAX_VOCAB_BYTES)} "
                      f"and {MAX_VOCAB_TOKENS:,} tokens.", field="vocabulary")
    tokens, unit = (_json_tokens(name, data), "entry") if lower.endswith(".json") else (_text_tokens(name, data), "line")
    if len(tokens) > MAX_VOCAB_TOKENS:
        raise _refuse(f"{name!r} lists {len(tokens):,} tokens: this app reads up to {MAX_VOCAB_TOKENS:,}.",
                      field="vocabulary")
    _check_tokens(name, tokens, unit)
    return tokens


def _text_tokens(name: str, data: bytes) -> list[str]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise _refuse(f"Line {line} of {name!r} is not UTF-8 text: save the vocabulary as UTF-8.",
                      field="vocabulary") from None
    lines = text.split("\n")
    return [line.removesuffix("\r") for line in (lines[:-1] if text.endswith("\n") else lines)]


def _json_tokens(name: str, data: bytes) -> list[str]:
    v = load_json(data, f"The vocabulary {name!r}")
    if isinstance(v, dict) and all(isinstance(i, int) and not isinstance(i, bool) for i in v.values()) \
            and sorted(v.values()) == list(range(len(v))):
        v = sorted(v, key=v.__getitem__)
    if not isinstance(v, list) or not all(isinstance(t, str) for t in v):
        raise _refuse(f"{name!r} must hold a JSON list of tokens (strings), row i of the embedding being token i, "
                      f"or {{token: index}} with indices 0 to V - 1.", field="vocabulary")
    return v


def _check_tokens(name: str, tokens: list[str], unit: str) -> None:
    seen: dict[str, int] = {}
    for i, token in enumerate(tokens, start=1):
        where = f"{unit.capitalize()} {i} of {name!r}"
        if not token.strip():
            raise _refuse(f"{where} is empty: every {unit} must hold one token (remove blank lines).",
                          field="vocabulary")
        if any(c.isspace() or unicodedata.category(c) == "Cc" for c in token):
            raise _refuse(f"{where} holds {json.dumps(token)}, with spaces or control characters: one token per "
                          f"{unit}, nothing else (no counts or indices).", field="vocabulary")
        if token in seen:
            raise _refuse(f"{where} repeats {token!r} ({unit} {seen[token]}): every token must appear once, in the "
                          f"embedding's row order.", field="vocabulary")
        seen[token] = i


def embed_tokens(tokens: list[str], vocabulary: list[str], E: np.ndarray) -> np.ndarray:
    """X (T, d): row t is E[vocabulary.index(tokens[t])], for E (V, d) and V = len(vocabulary).
    An unknown token is refused by name (there is no silent <unk>)."""
    E = np.asarray(E, dtype=np.float64)
    if E.ndim != 2 or E.shape[0] != len(vocabulary):
        raise _refuse(f"The vocabulary lists {len(vocabulary):,} tokens but the embedding matrix is {E.shape}: it "
                      f"needs one row per token. Upload the vocabulary the model was trained with.",
                      field="vocabulary")
    if not 1 <= len(tokens) <= MAX_TOKENS:
        raise _refuse(f"The sentence has {len(tokens)} tokens: type 1 to {MAX_TOKENS}.", field="tokens")
    for t, token in enumerate(tokens, start=1):
        problem = token_problem(token, t)
        if problem:
            raise _refuse(problem, field="tokens")
    index = {w: i for i, w in enumerate(vocabulary)}
    unknown = list(dict.fromkeys(t for t in tokens if t not in index))
    if unknown:
        raise _refuse(_unknown_message(unknown, index), field="tokens")
    return E[[index[t] for t in tokens]].copy()


def _unknown_message(unknown: list[str], index: dict) -> str:
    near = [f"{w!r} (the vocabulary has {w.lower()!r})" for w in unknown if w.lower() in index]
    message = (f"{_listing(unknown)} {'is' if len(unknown) == 1 else 'are'} not in the vocabulary: type words from "
               f"it" + (f"; try {', '.join(near)}" if near else ""))
    if "<unk>" in index:
        message += ", or type <unk> where the model should see an unknown word"
    return message + "."
