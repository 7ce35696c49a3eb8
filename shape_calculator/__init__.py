"""shape_calculator: shapes and parameter counts of recurrent layers, in Keras' layout and in PyTorch's.

Answers "what shape comes out, how many parameters, and what code gives it" for a stack of
recurrent layers, one or both directions, without running either framework:

    x: (B, T, d)  ->  layer 1  ->  layer 2  ->  ...  ->  output and final states

Notation: B batch, T time steps, d features of the layer's input, h units (hidden size),
G gate blocks (SimpleRNN 1, GRU 3, LSTM 4), D directions (1 or 2), L stacked layers.

It speaks ``birnn_core``'s vocabulary: cells, merge modes and activations are registry names
("rnn", "gru", "lstm", "gru_classic"; "concat", "sum", "mul", "ave", "none"), and what Keras and
PyTorch call them comes from the registry entries. Errors are ``birnn_core.ValidationError``.

    spec.py            RecurrentSpec (the settings), NamedShape, how shapes and values are written
    counts.py          parameter counts per layer and framework (ParamCount)
    outputs.py         returned tensors (keras_outputs, torch_outputs) and the flow through the stack
    code.py            Keras and PyTorch code that gives these shapes, PyTorch's caveats
    regularization.py  Keras' weight regularizers evaluated on given weights
    seed_002.py        seed 002's examples, checked
    report.py          the Shapes page's Markdown texts

Pure Python + NumPy on top of ``birnn_core``; no Streamlit, no torch, no Keras.
"""
from .code import keras_code, torch_caveats, torch_code
from .counts import (ParamCount, keras_biases, keras_input_sizes, keras_layer_params, keras_output_width,
                     param_counts, torch_input_sizes, torch_layer_params, torch_output_width, total_params)
from .outputs import FlowLayer, keras_layer_label, keras_outputs, shape_flow, torch_outputs
from .regularization import (REGULARIZER_KINDS, ROLES, PenaltyTerm, RegularizationReport, Regularizer, model_cell,
                             model_weights, regularization_penalty, regularizer_code)
from . import report
from .seed_002 import SeedCheck, seed_002_checks, seed_parameter_examples
from .spec import FRAMEWORKS, TORCH_MERGE, NamedShape, RecurrentSpec, shape_text

__all__ = [
    "keras_code", "torch_caveats", "torch_code", "ParamCount", "keras_biases", "keras_input_sizes",
    "keras_layer_params", "keras_output_width", "param_counts", "torch_input_sizes", "torch_layer_params",
    "torch_output_width", "total_params", "FlowLayer", "keras_layer_label", "keras_outputs", "shape_flow",
    "torch_outputs", "REGULARIZER_KINDS", "ROLES", "PenaltyTerm", "RegularizationReport", "Regularizer",
    "model_cell", "model_weights", "regularization_penalty", "regularizer_code", "SeedCheck", "seed_002_checks",
    "seed_parameter_examples", "report", "FRAMEWORKS", "TORCH_MERGE", "NamedShape", "RecurrentSpec", "shape_text",
]
