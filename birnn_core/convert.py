"""Converters between the canonical column layout and the layouts people write code in.

- Row layout (d2l ``X_t W_xh + H_{t-1} W_hh + b_h``, Keras kernels): W_xh = W^T (d, G*h).
- Keras: ``kernel`` (d, G*h), ``recurrent_kernel`` (h, G*h), ``bias`` (G*h,) or, for a GRU
  with reset_after=True, (2, G*h) = [input bias; recurrent bias]. Keras orders GRU gates
  z, r, h where PyTorch orders r, z, n; LSTM gates i, f, c, o match PyTorch's i, f, g, o.
- PyTorch state_dict of nn.RNN / nn.GRU / nn.LSTM: ``weight_ih_l{k}``, ``weight_hh_l{k}``,
  ``bias_ih_l{k}``, ``bias_hh_l{k}``, with ``_reverse`` for the backward direction.
"""
from __future__ import annotations

import numpy as np

from .errors import ValidationError
from .params import DirectionParams, LayerParams, n_blocks


def _swap_gru_rz(a: np.ndarray, axis: int) -> np.ndarray:
    """Reorder GRU gate blocks r,z,n <-> z,r,n along ``axis`` (the swap is its own inverse)."""
    r, z, n = np.split(np.asarray(a), 3, axis=axis)
    return np.concatenate([z, r, n], axis=axis)


def to_rows(p: DirectionParams) -> dict:
    """d2l's row layout: W_xh (d, G*h), W_hh (h, G*h), b_h (G*h,) = b + b_U."""
    return {"W_xh": p.W.T.copy(), "W_hh": p.U.T.copy(), "b_h": p.b + p.b_U}


def from_rows(W_xh, W_hh, b_h) -> DirectionParams:
    """Inverse of :func:`to_rows` (a single bias)."""
    return DirectionParams(np.asarray(W_xh).T, np.asarray(W_hh).T, np.asarray(b_h))


def to_keras(p: DirectionParams, cell: str, reset_after: bool = True) -> dict:
    """Keras weights {kernel, recurrent_kernel, bias} of one direction."""
    kernel, rec = p.W.T.copy(), p.U.T.copy()
    if cell == "gru":
        kernel, rec = _swap_gru_rz(kernel, 1), _swap_gru_rz(rec, 1)
        if not reset_after:
            raise ValidationError("Keras' GRU with reset_after=False applies the reset gate before U "
                                  "(U_n (r * h)), which PyTorch's formulation cannot express: use "
                                  "reset_after=True.", field="reset_after")
        bias = np.stack([_swap_gru_rz(p.b, 0), _swap_gru_rz(p.b_U, 0)])
    else:
        bias = p.b + p.b_U
    return {"kernel": kernel, "recurrent_kernel": rec, "bias": bias}


def from_keras(kernel, recurrent_kernel, bias, cell: str) -> DirectionParams:
    """Inverse of :func:`to_keras`. GRU bias must be (2, 3h) (reset_after=True, Keras' default)."""
    kernel, rec, bias = (np.asarray(a, dtype=np.float64) for a in (kernel, recurrent_kernel, bias))
    if cell != "gru":
        return DirectionParams(kernel.T, rec.T, bias)
    if bias.ndim != 2 or bias.shape[0] != 2:
        raise ValidationError(f"A Keras GRU bias of shape {bias.shape} comes from reset_after=False, "
                              f"which PyTorch's GRU cannot express: it must be (2, 3h).", field="bias")
    return DirectionParams(_swap_gru_rz(kernel, 1).T, _swap_gru_rz(rec, 1).T,
                           _swap_gru_rz(bias[0], 0), _swap_gru_rz(bias[1], 0))


def _as_array(v) -> np.ndarray:
    """float64 array from a numpy array or a torch tensor (without importing torch)."""
    if hasattr(v, "detach"):
        v = v.detach().cpu().double().numpy()
    return np.asarray(v, dtype=np.float64)


def _key(kind: str, layer: int, reverse: bool, prefix: str) -> str:
    return f"{prefix}{kind}_l{layer}{'_reverse' if reverse else ''}"


def layers_to_torch_state_dict(layers: list[LayerParams], prefix: str = "") -> dict:
    """state_dict (numpy arrays) of the nn.RNN/GRU/LSTM that computes ``layers``."""
    sd = {}
    for l, layer in enumerate(layers):
        if layer.bidirectional and layer.fwd.hidden_size != layer.bwd.hidden_size:
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
    G = n_blocks(cell)
    layers = []
    for l in range(num_layers):
        dirs = []
        for reverse in (False, True)[: 1 + bidirectional]:
            W = sd[_key("weight_ih", l, reverse, "")]
            U = sd[_key("weight_hh", l, reverse, "")]
            if W.shape[0] != G * U.shape[1]:
                raise ValidationError(f"weight_ih_l{l} has {W.shape[0]} rows: a {cell.upper()} with hidden "
                                      f"size {U.shape[1]} needs {G * U.shape[1]}; is the cell type right?",
                                      field="cell")
            zeros = np.zeros(W.shape[0])
            b = sd.get(_key("bias_ih", l, reverse, ""), zeros)
            b_U = sd.get(_key("bias_hh", l, reverse, ""), zeros)
            dirs.append(DirectionParams(W, U, b, b_U))
        layers.append(LayerParams(cell, dirs[0], dirs[1] if bidirectional else None, activation,
                                  merge if l == num_layers - 1 else "concat"))
    return layers
