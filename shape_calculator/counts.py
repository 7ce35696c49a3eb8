"""Parameter counts of one direction of one layer, and of every stacked layer, in Keras and PyTorch.

With G gate blocks (the cell entry's ``n_blocks``: SimpleRNN 1, GRU 3, LSTM 4), h units and a
layer input of d features:

    Keras    G*h*(d + h + 1)   kernel (d, G*h) + recurrent_kernel (h, G*h) + bias (G*h,)
             a cell whose Keras layout splits the bias (GRU reset_after=True) keeps (2, G*h): G*h*(d + h + 2)
    PyTorch  G*h*(d + h + 2)   weight_ih (G*h, d) + weight_hh (G*h, h) + bias_ih + bias_hh
    no bias  G*h*(d + h)       in both

Stacked layers read the layer below: Keras' merged output (2h for concat, h for sum, mul, ave),
PyTorch's always concatenated D*h.
"""
from __future__ import annotations

from dataclasses import dataclass

from birnn_core.registry import get_cell, get_merge

from .spec import TORCH_MERGE, RecurrentSpec, check_framework, count_text


@dataclass(frozen=True)
class ParamCount:
    """Parameters of one stacked layer (all its directions) in one framework.

    ``formula`` is the per-direction formula in h and d, ``arithmetic`` the same with the numbers
    filled in, ``tensors`` the weight tensors of one direction with their shapes in that
    framework's layout.
    """

    framework: str  # "Keras" or "PyTorch"
    layer: int  # 1-based
    input_size: int  # d of this layer
    units: int
    directions: int
    formula: str
    arithmetic: str
    per_direction: int
    tensors: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def total(self) -> int:
        return self.per_direction * self.directions


def _formula(blocks: int, biases: int) -> str:
    lead = "h" if blocks == 1 else f"{blocks}h"
    return f"{lead}(d+h+{biases})" if biases else f"{lead}(d+h)"


def _arithmetic(blocks: int, d: int, h: int, biases: int, directions: int) -> str:
    lead = f"{h}" if blocks == 1 else f"{blocks} × {h}"
    inner = f"{d} + {h}" + (f" + {biases}" if biases else "")
    per = blocks * h * (d + h + biases)
    text = f"{lead} × ({inner}) = {count_text(per)}"
    if directions == 2:
        text += f"; × 2 directions = {count_text(2 * per)}"
    return text


def keras_biases(cell: str, use_bias: bool = True) -> int:
    """Bias vectors of length G*h per direction in Keras: 0, 1, or 2 (a split bias, GRU reset_after=True)."""
    if not use_bias:
        return 0
    return 2 if get_cell(cell).keras.split_bias else 1


def torch_biases(use_bias: bool = True) -> int:
    """PyTorch always keeps two bias vectors (bias_ih, bias_hh) when it has any."""
    return 2 if use_bias else 0


def keras_layer_params(cell: str, d: int, h: int, use_bias: bool = True) -> int:
    """Parameters of one direction of a Keras layer reading d features with h units."""
    return get_cell(cell).n_blocks * h * (d + h + keras_biases(cell, use_bias))


def torch_layer_params(cell: str, d: int, h: int, bias: bool = True) -> int:
    """Parameters of one direction of one layer of nn.RNN / nn.LSTM / nn.GRU (two biases)."""
    RecurrentSpec(cell=cell).require_torch()
    return get_cell(cell).n_blocks * h * (d + h + torch_biases(bias))


def keras_output_width(spec: RecurrentSpec) -> int:
    """Last-axis size of a Keras layer's (merged) output: the merge's size (2h for concat, h for
    sum, mul, ave); h for each of the two outputs of a merge that returns both (none)."""
    if not spec.bidirectional or not spec.merge_entry.single:
        return spec.units
    return spec.merge_entry.size(spec.units, spec.units)


def torch_output_width(spec: RecurrentSpec) -> int:
    """Last-axis size of a PyTorch module's output: D*h (directions always concatenated)."""
    return get_merge(TORCH_MERGE).size(spec.units, spec.units) if spec.bidirectional else spec.units


def keras_input_sizes(spec: RecurrentSpec) -> list[int]:
    """d of every stacked Keras layer: the features, then the previous layer's merged width."""
    return [spec.features] + [keras_output_width(spec)] * (spec.num_layers - 1)


def torch_input_sizes(spec: RecurrentSpec) -> list[int]:
    """d of every layer of a multi-layer PyTorch module: the features, then D*h."""
    return [spec.features] + [torch_output_width(spec)] * (spec.num_layers - 1)


def param_counts(spec: RecurrentSpec, framework: str) -> list[ParamCount]:
    """One ParamCount per stacked layer, for framework "Keras" or "PyTorch" (ValidationError with
    the cell's refusal for PyTorch when the cell has no PyTorch module)."""
    spec.validate()
    G, h, D = spec.gate_blocks, spec.units, spec.directions
    rows = []
    if check_framework(framework) == "Keras":
        biases = keras_biases(spec.cell, spec.use_bias)
        bias_shape = {1: (G * h,), 2: (2, G * h)}.get(biases)
        for i, d in enumerate(keras_input_sizes(spec)):
            tensors: list[tuple[str, tuple[int, ...]]] = [("kernel", (d, G * h)), ("recurrent_kernel", (h, G * h))]
            tensors += [("bias", bias_shape)] if bias_shape else []
            rows.append(ParamCount("Keras", i + 1, d, h, D, _formula(G, biases), _arithmetic(G, d, h, biases, D),
                                   keras_layer_params(spec.cell, d, h, spec.use_bias), tuple(tensors)))
    else:
        spec.require_torch()
        biases = torch_biases(spec.use_bias)
        for i, d in enumerate(torch_input_sizes(spec)):
            tensors = [(f"weight_ih_l{i}", (G * h, d)), (f"weight_hh_l{i}", (G * h, h))]
            if biases:
                tensors += [(f"bias_ih_l{i}", (G * h,)), (f"bias_hh_l{i}", (G * h,))]
            rows.append(ParamCount("PyTorch", i + 1, d, h, D, _formula(G, biases), _arithmetic(G, d, h, biases, D),
                                   torch_layer_params(spec.cell, d, h, spec.use_bias), tuple(tensors)))
    return rows


def total_params(spec: RecurrentSpec, framework: str) -> int:
    return sum(r.total for r in param_counts(spec, framework))
