"""AppTest: the Train page (app/views/train.py) and its state (app/training.py), reached through the entry file."""
from __future__ import annotations

import pytest

from apptest_utils import open_view

from app.state import (INSPECT, STEP_SOURCE, TRAIN, TRAIN_CELL, TRAIN_H, TRAIN_LR, TRAIN_OPEN, TRAIN_PLAY, TRAIN_RESET,
                       TRAIN_STEP, TRAIN_STEPS, TRAIN_TASK, WORKSPACE)
from app.training import Playground, Settings, sample_lines, status_text, workspace_of
from app.workspace import Workspace
from birnn_core import run


def open_page():
    return open_view("views/train.py")


def status(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Step "))


def test_the_page_opens_paused_with_fresh_networks():
    at = open_page()
    assert [t.value for t in at.title] == ["Train"] and not at.error
    pg = at.session_state[TRAIN]
    assert pg.step == 0 and not pg.playing and pg.settings == Settings()
    assert status(at) == "**Step 0 · unidirectional: not trained yet · bidirectional: not trained yet**"
    assert at.button(key=TRAIN_PLAY).label == "Play"
    assert at.code[0].value == "\n".join(sample_lines(pg))
    assert "56.2%" in at.caption[1].value  # next_parity, T = 8: (7 · 1/2 + 1) / 8


def test_step_trains_both_networks_by_one_update_and_reset_starts_again():
    at = open_page()
    at.button(key=TRAIN_STEP).click().run()
    pg = at.session_state[TRAIN]
    assert pg.step == 5 and [len(r.history) for r in pg.runs.values()] == [1, 1]
    assert status(at) == f"**{status_text(pg)}**"
    at.select_slider(key=TRAIN_STEPS).set_value(20).run()
    at.button(key=TRAIN_STEP).click().run()
    assert at.session_state[TRAIN].step == 25  # the update size changed, the networks carried on
    at.button(key=TRAIN_RESET).click().run()
    assert at.session_state[TRAIN].step == 0 and status(at).startswith("**Step 0 ")


def test_a_new_learning_rate_carries_on_a_new_cell_starts_afresh_and_both_pause():
    at = open_page()
    at.button(key=TRAIN_STEP).click().run()
    at.session_state[TRAIN].playing = True
    at.select_slider(key=TRAIN_LR).set_value(0.05).run()
    pg = at.session_state[TRAIN]
    assert pg.step == 5 and not pg.playing and all(r.opt.lr == 0.05 for r in pg.runs.values())
    at.selectbox(key=TRAIN_CELL).set_value("lstm").run()
    pg = at.session_state[TRAIN]
    assert pg.step == 0 and pg.runs["bi"].model.layers[0].cell == "lstm" and pg.settings.lr == 0.05
    at.slider(key=TRAIN_H).set_value(3).run()
    assert at.session_state[TRAIN].runs["uni"].model.layers[0].fwd.hidden_size == 3
    at.selectbox(key=TRAIN_TASK).set_value("reverse").run()
    assert at.session_state[TRAIN].task.name == "reverse" and "best any model can do is 62.5%" in at.caption[1].value
    assert not at.exception


def test_play_and_pause_set_what_the_button_said():
    """Play past the last step does not start: the page says training stops there."""
    at = open_page()
    at.session_state[TRAIN].runs["bi"].step = 10_000  # past the end: Play refuses to start
    at.button(key=TRAIN_PLAY).click().run()
    assert not at.session_state[TRAIN].playing and any("Training stops at 5,000 steps" in i.value for i in at.info)


@pytest.mark.parametrize("page,url", [("Step by step", "step_by_step"), ("Arrows diagram", "diagram"),
                                      ("Gradients", "gradients")])
def test_open_hands_the_trained_network_to_the_page(page, url):
    at = open_page()
    at.button(key=TRAIN_STEP).click().run()
    pg = at.session_state[TRAIN]
    want = workspace_of(pg, "bi")
    at.button(key=TRAIN_OPEN.at(url)).click().run()
    assert not at.exception, [e.value for e in at.exception]
    ws: Workspace = at.session_state[WORKSPACE]
    assert ws.to_url_state() == want.to_url_state() and at.query_params["s"] == want.to_url_state()
    assert [t.value for t in at.title] == [page]
    assert at.session_state[STEP_SOURCE] == "workspace" and INSPECT not in at.session_state
    trace = run(ws.model(), ws.embeddings)
    assert (trace.probs[0].argmax(-1) == pg.runs["bi"].predictions(0)).all()


def test_settings_refuse_what_the_page_cannot_offer():
    with pytest.raises(ValueError, match="hidden size must be between 2 and 16"):
        Playground.fresh(Settings(h=17))
    with pytest.raises(ValueError, match="Unknown task"):
        Settings(task="sorting").check()
    with pytest.raises(ValueError, match="from the lists"):
        Settings(lr=0.5).check()
