"""Shapes and parameter counts of recurrent layers, in Keras' layout and in PyTorch's.

Answers "what shape comes out, how many parameters, and what code gives it" for a stack of
SimpleRNN / LSTM / GRU layers, one or both directions, without running either framework:

    x: (B, T, d)  ->  layer 1  ->  layer 2  ->  ...  ->  output and final states

Notation: B batch, T time steps, d features of the layer's input, h units (hidden size),
G gate blocks (SimpleRNN 1, GRU 3, LSTM 4), D directions (1 or 2), L stacked layers.

Parameter count of one direction of one layer (all entries written out by `param_counts`):

    Keras    G*h*(d + h + 1)   kernel (d, G*h) + recurrent_kernel (h, G*h) + bias (G*h,)
             GRU with reset_after=True (Keras' default) keeps two biases: 3h(d + h + 2)
    PyTorch  G*h*(d + h + 2)   weight_ih (G*h, d) + weight_hh (G*h, h) + bias_ih + bias_hh
    no bias  G*h*(d + h)       in both

Also here: the Keras and PyTorch code that gives these shapes (`keras_code`, `torch_code`),
the tensors flowing through the stack (`shape_flow`), Keras' weight regularizers evaluated on
given weights (`regularization_penalty`), and the checked examples of seed 002
(`seed_002_checks`). Pure Python + NumPy; no Streamlit, no torch.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

CELLS = ("SimpleRNN", "LSTM", "GRU")
MERGE_MODES = ("concat", "sum", "mul", "ave", None)
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
GATE_BLOCKS = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
TORCH_MODULE = {"SimpleRNN": "nn.RNN", "LSTM": "nn.LSTM", "GRU": "nn.GRU"}
# What each gate block is, in PyTorch's row order (Keras keeps the same blocks as columns,
# LSTM i, f, c, o and GRU z, r, h: the order differs but not the count).
GATE_NAMES = {"SimpleRNN": "", "LSTM": "i, f, g, o", "GRU": "r, z, n"}


class ShapeConfigError(ValueError):
    """A setting that no framework accepts; the message says what to change."""


# ----------------------------------------------------------------------------------------------
# The settings
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecurrentSpec:
    """Everything that decides the shapes: the input (B, T, d) and the layer settings.

    The Keras names are used (units, return_sequences, ...). The same `units`, `cell`,
    `activation` and `use_bias` apply to every stacked layer; `return_sequences` and
    `return_state` apply to the top layer (the layers below must return sequences so that the
    next layer gets one input per time step). `merge_mode` is Keras' Bidirectional merge and
    applies between layers too; `reset_after` only concerns Keras' GRU.
    """

    batch_size: int = 1
    time_steps: int = 3
    features: int = 5
    units: int = 64
    cell: str = "LSTM"
    bidirectional: bool = False
    merge_mode: str | None = "concat"
    num_layers: int = 1
    return_sequences: bool = True
    return_state: bool = False
    use_bias: bool = True
    activation: str = "tanh"
    reset_after: bool = True

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def gate_blocks(self) -> int:
        return GATE_BLOCKS[self.cell]

    def validate(self) -> "RecurrentSpec":
        """Raise ShapeConfigError with an actionable message; return self when valid."""
        for name in ("batch_size", "time_steps", "features", "units", "num_layers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ShapeConfigError(f"{name} must be a whole number of at least 1, got {value!r}.")
        if self.cell not in CELLS:
            raise ShapeConfigError(f"cell must be one of {', '.join(CELLS)}, got {self.cell!r}.")
        if self.merge_mode not in MERGE_MODES:
            raise ShapeConfigError(
                f"merge_mode must be one of concat, sum, mul, ave or None, got {self.merge_mode!r}."
            )
        if self.activation not in ACTIVATIONS:
            raise ShapeConfigError(
                f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}."
            )
        if self.bidirectional and self.merge_mode is None and self.num_layers > 1:
            raise ShapeConfigError(
                "merge_mode=None makes a Bidirectional layer return two tensors (forward and "
                "backward), but a stacked layer reads one tensor. Choose concat, sum, mul or ave "
                "to stack layers, or keep merge_mode=None with a single layer."
            )
        return self


@dataclass(frozen=True)
class NamedShape:
    """One returned tensor: its name, its shape and what each axis means."""

    name: str
    shape: tuple[int, ...]
    axes: str  # e.g. "(batch, time, 2·units)"
    note: str = ""


# ----------------------------------------------------------------------------------------------
# Parameter counts
# ----------------------------------------------------------------------------------------------


def _fmt(n: int) -> str:
    return f"{n:,}"


@dataclass(frozen=True)
class ParamCount:
    """Parameters of one stacked layer (all its directions) in one framework.

    `formula` is the per-direction formula in h and d, `arithmetic` the same with the numbers
    filled in, `tensors` the weight tensors of one direction with their shapes in that
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
    text = f"{lead} × ({inner}) = {_fmt(per)}"
    if directions == 2:
        text += f"; × 2 directions = {_fmt(2 * per)}"
    return text


def keras_biases(cell: str, use_bias: bool, reset_after: bool) -> int:
    """Bias vectors of length G*h per direction in Keras: 0, 1, or 2 (GRU reset_after=True)."""
    if not use_bias:
        return 0
    return 2 if (cell == "GRU" and reset_after) else 1


def keras_layer_params(cell: str, d: int, h: int, use_bias: bool = True,
                       reset_after: bool = True) -> int:
    """Parameters of one direction of a Keras layer reading d features with h units."""
    return GATE_BLOCKS[cell] * h * (d + h + keras_biases(cell, use_bias, reset_after))


def torch_layer_params(cell: str, d: int, h: int, bias: bool = True) -> int:
    """Parameters of one direction of one layer of nn.RNN / nn.LSTM / nn.GRU (two biases)."""
    return GATE_BLOCKS[cell] * h * (d + h + (2 if bias else 0))


def keras_output_width(spec: RecurrentSpec) -> int:
    """Last-axis size of a Keras layer's (merged) output: 2h for concat, h otherwise."""
    if spec.bidirectional and spec.merge_mode == "concat":
        return 2 * spec.units
    return spec.units


def torch_output_width(spec: RecurrentSpec) -> int:
    """Last-axis size of a PyTorch module's output: D*h (directions always concatenated)."""
    return spec.directions * spec.units


def keras_input_sizes(spec: RecurrentSpec) -> list[int]:
    """d of every stacked Keras layer: the features, then the previous layer's merged width."""
    return [spec.features] + [keras_output_width(spec)] * (spec.num_layers - 1)


def torch_input_sizes(spec: RecurrentSpec) -> list[int]:
    """d of every layer of a multi-layer PyTorch module: the features, then D*h."""
    return [spec.features] + [torch_output_width(spec)] * (spec.num_layers - 1)


def param_counts(spec: RecurrentSpec, framework: str) -> list[ParamCount]:
    """One ParamCount per stacked layer, for framework "Keras" or "PyTorch"."""
    spec.validate()
    G, h, D = spec.gate_blocks, spec.units, spec.directions
    rows = []
    if framework == "Keras":
        biases = keras_biases(spec.cell, spec.use_bias, spec.reset_after)
        for i, d in enumerate(keras_input_sizes(spec)):
            tensors = [("kernel", (d, G * h)), ("recurrent_kernel", (h, G * h))]
            if biases == 1:
                tensors.append(("bias", (G * h,)))
            elif biases == 2:
                tensors.append(("bias", (2, G * h)))
            rows.append(ParamCount("Keras", i + 1, d, h, D, _formula(G, biases),
                                   _arithmetic(G, d, h, biases, D),
                                   keras_layer_params(spec.cell, d, h, spec.use_bias,
                                                      spec.reset_after), tuple(tensors)))
    elif framework == "PyTorch":
        biases = 2 if spec.use_bias else 0
        for i, d in enumerate(torch_input_sizes(spec)):
            tensors = [(f"weight_ih_l{i}", (G * h, d)), (f"weight_hh_l{i}", (G * h, h))]
            if biases:
                tensors += [(f"bias_ih_l{i}", (G * h,)), (f"bias_hh_l{i}", (G * h,))]
            rows.append(ParamCount("PyTorch", i + 1, d, h, D, _formula(G, biases),
                                   _arithmetic(G, d, h, biases, D),
                                   torch_layer_params(spec.cell, d, h, spec.use_bias),
                                   tuple(tensors)))
    else:
        raise ShapeConfigError(f"framework must be 'Keras' or 'PyTorch', got {framework!r}.")
    return rows


def total_params(spec: RecurrentSpec, framework: str) -> int:
    return sum(r.total for r in param_counts(spec, framework))


# ----------------------------------------------------------------------------------------------
# Output and state shapes
# ----------------------------------------------------------------------------------------------


def _state_names(cell: str) -> tuple[str, ...]:
    return ("h", "c") if cell == "LSTM" else ("h",)


def keras_outputs(spec: RecurrentSpec) -> list[NamedShape]:
    """What the top Keras layer returns, in order (a list when return_state or merge None).

    Keras order: output(s), then the forward direction's states, then the backward one's;
    LSTM states are [h, c]. States are (B, h). The backward direction's final state is the
    one after reading x_1 (it runs T..1); its returned sequence is flipped back so that
    position t lines up with x_t.
    """
    spec.validate()
    B, T, h = spec.batch_size, spec.time_steps, spec.units
    width = keras_output_width(spec)
    seq = spec.return_sequences

    def out_shape(w: int) -> tuple[int, ...]:
        return (B, T, w) if seq else (B, w)

    def out_axes(w_name: str) -> str:
        return f"(batch, time, {w_name})" if seq else f"(batch, {w_name})"

    result: list[NamedShape] = []
    if spec.bidirectional and spec.merge_mode is None:
        result.append(NamedShape("forward output", out_shape(h), out_axes("units"),
                                 "every step t" if seq else "after reading x_T"))
        result.append(NamedShape("backward output", out_shape(h), out_axes("units"),
                                 "every step t, flipped back to input order" if seq
                                 else "after reading x_1 (it runs from T to 1)"))
    else:
        w_name = "2·units" if width == 2 * h else "units"
        if spec.bidirectional:
            how = {"concat": "[forward ; backward]", "sum": "forward + backward",
                   "mul": "forward ⊙ backward", "ave": "(forward + backward) / 2"}
            note = f"{how[spec.merge_mode]}" + (
                " at every step t" if seq else
                ": forward after x_T with backward after x_1")
        else:
            note = "every step t" if seq else "after reading x_T (the last step)"
        result.append(NamedShape("output", out_shape(width), out_axes(w_name), note))

    if spec.return_state:
        directions = ("forward", "backward") if spec.bidirectional else ("",)
        for direction in directions:
            for s in _state_names(spec.cell):
                name = f"{direction} {s}".strip() + " state"
                when = "after x_1" if direction == "backward" else "after x_T"
                result.append(NamedShape(name, (B, h), "(batch, units)", when))
    return result


def torch_outputs(spec: RecurrentSpec, batch_first: bool) -> list[NamedShape]:
    """What nn.RNN / nn.LSTM / nn.GRU(num_layers=L, bidirectional=...) returns.

    output: every time step of the top layer, directions concatenated, (B, T, D*h) with
    batch_first=True, (T, B, D*h) otherwise. h_n (and c_n for LSTM): the final state of every
    layer and direction, (D*L, B, h) whatever batch_first says; row 2*l is layer l forward,
    2*l + 1 layer l backward. PyTorch has no return_sequences / return_state / merge_mode.
    """
    spec.validate()
    B, T, h, D, L = spec.batch_size, spec.time_steps, spec.units, spec.directions, spec.num_layers
    w = torch_output_width(spec)
    w_name = "2·hidden" if D == 2 else "hidden"
    if batch_first:
        out = NamedShape("output", (B, T, w), f"(batch, time, {w_name})",
                         "top layer, every step" + (", [forward ; backward]" if D == 2 else ""))
    else:
        out = NamedShape("output", (T, B, w), f"(time, batch, {w_name})",
                         "top layer, every step" + (", [forward ; backward]" if D == 2 else ""))
    rows_axes = "(layers·directions, batch, hidden)" if D == 2 else "(layers, batch, hidden)"
    note = ("every layer's final state; batch_first does not apply to it"
            + ("; forward after x_T, backward after x_1" if D == 2 else ""))
    result = [out, NamedShape("h_n", (D * L, B, h), rows_axes, note)]
    if spec.cell == "LSTM":
        result.append(NamedShape("c_n", (D * L, B, h), rows_axes, "cell state, same layout as h_n"))
    return result


# ----------------------------------------------------------------------------------------------
# Ready-to-copy code
# ----------------------------------------------------------------------------------------------


CODE_WIDTH = 56  # the code panes are half the page wide (about 58 characters)


def _shape_text(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _call(head: str, args: Sequence[str], width: int = CODE_WIDTH) -> str:
    """`head(arg, arg, ...)`, broken after commas with aligned arguments when too long."""
    one_line = f"{head}({', '.join(args)})"
    if len(one_line) <= width or not args:
        return one_line
    indent = " " * (len(head) + 1)
    lines, current = [], head + "(" + args[0]
    for arg in args[1:]:
        if len(current) + 2 + len(arg) + 1 > width:
            lines.append(current + ",")
            current = indent + arg
        else:
            current += ", " + arg
    lines.append(current + ")")
    return "\n".join(lines)


def _comment_lines(text: str, width: int = CODE_WIDTH, lead: str = "# ") -> list[str]:
    return textwrap.wrap(text, width, initial_indent=lead, subsequent_indent="#   ")


def _keras_layer_args(spec: RecurrentSpec, top: bool) -> list[str]:
    args = [str(spec.units)]
    if not top or spec.return_sequences:
        args.append("return_sequences=True")
    if top and spec.return_state:
        args.append("return_state=True")
    if spec.activation != "tanh":
        args.append(f'activation="{spec.activation}"')
    if not spec.use_bias:
        args.append("use_bias=False")
    if spec.cell == "GRU" and not spec.reset_after:
        args.append("reset_after=False")
    return args


def _keras_layer_lines(spec: RecurrentSpec, index: int, top: bool) -> list[str]:
    args = _keras_layer_args(spec, top)
    if not spec.bidirectional:
        return _call(f"layer_{index} = layers.{spec.cell}", args).splitlines()
    merge = "None" if spec.merge_mode is None else f'"{spec.merge_mode}"'
    one = (f"layer_{index} = layers.Bidirectional(layers.{spec.cell}({', '.join(args)}), "
           f"merge_mode={merge})")
    if len(one) <= CODE_WIDTH:
        return [one]
    inner = _call(f"    layers.{spec.cell}", args).splitlines()
    inner[-1] += ","
    return [f"layer_{index} = layers.Bidirectional("] + inner + [f"    merge_mode={merge})"]


def keras_code(spec: RecurrentSpec) -> str:
    """Keras 3 code (tf.keras: `from tensorflow.keras import layers`) that builds the stack,
    runs it on zeros of shape (B, T, d) and prints the shapes and parameter counts."""
    spec.validate()
    returned = keras_outputs(spec)
    counts = param_counts(spec, "Keras")
    x_shape = _shape_text((spec.batch_size, spec.time_steps, spec.features))
    lines = [
        "import numpy as np",
        "from keras import layers",
        "",
        "# x: (batch, time steps, features)",
        f'x = np.zeros({x_shape}, dtype="float32")',
    ]
    for i in range(spec.num_layers):
        lines += _keras_layer_lines(spec, i + 1, top=i == spec.num_layers - 1)
    lines.append("")
    for i in range(spec.num_layers - 1):
        src = "x" if i == 0 else f"y{i}"
        w = keras_output_width(spec)
        lines.append(f"y{i + 1} = layer_{i + 1}({src})  "
                     f"# {_shape_text((spec.batch_size, spec.time_steps, w))}")
    src = "x" if spec.num_layers == 1 else f"y{spec.num_layers - 1}"
    top = f"layer_{spec.num_layers}"
    if len(returned) == 1:
        lines.append(f"output = {top}({src})")
        lines.append(f"print(tuple(output.shape))  # {_shape_text(returned[0].shape)}")
    else:
        lines.append(f"returned = {top}({src})  # a list of {len(returned)} tensors")
        lines.append("for tensor in returned:")
        lines.append("    print(tuple(tensor.shape))")
        for r in returned:
            lines.append(f"#   {_shape_text(r.shape)}  {r.name}")
    lines.append("")
    for c in counts:
        lines += _comment_lines(c.arithmetic)
        lines.append(f"print(layer_{c.layer}.count_params())  # {_fmt(c.total)}")
    return "\n".join(lines) + "\n"


def _torch_merge(a: str, b: str, merge: str | None) -> str:
    return {"concat": f"torch.cat([{a}, {b}], dim=-1)", "sum": f"{a} + {b}",
            "mul": f"{a} * {b}", "ave": f"({a} + {b}) / 2"}[merge]


def torch_code(spec: RecurrentSpec, batch_first: bool = True) -> str:
    """PyTorch code: the module, a forward pass on zeros, the printed shapes and parameter
    count, then the lines that give what Keras returns for the same settings (variables
    `keras_output` or `keras_forward_output` / `keras_backward_output`, and `keras_states`)."""
    spec.validate()
    B, T, d, h, L = spec.batch_size, spec.time_steps, spec.features, spec.units, spec.num_layers
    args = [f"input_size={d}", f"hidden_size={h}"]
    if L > 1:
        args.append(f"num_layers={L}")
    if spec.bidirectional:
        args.append("bidirectional=True")
    if batch_first:
        args.append("batch_first=True")
    if not spec.use_bias:
        args.append("bias=False")
    if spec.cell == "SimpleRNN" and spec.activation == "relu":
        args.append('nonlinearity="relu"')
    lines = ["import torch", "from torch import nn", ""]
    for caveat in torch_caveats(spec):
        lines += _comment_lines(caveat, lead="# NOTE: ")
    x_shape = (B, T, d) if batch_first else (T, B, d)
    x_axes = "(batch, time steps, features)" if batch_first else "(time steps, batch, features)"
    lines.append(f"# x: {x_axes}")
    lines.append(f"x = torch.zeros{_shape_text(x_shape)}")
    lines.append(_call(f"rnn = {TORCH_MODULE[spec.cell]}", args))
    shapes = {s.name: s for s in torch_outputs(spec, batch_first)}
    if spec.cell == "LSTM":
        lines.append("output, (h_n, c_n) = rnn(x)")
    else:
        lines.append("output, h_n = rnn(x)")
    for name in ("output", "h_n", "c_n"):
        if name in shapes:
            lines.append(f"print(tuple({name}.shape))  # {_shape_text(shapes[name].shape)}")
    total = total_params(spec, "PyTorch")
    lines.append(f"print(sum(p.numel() for p in rnn.parameters()))  # {_fmt(total)}")

    # What Keras returns, from PyTorch's tensors.
    lines += ["", "# What Keras returns for the same settings", "# (Keras layout: batch first):"]
    seq = "output" if batch_first else "output.transpose(0, 1)"
    if spec.bidirectional:
        if spec.return_sequences:
            if not batch_first and spec.merge_mode != "concat":
                lines.append(f"seq = {seq}")
                seq = "seq"
            fwd, bwd = f"{seq}[..., :{h}]", f"{seq}[..., {h}:]"
        else:
            fwd, bwd = "h_n[-2]", "h_n[-1]"
        if spec.merge_mode is None:
            lines.append(f"keras_forward_output = {fwd}")
            lines.append(f"keras_backward_output = {bwd}")
        elif spec.merge_mode == "concat" and spec.return_sequences:
            lines.append("# output is already [forward ; backward]")
            lines.append(f"keras_output = {seq}")
        else:
            lines.append(f"keras_output = {_torch_merge(fwd, bwd, spec.merge_mode)}")
    else:
        lines.append(f"keras_output = {seq if spec.return_sequences else 'h_n[-1]'}")
    if spec.return_state:
        if spec.bidirectional:
            st = ["h_n[-2]"] + (["c_n[-2]"] if spec.cell == "LSTM" else [])
            st += ["h_n[-1]"] + (["c_n[-1]"] if spec.cell == "LSTM" else [])
        else:
            st = ["h_n[-1]"] + (["c_n[-1]"] if spec.cell == "LSTM" else [])
        lines.append(f"keras_states = [{', '.join(st)}]")
    for r in keras_outputs(spec):
        lines.append(f"#   {_shape_text(r.shape)}  {r.name}")
    return "\n".join(lines) + "\n"


def torch_caveats(spec: RecurrentSpec) -> list[str]:
    """Where PyTorch's built-in module is not the same model as the Keras settings."""
    notes = []
    if spec.cell == "SimpleRNN" and spec.activation in ("sigmoid", "linear"):
        notes.append(f"nn.RNN offers only tanh and relu; activation={spec.activation} needs a "
                     "hand-written loop. The module below uses tanh: same shapes and counts.")
    if spec.cell != "SimpleRNN" and spec.activation != "tanh":
        notes.append(f"{TORCH_MODULE[spec.cell]} has no activation argument (always tanh); "
                     "the Keras layer's activation changes values, not shapes or counts.")
    if spec.cell == "GRU" and not spec.reset_after:
        notes.append("nn.GRU applies the reset gate after the recurrent product, as Keras' "
                     "reset_after=True; reset_after=False has no PyTorch switch, and one bias "
                     "fewer per gate in Keras.")
    if spec.use_bias and keras_biases(spec.cell, True, spec.reset_after) == 1:
        notes.append("PyTorch keeps two bias vectors per gate block (bias_ih, bias_hh) where "
                     "Keras keeps one: +G·h parameters per direction, same function.")
    if spec.bidirectional and spec.merge_mode != "concat":
        notes.append("PyTorch always concatenates the two directions (no merge_mode); the "
                     "Keras merge is applied after the module below.")
        if spec.num_layers > 1:
            notes.append(f"between stacked layers PyTorch also concatenates, so its layers 2+ "
                         f"read {2 * spec.units} features where Keras' merge_mode="
                         f"{spec.merge_mode} layers read {spec.units}: the counts differ.")
    return notes


# ----------------------------------------------------------------------------------------------
# The shape flow through the stack
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowLayer:
    """One stacked layer: its label, the tensor it reads and the tensor(s) it passes on."""

    index: int  # 1-based
    label: str  # "Bidirectional(LSTM(64), merge_mode=concat)"
    params: int
    input_shape: tuple[int, ...]
    outputs: tuple[NamedShape, ...]


def shape_flow(spec: RecurrentSpec, framework: str = "Keras",
               batch_first: bool = True) -> list[FlowLayer]:
    """The tensors flowing x -> layer 1 -> ... -> layer L, in Keras' or PyTorch's terms.

    Keras: every layer but the top returns sequences (B, T, width); the top layer returns
    `keras_outputs(spec)`. PyTorch: the layers of one multi-layer module, each passing
    (B, T, D*h) (or (T, B, D*h)) up; the top layer's outputs are `torch_outputs`, where h_n / c_n
    gather the final states of all layers.
    """
    spec.validate()
    B, T, h, L = spec.batch_size, spec.time_steps, spec.units, spec.num_layers
    counts = param_counts(spec, framework)
    flow = []
    if framework == "Keras":
        width = keras_output_width(spec)
        for i in range(L):
            top = i == L - 1
            inner = f"{spec.cell}({h})"
            label = (f"Bidirectional({inner}, merge_mode={spec.merge_mode})"
                     if spec.bidirectional else inner)
            in_shape = (B, T, spec.features if i == 0 else width)
            if top:
                outs = tuple(keras_outputs(spec))
            else:
                w_name = "2·units" if width == 2 * h else "units"
                outs = (NamedShape("sequence", (B, T, width), f"(batch, time, {w_name})"),)
            flow.append(FlowLayer(i + 1, label, counts[i].total, in_shape, outs))
    else:
        w = torch_output_width(spec)
        for i in range(L):
            top = i == L - 1
            label = f"{TORCH_MODULE[spec.cell]} layer {i}" + (" (both directions)"
                                                               if spec.bidirectional else "")
            d = spec.features if i == 0 else w
            in_shape = (B, T, d) if batch_first else (T, B, d)
            if top:
                outs = tuple(torch_outputs(spec, batch_first))
            else:
                seq = (B, T, w) if batch_first else (T, B, w)
                outs = (NamedShape("sequence", seq, "(batch, time, D·hidden)" if batch_first
                                   else "(time, batch, D·hidden)"),)
            flow.append(FlowLayer(i + 1, label, counts[i].total, in_shape, outs))
    return flow


# ----------------------------------------------------------------------------------------------
# Regularizers, as Keras defines them
# ----------------------------------------------------------------------------------------------

REGULARIZER_KINDS = ("none", "L1", "L2", "L1L2")
ROLES = ("kernel", "recurrent", "bias")


@dataclass(frozen=True)
class Regularizer:
    """Keras' weight penalty: L1 -> l1·Σ|w|, L2 -> l2·Σw², L1L2 -> both (no ½ factor)."""

    kind: str = "none"
    l1: float = 0.0
    l2: float = 0.0

    def __post_init__(self):
        if self.kind not in REGULARIZER_KINDS:
            raise ShapeConfigError(f"regularizer must be one of {', '.join(REGULARIZER_KINDS)}, "
                                   f"got {self.kind!r}.")
        for name in ("l1", "l2"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise ShapeConfigError(f"{name} must be a finite number ≥ 0, got {v!r}.")

    @property
    def uses_l1(self) -> bool:
        return self.kind in ("L1", "L1L2")

    @property
    def uses_l2(self) -> bool:
        return self.kind in ("L2", "L1L2")

    def penalty(self, w: np.ndarray) -> float:
        w = np.asarray(w, dtype=np.float64)
        total = 0.0
        if self.uses_l1:
            total += self.l1 * float(np.abs(w).sum())
        if self.uses_l2:
            total += self.l2 * float(np.square(w).sum())
        return total

    def keras_expr(self) -> str:
        """The Keras argument value, e.g. `regularizers.L1L2(l1=0.01, l2=0.001)`."""
        if self.kind == "none":
            return "None"
        if self.kind == "L1":
            return f"regularizers.L1({self.l1:g})"
        if self.kind == "L2":
            return f"regularizers.L2({self.l2:g})"
        return f"regularizers.L1L2(l1={self.l1:g}, l2={self.l2:g})"

    def formula(self) -> str:
        return {"none": "0", "L1": "l1·Σ|w|", "L2": "l2·Σw²",
                "L1L2": "l1·Σ|w| + l2·Σw²"}[self.kind]


@dataclass(frozen=True)
class PenaltyTerm:
    """The penalty on one weight array: its role (kernel / recurrent / bias) and arithmetic."""

    name: str
    role: str
    shape: tuple[int, ...]
    abs_sum: float  # Σ|w|
    square_sum: float  # Σw²
    penalty: float
    arithmetic: str


@dataclass(frozen=True)
class RegularizationReport:
    terms: tuple[PenaltyTerm, ...]
    by_role: Mapping[str, float]
    total: float


def regularization_penalty(weights: Iterable[tuple[str, str, Any]],
                           kernel: Regularizer = Regularizer(),
                           recurrent: Regularizer = Regularizer(),
                           bias: Regularizer = Regularizer()) -> RegularizationReport:
    """The loss term Keras adds for kernel_/recurrent_/bias_regularizer, on given weights.

    `weights` yields (name, role, array) with role in "kernel" (W, Keras' kernel = Wᵀ),
    "recurrent" (U) or "bias" (b, b_U). Transposing does not change Σ|w| or Σw², so the
    column layout gives the same penalty as Keras' row layout.
    """
    regs = {"kernel": kernel, "recurrent": recurrent, "bias": bias}
    terms = []
    for name, role, array in weights:
        if role not in regs:
            raise ShapeConfigError(f"role of {name} must be one of {', '.join(ROLES)}, got {role!r}.")
        w = np.asarray(array, dtype=np.float64)
        if not np.all(np.isfinite(w)):
            raise ShapeConfigError(f"{name} holds a non-finite value (inf or nan): the penalty "
                                   "is not defined. Fix the weights first.")
        reg = regs[role]
        a, s = float(np.abs(w).sum()), float(np.square(w).sum())
        parts = []
        if reg.uses_l1:
            parts.append(f"{reg.l1:g} × {a:.4g}")
        if reg.uses_l2:
            parts.append(f"{reg.l2:g} × {s:.4g}")
        value = reg.penalty(w)
        arithmetic = (" + ".join(parts) + f" = {value:.6g}") if parts else "no regularizer"
        terms.append(PenaltyTerm(name, role, tuple(w.shape), a, s, value, arithmetic))
    by_role = {r: sum(t.penalty for t in terms if t.role == r) for r in ROLES}
    return RegularizationReport(tuple(terms), by_role, sum(by_role.values()))


def model_weights(model: Any) -> list[tuple[str, str, np.ndarray]]:
    """(name, role, array) for every weight of a model, ready for `regularization_penalty`.

    Accepts a `birnn_core` ModelParams (anything with `.layers`, each with `.fwd` and an
    optional `.bwd` holding W, U, b and optionally b_U), or a plain mapping such as
    {"W_f": ..., "U_f": ..., "b_f": ..., "W_b": ...}: names starting with W are kernels,
    with U recurrent kernels, with b biases.
    """
    out: list[tuple[str, str, np.ndarray]] = []
    if isinstance(model, Mapping):
        for name, array in model.items():
            role = {"W": "kernel", "U": "recurrent", "b": "bias"}.get(str(name)[:1])
            if role is None:
                raise ShapeConfigError(f"cannot tell whether {name!r} is a kernel (W…), a "
                                       "recurrent kernel (U…) or a bias (b…).")
            out.append((str(name), role, np.asarray(array, dtype=np.float64)))
        return out
    layers = getattr(model, "layers", None)
    if layers is None:
        raise ShapeConfigError("the model has no layers: expected a ModelParams or a mapping "
                               "of W / U / b arrays.")
    many = len(layers) > 1
    for i, layer in enumerate(layers):
        for tag, direction in (("f", getattr(layer, "fwd", None)), ("b", getattr(layer, "bwd", None))):
            if direction is None:
                continue
            prefix = f"layer {i + 1} " if many else ""
            for attr, role, sym in (("W", "kernel", "W"), ("U", "recurrent", "U"),
                                    ("b", "bias", "b"), ("b_U", "bias", "b_U")):
                array = getattr(direction, attr, None)
                if array is None:
                    continue
                array = np.asarray(array, dtype=np.float64)
                if attr == "b_U" and not np.any(array):
                    continue  # a single-bias model keeps b_U at zero: nothing to penalise
                out.append((f"{prefix}{sym}_{tag}", role, array))
    return out


# ----------------------------------------------------------------------------------------------
# Seed 002, checked
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedCheck:
    """One example of seed 002: what it prints, what is right, and why."""

    title: str
    seed_code: str
    seed_says: str
    correct: str
    verdict: str  # "matches" or "wrong"
    explanation: str
    corrected_code: str = ""


SEED_INPUT = RecurrentSpec(batch_size=1, time_steps=3, features=5, units=64,
                           return_sequences=True)


def _shape_of(spec: RecurrentSpec) -> tuple[int, ...]:
    return keras_outputs(spec)[0].shape


def seed_002_checks() -> list[SeedCheck]:
    """The seed's examples, recomputed with this module's rules (see the tests for the
    hand-checked numbers). Shapes are Keras layout, (batch, time, features)."""
    checks = []
    for cell in CELLS:
        spec = replace(SEED_INPUT, cell=cell)
        n = total_params(spec, "Keras")
        shape = _shape_of(spec)
        checks.append(SeedCheck(
            f"{cell}(units=64, return_sequences=True) on (1, 3, 5)",
            f"layer = tf.keras.layers.{cell}(units=64, return_sequences=True)(input_data)",
            "Shape: (1, 3, 64)", f"{_shape_text(shape)}; {_fmt(n)} parameters",
            "matches" if shape == (1, 3, 64) else "wrong",
            "One 64-vector per time step because return_sequences=True. Parameters: "
            + param_counts(spec, "Keras")[0].arithmetic
            + (" (reset_after=True, Keras' default since TF 2.0: two bias vectors)" if cell == "GRU" else "")
            + ".",
        ))
    spec = RecurrentSpec(batch_size=2, time_steps=4, features=5, units=64, cell="SimpleRNN")
    checks.append(SeedCheck(
        "SimpleRNN(64, return_sequences=True) on batch 2 × 4 time steps",
        "input_data: shape (2, 4, 5)\n"
        "rnn_layer = tf.keras.layers.SimpleRNN(units=64, return_sequences=True)(input_data)",
        "(the seed prints no shape)", _shape_text(_shape_of(spec)), "matches",
        "Batch and time steps pass through unchanged; only the feature axis becomes units. "
        f"The parameter count does not depend on them: still {_fmt(total_params(spec, 'Keras'))}.",
    ))
    bi = RecurrentSpec(batch_size=1, time_steps=3, features=5, units=64, cell="LSTM",
                       bidirectional=True)
    checks.append(SeedCheck(
        "Bidirectional(LSTM(64, return_sequences=True)) on (1, 3, 5)",
        "bidirectional_rnn = tf.keras.layers.Bidirectional(\n"
        "    tf.keras.layers.LSTM(64, return_sequences=True))(input_data)",
        "(the seed prints no shape)",
        f"{_shape_text(_shape_of(bi))}; {_fmt(total_params(bi, 'Keras'))} parameters",
        "matches",
        "merge_mode defaults to concat: 64 forward + 64 backward units per step. Two LSTMs with "
        "their own weights: " + param_counts(bi, "Keras")[0].arithmetic + ".",
    ))
    cells_spec = RecurrentSpec(batch_size=1, time_steps=3, features=5, units=64, cell="LSTM",
                               num_layers=2, return_sequences=False)
    stacked = _shape_of(cells_spec)
    stacked_seq = _shape_of(replace(cells_spec, return_sequences=True))
    counts = param_counts(cells_spec, "Keras")
    checks.append(SeedCheck(
        "StackedRNNCells with two LSTMs",
        "lstm1 = tf.keras.layers.LSTM(64, return_sequences=True)\n"
        "lstm2 = tf.keras.layers.LSTM(64, return_sequences=True)\n"
        "stacked_lstm = tf.keras.layers.StackedRNNCells([lstm1, lstm2])\n"
        "rnn_output = tf.keras.layers.RNN(stacked_lstm)(input_data)",
        "Shape: (1, 3, 64)",
        f"Does not run. With cells: {_shape_text(stacked)} ({_shape_text(stacked_seq)} only "
        "with return_sequences=True on the RNN)",
        "wrong",
        "StackedRNNCells takes RNN *cells* (LSTMCell), which process one time step "
        "(batch, features); LSTM is a layer that processes a whole sequence, so the stack "
        "raises an error (where exactly depends on the Keras version). return_sequences "
        "belongs to the RNN wrapper, not to the cells: RNN(cells) returns the top cell's "
        f"output after the last step only, {_shape_text(stacked)}. Parameters: layer 1 "
        f"{counts[0].arithmetic}, layer 2 {counts[1].arithmetic}; total "
        f"{_fmt(sum(c.total for c in counts))}.",
        "cells = [tf.keras.layers.LSTMCell(64), tf.keras.layers.LSTMCell(64)]\n"
        "rnn_output = tf.keras.layers.RNN(cells)(input_data)"
        f"                         # {_shape_text(stacked)}\n"
        "rnn_seq = tf.keras.layers.RNN(cells, return_sequences=True)(input_data)"
        f"  # {_shape_text(stacked_seq)}",
    ))
    checks.append(SeedCheck(
        "RNN sequence generation loop",
        "rnn = tf.keras.layers.SimpleRNN(64, return_sequences=True)\n"
        "initial_state = rnn.get_initial_state(input_data)\n"
        "for _ in range(sequence_length):\n"
        "    output, new_state = rnn(sequence[-1], initial_state)\n"
        "    sequence.append(output)",
        "Shape of the last element in the sequence: (1, 3, 64)",
        "Does not run. Fixed as below, the last element is (1, 1, 5)",
        "wrong",
        "Without return_state=True the layer returns one tensor (1, 3, 64); unpacking it into "
        "`output, new_state` iterates its batch axis of length 1 and fails. With "
        "return_state=True the first call gives (1, 3, 64) and (1, 64), but the second call "
        "feeds that 64-feature output into a layer whose kernel is (5, 64): a shape error. "
        "The loop also passes the same initial_state every time, so nothing is carried over. "
        "(In Keras 3 get_initial_state takes a batch size, not a tensor.) Generation feeds one "
        "step at a time, maps the 64 units back to the 5 features, and carries the state.",
        "rnn = tf.keras.layers.SimpleRNN(64, return_sequences=True, return_state=True)\n"
        "to_features = tf.keras.layers.Dense(5)          # 64 units -> 5 features\n"
        "output, state = rnn(input_data)                 # (1, 3, 64), (1, 64)\n"
        "step = to_features(output[:, -1:, :])          # (1, 1, 5): the next input\n"
        "sequence = [input_data]\n"
        "for _ in range(sequence_length):\n"
        "    sequence.append(step)\n"
        "    output, state = rnn(step, initial_state=state)  # (1, 1, 64), (1, 64)\n"
        "    step = to_features(output)                  # (1, 1, 5)\n"
        "print(sequence[-1].shape)                       # (1, 1, 5)",
    ))
    checks.append(_seed_parameter_examples())
    ret = RecurrentSpec(batch_size=1, time_steps=40, features=64, units=128, cell="SimpleRNN",
                        return_sequences=False, return_state=True)
    out, state = keras_outputs(ret)
    checks.append(SeedCheck(
        "return_state=True in a Sequential model",
        "model.add(SimpleRNN(units=128, return_state=True, input_shape=(40, 64)))",
        "returns both the output sequence and the last state",
        f"the last output {_none_batch(out.shape)} and the last state {_none_batch(state.shape)}, "
        "not the sequence; and not inside a Sequential model",
        "wrong",
        "Without return_sequences=True the output is the last step's output, not the sequence; "
        "for SimpleRNN it equals the returned state. The layer returns two tensors, and a "
        "Sequential model needs one per layer (tf.keras raises \"All layers in a Sequential "
        "model should have a single output tensor. For multi-output layers, use the functional "
        f"API.\"). Parameters: {param_counts(ret, 'Keras')[0].arithmetic}.",
        "inputs = tf.keras.Input(shape=(40, 64))\n"
        "output, state = tf.keras.layers.SimpleRNN(128, return_state=True)(inputs)\n"
        "# output: (None, 128), state: (None, 128)\n"
        "seq, state = tf.keras.layers.SimpleRNN(\n"
        "    128, return_sequences=True, return_state=True)(inputs)\n"
        "# seq: (None, 40, 128), state: (None, 128)",
    ))
    checks.append(SeedCheck(
        "Custom cell: AbstractRNNCell",
        "class MyRNNCell(tf.keras.layers.AbstractRNNCell):\n"
        "    def __init__(self, units):\n"
        "        super(MyRNNCell, self).__init__()\n"
        "        self.units = units\n"
        "    def call(self, inputs, state):\n"
        "        new_state = inputs + state\n"
        "        output = new_state\n"
        "        return output, new_state\n"
        "rnn_layer = tf.keras.layers.RNN(MyRNNCell(64), return_sequences=True)(input_data)",
        "(the seed prints no shape)",
        "Does not run. Fixed as below: (1, 3, 64), 320 parameters",
        "wrong",
        "An RNN cell must say how big its state is (the `state_size` property, which "
        "AbstractRNNCell leaves abstract), so RNN(MyRNNCell(64)) cannot create the (1, 64) "
        "initial state. And `inputs + state` adds 5 features to 64 units: the input has to be "
        "mapped to 64 first, with a kernel of shape (5, 64) (5 × 64 = 320 parameters). The "
        "state also arrives as a list, one tensor per state.",
        "class MyRNNCell(tf.keras.layers.AbstractRNNCell):\n"
        "    def __init__(self, units, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.units = units\n"
        "\n"
        "    @property\n"
        "    def state_size(self):\n"
        "        return self.units\n"
        "\n"
        "    @property\n"
        "    def output_size(self):\n"
        "        return self.units\n"
        "\n"
        "    def build(self, input_shape):               # input_shape: (batch, 5)\n"
        "        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),\n"
        "                                      name=\"kernel\")  # (5, 64)\n"
        "\n"
        "    def call(self, inputs, states):\n"
        "        new_state = tf.matmul(inputs, self.kernel) + states[0]  # (batch, 64)\n"
        "        return new_state, [new_state]\n"
        "\n"
        "rnn_layer = tf.keras.layers.RNN(MyRNNCell(64), return_sequences=True)(input_data)\n"
        "print(rnn_layer.shape)  # (1, 3, 64)",
    ))
    return checks


def _none_batch(shape: Sequence[int]) -> str:
    """A Keras shape with an unknown batch, as model.summary() prints it: (None, 64)."""
    return _shape_text(("None",) + tuple(shape[1:]))


# The seed's "parameters of recurrent layers" examples: units, input_shape=(T, d), extra args.
SEED_PARAMETER_EXAMPLES = (
    (64, (10, 32), False, ""),
    (128, (20, 64), False, "activation='tanh'"),
    (32, (8, 16), False, "use_bias=True"),
    (64, (15, 128), False, "kernel_regularizer=l2(0.01)"),
    (128, (25, 32), False, "recurrent_regularizer=l1(0.001)"),
    (32, (12, 64), False, "bias_regularizer=l1_l2(l1=0.001, l2=0.01)"),
    (64, (30, 128), True, "return_sequences=True"),
)


def seed_parameter_examples() -> list[tuple[str, str, int, str]]:
    """(the seed's layer, output shape with batch None, parameters, arithmetic) per example."""
    rows = []
    for units, (T, d), seq, extra in SEED_PARAMETER_EXAMPLES:
        spec = RecurrentSpec(batch_size=1, time_steps=T, features=d, units=units,
                             cell="SimpleRNN", return_sequences=seq)
        count = param_counts(spec, "Keras")[0]
        args = ", ".join(a for a in (f"units={units}", extra, f"input_shape=({T}, {d})") if a)
        rows.append((f"SimpleRNN({args})", _none_batch(keras_outputs(spec)[0].shape), count.total, count.arithmetic))
    return rows


def _seed_parameter_examples() -> SeedCheck:
    lines = ["| layer | output shape | parameters |", "|---|---|---|"]
    lines += [f"| `{layer}` | `{shape}` | {arith} |"
              for layer, shape, _, arith in seed_parameter_examples()]
    return SeedCheck(
        "The parameter examples (units, activation, use_bias, regularizers, return_sequences)",
        "model.add(SimpleRNN(units=64, input_shape=(10, 32)))\n"
        "model.add(SimpleRNN(units=128, activation='tanh', input_shape=(20, 64)))\n"
        "...",
        "what each argument means (no shapes printed)",
        "as described; shapes and counts below",
        "matches",
        "input_shape=(T, d) leaves the batch out, so Keras shows it as None. Without "
        "return_sequences only the last step comes out. Regularizers add to the loss, not to "
        "the parameters. (Each line builds its own model: stacked in one Sequential, the "
        "second layer would receive a 2-D output where it needs (batch, time, features).)\n\n"
        + "\n".join(lines),
    )
