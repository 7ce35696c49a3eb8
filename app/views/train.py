"""Train: a unidirectional and a bidirectional network learn a toy task side by side, live.

Play starts a loop at the end of the page's run: an update (a few Adam steps of each network), then a
redraw of the placeholders, at most MAX_FPS times a second. Any click, Pause, or leaving the page makes
Streamlit stop the run at its next redraw. Streamlit starts the next run on a new thread at once
(runner.fastReruns), so the old loop may still be inside an update while the new run's callbacks set
what the click asked for: Playground.update holds a lock, and only callbacks ever start playing
(the loop itself only ever stops it), and drawing takes the same lock. The
arithmetic is the playground package's (core BPTT + Adam in NumPy); app.training holds the pair of
runs and the page's words, app.figures.training the charts.
"""
from __future__ import annotations

import time

import streamlit as st

from app.figures.training import curves_spec, curves_table, weights_caption, weights_image
from app.navigation import PAGE_TABLE
from app.state import (DIAGRAM_SOURCE, STEP_SOURCE, TRAIN, TRAIN_CELL, TRAIN_H, TRAIN_LR, TRAIN_NET,
                       TRAIN_OPEN, TRAIN_PLAY, TRAIN_RESET, TRAIN_SEED, TRAIN_STEP, TRAIN_STEPS, TRAIN_TASK,
                       just_arrived, log_rerun_ms, restart_workspace)
from app.training import (HIDDEN, LEARNING_RATES, MAX_FPS, MAX_STEPS, NETWORKS, STEPS_PER_UPDATE, TASKS, T, Playground,
                          Settings, bound_text, cell_names, sample_lines, status_text, workspace_of)
from birnn_core import get_cell

WIDGETS = {TRAIN_TASK: "task", TRAIN_CELL: "cell", TRAIN_H: "h", TRAIN_LR: "lr", TRAIN_SEED: "seed",
           TRAIN_STEPS: "steps_per_update"}
OPEN_IN = [p for p in PAGE_TABLE if p.url_path in ("step_by_step", "diagram", "gradients")]


def playground() -> Playground:
    if TRAIN not in st.session_state:
        st.session_state[TRAIN] = Playground.fresh(Settings())
    return st.session_state[TRAIN]


def settings_changed() -> None:
    """A control moved: pause, and carry on under the new settings (fresh networks if they need it)."""
    values = {field: st.session_state[key] for key, field in WIDGETS.items()}
    st.session_state[TRAIN] = playground().configure(Settings(**values))


# Callbacks are told what the click meant (Play or Pause; the step a Step click saw): they may run while
# the old run's loop is still finishing an update on its own thread (see the module docstring).
def set_playing(on: bool) -> None:
    pg = playground()
    pg.playing = on and pg.step < MAX_STEPS


def step_once(from_step: int) -> None:
    pg = playground()
    pg.playing = False
    if pg.step == from_step < MAX_STEPS:
        pg.update()


def reset() -> None:
    st.session_state[TRAIN] = Playground.fresh(playground().settings)


def draw(pg: Playground, slots: dict) -> None:
    """Everything that shows the networks, into the page's placeholders. It holds the update's lock:
    a new run must not draw networks that the old run's loop is halfway through updating (the
    status line of one step beside the predictions of the next)."""
    with pg.lock:
        _draw(pg, slots)


def _draw(pg: Playground, slots: dict) -> None:
    t0 = time.perf_counter()
    slots["status"].markdown(f"**{status_text(pg)}**")
    slots["curves"].vega_lite_chart(curves_table(pg.runs), curves_spec(pg.task.left_context_bound(T)), theme=None)
    slots["sample"].code("\n".join(sample_lines(pg)), language=None)
    image, top = weights_image(pg.runs)
    slots["weights"].image(image, caption=weights_caption(pg.runs, top), width=image.shape[1])
    if pg.step >= MAX_STEPS:
        slots["end"].info(f"Training stops at {MAX_STEPS:,} steps: Reset to start again.")
    log_rerun_ms("train", t0)


st.title("Train")
st.caption("Two networks, one reading left to right and one reading both ways, learn the same task from the "
           "same seed on the same batches: backpropagation through time and Adam in NumPy, on this server.")
pg = playground()
if just_arrived():
    pg.playing = False  # coming back to the page never resumes training on its own
for key, field in WIDGETS.items():
    st.session_state.setdefault(key, getattr(pg.settings, field))

r = st.columns([3, 2, 2, 2, 1, 2])
r[0].selectbox("Task", list(TASKS), format_func=lambda n: TASKS[n].title, key=TRAIN_TASK, on_change=settings_changed)
r[1].selectbox("Cell", cell_names(), format_func=lambda n: get_cell(n).display, key=TRAIN_CELL,
               on_change=settings_changed)
r[2].slider("Hidden size h", *HIDDEN, key=TRAIN_H, on_change=settings_changed,
            help="Units per direction: the bidirectional network has 2h.")
r[3].select_slider("Learning rate", LEARNING_RATES, key=TRAIN_LR, on_change=settings_changed,
                   help="Adam's step size; a change carries on from the current weights.")
r[4].number_input("Seed", 0, 9999, key=TRAIN_SEED, on_change=settings_changed)
r[5].select_slider("Steps per update", STEPS_PER_UPDATE, key=TRAIN_STEPS, on_change=settings_changed,
                   help="Adam steps of each network between two redraws of the page.")
st.caption(bound_text(pg))

b = st.columns([1, 1, 1, 5])
b[0].button("Pause" if pg.playing else "Play", key=TRAIN_PLAY, on_click=set_playing, args=(not pg.playing,),
            type="primary", icon=":material/pause:" if pg.playing else ":material/play_arrow:")
b[1].button("Step", key=TRAIN_STEP, on_click=step_once, args=(pg.step,), icon=":material/skip_next:",
            help=f"One update: {pg.settings.steps_per_update} Adam steps of each network.")
b[2].button("Reset", key=TRAIN_RESET, on_click=reset, icon=":material/restart_alt:",
            help="Fresh networks with these settings.")

live = st.container()

st.subheader("Look inside a trained network")
st.caption("Hands a copy of the network, on the first held-out sequence above, to another page as the workspace "
           "(every page then shows it, and the address becomes its share link). Training pauses.")
o = st.columns([2, 1, 1, 1])
net = o[0].radio("Network", list(NETWORKS), format_func=NETWORKS.get, key=TRAIN_NET, horizontal=True, index=1)
for col, page in zip(o[1:], OPEN_IN):
    if col.button(f"Open in {page.title}", key=TRAIN_OPEN.at(page.url_path)):
        pg.playing = False
        ws = workspace_of(pg, net)
        restart_workspace(ws)
        st.session_state[STEP_SOURCE] = st.session_state[DIAGRAM_SOURCE] = "workspace"
        st.switch_page(page.path, query_params={"s": ws.to_url_state()})

with live:
    slots = {name: st.empty() for name in ("status", "curves", "sample", "weights", "end")}
draw(pg, slots)
while pg.playing:  # any click stops this run at its next redraw (Streamlit raises there)
    started = time.perf_counter()
    pg.update()
    if pg.step >= MAX_STEPS:
        pg.playing = False  # (never set True here: a newer run may have paused it meanwhile)
    draw(pg, slots)
    time.sleep(max(0.0, 1 / MAX_FPS - (time.perf_counter() - started)))
