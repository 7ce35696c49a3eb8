"""The shared Workspace: resizing, the share-link codec (hostile input included) and the exports."""
import base64
import re
import json
import zlib

import numpy as np
import pytest

from app import exports
from app.workspace import MAX_TOKENS, Workspace
from birnn_core import ValidationError, presets, run


def seed_ws():
    return Workspace.from_example(presets.seed_example())


def test_url_round_trip_is_exact_and_compact():
    ws = seed_ws().resized(cell="lstm", h_f=3, tie=False)
    ws.embeddings[0, 0] = 0.1234567890123
    back = Workspace.from_url_state(ws.to_url_state())
    assert back.tokens == ws.tokens and back.cell == "lstm" and not back.tie
    np.testing.assert_array_equal(back.embeddings, ws.embeddings)
    np.testing.assert_array_equal(back.bwd.U, ws.bwd.U)
    assert len(seed_ws().to_url_state()) < 400


def test_the_largest_workspace_fits_in_a_link():
    """60 tokens, d = h_f = h_b = 16, LSTM, 12 classes, every number random: the link opens again."""
    from app.workspace import MAX_CLASSES, MAX_DIM, MAX_TOKENS, MAX_URL_CHARS
    ws = seed_ws().resized(d=MAX_DIM, h_f=MAX_DIM, h_b=MAX_DIM, q=MAX_CLASSES, cell="lstm", tie=False)
    rng = np.random.default_rng(0)
    ws.tokens = [f"token{i}" for i in range(MAX_TOKENS)]
    ws.embeddings = rng.normal(size=(MAX_TOKENS, MAX_DIM))
    for p in (ws.fwd, ws.bwd):
        for k in ("W", "U", "b", "b_U"):
            setattr(p, k, rng.normal(size=getattr(p, k).shape))
    ws.head_W = rng.normal(size=ws.head_W.shape)
    link = ws.to_url_state()
    assert len(link) <= MAX_URL_CHARS
    np.testing.assert_array_equal(Workspace.from_url_state(link).bwd.U, ws.bwd.U)


@pytest.mark.parametrize("bad,msg", [
    ("", "version"), ("2.abc", "version"), ("1.!!!notbase64", "damaged"), ("1." + "A" * 90_000, "too long"),
    ("1." + base64.urlsafe_b64encode(b"not zlib").decode(), "damaged"),
])
def test_hostile_or_damaged_links_are_refused_with_a_message(bad, msg):
    with pytest.raises(ValidationError, match=msg):
        Workspace.from_url_state(bad)


def _pack(obj) -> str:
    return "1." + base64.urlsafe_b64encode(zlib.compress(json.dumps(obj).encode(), 9)).decode()


def test_zip_bomb_and_bad_fields_refused():
    with pytest.raises(ValidationError, match="more than"):
        Workspace.from_url_state("1." + base64.urlsafe_b64encode(zlib.compress(b" " * 5_000_000, 9)).decode())
    good = seed_ws().to_dict()
    for change, msg in [({"tokens": ["w"] * (MAX_TOKENS + 1)}, "tokens"), ({"cell": "transformer"}, "cell"),
                        ({"X": [[1, 2, "x"]] * 3}, "embeddings"), ({"v": "9"}, "version"),
                        ({"fwd": {"W": [[1.0]], "U": [[1.0]], "b": [0.0]}}, "W_f has shape"),
                        ({"Wo": [[float("nan")] * 4] * 2}, "NaN")]:
        with pytest.raises(ValidationError, match=msg):
            Workspace.from_url_state(_pack({**good, **change}))


def test_resize_keeps_values_and_says_what_it_did():
    ws = seed_ws().resized(d=4)
    assert ws.embeddings.shape == (3, 4) and np.all(ws.embeddings[:, 3] == 0)
    np.testing.assert_array_equal(ws.embeddings[:, :3], seed_ws().embeddings)
    assert any("d changed 3 → 4" in n for n in ws.notes)
    ws2 = seed_ws().resized(tie=False, h_b=3)
    assert ws2.bwd.U.shape == (3, 3) and ws2.head_W.shape == (2, 5)
    np.testing.assert_array_equal(ws2.bwd.U[:2, :2], seed_ws().bwd.U)
    ws3 = seed_ws().resized(tie=False, h_b=3, merge="sum")
    assert ws3.h_b == 2 and any("needs h_b = h_f" in n for n in ws3.notes)


def _trace(ws):
    return run(ws.model(), ws.embeddings, tokens=ws.tokens)


@pytest.mark.parametrize("change", [
    {}, {"cell": "gru"}, {"cell": "lstm", "tie": False, "h_b": 3}, {"merge": "sum"}, {"bidirectional": False},
    {"merge": "ave", "tie": False}, {"merge": "mul"}])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_pytorch_code_reproduces_the_numbers(change, activation):
    ws = seed_ws().resized(**change)
    ws.activation = activation
    if not ws.tie:
        ws.bwd.W = ws.bwd.W * 0.5 - 0.1
    ws.head_activation = "sigmoid" if change.get("merge") == "mul" else "softmax"
    tr = _trace(ws)
    scope = {}
    exec(compile(exports.pytorch_code(ws).replace("print(", "(lambda *a: None)("), "<export>", "exec"), scope)
    np.testing.assert_allclose(scope["merged"].numpy(), tr.output, atol=1e-12)
    np.testing.assert_allclose(scope["y"].numpy(), tr.probs, atol=1e-12)


def test_pytorch_code_is_refused_where_pytorch_or_the_core_cannot_compute_it():
    none = seed_ws().resized(merge="none")
    with pytest.raises(ValidationError, match="no single vector"):
        exports.pytorch_code(none)
    classic = seed_ws().resized(cell="gru_classic")
    with pytest.raises(ValidationError, match="nn.GRU cannot express"):
        exports.pytorch_code(classic)
    offered = {e.label: e.refusal(none) for e in exports.EXPORTS}
    assert offered["PyTorch code"] == exports.torch_refusal(none) and offered["CSV of the states"] is None


def test_json_export_imports_again_and_csv_has_every_state():
    ws = seed_ws()
    tr = _trace(ws)
    back = exports.from_json(exports.to_json(ws, tr))
    assert back.to_dict() == ws.to_dict()
    csv = exports.states_csv(tr).splitlines()
    assert csv[0].startswith("t,token,h_fwd[1],h_fwd[2],h_bwd[1],h_bwd[2],merged[1]")
    assert csv[1].startswith("1,I,0.32747739")
    with pytest.raises(ValidationError, match="not JSON"):
        exports.from_json(b"\x80\x04\x95 pickle bytes")
    with pytest.raises(ValidationError, match="limited"):
        exports.from_json(b" " * 3_000_000)


def test_worksheet_has_every_step():
    ws = seed_ws()
    md = exports.worksheet_markdown(ws, _trace(ws))
    assert md.count("### t = ") == 6  # 3 forward + 3 backward
    assert r"0.5 \times 0.1 + 0.3 \times 0.3 + 0.2 \times 0.5" in md
    assert "t = 2 (love): [0.758, 0.958, 0.842, 0.978]" in md


# ---------------------------------------------------------------- hostile states: refused with a message

def _state(**changes) -> dict:
    d = seed_ws().to_dict()
    d.update(changes)
    return d


@pytest.mark.parametrize("changes, message", [
    ({"tie": "no"}, "'tie' is 'no': it must be true or false"),
    ({"bi": "false"}, "'bi' is 'false': it must be true or false"),
    ({"bi": 0}, "'bi' is 0: it must be true or false"),
    ({"cell": ["rnn"]}, "'cell' is 'list'"),
    ({"tokens": ["a", "b", "x" * 41]}, "41 characters"),
    ({"tokens": ["a", "b\x07", "c"]}, "control character U+0007"),
    ({"tokens": ["a", "", "c"]}, "Token 2 is empty"),
    ({"X": [[0.1, 0.2, "0.3"]] * 3}, "embeddings must be a matrix of numbers"),
    ({"X": [[0.1, True, 0.3]] * 3}, "embeddings must be a matrix of numbers"),
    ({"X": [[0.1, 0.2], [0.1, 0.2, 0.3], [0.1, 0.2, 0.3]]}, "rows of equal length"),
    ({"X": [[[0.1]] * 3] * 3}, "embeddings must be a matrix of numbers"),
    ({"X": [[1e308 * 10, 0.2, 0.3]] * 3}, "NaN or inf"),
    ({"X": [[10 ** 400, 0.2, 0.3]] * 3}, "beyond the largest 64-bit float"),
    ({"preset": {"a": 1}}, "'preset' must be text of at most 80 characters"),
])
def test_hostile_state_fields_are_refused_with_what_to_change(changes, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        Workspace.from_dict(_state(**changes))


@pytest.mark.parametrize("raw, message", [
    ("[" * 10_000 + "]" * 10_000, "nested too deeply"),
    ('{"v": "1", "X": [[' + "9" * 400 + "]]}", "400-digit number"),
    ('{"v": "1", "X": [[NaN]]}', "holds NaN"),
    ('{"v": "1", "X": [[-Infinity]]}', "holds -Infinity"),
    ('{"v": "1", "tokens": ["a"', "not valid JSON"),
    ("", "not valid JSON"),
])
def test_hostile_json_is_refused_by_link_and_import(raw, message):
    link = "1." + base64.urlsafe_b64encode(zlib.compress(raw.encode())).decode().rstrip("=")
    for load, arg in ((Workspace.from_url_state, link), (exports.from_json, raw.encode())):
        with pytest.raises(ValidationError, match=re.escape(message)):
            load(arg)


def test_a_pickle_is_never_unpickled():
    import pickle
    with pytest.raises(ValidationError, match="never reads pickles"):
        exports.from_json(pickle.dumps({"v": "1"}))


def test_the_link_holds_one_entry_per_field_row_and_old_links_keep_opening():
    from app.workspace import FIELDS
    ws = seed_ws().resized(tie=False, layers=2)
    assert set(ws.to_dict()) == {"v"} | {f.key for f in FIELDS}
    assert "bwd" not in seed_ws().to_dict()  # tied: the backward weights are the forward ones
    assert "up" not in seed_ws().to_dict()  # one layer: links from before stacks look the same
    old = seed_ws().resized(tie=False).to_dict()
    for key in ("tie", "bi", "preset"):  # fields with a default may be missing from older links
        del old[key]
    back = Workspace.from_dict(old)
    assert (back.tie, back.bidirectional, back.preset) == (False, True, "")
    missing = seed_ws().to_dict()
    del missing["cell"]
    with pytest.raises(ValidationError, match="The state has no 'cell'"):
        Workspace.from_dict(missing)
