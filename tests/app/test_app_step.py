"""AppTest: the step-by-step page's logic (edits seeded through session_state, presets, dims, bad cells)."""
import re
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from app.state import INSPECT, STEP_SOURCE, HandedOver
from app.workspace import Workspace
from birnn_core import presets, run

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")


def open_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=30)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page("views/step_by_step.py")
    return at.run()


TAB_OF = {"X": "Tokens & embeddings", "dir_f": "Forward weights", "dir_b": "Backward weights",
          "head": "Output layer"}


def edit(at: AppTest, key: str, rows: dict | None = None, added=None, deleted=None) -> AppTest:
    """Seed an edit of the table ``key`` (e.g. "dir_f_0_0": table, generation, tab generation).

    The forward table is [W_f | U_f | b_f] side by side: columns "W·x1".., "U·h1".., "b".

    Only the open tab's tables exist, so the tab holding the table is opened first."""
    tab = TAB_OF[key.rsplit("_", 2)[0]]
    if at.session_state["edit_tab"] != tab:
        at.session_state["edit_tab"] = tab
        at.run()
    at.session_state[key] = {"edited_rows": rows or {}, "added_rows": added or [], "deleted_rows": deleted or []}
    return at.run()


def equations(at) -> str:
    """The written-out step (HTML equations) as plain text: tags dropped, one space between cells."""
    bodies = [e.proto.body for e in at.get("html") if 'class="eq"' in e.proto.body]
    text = re.sub(r"<style>.*?</style>", "", " ".join(bodies), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def states(at) -> str:
    return [e.proto.body for e in at.get("html") if 'class="states"' in e.proto.body][0]


def plain(markdown: str) -> str:
    """A message as the page shows it: the backslashes that keep user text literal dropped."""
    return re.sub(r"\\(.)", r"\1", markdown)


def no_exception(at):
    assert not at.exception, [e.value for e in at.exception]


def test_opens_on_the_seed_example():
    at = open_page()
    no_exception(at)
    text = equations(at)
    assert "0.5 × 0.1 + 0.3 × 0.3 + 0.2 × 0.5" in text
    assert "tanh 0.34 0.75 = 0.327 0.635" in text
    assert ">0.327<" in states(at) and ">0.758<" in states(at)


def test_edit_W_f_updates_h1_and_highlights_dependents():
    at = open_page()
    edit(at, "dir_f_0_0", {0: {"W·x1": 0.6}})
    no_exception(at)
    exact = np.tanh(0.6 * 0.1 + 0.3 * 0.3 + 0.2 * 0.5 + 0.1)
    assert f"{exact:.3f}" == "0.336" and "tanh 0.35 0.75 = 0.336 0.635" in equations(at)
    html = states(at)
    assert 'data-changed="' in html and 'data-changed="0"' not in html


def test_edit_of_x_k_changes_forward_from_k_and_backward_up_to_k():
    at = open_page()
    edit(at, "X_0_0", {2: {"x1": 0.9}})   # x_3 ("AI")
    no_exception(at)
    body = states(at)
    rows = body.split("<tr")[3:]      # after the two header rows: t = 1, 2, 3
    changed_per_row = [r.count('class="changed"') for r in rows]
    # t=1 and t=2: forward unchanged, backward changed (2 units) + merged (2) + outputs (2)
    assert changed_per_row[0] == 6 and changed_per_row[1] == 6
    assert changed_per_row[2] == 10  # t = 3: everything


def test_bad_cell_shows_message_and_keeps_last_values():
    at = open_page()
    edit(at, "dir_f_0_0", {1: {"U·h2": None}})
    no_exception(at)
    assert any("U_f (= U_b)[2][2] (row 2) is empty" in plain(e.value) for e in at.error)
    assert "= 0.327 0.635" in equations(at)  # still the last valid computation
    # the user's other edits in the same table are not lost: fixing the cell applies them
    edit(at, "dir_f_0_0", {1: {"U·h2": 0.9}, 0: {"U·h1": 0.6}})
    assert not at.error


def test_empty_token_list_and_missing_token():
    at = open_page()
    edit(at, "X_0_0", deleted=[0, 1, 2])
    assert any("token list is empty" in plain(e.value) for e in at.error)
    assert ">0.327<" in states(at)
    at = open_page()
    edit(at, "X_0_0", added=[{"token": "again"}])
    assert any("Embeddings row 4, column x1 is empty" in plain(e.value) for e in at.error)


def test_presets_and_dimension_change():
    at = open_page()
    at.selectbox(key="preset_pick").set_value("Random LSTM (seed 2)").run()
    no_exception(at)
    assert "c 1 = f ⊙ c prev + i ⊙ g" in equations(at) and "o ⊙ tanh" in equations(at)
    at.number_input(key="h_f_1").set_value(3).run()
    no_exception(at)
    assert any("h_f changed" in i.value for i in at.info)
    ws = at.session_state["workspace"]
    assert ws.fwd.U.shape == (12, 3)
    tr = run(ws.model(), ws.embeddings)
    assert f">{tr.layers[0].fwd.h[0, 0, 2]:.3f}".rstrip("0") in states(at)


def test_long_sentence_is_refused_with_a_message():
    at = open_page()
    at.text_input(key="sentence").input(" ".join(["word"] * 10_000)).run()
    no_exception(at)
    assert any("10,000 words" in w.value and "at most 60" in w.value for w in at.warning)
    assert at.session_state["workspace"].tokens == ["I", "love", "AI"]  # nothing silently cut


def test_overflow_is_reported_with_step_and_direction():
    at = open_page()
    at.selectbox(key="act_0").set_value("relu").run()
    big = {i: {"U·h1": 1e200, "U·h2": 1e200} for i in range(2)}
    edit(at, "dir_f_0_0", big)  # an option change keeps the editors (no new keys)
    no_exception(at)
    assert any("overflowed at t = 3" in plain(e.value) for e in at.error)


def test_shared_link_restores_state_and_bad_link_warns():
    ws = Workspace.from_example(presets.seed_example()).resized(cell="gru", tie=False, h_b=3)
    ws.fwd.W[0, 0] = 0.77
    at = open_page({"s": ws.to_url_state()})
    no_exception(at)
    got = at.session_state["workspace"]
    assert got.cell == "gru" and got.h_b == 3 and got.fwd.W[0, 0] == 0.77
    at = open_page({"s": "1.garbage!!"})
    no_exception(at)
    assert any("could not be opened" in w.value for w in at.warning)
    assert ">0.327<" in states(at)


def test_gru_shows_its_recurrent_bias_and_an_edit_of_it_counts():
    at = open_page()
    at.selectbox(key="preset_pick").set_value("Random GRU (seed 1)").run()
    no_exception(at)
    ws = at.session_state["workspace"]
    assert np.any(ws.fwd.b_U != 0)  # PyTorch's bias_hh, kept apart for the GRU
    before = run(ws.model(), ws.embeddings).layers[0].fwd.h[0, 0].copy()
    edit(at, "dir_f_1_0", {0: {"b_U": 2.0}})
    no_exception(at)
    ws = at.session_state["workspace"]
    assert ws.fwd.b_U[0] == 2.0
    after = run(ws.model(), ws.embeddings).layers[0].fwd.h[0, 0]
    assert not np.allclose(before, after)
    assert f">{after[0]:.3f}".rstrip("0") in states(at)


def test_simple_rnn_presets_fold_the_two_biases_into_b():
    at = open_page()
    at.selectbox(key="preset_pick").set_value("Random (seed 0)").run()
    ws = at.session_state["workspace"]
    assert not np.any(ws.fwd.b_U) and not np.any(ws.bwd.b_U)
    ex = presets.all_presets()["Random (seed 0)"]
    np.testing.assert_allclose(run(ws.model(), ws.embeddings).output, run(ex.model, ex.embeddings).output, atol=1e-12)


def test_seed_check_and_share_panels():
    at = open_page()
    at.toggle(key="show_seed").set_value(True).run()
    table = "\n".join(m.value for m in at.markdown)
    assert "| h_1 forward | [0.327, 0.635] | [0.3275, 0.6351] | ✅ yes |" in table
    assert "| h_2 forward | [0.765, 0.851] | [0.7576, 0.9575] | ❌ no |" in table
    at.toggle(key="show_share").set_value(True).run()
    no_exception(at)
    link = at.code[0].value
    assert "?s=1." in link
    state = link.split("?s=")[1]
    assert Workspace.from_url_state(state).to_dict() == at.session_state["workspace"].to_dict()
    assert at.query_params["s"] == [state] or at.query_params["s"] == state


def test_nudge_one_number():
    at = open_page()
    at.session_state["edit_tab"] = "Nudge one number"
    at.run()
    at.selectbox(key="nudge_target_0_0").set_value("W_f[1][1]").run()
    at.number_input(key="nudge_value_0_0_W_f[1][1]").set_value(0.6).run()
    no_exception(at)
    ws = at.session_state["workspace"]
    assert ws.fwd.W[0, 0] == 0.6 and ws.bwd.W[0, 0] == 0.6  # tied
    assert "tanh 0.35 0.75 = 0.336 0.635" in equations(at)
    assert 'data-changed="0"' not in states(at)


def test_a_trained_models_trace_can_be_inspected_read_only():
    model = presets.random_model("lstm", d=8, h_f=16, h_b=16, q=5, seed=3)
    tokens = ["the", "bank", "closed", "early"]
    tr = run(model, np.random.default_rng(0).normal(size=(4, 8)), tokens=tokens)
    at = AppTest.from_file(ENTRY, default_timeout=30)
    at.run()
    at.session_state[INSPECT] = HandedOver(" ".join(tokens), tr)
    at.session_state[STEP_SOURCE] = "tagger"
    at.switch_page("views/step_by_step.py")
    at.run()
    no_exception(at)
    assert len(at.get("plotly_chart")) == 2 and not at.get("arrow_data_editor")
    at.select_slider(key="inspect_t").set_value(2).run()
    at.multiselect(key="inspect_units").set_value([3]).run()
    text = equations(at)
    i3 = tr.layers[0].fwd.gate("i")[0, 2, 3]
    assert f"= {tr.layers[0].fwd.h[0, 2, 3]:.3f}".rstrip("0") in text.replace(" ,", ",")
    assert f"{i3:.3f}".rstrip("0") in text
