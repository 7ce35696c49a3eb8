"""birnn_core: a NumPy bidirectional RNN engine that records every intermediate term.

    from birnn_core import presets, run, explain_text
    ex = presets.seed_example()
    trace = run(ex.model, ex.embeddings, tokens=ex.tokens)
    print(explain_text(trace.layers[0].fwd, t=0))
"""
from . import presets
from . import registry
from .convert import (from_keras, from_rows, keras_cell, keras_config, keras_weights, layer_from_keras,
                      layers_from_torch_state_dict, layers_to_torch_state_dict, to_keras, to_rows)
from .engine import check_finite, head_forward, run, run_layer, sigmoid
from .errors import NonFiniteResultError, ValidationError
from .explain import explain_latex, explain_text, num, state_update_lines, step_terms
from .params import (ACTIVATIONS, CELL_NAMES, GATES, HEAD_ACTIVATIONS, MERGE_MODES, DirectionParams,
                     HeadParams, LayerParams, ModelParams, n_blocks, validate_model)
from .registry import (Activation, Cell, KerasLayout, Merge, SweepContext, TorchLayout, get_activation, get_cell,
                       get_merge, register_activation, register_cell, register_merge, unregister_activation,
                       unregister_cell, unregister_merge)
from .trace import DirectionTrace, LayerTrace, ModelTrace, merge_vectors

__all__ = [
    "presets", "from_keras", "from_rows", "layers_from_torch_state_dict", "layers_to_torch_state_dict",
    "to_keras", "to_rows", "check_finite", "head_forward", "run", "run_layer", "sigmoid",
    "NonFiniteResultError", "ValidationError", "explain_latex", "explain_text", "num",
    "state_update_lines", "step_terms", "ACTIVATIONS", "CELL_NAMES", "GATES", "HEAD_ACTIVATIONS",
    "MERGE_MODES", "DirectionParams", "HeadParams", "LayerParams", "ModelParams", "n_blocks",
    "validate_model", "DirectionTrace", "LayerTrace", "ModelTrace", "merge_vectors",
    "registry", "keras_cell", "keras_config", "keras_weights", "layer_from_keras", "Activation", "Cell",
    "KerasLayout", "Merge", "SweepContext", "TorchLayout", "get_activation", "get_cell", "get_merge",
    "register_activation", "register_cell", "register_merge", "unregister_activation", "unregister_cell",
    "unregister_merge",
]
