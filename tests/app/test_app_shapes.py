"""AppTest: the Shapes & parameters page (app/views/shapes.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "app" / "views" / "shapes.py"


def _run() -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_defaults_reproduce_seed_002_lstm():
    at = _run()
    _no_errors(at)
    assert [t.value for t in at.title] == ["Shapes & parameters"]
    text = _markdown(at)
    assert text.count("Output: `(1, 3, 64)`") == 2  # Keras and PyTorch (batch_first)
    assert "**17,920**" in text  # Keras LSTM(64) on d=5: 4*64*(5+64+1)
    assert "**18,176**" in text  # PyTorch: 4*64*(5+64+2)
    assert "| h_n | `(1, 1, 64)`" in text
    dot = at.get("graphviz_chart")[0].proto.spec
    assert "x  (1, 3, 5)" in dot and "17,920 parameters" in dot and "output  (1, 3, 64)" in dot
    titles = [e.label for e in at.expander]
    assert sum(t.startswith("Matches:") for t in titles) == 6
    assert sum(t.startswith("Wrong in the seed:") for t in titles) == 4
    codes = [" ".join(c.value.split()) for c in at.code]  # calls may be wrapped
    assert any("layers.LSTM(64, return_sequences=True)" in c for c in codes)
    assert any("nn.LSTM(input_size=5, hidden_size=64, batch_first=True)" in c for c in codes)


def test_changing_settings_changes_shapes_counts_and_code():
    at = _run()
    at.number_input(key="shapes_units").set_value(8)
    at.selectbox(key="shapes_cell").set_value("gru")
    at.toggle(key="shapes_bi").set_value(True).run()  # enables the merge mode
    at.selectbox(key="shapes_merge").set_value("sum")
    at.number_input(key="shapes_layers").set_value(2)
    at.toggle(key="shapes_return_state").set_value(True)
    at.toggle(key="shapes_batch_first").set_value(False)
    at.run()
    _no_errors(at)
    text = _markdown(at)
    assert "Output: `(1, 3, 8)`" in text  # Keras: sum keeps h
    assert "Output: `(3, 1, 16)`" in text  # PyTorch, batch_first=False: (T, B, 2h)
    # Keras layer 1: 2 x 3*8*(5+8+2) = 720; layer 2 reads 8: 2 x 3*8*(8+8+2) = 864
    assert "**720**" in text and "**864**" in text
    # PyTorch layer 2 reads 16 (always concat): 2 x 3*8*(16+8+2) = 1,248
    assert "**1,248**" in text
    assert "| backward h state | `(1, 8)`" in text
    assert "| h_n | `(4, 1, 8)`" in text
    assert any("the counts differ" in i.value for i in at.info)
    assert any('merge_mode="sum"' in c.value for c in at.code)


def test_merge_none_with_stacked_layers_is_a_clear_error():
    at = _run()
    at.toggle(key="shapes_bi").set_value(True).run()
    at.selectbox(key="shapes_merge").set_value("none")
    at.number_input(key="shapes_layers").set_value(2).run()
    assert not at.exception
    assert len(at.error) == 1 and "merge_mode=None" in at.error[0].value
    assert "Choose concat, sum, mul, ave to stack layers" in at.error[0].value
    assert [s.value for s in at.subheader][-2:] == ["Regularizers", "Seed 002 checked"]
    at.number_input(key="shapes_layers").set_value(1).run()
    _no_errors(at)
    assert "| forward output | `(1, 3, 64)`" in _markdown(at)


def test_regularizer_penalty_on_the_seed_example():
    pytest.importorskip("birnn_core.presets")
    at = _run()
    # Defaults: kernel L2(0.01), recurrent L2(0.01), bias none, on W_f = W_b, U_f = U_b.
    # sum W^2 = 0.25+0.09+0.04+0.16+0.49+0.36 = 1.39; sum U^2 = 0.36+0.16+0.25+0.81 = 1.58
    text = _markdown(at)
    assert f"**Total penalty: {2 * 0.01 * 1.39 + 2 * 0.01 * 1.58:.6g}**" in text
    assert any("layers.SimpleRNN(units," in c.value
               and "kernel_regularizer=regularizers.L2(0.01)" in c.value
               and "bias_regularizer=None" in c.value for c in at.code)
    at.selectbox(key="shapes_reg_bias").set_value("L1").run()  # enables its l1
    at.number_input(key="shapes_reg_bias_l1").set_value(0.5)
    at.run()
    # + 0.5 * (|0.1| + |0.2|) per direction
    assert f"**Total penalty: {0.0594 + 2 * 0.5 * 0.3:.6g}**" in _markdown(at)


def test_regularizer_reads_the_step_by_step_model_from_session_state():
    core = pytest.importorskip("birnn_core")
    d = core.DirectionParams(np.full((2, 3), -1.0), np.zeros((2, 2)), np.zeros(2))
    model = core.ModelParams([core.LayerParams("rnn", d, None, "tanh", "concat")])
    at = AppTest.from_file(str(PAGE), default_timeout=30)
    at.session_state["model_params"] = model
    at.run()
    _no_errors(at)
    # kernel L2(0.01): 0.01 * 6 * 1.0 = 0.06; recurrent zero
    assert "**Total penalty: 0.06**" in _markdown(at)
    assert any("Step by step page's current model" in c.value for c in at.caption)


def test_a_broken_model_in_session_state_gives_a_message_not_a_traceback():
    at = AppTest.from_file(str(PAGE), default_timeout=30)
    at.session_state["model_params"] = "not a model"
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "Cannot compute the penalties" in at.error[0].value
    assert "the model has no layers" in at.error[0].value


def test_reads_the_model_the_step_by_step_page_left_in_the_session():
    """Through the entry file: open Step by step, then Shapes; the penalty is on that model."""
    if not (ROOT / "app" / "views" / "step_by_step.py").exists():
        pytest.skip("the Step by step page is not in this checkout")
    at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=60).run()
    at.switch_page("views/step_by_step.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "model_params" in at.session_state
    at.switch_page("views/shapes.py").run()
    _no_errors(at)
    assert any("Step by step page's current model" in c.value for c in at.caption)
    # Its default model is the seed's: 0.01 * (2 * 1.39) + 0.01 * (2 * 1.58)
    assert "**Total penalty: 0.0594**" in _markdown(at)


def test_shape_flow_dot_links_every_layer_to_h_n_in_pytorch_only():
    from app.figures_shapes import shape_flow_dot
    from shape_calculator import RecurrentSpec, shape_flow

    spec = RecurrentSpec(cell="lstm", bidirectional=True, num_layers=3, return_state=True)
    torch_dot = shape_flow_dot(shape_flow(spec, "PyTorch"), "PyTorch")
    # outputs of the top layer: out0 = output, out1 = h_n, out2 = c_n
    assert 'out1 [label="h_n  (6, 1, 64)"' in torch_dot
    for layer in (1, 2, 3):
        assert f"layer{layer} -> out1 [style=dashed];" in torch_dot
        assert f"layer{layer} -> out2 [style=dashed];" in torch_dot
    keras_dot = shape_flow_dot(shape_flow(spec, "Keras"), "Keras")
    assert "layer1 -> out" not in keras_dot and "layer3 -> out1 [style=dashed];" in keras_dot
    assert 'seq1 [label="(1, 3, 128)"' in keras_dot


def test_the_cell_picker_offers_every_registered_cell_by_its_display_name():
    from birnn_core.registry import cells

    at = _run()
    picker = at.selectbox(key="shapes_cell")
    assert picker.options == [c.display for c in cells()]
    assert picker.value == "lstm"


def test_every_cell_and_merge_renders_without_errors():
    """The page stays correct for every registered cell: its own Keras counts, and PyTorch's tables,
    code and diagram or the cell's refusal."""
    from birnn_core.registry import cells, merges

    at = _run()
    at.toggle(key="shapes_bi").set_value(True).run()
    for c in cells():
        for m in merges():
            at.selectbox(key="shapes_cell").set_value(c.name)
            at.selectbox(key="shapes_merge").set_value(m.name).run()
            _no_errors(at)
            text = _markdown(at)
            if c.torch is None:
                assert [w.value for w in at.warning] == [c.torch_refusal], (c.name, m.name)
                assert text.count("Output: `") == 1  # Keras only
                assert not any("from torch import nn" in code.value for code in at.code)
            else:
                assert not at.warning and text.count("Output: `") == 2, (c.name, m.name)
                assert any(f"nn.{c.torch.module}(" in " ".join(code.value.split()) for code in at.code)


def test_the_classic_gru_counts_keras_and_refuses_pytorch():
    from birnn_core.registry import get_cell

    at = _run()
    at.selectbox(key="shapes_cell").set_value("gru_classic").run()
    _no_errors(at)
    text = _markdown(at)
    # Keras GRU(64, reset_after=False) on d = 5: 3*(d*h + h*h + h) = 3*(320 + 4096 + 64)
    assert "`3h(d+h+1)`: 3 × 64 × (5 + 64 + 1) = 13,440 | **13,440** |" in text
    assert "Output: `(1, 3, 64)`" in text and "18,176" not in text
    assert [w.value for w in at.warning] == [get_cell("gru_classic").torch_refusal]
    assert any("reset_after=False" in c.value for c in at.code)
    assert any("No PyTorch code" in c.value for c in at.caption)
    at.segmented_control(key="shapes_flow_framework").set_value("PyTorch").run()
    _no_errors(at)
    assert len(at.warning) == 2 and not at.get("graphviz_chart")
