"""Stacked layers in the shared Workspace: resizing, the link, the exports, the editors' model and the
Gradients page's unidirectional twin, each against the core or PyTorch."""
import numpy as np
import pytest

from app import exports
from app.editing import differs, direction_blocks, direction_caption, nudge_targets, value_at, with_value
from app.gradients import uni_model
from app.workspace import MAX_LAYERS, Workspace
from birnn_core import ValidationError, presets, run
from birnn_core.convert import layers_from_torch_state_dict
from birnn_core.params import HeadParams, ModelParams


def seed_ws():
    return Workspace.from_example(presets.seed_example())


def _trace(ws):
    return run(ws.model(), ws.embeddings, tokens=ws.tokens)


def test_adding_layers_draws_them_and_layer_two_reads_layer_one():
    ws = seed_ws().resized(layers=3, tie=False)
    assert ws.n_layers == 3 and any("Layers 1 → 3" in n for n in ws.notes)
    assert [u.fwd.W.shape for u in ws.upper] == [(2, 4), (2, 4)]  # (h, m) with m = h_f + h_b
    tr = _trace(ws)
    np.testing.assert_array_equal(tr.layers[1].fwd.x[0], tr.layers[0].merged[0])
    np.testing.assert_array_equal(tr.layers[2].fwd.x[0], tr.layers[1].merged[0])
    np.testing.assert_allclose(_trace(ws.resized(layers=1)).layers[0].merged, tr.layers[0].merged)


def test_resizing_a_stack_keeps_values_and_says_what_it_did():
    ws = seed_ws().resized(layers=2, tie=False)
    ws.upper[0].bwd.W[:] = 0.25
    wider = ws.resized(h_b=3)
    assert wider.upper[0].bwd.W.shape == (3, 5) and wider.upper[0].fwd.W.shape == (2, 5)
    np.testing.assert_array_equal(wider.upper[0].bwd.W[:2, :4], 0.25)
    assert any("m changed 4 → 5" in n for n in wider.notes)
    lstm = ws.resized(cell="lstm")
    assert lstm.upper[0].fwd.W.shape == (8, 4) and np.all(lstm.upper[0].bwd.W[:2] == 0.25)
    fewer = ws.resized(layers=1)
    assert fewer.upper == [] and any("dropped" in n for n in fewer.notes)


def test_merge_none_cannot_feed_a_layer_above():
    ws = seed_ws().resized(merge="none").resized(layers=2)
    assert ws.merge == "concat" and any("no layer above can read" in n for n in ws.notes)
    _trace(ws)


def test_tied_stack_ties_every_layer():
    ws = seed_ws().resized(layers=2)
    assert ws.tie and all(np.array_equal(u.fwd.W, u.bwd.W) for u in ws.upper)
    changed = with_value(ws, "upper.0.fwd.W", (0, 1), 0.75)
    assert changed.upper[0].bwd.W[0, 1] == 0.75 and value_at(changed, "upper.0.fwd.W", (0, 1)) == 0.75


@pytest.mark.parametrize("tie", [True, False])
def test_link_and_json_round_trip_every_layer(tie):
    ws = seed_ws().resized(layers=3, tie=tie, cell="gru")
    ws.upper[1].fwd.U[0, 0] = 0.123456789
    back = Workspace.from_url_state(ws.to_url_state())
    assert back.to_dict() == ws.to_dict() and back.n_layers == 3
    assert ("bwd" in ws.to_dict()["up"][0]) is (not tie)
    assert exports.from_json(exports.to_json(ws, _trace(ws))).to_dict() == ws.to_dict()


@pytest.mark.parametrize("up,msg", [
    ("layer", "list of at most 2 layers"), ([{}] * 3, "list of at most 2 layers"),
    ([{"fwd": None}], "layer 2 forward weights are missing"),
    ([{"fwd": {"W": [[1.0]], "U": [[1.0]], "b": [0.0]}}], "layer 2 W_f has shape"),
    ([{"fwd": {"W": [[float("nan")] * 4] * 2, "U": [[0.0] * 2] * 2, "b": [0.0] * 2}}], "NaN"),
])
def test_bad_stacked_links_are_refused_with_a_message(up, msg):
    state = seed_ws().resized(layers=2).to_dict()
    state["up"] = up
    with pytest.raises(ValidationError, match=msg):
        Workspace.from_dict(state)


def test_the_largest_stack_is_refused_as_a_link_but_not_as_a_file():
    from app.workspace import MAX_CLASSES, MAX_DIM, MAX_URL_CHARS
    ws = seed_ws().resized(d=MAX_DIM, h_f=MAX_DIM, h_b=MAX_DIM, q=MAX_CLASSES, cell="lstm", tie=False,
                           layers=MAX_LAYERS)
    rng = np.random.default_rng(0)
    for u in ws.upper:
        u.fwd.W = rng.normal(size=u.fwd.W.shape)
    assert len(ws.to_url_state()) > MAX_URL_CHARS
    with pytest.raises(ValidationError, match="too long"):
        Workspace.from_url_state(ws.to_url_state())
    assert exports.from_json(exports.to_json(ws, None)).to_dict() == ws.to_dict()


@pytest.mark.parametrize("change", [
    {"layers": 2}, {"layers": 3, "cell": "gru", "tie": False, "h_b": 3}, {"layers": 2, "merge": "sum", "tie": False},
    {"layers": 2, "bidirectional": False}, {"layers": 3, "cell": "lstm", "merge": "ave", "tie": False}])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_pytorch_code_reproduces_a_stack(change, activation):
    ws = seed_ws().resized(**change)
    ws.activation = activation
    if not ws.tie:
        ws.upper[-1].bwd.W = ws.upper[-1].bwd.W * 0.5 - 0.1
    tr = _trace(ws)
    scope: dict = {}
    exec(compile(exports.pytorch_code(ws).replace("print(", "(lambda *a: None)("), "<export>", "exec"), scope)
    for l in range(ws.n_layers):
        np.testing.assert_allclose(scope[f"merged_l{l + 1}"].numpy(), tr.layers[l].merged, atol=1e-12)
    np.testing.assert_allclose(scope["y"].numpy(), tr.probs, atol=1e-12)


def test_csv_and_worksheet_hold_every_layer():
    ws = seed_ws().resized(layers=2)
    tr = _trace(ws)
    header = exports.states_csv(tr).splitlines()[0].split(",")
    assert "L1 h_fwd[1]" in header and "L2 merged[4]" in header and header[-1] == "y[2]"
    md = exports.worksheet_markdown(ws, tr)
    assert md.count("### t = ") == 12 and "## Layer 2: backward pass" in md and "2 layers" in md


def test_editors_name_and_reach_every_layer():
    ws = seed_ws().resized(layers=2, tie=False)
    assert [n for n, _ in direction_blocks(ws, "b", 1)] == ["layer 2 W_b", "layer 2 U_b", "layer 2 b_b"]
    assert "m_t of layer 1" in direction_caption(ws, "f", 1) and "(2, 4)" in direction_caption(ws, "f", 1)
    targets = nudge_targets(ws)
    path, index, symbol = targets["layer 2 W_b[1][4]"]
    changed = with_value(ws, path, index, 9.0)
    assert changed.upper[0].bwd.W[0, 3] == 9.0 and differs(changed, ws) and not differs(ws.copy(), ws)
    assert len(targets) == len(nudge_targets(seed_ws().resized(tie=False))) + 2 * (2 * 4 + 2 * 2 + 2)


def test_from_model_reads_a_pytorch_stack_and_computes_what_torch_computes():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    head = torch.nn.Linear(8, 5).double()
    X = torch.randn(1, 6, 3, dtype=torch.float64)
    with torch.no_grad():
        want = torch.softmax(head(lstm(X)[0]), -1).numpy()
    layers = layers_from_torch_state_dict(lstm.state_dict(), "lstm")
    model = ModelParams(layers, HeadParams(head.weight.detach().numpy(), head.bias.detach().numpy()))
    ws = Workspace.from_model(model, list("abcdef"), X[0].numpy(), "upload")
    assert ws.n_layers == 2 and not ws.tie
    np.testing.assert_allclose(_trace(ws).probs, want, atol=1e-12)
    assert Workspace.from_url_state(ws.to_url_state()).to_dict() == ws.to_dict()


def test_from_model_refuses_stacks_the_page_cannot_show():
    model = presets.random_model("rnn", 3, 2, 2, 2, num_layers=4)
    with pytest.raises(ValidationError, match="4 recurrent layers"):
        Workspace.from_model(model, ["a"], np.zeros((1, 3)))
    mixed = presets.random_model("rnn", 3, 2, 2, 2, num_layers=2)
    mixed.layers[1].activation = "relu"
    with pytest.raises(ValidationError, match="Layer 2 has activation 'relu'"):
        Workspace.from_model(mixed, ["a"], np.zeros((1, 3)))


@pytest.mark.parametrize("merge", ["concat", "sum"])
def test_the_unidirectional_twin_of_a_stack_reads_the_forward_halves(merge):
    ws = seed_ws().resized(layers=2, merge=merge, tie=False)
    uni = uni_model(ws.model())
    tr = run(uni, ws.embeddings)
    full = ws.model()
    assert tr.layers[1].fwd.x.shape[-1] == (2 if merge == "concat" else 2)
    if merge == "concat":
        np.testing.assert_array_equal(uni.layers[1].fwd.W, full.layers[1].fwd.W[:, :2])
