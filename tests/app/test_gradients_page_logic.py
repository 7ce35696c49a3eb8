"""The Gradients page's pure logic (app/gradients.py) and figures (app/figures/gradients.py)."""
from __future__ import annotations


import numpy as np
import pytest

from app import gradients as G
from app.figures.gradients import decay_figure, influence_heatmap
from birnn_core import presets, run
from birnn_core.backprop import influence


def seed():
    ex = presets.seed_example()
    return ex.model, ex.embeddings, run(ex.model, ex.embeddings, tokens=ex.tokens)


def sentence(T: int = 6, d: int = 3) -> np.ndarray:
    return np.random.default_rng(7).normal(size=(T, d))


# ---------------------------------------------------------------- the chain rule, term by term

@pytest.mark.parametrize("cell", G.cell_names())
@pytest.mark.parametrize("head", ["softmax", "sigmoid", "none"])
def test_the_terms_of_every_step_add_up_to_the_cores_recorded_gradient(cell, head):
    model = presets.random_model(cell, 3, 4, 3, 2, seed=3)
    model.head.activation = head
    X = sentence()
    trace = run(model, X)
    grads = G.gradients(trace, model)
    for direction, g in (("forward", grads.layers[0].fwd), ("backward", grads.layers[0].bwd)):
        for t in range(X.shape[0]):
            step = G.chain_step(trace, grads, direction, t)
            np.testing.assert_allclose(step.recorded, g.dh[0, t], rtol=0, atol=0)
            np.testing.assert_allclose(step.total, g.dh[0, t], rtol=1e-10, atol=1e-14)
            if cell == "lstm":
                np.testing.assert_allclose(step.c_total, g.dc[0, t], rtol=1e-10, atol=1e-14)
                assert [tm.name for tm in step.c_terms][-1] == ("forget-gate path" if step.source is not None
                                                                else "through h")
            if cell in ("gru", "gru_classic") and step.source is not None:
                z = trace.layers[0].fwd.gate("z") if direction == "forward" else trace.layers[0].bwd.gate("z")
                direct = [tm for tm in step.terms if tm.name == "update-gate path"][0].value
                np.testing.assert_allclose(direct, z[0, step.source] * g.dh[0, step.source])


def test_the_chain_flows_from_t_plus_1_forward_and_from_t_minus_1_backward():
    model, X, trace = seed()
    grads = G.gradients(trace, model)
    assert G.chain_step(trace, grads, "forward", 1).source == 2
    assert G.chain_step(trace, grads, "backward", 1).source == 0
    last, first = G.chain_step(trace, grads, "forward", 2), G.chain_step(trace, grads, "backward", 0)
    for end in (last, first):  # a chain's last step only gets what comes from above
        assert end.source is None and [tm.name for tm in end.terms] == ["from above"]
        np.testing.assert_array_equal(end.total, end.recorded)


def test_the_seed_step_by_hand():
    """Seed 000's model, forward chain at t = 2 ("love"), rebuilt without the core's backward pass:
    the loss is the mean cross-entropy against the model's own argmax; W_o's first two columns
    read h^fwd (concat)."""
    model, X, trace = seed()
    step = G.chain_step(trace, G.gradients(trace, model), "forward", 1)
    p = trace.probs[0]
    onehot = np.eye(2)[p.argmax(axis=1)]
    dlogits = (p - onehot) / 3
    W_o, U = np.array(presets.SEED_HEAD_W), np.array(presets.SEED_U)
    above = dlogits @ W_o[:, :2]                       # dL/dh^fwd_t from the output layer, every t
    h = trace.layers[0].fwd.h[0]
    dh3 = above[2]                                     # the chain's last step: only from above
    along = U.T @ ((1 - h[2] ** 2) * dh3)              # tanh' = 1 - h^2
    np.testing.assert_allclose(step.terms[0].value, above[1], rtol=1e-12)
    np.testing.assert_allclose(step.terms[1].value, along, rtol=1e-12)
    np.testing.assert_allclose(step.total, above[1] + along, rtol=1e-12)
    np.testing.assert_allclose(step.factors[0].value, 1 - h[2] ** 2, rtol=1e-12)
    lines = G.chain_lines(step)
    assert lines[-1] == f"the core's recorded ∂L/∂h_2 = {G.vec(step.recorded)}"
    assert lines[-2].startswith("∂L/∂h_2 = ") and lines[-2].endswith(G.vec(above[1] + along))
    assert "Uᵀ (φ'(pre_3) ⊙ ∂L/∂h_3)" in "\n".join(lines)


def test_chain_lines_say_where_a_chain_ends():
    model, X, trace = seed()
    grads = G.gradients(trace, model)
    assert "forward chain's last step" in G.chain_lines(G.chain_step(trace, grads, "forward", 2))[0]
    assert "backward chain's first step" in G.chain_lines(G.chain_step(trace, grads, "backward", 0))[0]


def test_rule_text_names_the_neighbour_and_the_gate_path():
    assert "h_(t+1)" in G.rule_text("rnn", "forward") and "U_f" in G.rule_text("rnn", "forward")
    assert "h_(t-1)" in G.rule_text("rnn", "backward") and "U_b" in G.rule_text("rnn", "backward")
    assert "forget-gate path" in G.rule_text("lstm", "forward")
    assert "update-gate path" in G.rule_text("gru", "backward")


def test_own_targets():
    model, X, trace = seed()
    np.testing.assert_array_equal(G.own_targets(trace), trace.probs.argmax(axis=-1))
    m = presets.random_model("rnn", 3, 2, 2, 3, seed=1)
    m.head.activation = "sigmoid"
    tr = run(m, X)
    assert set(np.unique(G.own_targets(tr))) <= {0.0, 1.0}
    m.head.activation = "none"
    assert not G.own_targets(run(m, X)).any()


# ---------------------------------------------------------------- maps, U's scale, decay

def test_maps_uni_beside_bi():
    model, X, _ = seed()
    maps = G.influence_maps(model, X)
    assert set(maps.bi) == {"merged", "forward", "backward"} and maps.bidirectional
    np.testing.assert_array_equal(maps.bi["forward"], maps.uni)  # the second direction changes nothing here
    assert not np.triu(maps.uni, 1).any() and not np.tril(maps.bi["backward"], -1).any()
    assert (maps.bi["merged"] > 0).all()
    np.testing.assert_array_equal(maps.bi["merged"], influence(model, X, "merged"))
    uni = G.uni_model(model)
    assert uni.layers[0].bwd is None and uni.head.W.shape == (2, 2)
    only_fwd = G.influence_maps(uni, X)
    assert set(only_fwd.bi) == {"merged", "forward"} and not only_fwd.bidirectional


def test_scale_U_and_spectral_radius():
    model, X, _ = seed()
    scaled = G.scale_U(model, 0.5)
    np.testing.assert_array_equal(scaled.layers[0].fwd.U, 0.5 * np.array(presets.SEED_U))
    np.testing.assert_array_equal(scaled.layers[0].bwd.W, model.layers[0].fwd.W)
    np.testing.assert_array_equal(model.layers[0].fwd.U, presets.SEED_U)  # the original is untouched
    rho = G.spectral_radii("rnn", np.array(presets.SEED_U))
    assert list(rho) == [""]
    assert rho[""] == pytest.approx(max(abs(np.linalg.eigvals(np.array(presets.SEED_U)))))
    assert G.spectral_radii("rnn", scaled.layers[0].fwd.U)[""] == pytest.approx(rho[""] / 2)
    lstm = presets.random_model("lstm", 3, 4, 4, 2, seed=0).layers[0].fwd.U
    assert list(G.spectral_radii("lstm", lstm)) == ["i", "f", "g", "o"]
    # a smaller U fades faster: at the farthest distance the forward chain keeps less
    far = lambda f: G.decay(G.influence_maps(G.scale_U(model, f), X).uni, "past")
    assert far(0.25)[-1] / far(0.25)[0] < far(1.0)[-1] / far(1.0)[0]
    assert not G.influence_maps(G.scale_U(model, 0.0), X).uni[np.tril_indices(3, -1)].any()


def test_decay_means_each_diagonal():
    M = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(G.decay(M, "past"), [np.mean([0, 4, 8]), np.mean([3, 7]), 6])
    np.testing.assert_array_equal(G.decay(M, "future"), [np.mean([0, 4, 8]), np.mean([1, 5]), 2])
    np.testing.assert_array_equal(G.decay(M, "both"), [np.mean([0, 4, 8]), np.mean([3, 7, 1, 5]), 4])


def test_cell_decays_use_the_model_for_its_own_cell_and_seeded_random_models_for_the_others():
    model, X, _ = seed()
    decays = G.cell_decays(model, X, 1.0)
    assert list(decays) == G.cell_names()
    np.testing.assert_array_equal(decays["rnn"], G.decay(influence(model, X, "forward"), "past"))
    other = G.comparison_model(model, "lstm")
    assert other.layers[0].cell == "lstm" and other.layers[0].fwd.hidden_size == 2
    np.testing.assert_array_equal(G.comparison_model(model, "lstm").layers[0].fwd.U, other.layers[0].fwd.U)
    np.testing.assert_array_equal(decays["lstm"], G.decay(influence(other, X, "forward"), "past"))


# ---------------------------------------------------------------- the seeds' claims, measured

def test_seed_claims_are_measured_not_written_in_advance():
    model, X, _ = seed()
    maps = G.influence_maps(model, X)
    claims = G.seed_claims(model, X, maps)
    assert [c.seed for c in claims] == ["000", "000/001", "001/000"]
    assert "largest difference 0." in claims[0].measured and claims[0].verdict.startswith("Not within a chain")
    far = G.decay(maps.bi["forward"], "past")
    assert f"{far[-1] / far[0]:.3g} × that at distance 0" in claims[0].measured
    assert "unidirectional 6, bidirectional 9, of 9" in claims[1].measured
    assert claims[1].verdict.startswith("Yes")
    assert "ms" in claims[2].measured and "3 steps in each direction" in claims[2].measured
    assert "The reason, no" in claims[2].verdict
    # a longer sentence: the counts follow it
    X7 = sentence(7)
    claims7 = G.seed_claims(model, X7, G.influence_maps(model, X7))
    assert "unidirectional 28, bidirectional 49, of 49" in claims7[1].measured
    # a unidirectional model has nothing to compare
    uni = G.uni_model(model)
    assert G.seed_claims(uni, X, G.influence_maps(uni, X)) == []


# ---------------------------------------------------------------- figures

def test_heatmap_shows_tokens_as_text_and_shares_a_scale():
    M = np.array([[1.0, 0.0], [0.5, 0.25]])
    fig = influence_heatmap(M, ["<b>x</b>", "a&b"], "t", zmax=2.0)
    assert list(fig.layout.xaxis.ticktext) == ["1 · &lt;b&gt;x&lt;/b&gt;", "2 · a&amp;b"]
    assert fig.data[0].zmax == 2.0 and fig.layout.yaxis.autorange == "reversed"
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), M)


def test_decay_figure_has_a_line_per_cell_on_a_log_axis():
    fig = decay_figure({"rnn": np.array([1.0, 0.1, 0.0]), "lstm": np.array([1.0, 0.5, 0.2])}, "rnn", 1.5)
    assert [tr.name for tr in fig.data] == ["SimpleRNN (this model)", "LSTM (random, seed 0)"]
    assert fig.layout.yaxis.type == "log" and "× 1.5" in fig.layout.title.text
    assert np.isnan(fig.data[0].y[2])  # an exact zero has no point on a log axis


def test_measure_holds_the_maps_and_decays_of_the_scaled_model():
    model, X, _ = seed()
    first = G.measure(model, X, 0.7)
    np.testing.assert_array_equal(first.maps.uni, G.influence_maps(G.scale_U(model, 0.7), X).uni)
    np.testing.assert_array_equal(first.decays["rnn"], G.cell_decays(model, X, 0.7)["rnn"])
