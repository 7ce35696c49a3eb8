"""AppTest: stacked layers on Step by step, the Arrows diagram and Gradients (reached through the entry file)."""
from __future__ import annotations

import numpy as np

from apptest_utils import chart_specs, open_view, plotly_array

from app.gradients import uni_model
from app.workspace import MAX_CLASSES, MAX_DIM, MAX_LAYERS, Workspace
from birnn_core import presets, run
from birnn_core.backprop import influence
from test_app_step import edit, equations, no_exception, open_page, states


def stacked_ws(**sizes) -> Workspace:
    return Workspace.from_example(presets.seed_example()).resized(layers=2, tie=False, **sizes)


def test_the_layers_control_adds_a_layer_and_every_layer_shows():
    at = open_page()
    at.number_input(key="layers_0").set_value(2).run()
    no_exception(at)
    ws = at.session_state["workspace"]
    assert ws.n_layers == 2
    assert "layer 2 · h fwd →" in states(at) and "layer 1 · merged (concat)" in states(at)
    assert any("Layers 1 → 2" in i.value for i in at.info)
    tr = run(ws.model(), ws.embeddings)
    assert f"{tr.layers[1].merged[0, 2, 3]:.3f}" in states(at)


def test_layer_two_weights_are_edited_and_only_layer_two_changes():
    at = open_page({"s": stacked_ws().to_url_state()})
    at.session_state["edit_tab"] = "Forward weights"
    at.run()
    at.radio(key="edit_layer").set_value(1).run()
    no_exception(at)
    assert any("m_t of layer 1" in c.value for c in at.caption)
    before = at.session_state["workspace"].copy()
    edit(at, f"dir_f_{at.session_state['gen']}_{at.session_state['tab_gen']}", rows={0: {"W·x3": "0.9"}})
    no_exception(at)
    after = at.session_state["workspace"]
    assert after.upper[0].fwd.W[0, 2] == 0.9 and np.array_equal(after.fwd.W, before.fwd.W)
    t_before, t_after = run(before.model(), before.embeddings), run(after.model(), after.embeddings)
    np.testing.assert_array_equal(t_after.layers[0].merged, t_before.layers[0].merged)
    assert not np.allclose(t_after.layers[1].fwd.h, t_before.layers[1].fwd.h)


def test_the_step_of_any_layer_is_written_out():
    at = open_page({"s": stacked_ws().to_url_state()})
    at.radio(key="step_layer").set_value(1).run()
    no_exception(at)
    ws = at.session_state["workspace"]
    tr = run(ws.model(), ws.embeddings)
    assert any("reads m⁽1⁾_1" in m.value for m in at.markdown)
    assert f"{tr.layers[1].fwd.h[0, 0, 0]:.3f}" in equations(at)


def test_the_stacked_preset_loads():
    at = open_page()
    at.selectbox(key="preset_pick").set_value("Stacked: 2 bidirectional layers").run()
    no_exception(at)
    assert at.session_state["workspace"].n_layers == 2 and "layer 2 · h bwd ←" in states(at)


def test_a_stack_too_large_for_a_link_says_so_and_leaves_no_stale_link():
    big = Workspace.from_example(presets.seed_example()).resized(
        d=MAX_DIM, h_f=MAX_DIM, h_b=MAX_DIM, q=MAX_CLASSES, cell="lstm", tie=False, layers=MAX_LAYERS)
    rng = np.random.default_rng(0)
    for u in big.upper:
        u.fwd.W = rng.normal(size=u.fwd.W.shape)
    at = open_page()
    at.session_state["workspace"] = big
    at.session_state["gen"] = at.session_state["gen"] + 1
    at.run()
    at.toggle(key="show_share").set_value(True).run()
    no_exception(at)
    assert "s" not in at.query_params
    assert any("too large for a link" in w.value for w in at.warning)


def test_the_diagram_draws_each_layer_and_steps_on_into_the_next():
    ws = stacked_ws()
    at = open_view("views/diagram.py", ws)
    no_exception(at)
    assert at.radio(key="diagram_layer").value == 0
    at.radio(key="diagram_layer").set_value(1).run()
    diagram = chart_specs(at)[0]
    (x_row,) = [t for t in diagram["data"] if t["type"] == "heatmap" and t.get("name") == "x"]
    tr = run(ws.model(), ws.embeddings)
    np.testing.assert_allclose(plotly_array(x_row["z"])[::-1, 0::2].T[:3], tr.layers[0].merged[0], rtol=1e-6)
    at.radio(key="diagram_layer").set_value(0).run()
    n = len(chart_specs(at)[0]["frames"])
    at.select_slider(key="diagram_step").set_value(n - 1).run()
    at.button(key="diagram_next").click().run()
    assert at.radio(key="diagram_layer").value == 1 and at.select_slider(key="diagram_step").value == 0
    at.button(key="diagram_back").click().run()
    assert at.radio(key="diagram_layer").value == 0 and at.select_slider(key="diagram_step").value == n - 1


def test_the_diagram_draws_the_whole_stack_and_writes_out_each_layers_step():
    ws = stacked_ws()
    at = open_view("views/diagram.py", ws)
    at.radio(key="diagram_layer").set_value("all").run()
    no_exception(at)
    spec = chart_specs(at)[0]
    rows = [t for t in spec["data"] if t["type"] == "heatmap"]
    assert [t["name"] for t in rows] == ["x", "fwd", "bwd", "merged", "fwd", "bwd", "merged", "y"]
    labels = at.select_slider(key="diagram_step").options
    assert len(labels) == len(spec["frames"]) == 2 * (2 * 3 + 1)
    assert labels[0].endswith("L1 →1") and labels[-1].endswith("L2 merge")
    assert at.selectbox(key="diagram_focus").disabled  # "what reaches h_t" is a one-layer view
    tr = run(ws.model(), ws.embeddings)
    at.select_slider(key="diagram_step").set_value(7).run()  # L2 →1: the first step of layer 2
    assert any(c.value == "Layer 2 of 2" for c in at.caption)
    assert f"{tr.layers[1].fwd.h[0, 0, 0]:.3f}".lstrip("0") in "".join(l.value for l in at.latex)
    at.button(key="diagram_next").click().run()  # no jump to another radio choice: the stack's own next step
    assert at.radio(key="diagram_layer").value == "all" and at.select_slider(key="diagram_step").value == 8
    assert any("of layer 2, the top of the stack" in h.value for h in at.subheader)


def test_gradients_page_runs_a_stack_and_its_unidirectional_twin():
    ws = stacked_ws()
    at = open_view("views/gradients.py", ws)
    no_exception(at)
    assert not at.error
    bi, uni = [plotly_array(s["data"][0]["z"]) for s in chart_specs(at) if s["data"][0]["type"] == "heatmap"][:2]
    np.testing.assert_allclose(bi, influence(ws.model(), ws.embeddings, "merged"), rtol=1e-12)
    np.testing.assert_allclose(uni, influence(uni_model(ws.model()), ws.embeddings, "merged"), rtol=1e-12)
