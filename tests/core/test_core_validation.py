"""Messages a person can act on: which matrix, its shape, the shape it must have and why."""
import numpy as np
import pytest

from birnn_core import (DirectionParams, LayerParams, ModelParams, NonFiniteResultError, ValidationError,
                        presets, run)


def seed():
    return presets.seed_example()


def test_wrong_W_shape_names_matrix_and_required_shape():
    ex = seed()
    ex.model.layers[0].fwd.W = np.zeros((2, 4))
    with pytest.raises(ValidationError) as e:
        run(ex.model, ex.embeddings)
    msg = str(e.value)
    assert "W_f has shape (2, 4)" in msg and "d = 3" in msg and "must be (h_f, d) = (2, 3)" in msg
    assert e.value.field == "W_f"


def test_gru_blocks_are_explained():
    m = presets.random_model("gru", 3, 2, 2, None)
    m.layers[0].bwd.U = np.zeros((2, 2))
    with pytest.raises(ValidationError, match=r"U_b has shape \(2, 2\).*r, z, n.*must be \(3·h_b, h_b\) = \(6, 2\)"):
        run(m, np.zeros((3, 3)))


def test_nan_in_weights_and_inputs():
    ex = seed()
    ex.model.layers[0].bwd.b[1] = np.nan
    with pytest.raises(ValidationError, match=r"b_b\[1\] is nan"):
        run(ex.model, ex.embeddings)
    ex = seed()
    X = ex.embeddings.copy()
    X[1, 2] = np.inf
    with pytest.raises(ValidationError, match=r"x_2\[2\].*inf.*finite"):
        run(ex.model, X)


def test_merge_sum_with_different_sizes_is_a_clear_error():
    m = presets.random_model("rnn", 3, 2, 3, None, merge="sum")
    with pytest.raises(ValidationError, match="h_f = 2 and h_b = 3"):
        run(m, np.zeros((2, 3)))


def test_head_shape_mentions_concatenation():
    ex = seed()
    ex.model.head.W = np.zeros((2, 2))
    with pytest.raises(ValidationError, match=r"W_o has shape \(2, 2\).*m = 4.*concatenated.*must be \(q, m\) = \(2, 4\)"):
        run(ex.model, ex.embeddings)


def test_empty_sequence_and_bad_lengths():
    ex = seed()
    with pytest.raises(ValidationError, match="empty"):
        run(ex.model, np.zeros((0, 3)))
    with pytest.raises(ValidationError, match="lengths"):
        run(ex.model, ex.embeddings, lengths=[4])


def test_relu_overflow_reports_step_and_direction():
    W = np.full((2, 3), 1e150)
    U = np.full((2, 2), 1e150)
    p = DirectionParams(W, U, np.zeros(2))
    m = ModelParams([LayerParams("rnn", p, p.copy(), activation="relu")])
    with pytest.raises(NonFiniteResultError) as e:
        run(m, np.ones((4, 3)))
    # h_1 = 3e150, h_2 = 3e150 + 2e150 * 3e150 ≈ 6e300 (still finite), h_3 overflows
    assert e.value.direction == "forward" and e.value.t == 2
    assert "forward direction" in str(e.value) and "t = 3" in str(e.value)
    assert e.value.trace is not None and np.isfinite(e.value.trace.layers[0].fwd.h[0, 0]).all()
    m.layers[0].fwd = DirectionParams(np.zeros((2, 3)), np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(NonFiniteResultError) as e:
        run(m, np.ones((4, 3)))
    assert e.value.direction == "backward" and e.value.t == 1  # backward runs 4, 3, 2: overflows at t = 2


def test_merge_none_below_last_layer_refused():
    m = presets.random_model("rnn", 3, 2, 2, None, num_layers=2)
    m.layers[0].merge = "none"
    with pytest.raises(ValidationError, match="merge 'none'"):
        run(m, np.zeros((2, 3)))
