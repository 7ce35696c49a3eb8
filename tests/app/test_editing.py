"""The Step by step page's pure parts: app.editing (what the editors edit) and the markdown tables
of app.tables (the seed check, output versus final state)."""
from __future__ import annotations

import numpy as np
import pytest

from app import editing
from app.tables import final_state_markdown, seed_markdown, vector_text
from app.workspace import MAX_TOKENS, Workspace
from birnn_core import presets, run


@pytest.fixture
def ws() -> Workspace:
    return Workspace.from_example(presets.seed_example())


def test_sentence_problem_says_what_to_change():
    assert editing.sentence_problem("a b".split()) is None
    assert editing.sentence_problem([]) == "Type at least one word."
    too_long = editing.sentence_problem(["w"] * (MAX_TOKENS + 1))
    assert f"{MAX_TOKENS + 1:,} words" in too_long and f"at most {MAX_TOKENS}" in too_long
    assert "Token 2 holds the control character U+0007" in editing.sentence_problem(["a", "b\x07"])


def test_direction_blocks_and_caption_follow_tie_and_cell(ws):
    assert [n for n, _ in editing.direction_blocks(ws, "f")] == ["W_f (= W_b)", "U_f (= U_b)", "b_f (= b_b)"]
    assert "W_f (= W_b) is (2, 3), U_f (= U_b) is (2, 2)." in editing.direction_caption(ws, "f")
    gru = ws.resized(cell="gru", tie=False)
    assert [n for n, _ in editing.direction_blocks(gru, "b")] == ["W_b", "U_b", "b_b", "b_U_b"]
    assert "gate blocks r, z, n stacked" in editing.direction_caption(gru, "b")
    assert "(q, m) = (2, 4)" in editing.head_caption(ws)


def test_a_recurrent_bias_column_only_when_it_matters(ws):
    assert not editing.has_recurrent_bias(ws)
    assert editing.has_recurrent_bias(ws.resized(cell="gru"))
    linked = ws.copy()
    linked.fwd.b_U[0] = 0.1  # a link or import may bring one for a SimpleRNN
    assert editing.has_recurrent_bias(linked)
    assert list(editing.build_frames(linked)["dir_f"].columns)[-1] == "b_U"


def test_frames_hold_every_number_as_text(ws):
    frames = editing.build_frames(ws)
    assert list(frames["X"]["token"]) == ["I", "love", "AI"] and frames["X"].iat[0, 1] == "0.1"
    assert list(frames["dir_f"].columns) == ["W·x1", "W·x2", "W·x3", "U·h1", "U·h2", "b"]
    assert list(frames["head"].index) == ["1", "2"]


def test_nudge_targets_reach_every_number_once(ws):
    targets = editing.nudge_targets(ws)
    n_tied = ws.embeddings.size + ws.fwd.W.size + ws.fwd.U.size + ws.fwd.b.size + ws.head_W.size + ws.head_b.size
    assert len(targets) == n_tied  # tied: the backward weights are the forward ones
    assert targets["x_2[3]  (love)"] == ("embeddings", (1, 2), "x_2[3]")
    path, index, symbol = targets["W_f[1][2]"]
    assert editing.value_at(ws, path, index) == 0.3 and symbol == "W_f[1][2]"
    new = editing.with_value(ws, path, index, 0.9)
    assert new.fwd.W[0, 1] == 0.9 and new.bwd.W[0, 1] == 0.9 and ws.fwd.W[0, 1] == 0.3  # a copy, tie followed
    untied = ws.resized(tie=False)
    assert "U_b[2][1]" in editing.nudge_targets(untied)


def test_differs_compares_tokens_and_numbers(ws):
    assert not editing.differs(ws, ws.copy())
    assert editing.differs(ws, ws.copy(tokens=["I", "love", "ML"]))
    other = ws.copy()
    other.bwd.b_U[1] = 1e-9
    assert editing.differs(ws, other)


def test_seed_markdown_is_the_comparison_as_a_table():
    ex = presets.seed_example()
    table = seed_markdown(presets.seed_comparison(run(ex.model, ex.embeddings, tokens=ex.tokens)))
    lines = table.splitlines()
    assert lines[0] == "| state | seed prints | exact | matches |" and len(lines) == 2 + 6
    assert lines[2] == "| h_1 forward | [0.327, 0.635] | [0.3275, 0.6351] | ✅ yes |"


def test_vector_text_and_final_state_table():
    assert vector_text([0.5, -0.25, 0.0]) == "[0.5, -0.25, 0]"
    assert vector_text(np.arange(10) / 10) == "[0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, …]"
    assert vector_text(np.zeros((4, 2))) == "[0, 0]; [0, 0]; [0, 0] …"
    from app.figures.diagram import final_state_rows
    ex = presets.seed_example()
    table = final_state_markdown(final_state_rows(run(ex.model, ex.embeddings, tokens=ex.tokens)))
    assert table.startswith("| | expression | what it is | values | equals | |")
    assert "| PyTorch | `h_n[1][0]` | h\\_1 backward" in table and "✗ different" in table
