"""What a stack returns, and the tensors flowing through it, in Keras' and PyTorch's terms.

Keras (batch first): output (B, T, width) with return_sequences, else (B, width); width is the
merge's size (2h concat, h otherwise); merge "none" returns the two directions apart. With
return_state the states follow, (B, h) each: forward's then backward's, [h, c] for an LSTM.

PyTorch: output (B, T, D*h) with batch_first=True, (T, B, D*h) otherwise; h_n (and c_n for an
LSTM) (D*L, B, h) whatever batch_first says, row 2l layer l forward, 2l + 1 layer l backward.
"""
from __future__ import annotations

from dataclasses import dataclass

from .counts import keras_output_width, param_counts, torch_output_width
from .spec import NamedShape, RecurrentSpec, check_framework, py


def _width_name(width: int, h: int, unit: str) -> str:
    """How an axis of ``width`` reads in units of h: "units", "2·units" (or the number itself)."""
    if width == h:
        return unit
    return f"{width // h}·{unit}" if width % h == 0 else str(width)


def keras_outputs(spec: RecurrentSpec) -> list[NamedShape]:
    """What the top Keras layer returns, in order (a list when return_state or merge "none").

    Keras order: output(s), then the forward direction's states, then the backward one's;
    LSTM states are [h, c]. States are (B, h). The backward direction's final state is the
    one after reading x_1 (it runs T..1); its returned sequence is flipped back so that
    position t lines up with x_t.
    """
    spec.validate()
    B, T, h, seq = spec.batch_size, spec.time_steps, spec.units, spec.return_sequences
    merge = spec.merge_entry

    def out(name: str, width: int, note: str) -> NamedShape:
        w = _width_name(width, h, "units")
        return NamedShape(name, (B, T, width) if seq else (B, width),
                          f"(batch, time, {w})" if seq else f"(batch, {w})", note)

    if spec.bidirectional and not merge.single:
        result = [out("forward output", h, "every step t" if seq else "after reading x_T"),
                  out("backward output", h, "every step t, flipped back to input order" if seq
                      else "after reading x_1 (it runs from T to 1)")]
    elif spec.bidirectional:
        how = merge.text("forward", "backward")
        result = [out("output", keras_output_width(spec), how + (" at every step t" if seq else
                                                                 ": forward after x_T with backward after x_1"))]
    else:
        result = [out("output", h, "every step t" if seq else "after reading x_T (the last step)")]

    if spec.return_state:
        for direction in ("forward", "backward") if spec.bidirectional else ("",):
            for s in spec.state_names:
                result.append(NamedShape(f"{direction} {s}".strip() + " state", (B, h), "(batch, units)",
                                         "after x_1" if direction == "backward" else "after x_T"))
    return result


def torch_outputs(spec: RecurrentSpec, batch_first: bool) -> list[NamedShape]:
    """What nn.RNN / nn.LSTM / nn.GRU(num_layers=L, bidirectional=...) returns: output, h_n and
    the cell's other states (c_n). PyTorch has no return_sequences / return_state / merge_mode.
    ValidationError with the cell's refusal when PyTorch has no module for the cell."""
    spec.validate()
    spec.require_torch()
    B, T, h, D, L = spec.batch_size, spec.time_steps, spec.units, spec.directions, spec.num_layers
    w = torch_output_width(spec)
    w_name = _width_name(w, h, "hidden")
    note = "top layer, every step" + (", [forward ; backward]" if D == 2 else "")
    out = (NamedShape("output", (B, T, w), f"(batch, time, {w_name})", note) if batch_first
           else NamedShape("output", (T, B, w), f"(time, batch, {w_name})", note))
    rows_axes = "(layers·directions, batch, hidden)" if D == 2 else "(layers, batch, hidden)"
    first = ("every layer's final state; batch_first does not apply to it"
             + ("; forward after x_T, backward after x_1" if D == 2 else ""))
    return [out] + [NamedShape(f"{s}_n", (D * L, B, h), rows_axes, first if s == "h" else
                               f"the {s} state, same layout as h_n") for s in spec.state_names]


# ---------------------------------------------------------------- the flow through the stack

@dataclass(frozen=True)
class FlowLayer:
    """One stacked layer: its label, the tensor it reads and the tensor(s) it passes on."""

    index: int  # 1-based
    label: str  # 'Bidirectional(LSTM(64), merge_mode="concat")'
    params: int
    input_shape: tuple[int, ...]
    outputs: tuple[NamedShape, ...]


def keras_layer_label(spec: RecurrentSpec) -> str:
    """The Keras layer as a short call: LSTM(64), GRU(64, reset_after=False), Bidirectional(...)."""
    cell = spec.cell_entry
    inner = f"{cell.keras.layer}(" + ", ".join([str(spec.units)] + [f"{k}={py(v)}" for k, v in
                                                                    cell.keras.config.items()]) + ")"
    if not spec.bidirectional:
        return inner
    return f"Bidirectional({inner}, merge_mode={py(spec.merge_entry.keras)})"


def shape_flow(spec: RecurrentSpec, framework: str = "Keras", batch_first: bool = True) -> list[FlowLayer]:
    """The tensors flowing x -> layer 1 -> ... -> layer L, in Keras' or PyTorch's terms.

    Keras: every layer but the top returns sequences (B, T, width); the top layer returns
    ``keras_outputs(spec)``. PyTorch: the layers of one multi-layer module, each passing
    (B, T, D*h) (or (T, B, D*h)) up; the top layer's outputs are ``torch_outputs``, where h_n / c_n
    gather the final states of all layers.
    """
    spec.validate()
    B, T, h, L = spec.batch_size, spec.time_steps, spec.units, spec.num_layers
    counts = param_counts(spec, framework)
    flow = []
    if check_framework(framework) == "Keras":
        width, label = keras_output_width(spec), keras_layer_label(spec)
        for i in range(L):
            if i == L - 1:
                outs = tuple(keras_outputs(spec))
            else:
                outs = (NamedShape("sequence", (B, T, width), f"(batch, time, {_width_name(width, h, 'units')})"),)
            flow.append(FlowLayer(i + 1, label, counts[i].total, (B, T, spec.features if i == 0 else width), outs))
    else:
        module, w = spec.require_torch().module, torch_output_width(spec)
        for i in range(L):
            label = f"nn.{module} layer {i}" + (" (both directions)" if spec.bidirectional else "")
            d = spec.features if i == 0 else w
            if i == L - 1:
                outs = tuple(torch_outputs(spec, batch_first))
            else:
                outs = (NamedShape("sequence", (B, T, w) if batch_first else (T, B, w),
                                   "(batch, time, D·hidden)" if batch_first else "(time, batch, D·hidden)"),)
            flow.append(FlowLayer(i + 1, label, counts[i].total, (B, T, d) if batch_first else (T, B, d), outs))
    return flow
