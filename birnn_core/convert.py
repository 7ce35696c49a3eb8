"""Converters between the canonical column layout and the layouts people write code in.

- Row layout (d2l ``X_t W_xh + H_{t-1} W_hh + b_h``, Keras kernels): W_xh = W^T (d, G*h).
- Keras: ``kernel`` (d, G*h), ``recurrent_kernel`` (h, G*h), ``bias`` (G*h,) or, for a GRU
  with reset_after=True, (2, G*h) = [input bias; recurrent bias]. Keras orders GRU gates
  z, r, h where PyTorch orders r, z, n; LSTM gates i, f, c, o match PyTorch's i, f, g, o.
  Each cell's layouts (block order, bias, which Keras / PyTorch layer) live in its registry entry
  (registry.py); the classic GRU (Keras reset_after=False) has no PyTorch module.
- PyTorch state_dict of nn.RNN / nn.GRU / nn.LSTM: ``weight_ih_l{k}``, ``weight_hh_l{k}``,
  ``bias_ih_l{k}``, ``bias_hh_l{k}``, with ``_reverse`` for the backward direction.
"""
from __future__ import annotations

import numpy as np

from .errors import ValidationError
from .params import DirectionParams, LayerParams
from .registry import activations, cells, get_activation, get_cell, get_merge, merges


def _blocks(a: np.ndarray, order: tuple, axis: int) -> np.ndarray:
    """Blocks of ``a`` along ``axis`` rearranged so that block k of the result is block order[k]."""
    a = np.asarray(a)
    if not order or list(order) == sorted(order):
        return a.copy()
    parts = np.split(a, len(order), axis=axis)
    return np.concatenate([parts[k] for k in order], axis=axis)


def _to_keras_order(a, cell: str, axis: int) -> np.ndarray:
    return _blocks(a, get_cell(cell).keras.order, axis)


def _from_keras_order(a, cell: str, axis: int) -> np.ndarray:
    order = get_cell(cell).keras.order
    return _blocks(a, tuple(int(i) for i in np.argsort(order)) if order else (), axis)


def to_rows(p: DirectionParams) -> dict:
    """d2l's row layout: W_xh (d, G*h), W_hh (h, G*h), b_h (G*h,) = b + b_U."""
    return {"W_xh": p.W.T.copy(), "W_hh": p.U.T.copy(), "b_h": p.b + p.b_U}


def from_rows(W_xh, W_hh, b_h) -> DirectionParams:
    """Inverse of :func:`to_rows` (a single bias)."""
    return DirectionParams(np.asarray(W_xh).T, np.asarray(W_hh).T, np.asarray(b_h))


def _keras_variant_error(cell: str, what: str) -> ValidationError:
    spec = get_cell(cell)
    others = [c.name for c in cells() if c.keras.layer == spec.keras.layer and c.name != cell]
    return ValidationError(f"{what}, but the cell {cell!r} ({spec.display}) is Keras' {spec.keras.layer} with "
                           f"{', '.join(f'{k}={v}' for k, v in spec.keras.config.items())}"
                           + (f": use the cell {' or '.join(map(repr, others))} for it." if others else "."),
                           field="reset_after")


def to_keras(p: DirectionParams, cell: str, reset_after: bool | None = None) -> dict:
    """Keras weights {kernel, recurrent_kernel, bias} of one direction of ``cell``.

    Blocks are put in Keras' order (GRU z, r, h); bias is (2, G*h) = [input; recurrent] where the
    Keras layer keeps two (GRU reset_after=True), else b + b_U. ``reset_after``, if given, must be the
    cell's own (the 'gru' cell is reset_after=True, 'gru_classic' reset_after=False)."""
    spec = get_cell(cell)
    if reset_after is not None and "reset_after" in spec.keras.config \
            and bool(reset_after) != spec.keras.config["reset_after"]:
        extra = (" Keras' GRU with reset_after=False applies the reset gate before U (U_n (r * h)), which "
                 "PyTorch's formulation cannot express" if not reset_after else "")
        raise _keras_variant_error(cell, f"reset_after={bool(reset_after)} was asked for{extra}")
    kernel, rec = _to_keras_order(p.W.T, cell, 1), _to_keras_order(p.U.T, cell, 1)
    if spec.keras.split_bias:
        bias = np.stack([_to_keras_order(p.b, cell, 0), _to_keras_order(p.b_U, cell, 0)])
    else:
        bias = _to_keras_order(p.b + p.b_U, cell, 0)
    return {"kernel": kernel, "recurrent_kernel": rec, "bias": bias}


def from_keras(kernel, recurrent_kernel, bias, cell: str) -> DirectionParams:
    """Inverse of :func:`to_keras` (``bias=None`` for use_bias=False). A GRU bias of shape (2, 3h) is
    reset_after=True (cell 'gru'), one of shape (3h,) reset_after=False (cell 'gru_classic')."""
    spec = get_cell(cell)
    kernel, rec = (np.asarray(a, dtype=np.float64) for a in (kernel, recurrent_kernel))
    Gh = kernel.shape[-1]
    if bias is None:
        bias = np.zeros((2, Gh)) if spec.keras.split_bias else np.zeros(Gh)
    bias = np.asarray(bias, dtype=np.float64)
    if spec.keras.split_bias and (bias.ndim != 2 or bias.shape[0] != 2):
        raise _keras_variant_error(cell, f"A Keras {spec.keras.layer} bias of shape {bias.shape} comes from a "
                                         f"layer with a single bias (reset_after=False); it must be (2, {Gh})")
    if not spec.keras.split_bias and bias.ndim != 1:
        raise _keras_variant_error(cell, f"A Keras {spec.keras.layer} bias of shape {bias.shape} comes from a "
                                         f"layer with two biases (reset_after=True); it must be ({Gh},)")
    W, U = _from_keras_order(kernel, cell, 1).T, _from_keras_order(rec, cell, 1).T
    if spec.keras.split_bias:
        return DirectionParams(W, U, _from_keras_order(bias[0], cell, 0), _from_keras_order(bias[1], cell, 0))
    return DirectionParams(W, U, _from_keras_order(bias, cell, 0))


def keras_cell(layer: str, config: dict | None = None) -> str:
    """The registered cell computing Keras' ``layer`` ('SimpleRNN', 'GRU', 'LSTM') with ``config``
    (e.g. {'reset_after': False} -> 'gru_classic')."""
    config = config or {}
    for spec in cells():
        if spec.keras.layer == layer and all(config.get(k, v) == v for k, v in spec.keras.config.items()):
            return spec.name
    known = sorted({c.keras.layer for c in cells()})
    raise ValidationError(f"No registered cell computes Keras' {layer} with {config}: known Keras layers are "
                          f"{', '.join(known)}.", field="cell")


def _by_keras_name(entries, name, what: str, field: str) -> str:
    """The name of the registered entry (activation or merge mode) that Keras calls ``name``."""
    for entry in entries:
        if entry.keras == name:
            return entry.name
    raise ValidationError(f"Keras {what} {name!r} has no registered counterpart: choose one of "
                          f"{', '.join(repr(e.keras) for e in entries)}.", field=field)


def _keras_activation(name) -> str:
    return _by_keras_name(activations(), name, "activation", "activation")


def _keras_merge(mode) -> str:
    return _by_keras_name(merges(), mode, "merge_mode", "merge")


def layer_from_keras(layer) -> LayerParams:
    """LayerParams of a built Keras SimpleRNN / GRU / LSTM layer or a Bidirectional wrapper of one
    (duck-typed: keras is not imported here). Gated cells must keep Keras' default activations."""
    if hasattr(layer, "forward_layer"):
        fwd = layer_from_keras(layer.forward_layer)
        bwd = layer_from_keras(layer.backward_layer)
        if (bwd.cell, bwd.activation) != (fwd.cell, fwd.activation):
            raise ValidationError("The two directions of this Bidirectional layer are different cells: "
                                  "both must be the same.", field="cell")
        return LayerParams(fwd.cell, fwd.fwd, bwd.fwd, fwd.activation, _keras_merge(layer.merge_mode))
    config = layer.get_config()
    cls = type(getattr(layer, "cell", layer)).__name__.removesuffix("Cell")
    cls = type(layer).__name__ if cls not in {c.keras.layer for c in cells()} else cls
    cell = keras_cell(cls, config)
    spec = get_cell(cell)
    activation = _keras_activation(config.get("activation", "tanh"))
    if not spec.uses_activation and (activation != "tanh" or config.get("recurrent_activation", "sigmoid") != "sigmoid"):
        raise ValidationError(f"This Keras {cls} uses activation={config.get('activation')!r}, recurrent_activation="
                              f"{config.get('recurrent_activation')!r}: the {spec.display} cell computes the "
                              f"defaults tanh and sigmoid.", field="activation")
    weights = layer.get_weights()
    p = from_keras(weights[0], weights[1], weights[2] if len(weights) > 2 else None, cell)
    return LayerParams(cell, p, None, activation if spec.uses_activation else "tanh")


def keras_weights(layer: LayerParams) -> list[np.ndarray]:
    """The arrays Keras' set_weights takes for ``layer`` (forward [kernel, recurrent_kernel, bias],
    then the backward direction's for a Bidirectional layer)."""
    out = []
    for _, p in layer.directions():
        k = to_keras(p, layer.cell)
        out += [k["kernel"], k["recurrent_kernel"], k["bias"]]
    return out


def keras_config(layer: LayerParams) -> dict:
    """How to build ``layer`` in Keras: {'layer': 'GRU', 'units': h, <cell config>, 'activation': ...,
    'bidirectional': bool, 'merge_mode': ..., 'units_backward': h_b}."""
    spec = get_cell(layer.cell)
    out = {"layer": spec.keras.layer, "units": layer.fwd.hidden_size, **spec.keras.config,
           "bidirectional": layer.bidirectional}
    if spec.uses_activation:
        out["activation"] = get_activation(layer.activation).keras
    if layer.bwd is not None:
        out["merge_mode"] = get_merge(layer.merge).keras
        out["units_backward"] = layer.bwd.hidden_size
    return out


def _as_array(v) -> np.ndarray:
    """float64 array from a numpy array or a torch tensor (without importing torch)."""
    if hasattr(v, "detach"):
        v = v.detach().cpu().double().numpy()
    return np.asarray(v, dtype=np.float64)


def _key(kind: str, layer: int, reverse: bool, prefix: str) -> str:
    return f"{prefix}{kind}_l{layer}{'_reverse' if reverse else ''}"


def _torch_layout(cell: str):
    spec = get_cell(cell)
    if spec.torch is None:
        raise ValidationError(f"The {spec.display} cell has no PyTorch module: {spec.torch_refusal}", field="cell")
    return spec.torch


def layers_to_torch_state_dict(layers: list[LayerParams], prefix: str = "") -> dict:
    """state_dict (numpy arrays) of the nn.RNN/GRU/LSTM that computes ``layers``; a cell PyTorch cannot
    express (e.g. the classic GRU) is refused with the reason."""
    sd = {}
    for l, layer in enumerate(layers):
        _torch_layout(layer.cell)
        if layer.bwd is not None and layer.fwd.hidden_size != layer.bwd.hidden_size:
            raise ValidationError(f"PyTorch's recurrent layers need one hidden size for both directions, "
                                  f"but layer {l + 1} has h_f = {layer.fwd.hidden_size}, "
                                  f"h_b = {layer.bwd.hidden_size}.", field="hidden_size")
        for reverse, p in ((False, layer.fwd), (True, layer.bwd)):
            if p is None:
                continue
            sd[_key("weight_ih", l, reverse, prefix)] = p.W.copy()
            sd[_key("weight_hh", l, reverse, prefix)] = p.U.copy()
            sd[_key("bias_ih", l, reverse, prefix)] = p.b.copy()
            sd[_key("bias_hh", l, reverse, prefix)] = p.b_U.copy()
    return sd


def layers_from_torch_state_dict(state_dict: dict, cell: str, num_layers: int | None = None,
                                 bidirectional: bool | None = None, prefix: str = "",
                                 activation: str = "tanh", merge: str = "concat") -> list[LayerParams]:
    """Layers from an nn.RNN / nn.GRU / nn.LSTM state_dict (tensors or arrays; bias=False allowed).

    ``num_layers`` and ``bidirectional`` are read from the keys when not given. PyTorch stacks
    bidirectional layers on the concatenated outputs, so ``merge`` applies to the last layer only.
    """
    sd = {k[len(prefix):]: _as_array(v) for k, v in state_dict.items() if k.startswith(prefix)}
    if num_layers is None:
        num_layers = len([k for k in sd if k.startswith("weight_ih_l") and not k.endswith("_reverse")])
    if bidirectional is None:
        bidirectional = "weight_ih_l0_reverse" in sd
    if num_layers < 1 or "weight_ih_l0" not in sd:
        raise ValidationError("The state_dict holds no recurrent layer (no 'weight_ih_l0' key"
                              f"{' after prefix ' + repr(prefix) if prefix else ''}).", field="state_dict")
    _torch_layout(cell)
    spec = get_cell(cell)
    G = spec.n_blocks
    layers = []
    for l in range(num_layers):
        dirs = []
        for reverse in (False, True)[: 1 + bidirectional]:
            W = sd[_key("weight_ih", l, reverse, "")]
            U = sd[_key("weight_hh", l, reverse, "")]
            if W.shape[0] != G * U.shape[1]:
                raise ValidationError(f"weight_ih_l{l} has {W.shape[0]} rows: a {spec.display} with hidden "
                                      f"size {U.shape[1]} needs {G * U.shape[1]}; is the cell type right?",
                                      field="cell")
            zeros = np.zeros(W.shape[0])
            b = sd.get(_key("bias_ih", l, reverse, ""), zeros)
            b_U = sd.get(_key("bias_hh", l, reverse, ""), zeros)
            dirs.append(DirectionParams(W, U, b, b_U))
        layers.append(LayerParams(cell, dirs[0], dirs[1] if bidirectional else None, activation,
                                  merge if l == num_layers - 1 else "concat"))
    return layers
