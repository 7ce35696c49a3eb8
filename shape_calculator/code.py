"""Ready-to-copy Keras 3 and PyTorch code that builds the stack and prints what the page states.

Names come from the registry entries: Keras' layer class and the arguments that select the cell
(``cell.keras.layer``, ``cell.keras.config``, e.g. GRU reset_after), PyTorch's module
(``cell.torch.module``; a cell without one gets its ``torch_refusal`` instead of code), the
activation's Keras / nn.RNN names, and each merge mode's Keras merge_mode and PyTorch expression.
"""
from __future__ import annotations

import textwrap
from typing import Sequence

from birnn_core.registry import activations, get_activation

from .counts import keras_biases, keras_output_width, param_counts, total_params
from .outputs import keras_outputs, torch_outputs
from .spec import DEFAULT_ACTIVATION, TORCH_MERGE, RecurrentSpec, count_text, py, shape_text

CODE_WIDTH = 56  # the code panes are half the page wide (about 58 characters)


def call(head: str, args: Sequence[str], width: int = CODE_WIDTH) -> str:
    """``head(arg, arg, ...)``, broken after commas with aligned arguments when too long."""
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


def comment_lines(text: str, width: int = CODE_WIDTH, lead: str = "# ") -> list[str]:
    return textwrap.wrap(text, width, initial_indent=lead, subsequent_indent="#   ")


# ---------------------------------------------------------------- Keras

def keras_layer_args(spec: RecurrentSpec, top: bool) -> list[str]:
    """units, what the layer returns, its activation and bias, then the arguments that select the
    cell's Keras variant (written out even where they are today's default: GRU's reset_after
    default was False in TF 1 and is True since TF 2)."""
    args = [str(spec.units)]
    if not top or spec.return_sequences:
        args.append("return_sequences=True")
    if top and spec.return_state:
        args.append("return_state=True")
    if spec.activation != DEFAULT_ACTIVATION:
        args.append(f"activation={py(get_activation(spec.activation).keras)}")
    if not spec.use_bias:
        args.append("use_bias=False")
    return args + [f"{k}={py(v)}" for k, v in spec.cell_entry.keras.config.items()]


def _keras_layer_lines(spec: RecurrentSpec, index: int, top: bool) -> list[str]:
    args, layer = keras_layer_args(spec, top), spec.cell_entry.keras.layer
    if not spec.bidirectional:
        return call(f"layer_{index} = layers.{layer}", args).splitlines()
    merge = py(spec.merge_entry.keras)
    one = f"layer_{index} = layers.Bidirectional(layers.{layer}({', '.join(args)}), merge_mode={merge})"
    if len(one) <= CODE_WIDTH:
        return [one]
    inner = call(f"    layers.{layer}", args).splitlines()
    inner[-1] += ","
    return [f"layer_{index} = layers.Bidirectional("] + inner + [f"    merge_mode={merge})"]


def keras_code(spec: RecurrentSpec) -> str:
    """Keras 3 code (tf.keras: ``from tensorflow.keras import layers``) that builds the stack,
    runs it on zeros of shape (B, T, d) and prints the shapes and parameter counts; each print
    carries, as a comment, what ``keras_outputs`` and ``param_counts`` state."""
    spec.validate()
    returned, counts = keras_outputs(spec), param_counts(spec, "Keras")
    lines = ["import numpy as np", "from keras import layers", "", "# x: (batch, time steps, features)",
             f'x = np.zeros({shape_text((spec.batch_size, spec.time_steps, spec.features), code=True)}, '
             'dtype="float32")']
    for i in range(spec.num_layers):
        lines += _keras_layer_lines(spec, i + 1, top=i == spec.num_layers - 1)
    lines.append("")
    width = keras_output_width(spec)
    for i in range(spec.num_layers - 1):
        lines.append(f"y{i + 1} = layer_{i + 1}({'x' if i == 0 else f'y{i}'})  "
                     f"# {shape_text((spec.batch_size, spec.time_steps, width))}")
    src, top = ("x" if spec.num_layers == 1 else f"y{spec.num_layers - 1}"), f"layer_{spec.num_layers}"
    if len(returned) == 1:
        lines += [f"output = {top}({src})", f"print(tuple(output.shape))  # {shape_text(returned[0].shape)}"]
    else:
        lines += [f"returned = {top}({src})  # a list of {len(returned)} tensors", "for tensor in returned:",
                  "    print(tuple(tensor.shape))"]
        lines += [f"#   {shape_text(r.shape)}  {r.name}" for r in returned]
    lines.append("")
    for c in counts:
        lines += comment_lines(c.arithmetic)
        lines.append(f"print(layer_{c.layer}.count_params())  # {count_text(c.total)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- PyTorch

def torch_caveats(spec: RecurrentSpec) -> list[str]:
    """Where PyTorch's built-in module is not the same model as the Keras settings (ValidationError
    with the cell's refusal when PyTorch has no module for the cell at all)."""
    torch, cell, act = spec.require_torch(), spec.cell_entry, get_activation(spec.activation)
    notes = []
    if torch.nonlinearity and act.torch is None:
        offered = " and ".join(a.torch for a in activations() if a.torch)
        notes.append(f"nn.{torch.module} offers only {offered}; activation={act.name} needs a hand-written "
                     f"loop. The module below uses {DEFAULT_ACTIVATION}: same shapes and counts.")
    if not torch.nonlinearity and spec.activation != DEFAULT_ACTIVATION:
        notes.append(f"nn.{torch.module} has no activation argument (always {DEFAULT_ACTIVATION}); the Keras "
                     "layer's activation changes values, not shapes or counts.")
    if spec.use_bias and keras_biases(spec.cell) == 1:
        G = cell.n_blocks
        notes.append("PyTorch keeps two bias vectors per gate block (bias_ih, bias_hh) where Keras keeps one: "
                     f"+G·h = {G * spec.units:,} parameters per direction, same function.")
    if spec.bidirectional and spec.merge_mode != TORCH_MERGE:
        notes.append(f"PyTorch always concatenates the two directions (no merge_mode); the lines after the "
                     f"module give what Keras' merge_mode={py(spec.merge_entry.keras)} returns.")
        if spec.num_layers > 1:
            notes.append(f"between stacked layers PyTorch also concatenates, so its layers 2+ read "
                         f"{2 * spec.units} features where Keras' merge_mode={py(spec.merge_entry.keras)} "
                         f"layers read {keras_output_width(spec)}: the counts differ.")
    return notes


def _keras_from_torch(spec: RecurrentSpec, batch_first: bool) -> list[str]:
    """Lines that give, from PyTorch's output and states, what Keras returns for the same settings."""
    h, merge = spec.units, spec.merge_entry
    lines = ["", "# What Keras returns for the same settings", "# (Keras layout: batch first):"]
    seq = "output" if batch_first else "output.transpose(0, 1)"
    if not spec.bidirectional:
        lines.append(f"keras_output = {seq if spec.return_sequences else 'h_n[-1]'}")
    elif spec.return_sequences and merge.single and spec.merge_mode == TORCH_MERGE:
        lines += [f"# output is already {merge.text('forward', 'backward')}", f"keras_output = {seq}"]
    else:
        if spec.return_sequences:
            if not batch_first:
                lines.append(f"seq = {seq}")
                seq = "seq"
            fwd, bwd = f"{seq}[..., :{h}]", f"{seq}[..., {h}:]"
        else:
            fwd, bwd = "h_n[-2]", "h_n[-1]"
        if not merge.single:
            lines += [f"keras_forward_output = {fwd}", f"keras_backward_output = {bwd}"]
        elif merge.torch is None:
            lines.append(f"# merge {merge.name!r} has no PyTorch expression in the registry")
        else:
            lines.append(f"keras_output = {merge.torch.format(f=fwd, b=bwd)}")
    if spec.return_state:
        rows = ["-2", "-1"] if spec.bidirectional else ["-1"]
        lines.append(f"keras_states = [{', '.join(f'{s}_n[{r}]' for r in rows for s in spec.state_names)}]")
    lines += [f"#   {shape_text(r.shape)}  {r.name}" for r in keras_outputs(spec)]
    return lines


def torch_code(spec: RecurrentSpec, batch_first: bool = True) -> str:
    """PyTorch code: the module, a forward pass on zeros, the printed shapes and parameter
    count, then the lines that give what Keras returns for the same settings (variables
    ``keras_output`` or ``keras_forward_output`` / ``keras_backward_output``, and ``keras_states``).
    ValidationError with the cell's refusal when PyTorch has no module for the cell."""
    spec.validate()
    torch, act = spec.require_torch(), get_activation(spec.activation)
    B, T, d, h, L = spec.batch_size, spec.time_steps, spec.features, spec.units, spec.num_layers
    args = [f"input_size={d}", f"hidden_size={h}"]
    args += [f"num_layers={L}"] if L > 1 else []
    args += ["bidirectional=True"] if spec.bidirectional else []
    args += ["batch_first=True"] if batch_first else []
    args += ["bias=False"] if not spec.use_bias else []
    if torch.nonlinearity and act.torch and act.torch != DEFAULT_ACTIVATION:
        args.append(f"nonlinearity={py(act.torch)}")
    lines = ["import torch", "from torch import nn", ""]
    for caveat in torch_caveats(spec):
        lines += comment_lines(caveat, lead="# NOTE: ")
    x_shape = (B, T, d) if batch_first else (T, B, d)
    lines.append("# x: " + ("(batch, time steps, features)" if batch_first else "(time steps, batch, features)"))
    lines.append(f"x = torch.zeros{shape_text(x_shape, code=True)}")
    lines.append(call(f"rnn = nn.{torch.module}", args))
    shapes = torch_outputs(spec, batch_first)
    states = [s.name for s in shapes[1:]]
    lines.append(f"output, {states[0] if len(states) == 1 else '(' + ', '.join(states) + ')'} = rnn(x)")
    lines += [f"print(tuple({s.name}.shape))  # {shape_text(s.shape)}" for s in shapes]
    lines.append(f"print(sum(p.numel() for p in rnn.parameters()))  # {count_text(total_params(spec, 'PyTorch'))}")
    return "\n".join(lines + _keras_from_torch(spec, batch_first)) + "\n"
