"""The shape-flow diagram of the Shapes & parameters page: FlowLayer list -> Graphviz DOT.

A pure function (no Streamlit): the page passes the string to st.graphviz_chart, which renders
DOT in the browser without a Graphviz install. Left to right: the input tensor, each stacked
layer (with its parameter count), the tensor it passes up, and the top layer's returned
tensors; states are dashed.
"""
from __future__ import annotations

from shape_calculator import FlowLayer

LAYER_STYLE = 'shape=box, style="rounded,filled", fillcolor="#dbe9f6", color="#4a7fb5"'
TENSOR_STYLE = 'shape=box, style="filled", fillcolor="#f4f4f4", color="#999999"'
STATE_STYLE = 'shape=box, style="filled,dashed", fillcolor="#fff6e0", color="#c69214"'


def _shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def shape_flow_dot(flow: list[FlowLayer], framework: str = "Keras") -> str:
    """DOT source of x -> layer 1 -> ... -> layer L -> returned tensors.

    In PyTorch's flow h_n / c_n gather the final state of every layer (rows 2l and 2l+1 for a
    bidirectional layer l), so every layer gets a dashed edge into them; in Keras' flow the
    states come from the top layer only.
    """
    lines = [
        "digraph shapes {",
        '  rankdir=LR; bgcolor="transparent";',
        '  node [fontname="Helvetica", fontsize=11]; edge [color="#666666"];',
    ]
    first = flow[0]
    lines.append(f"  x [label={_quote('x  ' + _shape(first.input_shape))}, {TENSOR_STYLE}];")
    previous = "x"
    state_names = {"h_n", "c_n"}
    for layer in flow:
        node = f"layer{layer.index}"
        label = f"layer {layer.index}\n{layer.label}\n{layer.params:,} parameters"
        lines.append(f"  {node} [label={_quote(label)}, {LAYER_STYLE}];")
        lines.append(f"  {previous} -> {node};")
        top = layer is flow[-1]
        if not top:
            seq = f"seq{layer.index}"
            out = layer.outputs[0]
            lines.append(f"  {seq} [label={_quote(_shape(out.shape))}, {TENSOR_STYLE}];")
            lines.append(f"  {node} -> {seq};")
            previous = seq
            continue
        for k, out in enumerate(layer.outputs):
            is_state = "state" in out.name or out.name in state_names
            style = STATE_STYLE if is_state else TENSOR_STYLE
            name = f"out{k}"
            lines.append(f"  {name} [label={_quote(out.name + '  ' + _shape(out.shape))}, "
                         f"{style}];")
            lines.append(f"  {node} -> {name}" + (' [style=dashed];' if is_state else ";"))
            if framework == "PyTorch" and out.name in state_names:
                for lower in flow[:-1]:
                    lines.append(f"  layer{lower.index} -> {name} [style=dashed];")
    lines.append("}")
    return "\n".join(lines) + "\n"
