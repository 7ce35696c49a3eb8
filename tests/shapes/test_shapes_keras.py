"""The Keras code the Shapes page generates, run in Keras 3 itself (numpy backend, no TensorFlow): what
it prints (every returned tensor's shape, every layer's count_params()) is what the page states (the
shapes table and the parameter table, from shape_calculator) and what the code's own comments say.

Every registered cell (gru_classic included: Keras' GRU with reset_after=False), unidirectional and
Bidirectional with every merge mode, the four return_sequences / return_state combinations, one
stacked and one bias-free setting per cell and merge.
"""
import contextlib
import io
import itertools
import os
import re

os.environ["KERAS_BACKEND"] = "numpy"  # before keras is imported anywhere

import pytest

keras = pytest.importorskip("keras")

from birnn_core.registry import cells, get_merge, merges  # noqa: E402
from shape_calculator import RecurrentSpec, keras_code, keras_outputs, param_counts, shape_text  # noqa: E402

if keras.backend.backend() != "numpy":  # keras was imported earlier with another backend
    pytest.skip(f"keras runs on the {keras.backend.backend()} backend here, not numpy", allow_module_level=True)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras' variables on numpy 2

CELLS = [c.name for c in cells()]
MERGES = [None] + [m.name for m in merges()]  # None: unidirectional
RETURNS = [(True, False), (False, True), (True, True), (False, False)]  # return_sequences, return_state


def run_code(code: str) -> list[str]:
    """Execute the generated code; the lines it prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<keras_code>", "exec"), {})
    return out.getvalue().splitlines()


def commented(code: str) -> list[str]:
    """What the code's comments say each print gives: `print(...)  # X` and the listed `#   (…)  name` shapes."""
    said = []
    for line in code.splitlines():
        if line.startswith("print(") and "  # " in line:
            said.append(line.split("  # ", 1)[1])
        elif m := re.match(r"#   (\(.*?\))  ", line):
            said.append(m.group(1))
    return said


def spec_for(cell: str, merge, k: int) -> RecurrentSpec:
    return_sequences, return_state = RETURNS[k]
    stackable = merge is None or get_merge(merge).single
    return RecurrentSpec(batch_size=2, time_steps=3, features=5, units=4, cell=cell, bidirectional=merge is not None,
                         merge_mode=merge or "concat", num_layers=2 if k == 0 and stackable else 1,
                         return_sequences=return_sequences, return_state=return_state, use_bias=k != 3)


@pytest.mark.parametrize("cell,merge", list(itertools.product(CELLS, MERGES)))
def test_generated_keras_code_prints_what_the_page_states(cell, merge):
    for k in range(len(RETURNS)):
        spec = spec_for(cell, merge, k)
        code = keras_code(spec)
        printed = run_code(code)
        shapes = [shape_text(r.shape) for r in keras_outputs(spec)]
        counts = [r.total for r in param_counts(spec, "Keras")]
        assert printed[:len(shapes)] == shapes, (spec, code)
        assert [int(n) for n in printed[len(shapes):]] == counts, (spec, code)
        said = commented(code)
        assert said[:len(shapes)] == shapes
        assert [int(n.replace(",", "")) for n in said[len(shapes):]] == counts


def test_the_classic_gru_is_keras_reset_after_false_with_one_bias():
    """3*(d*h + h*h + h) parameters per direction, as the page says for 'gru_classic'."""
    d, h = 5, 4
    spec = RecurrentSpec(features=d, units=h, cell="gru_classic", bidirectional=True)
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(keras_code(spec), "<keras_code>", "exec"), ns)
    gru = ns["layer_1"].forward_layer
    assert gru.get_config()["reset_after"] is False
    assert [tuple(w.shape) for w in gru.get_weights()] == [(d, 3 * h), (h, 3 * h), (3 * h,)]
    assert ns["layer_1"].count_params() == 2 * 3 * (d * h + h * h + h) == param_counts(spec, "Keras")[0].total
