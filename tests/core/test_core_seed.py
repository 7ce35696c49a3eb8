"""Seed 000's worked example, "I love AI": what the core computes against what the seed prints.

The seed's step-1 numbers follow from its own parameters; its later "hand-computed" numbers are
approximations that do not. This file documents, value by value, which printed numbers match.
"""
import numpy as np
import pytest

from birnn_core import explain_latex, explain_text, presets, run

# For each value the seed prints: does the exact arithmetic give it (to the printed precision)?
# Established by computing each value below; the test fails if either side changes.
EXPECTED_MATCH = {
    ("forward", 1): True,    # [0.327, 0.635]: exact tanh([0.34, 0.75])
    ("forward", 2): False,   # printed [0.765, 0.851]; exact [0.758, 0.958]
    ("forward", 3): False,   # printed [0.88, 0.92];   exact [0.901, 0.989]
    ("backward", 3): False,  # printed [0.805, 0.921]; exact [0.565, 0.874] (x_3 with h_4 = 0)
    ("backward", 2): False,  # printed [0.742, 0.831]; exact [0.842, 0.978]
    ("backward", 1): False,  # printed [0.658, 0.789]; exact [0.844, 0.967]
}


@pytest.fixture(scope="module")
def trace():
    ex = presets.seed_example()
    return run(ex.model, ex.embeddings, tokens=ex.tokens)


def test_step1_forward_equals_seed(trace):
    fwd = trace.layers[0].fwd
    np.testing.assert_allclose(fwd.pre[0, 0], presets.SEED_PRINTED_PRE_STEP1, atol=1e-12)
    assert np.round(fwd.h[0, 0], 3).tolist() == [0.327, 0.635]


@pytest.mark.parametrize("key", sorted(presets.SEED_PRINTED))
def test_each_printed_value_is_documented(trace, key):
    """presets.seed_comparison is what the Step by step page's seed check shows."""
    value = next(v for v in presets.seed_comparison(trace) if (v.direction, v.t) == key)
    d = trace.layers[0].fwd if key[0] == "forward" else trace.layers[0].bwd
    np.testing.assert_array_equal(value.exact, d.h[0, key[1] - 1])
    assert value.matches == EXPECTED_MATCH[key], f"{key}: exact {value.exact}, seed prints {value.printed}"


def test_seed_comparison_rounds_to_the_printed_precision(trace):
    values = presets.seed_comparison(trace)
    assert [(v.direction, v.t) for v in values] == [("forward", 1), ("forward", 2), ("forward", 3),
                                                    ("backward", 1), ("backward", 2), ("backward", 3)]
    assert {(v.direction, v.t): v.decimals for v in values}[("forward", 3)] == 2  # printed [0.88, 0.92]
    one = presets.SeedValue("forward", 1, [0.33, 0.64], np.array([0.3275, 0.6351]))
    assert one.decimals == 2 and one.matches
    assert not presets.SeedValue("forward", 1, [0.327, 0.635], np.array([0.3276, 0.6351])).matches


def test_is_seed_trace(trace):
    assert presets.is_seed_trace(trace)
    ex = presets.seed_example()
    X = ex.embeddings.copy()
    X[0, 0] = 0.11
    assert not presets.is_seed_trace(run(ex.model, X, tokens=ex.tokens))
    assert not presets.is_seed_trace(run(ex.model, ex.embeddings, tokens=["I", "love", "ML"]))
    model = ex.model.copy()
    model.layers[0].bwd.b_U[0] = 0.5  # a recurrent bias changes every backward state
    assert not presets.is_seed_trace(run(model, ex.embeddings, tokens=ex.tokens))
    uni = presets.random_model("rnn", 3, 2, None, 2)
    assert not presets.is_seed_trace(run(uni, ex.embeddings, tokens=ex.tokens))


def test_exact_values_hand_checked(trace):
    """Step 2 forward by hand: W x_2 = [0.44, 0.98], U h_1 = [0.4505, 0.7351], + b."""
    fwd = trace.layers[0].fwd
    np.testing.assert_allclose(fwd.Wx[0, 1], [0.5 * 0.2 + 0.3 * 0.6 + 0.2 * 0.8, 0.4 * 0.2 + 0.7 * 0.6 + 0.6 * 0.8])
    h1 = np.tanh([0.34, 0.75])
    np.testing.assert_allclose(fwd.Uh[0, 1], [0.6 * h1[0] + 0.4 * h1[1], 0.5 * h1[0] + 0.9 * h1[1]])
    np.testing.assert_allclose(fwd.h[0, 1], np.tanh(fwd.Wx[0, 1] + fwd.Uh[0, 1] + [0.1, 0.2]))
    # backward starts at "AI" from a zero state; tied weights make its h_3 = tanh(W x_3 + b)
    np.testing.assert_allclose(trace.layers[0].bwd.h[0, 2], np.tanh(np.array(presets.SEED_W) @ [0.3, 0.7, 0.9] + [0.1, 0.2]))
    np.testing.assert_allclose(trace.output[0, 1], np.concatenate([fwd.h[0, 1], trace.layers[0].bwd.h[0, 1]]))


def test_explanation_written_as_the_seed_writes_it(trace):
    text = explain_text(trace.layers[0].fwd, 0)
    assert "0.5×0.1 + 0.3×0.3 + 0.2×0.5 = 0.24" in text
    assert "0.24 + 0 + 0.1 = 0.34" in text
    assert "tanh(0.34) = 0.327" in text
    assert "tanh(0.75) = 0.635" in text
    tex = "\n".join(explain_latex(trace.layers[0].fwd, 0))
    assert r"0.5 \times 0.1 + 0.3 \times 0.3 + 0.2 \times 0.5" in tex
    assert r"\begin{bmatrix}0.34 \\ 0.75\end{bmatrix}" in tex
    bwd = explain_text(trace.layers[0].bwd, 2)
    assert "backward direction, t = 3" in bwd and "0.5×0.3 + 0.3×0.7 + 0.2×0.9 = 0.54" in bwd


def test_output_equations_write_the_merge_and_the_head(trace):
    from birnn_core.explain import output_equations
    merge, head = output_equations(trace, 0)
    assert merge[:2] == [("sym", "m", "1", ""), ("op", "=")] and ("sym", "h", "1", "bwd") in merge
    assert merge[-1] == ("mat", [["0.327", "0.635", "0.844", "0.967"]])  # concat of both directions at t = 1
    assert head[2] == ("text", "softmax") and head[-1] == ("mat", [[f"{p:.3f}".rstrip("0") for p in trace.probs[0, 0]]])
    ex = presets.seed_example()
    uni = presets.random_model("rnn", 3, 2, None, None)
    assert output_equations(run(uni, ex.embeddings), 1) == []  # no second direction to merge, no head
