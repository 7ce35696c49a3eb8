"""AppTest: the Arrows diagram page (app/views/diagram.py), reached through the entry file."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from apptest_utils import chart_specs, open_view, plotly_array

from app.state import DIAGRAM_SOURCE, INSPECT, HandedOver
from app.workspace import Workspace
from birnn_core import presets, run

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "app" / "streamlit_app.py"


def open_page(workspace: Workspace | None = None) -> AppTest:
    return open_view("views/diagram.py", workspace)


def row_nodes(spec: dict, name: str) -> np.ndarray:
    (hm,) = [t for t in spec["data"] if t["type"] == "heatmap" and t.get("name") == name]
    return plotly_array(hm["z"])[::-1, 0::2].T


def test_seed_diagram_shows_the_trace_numbers():
    at = open_page()
    assert [t.value for t in at.title] == ["Arrows diagram"]
    assert not at.error
    diagram, strips = chart_specs(at)
    ex = presets.seed_example()
    tr = run(ex.model, ex.embeddings, tokens=ex.tokens)
    np.testing.assert_allclose(row_nodes(diagram, "fwd")[:3], tr.layers[0].fwd.h[0], rtol=1e-6)
    np.testing.assert_allclose(row_nodes(diagram, "bwd")[1:], tr.layers[0].bwd.h[0], rtol=1e-6)
    assert len(diagram["frames"]) == 7
    assert diagram["layout"]["sliders"][0]["active"] == 6  # opens on the last step: all computed
    z = plotly_array(strips["data"][0]["z"])
    np.testing.assert_allclose(z[:, 3:], tr.layers[0].bwd.h[0], rtol=1e-6)
    table = "\n".join(m.value for m in at.markdown)
    assert "`h_n[1][0]`" in table and "`output[0, 0, 2:]`" in table and "✗ different" in table
    # the step's equation as LaTeX: the merge step has none, step 1 forward has the seed's 0.327
    assert not at.latex


def test_stepper_moves_the_figure_and_the_latex():
    at = open_page()
    at.select_slider(key="diagram_step").set_value(0).run()
    assert not at.exception
    (diagram, _) = chart_specs(at)
    assert diagram["layout"]["sliders"][0]["active"] == 0
    assert "tanh(0.34) = <b>0.327</b>" in diagram["data"][4]["text"][0]
    assert any("0.327" in l.value and "0.34" in l.value for l in at.latex)
    at.button(key="diagram_next").click().run()
    assert at.select_slider(key="diagram_step").value == 1
    assert chart_specs(at)[0]["layout"]["sliders"][0]["active"] == 1
    at.button(key="diagram_back").click().run()
    at.button(key="diagram_back").click().run()  # clamped at the first step
    assert at.select_slider(key="diagram_step").value == 0


def test_order_and_dependency_choice():
    at = open_page()
    at.radio(key="diagram_order").set_value("parallel").run()
    (diagram, _) = chart_specs(at)
    assert [s["label"] for s in diagram["layout"]["sliders"][0]["steps"]] == ["→1 ←3", "→2 ←2", "→3 ←1", "merge"]
    at.selectbox(key="diagram_focus").set_value(1).run()
    (diagram, _) = chart_specs(at)
    fwd_dep = [t for t in diagram["data"] if t.get("name", "").startswith("reaches h<sub>2</sub><sup>(fwd)")]
    assert len(fwd_dep) == 1 and sum(x is None for x in fwd_dep[0]["x"]) == 3  # 4 boxes: x_1, x_2, h_1, h_2
    assert any("has read x_1..x_2" in m.value for m in at.markdown)


def test_an_edit_on_the_shared_workspace_shows_here():
    ws = Workspace.from_example(presets.seed_example())
    ws.fwd.W[0, 0] = 1.5
    ws.tie = False
    at = open_page(ws)
    tr = run(ws.model(), ws.embeddings, tokens=ws.tokens)
    (diagram, _) = chart_specs(at)
    np.testing.assert_allclose(row_nodes(diagram, "fwd")[0], tr.layers[0].fwd.h[0, 0], rtol=1e-6)
    assert abs(tr.layers[0].fwd.h[0, 0, 0] - 0.327) > 0.01  # the edit changed h_1 forward


def test_sum_merge_and_a_long_sentence():
    ex = presets.random_example(tokens=[f"w{i}" for i in range(40)], h=8, d=4)
    ws = Workspace.from_example(ex).resized(merge="sum")
    at = open_page(ws)
    assert not at.error
    diagram, strips = chart_specs(at)
    assert len(diagram["frames"]) == 81
    assert "<b>+</b>" in [a["text"] for a in strips["layout"]["annotations"]]


def test_an_invalid_workspace_keeps_the_last_diagram_and_says_why():
    at = open_page()
    ws = Workspace.from_example(presets.seed_example())
    ws.fwd.W = np.zeros((2, 5))  # W_f must be (h_f, d) = (2, 3)
    at.session_state["workspace"] = ws
    at.session_state["ws_version"] = 99
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    assert len(chart_specs(at)) == 2  # the last valid trace is still drawn


def test_tagger_trace_handed_over_is_drawn():
    """The taggers page hands a trace over in session_state[INSPECT]; the page can draw it instead."""
    at = AppTest.from_file(str(ENTRY), default_timeout=30)
    at.run()
    model = presets.random_model("lstm", d=8, h_f=16, h_b=16, q=5, seed=3)
    X = np.random.default_rng(0).normal(size=(6, 8))
    tagger_trace = run(model, X, tokens=list("abcdef"))
    at.session_state[INSPECT] = HandedOver("a b c d e f", tagger_trace)
    at.session_state[DIAGRAM_SOURCE] = "tagger"
    at.switch_page("views/diagram.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = row_nodes(chart_specs(at)[0], "fwd")[:6]  # one column per node, then h_n
    np.testing.assert_allclose(shown, tagger_trace.layers[0].fwd.h[0], rtol=1e-6)


def hostile_workspace(tokens: list[str]) -> Workspace:
    ws = Workspace.from_example(presets.seed_example())
    ws.tokens = list(tokens)
    return ws


def test_a_token_is_text_in_the_markdown_line_and_plain_in_the_selectbox():
    from app.text import markdown
    tokens = ["![i](http://x.invalid/a.png)", "**b** $x$ :red[r]", "<b>b</b>"]
    at = open_page(hostile_workspace(tokens))
    focus = at.selectbox(key="diagram_focus")
    assert focus.options[1:] == [f"t = {k + 1}: {w}" for k, w in enumerate(tokens)]  # plain text there
    for k, w in enumerate(tokens):
        focus.set_value(k).run()
        assert not at.exception
        line = next(m.value for m in at.markdown if m.value.startswith("**What reaches"))
        assert f"(“\u2068{markdown(w)}\u2069”)**" in line  # escaped, and its direction isolated
    diagram, strips = chart_specs(at)
    assert "&lt;b&gt;b&lt;/b&gt;" in diagram["layout"]["xaxis"]["ticktext"][3]


def test_the_handed_over_tagger_label_is_text_in_the_draw_radio():
    from app.text import markdown
    at = AppTest.from_file(str(ENTRY), default_timeout=30)
    at.run()
    model = presets.random_model("lstm", d=8, h_f=16, h_b=16, q=5, seed=3)
    tokens = ["![i](http://x.invalid/a.png)", "_a_", "<b>b</b>"]
    trace = run(model, np.random.default_rng(0).normal(size=(3, 8)), tokens=tokens)
    label = "bi tagger on “" + " ".join(tokens) + "”"
    at.session_state[INSPECT] = HandedOver(label, trace)
    at.session_state[DIAGRAM_SOURCE] = "tagger"
    at.switch_page("views/diagram.py").run()
    assert not at.exception, [e.value for e in at.exception]
    draw = at.radio(key="diagram_source")
    assert draw.options == ["the Step by step model", f"the trained tagger: \u2068{markdown(label)}\u2069"]
    assert draw.value == "tagger"
    draw.set_value("workspace").run()
    assert not at.exception
    ticks = chart_specs(at)[0]["layout"]["xaxis"]["ticktext"]
    assert [t.split("<br>")[1] for t in ticks[1:4]] == ["\u2068I\u2069", "\u2068love\u2069", "\u2068AI\u2069"]


def test_a_broken_share_link_says_so_on_this_page():
    at = AppTest.from_file(str(ENTRY), default_timeout=60)
    at.query_params["s"] = "1.not-a-state"
    at.run()
    at.switch_page("views/diagram.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert sum("shared link could not be opened" in w.value for w in at.warning) == 1  # said once
    assert len(chart_specs(at)) == 2  # the seed example is drawn instead


def test_the_step_and_the_chosen_token_survive_a_change_of_order():
    at = open_page()
    at.selectbox(key="diagram_focus").set_value(2).run()
    at.radio(key="diagram_order").set_value("parallel").run()
    assert at.select_slider(key="diagram_step").value == 3  # step 7 does not exist any more: the last, merge
    at.button(key="diagram_back").click().run()
    assert at.select_slider(key="diagram_step").value == 2  # →3 ←1
    at.radio(key="diagram_order").set_value("sequential").run()
    assert not at.exception
    assert at.select_slider(key="diagram_step").value == 2  # the same step number: →3
    assert at.selectbox(key="diagram_focus").value == 2
    assert chart_specs(at)[0]["layout"]["sliders"][0]["active"] == 2
