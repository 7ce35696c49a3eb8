"""The scrub's frames (app/scrub.py): every frame is the states table the page would print after typing
that value, on every kind of workspace; the integer encoding prints exactly as num() does."""
import base64
import json

import numpy as np
import pytest

from birnn_core import num, presets, run

from app.editing import nudge_targets, value_at as ws_value, with_value
from app.scrub import (DIGITS, SENTINELS, display_integers, encoded, ident, matrix_view, number_of, payload, scrub_frames,
                       value_for)
from app.tables import states_columns
from app.workspace import Workspace


def _seed() -> Workspace:
    return Workspace.from_example(presets.seed_example())


def _workspaces():
    seed = _seed()
    yield "seed (tied)", seed
    yield "untied", seed.resized(tie=False)
    yield "uni", seed.resized(bidirectional=False)
    yield "gru 2 layers", seed.resized(tie=False, cell="gru", layers=2)
    yield "lstm h_f 3 h_b 1", seed.resized(tie=False, cell="lstm", h_f=3, h_b=1)
    yield "classic gru sum", seed.resized(tie=False, cell="gru_classic", merge="sum")
    for name, ex in presets.all_presets().items():
        yield f"preset {name}", Workspace.from_example(ex)


def _printed(ws: Workspace) -> list[list[str]]:
    cols = states_columns(run(ws.model(), ws.embeddings, check=False))
    return [[num(float(v[t]), DIGITS) for _, _, v in cols] for t in range(len(ws.tokens))]


def _decoded(p: dict, label: str) -> np.ndarray:
    f = p["frames"][label]
    dtype = {"int16": "<i2", "int32": "<i4"}[f["encoding"]]
    return np.frombuffer(base64.b64decode(f["cells"]), dtype=dtype).reshape(len(f["value_ints"]), p["T"], p["C"])


def _as_text(n: int, digits: int = DIGITS) -> str:
    """What scrub.js prints for the integer n (the same rule, written in Python for the test)."""
    whole, frac = divmod(abs(n), 10 ** digits)
    s = f"{whole}" + (f".{frac:0{digits}d}".rstrip("0") if frac else "")
    return f"-{s}" if n < 0 and s != "0" else s


@pytest.mark.parametrize("name,ws", list(_workspaces()), ids=lambda x: x if isinstance(x, str) else "")
def test_each_frame_prints_what_the_page_prints_after_typing_that_value(name, ws):
    targets = nudge_targets(ws)
    rng = np.random.default_rng(0)
    labels = list(targets)
    for label in [labels[0], labels[-1], *rng.choice(labels, 6)]:
        path, index, symbol = targets[label]
        frames = scrub_frames(ws, path, index)
        p = json.loads(json.dumps(payload(ws, label), allow_nan=False))
        ints = _decoded(p, label)
        f = p["frames"][label]
        assert [_as_text(n, f["value_digits"]) for n in f["value_ints"]] == [num(float(v), 4) for v in frames.values]
        assert frames.values[frames.centre] == ws_value(ws, path, index)
        for k in (0, 37, frames.centre, len(frames.values) - 1):
            value = value_for(ws, path, index, k)
            assert value == frames.values[k]
            want = _printed(with_value(ws, path, index, value))
            got = [[_as_text(int(n)) for n in row] for row in ints[k]]
            assert got == want, (name, label, k)


def test_a_tied_forward_weight_is_scanned_in_both_directions():
    ws = _seed()
    assert ws.tie
    assert number_of(ws, "fwd.U", (0, 1)).directions == ("forward", "backward")
    assert number_of(ws.resized(tie=False), "fwd.U", (0, 1)).directions == ("forward",)
    assert number_of(ws.resized(tie=False), "bwd.b", (1,)).directions == ("backward",)
    two = ws.resized(tie=False, layers=2)
    n = number_of(two, "upper.0.bwd.W", (1, 2))
    assert (n.array, n.layer, n.index, n.directions) == ("W", 1, (1, 2), ("backward",))
    assert number_of(ws, "embeddings", (2, 0)).array == "x"
    assert number_of(ws, "head_b", (1,)).array == "head_b"


def test_display_integers_round_as_num_prints_even_at_ties():
    v = np.array([0.0625, -0.0625, 0.0005, 1.0005, 2.5e-4, -4e-4, 0.1234, 12.3456, -0.0])
    n = display_integers(v)
    assert [_as_text(int(x)) for x in n] == [num(float(x)) for x in v]


def test_non_finite_cells_get_sentinels_and_huge_ones_fall_back_to_text():
    cells = np.array([[[np.nan, np.inf, -np.inf, 0.5]]])
    kind, data = encoded(cells)
    nan, pinf, ninf = SENTINELS[kind]
    assert kind == "int16"
    assert np.frombuffer(base64.b64decode(data), "<i2").tolist() == [nan, pinf, ninf, 500]
    assert encoded(np.array([[[100.0]]]))[0] == "int32"
    kind, data = encoded(np.array([[[3e9, np.nan]]]))
    assert kind == "text" and data == [[["3000000000", "nan"]]]


def test_a_frame_outside_the_scrub_is_no_value():
    ws = _seed()
    for frame in (-1, 201, "3", 2.0, None, True):
        assert value_for(ws, "head_b", (0,), frame) is None
    assert value_for(ws, "head_b", (0,), 200) == pytest.approx(float(ws.head_b[0]) + 1.0)


def test_the_matrix_of_a_number_lists_every_entry_in_its_place():
    ws = _seed().resized(tie=False, cell="gru")
    view = matrix_view(ws, "fwd.W")
    assert view["name"] == "W_f"
    assert view["rows"] == ["r1", "r2", "z1", "z2", "n1", "n2"] and view["cols"] == ["1", "2", "3"]
    assert len(view["entries"]) == 18
    e = next(e for e in view["entries"] if e["label"] == "W_f[z2][3]")
    assert (e["r"], e["c"], e["text"]) == (3, 2, num(float(ws.fwd.W[3, 2]), 4))
    b = matrix_view(ws, "bwd.b")
    assert b["cols"] == [""] and [e["r"] for e in b["entries"]] == list(range(6))
    x = matrix_view(ws.copy(tokens=["<b>a</b>", "b", "c"]), "embeddings")
    assert x["rows"][0] == "x_1 <b>a</b>" and x["cols"] == ["1", "2", "3"]


def test_a_small_matrix_sends_every_entrys_frames_a_large_one_only_the_chosen():
    ws = _seed()
    p = payload(ws, "W_f[1][1]")
    assert set(p["frames"]) == {e["label"] for e in p["matrix"]["entries"]}
    assert payload(ws, "W_f[1][1]", budget=1)["frames"].keys() == {"W_f[1][1]"}
    assert p["id"] == ident("W_f[1][1]", float(ws.fwd.W[0, 0]))
    assert {e["id"] for e in p["matrix"]["entries"]} >= {ident("W_f[2][3]", float(ws.fwd.W[1, 2]))}


def test_huge_numbers_are_sent_as_text_not_wrapped_integers():
    ws = _seed()
    ws.fwd.b[0] = 1e300  # a weight people may type: tanh saturates, the states stay finite
    kind, data = encoded(np.array([[[1e300, 0.5]]]))
    assert kind == "text" and data == [[[num(1e300), "0.5"]]]
    p = payload(ws, "b_f[1]")
    f = p["frames"]["b_f[1]"]
    assert f["value_texts"][p["centre"]] == num(1e300, 4)
    assert "value_ints" not in f
    json.dumps(p, allow_nan=False)


def test_a_recurrent_bias_is_a_number_to_change_too():
    gru = _seed().resized(tie=False, cell="gru", layers=2)
    targets = nudge_targets(gru)
    assert targets["b_U_b[n2]"] == ("bwd.b_U", (5,), "b_U_b[n2]")
    assert targets["layer 2 b_U_f[r1]"] == ("upper.0.fwd.b_U", (0,), "layer 2 b_U_f[r1]")
    assert not any("b_U" in label for label in nudge_targets(_seed()))  # a SimpleRNN has none
