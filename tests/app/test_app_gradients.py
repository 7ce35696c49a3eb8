"""AppTest: the Gradients page (app/views/gradients.py), reached through the entry file."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
from streamlit.testing.v1 import AppTest

from apptest_utils import chart_specs, open_view, plotly_array

from app import gradients as G
from app.state import GRAD_CHAIN, GRAD_MAP, GRAD_SCALE, GRAD_T, WORKSPACE, WS_VERSION
from app.workspace import Workspace
from birnn_core import presets, run
from birnn_core.backprop import influence

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "app" / "streamlit_app.py"


def open_page(workspace: Workspace | None = None) -> AppTest:
    return open_view("views/gradients.py", workspace)


def maps(at: AppTest) -> list[np.ndarray]:
    return [plotly_array(s["data"][0]["z"]) for s in chart_specs(at) if s["data"][0]["type"] == "heatmap"]


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown).replace("\\", "")


def test_seed_page_shows_the_cores_maps_the_chain_rule_and_the_claims():
    at = open_page()
    assert [t.value for t in at.title] == ["Gradients"] and not at.error
    ex = presets.seed_example()
    bi, uni = maps(at)
    np.testing.assert_allclose(bi, influence(ex.model, ex.embeddings, "merged"), rtol=1e-12)
    np.testing.assert_allclose(uni, influence(G.uni_model(ex.model), ex.embeddings, "merged"), rtol=1e-12)
    assert "ρ(U_f) = 1.222" in texts(at)
    trace = run(ex.model, ex.embeddings, tokens=ex.tokens)
    step = G.chain_step(trace, G.gradients(trace, ex.model), "forward", 0)
    assert at.code[0].value == "\n".join(G.chain_lines(step))
    assert [s.value for s in at.subheader][-1] == "Seed claims checked"
    assert "*Verdict*: Not within a chain" in texts(at)


def test_controls_change_what_the_page_shows():
    at = open_page()
    at.slider(key=GRAD_SCALE).set_value(0.5).run()
    assert "ρ(U_f) = 0.611" in texts(at)
    ex = presets.seed_example()
    half = G.scale_U(ex.model, 0.5)
    np.testing.assert_allclose(maps(at)[0], influence(half, ex.embeddings, "merged"), rtol=1e-12)
    at.radio(key=GRAD_MAP).set_value("backward").run()
    np.testing.assert_allclose(maps(at)[0], influence(half, ex.embeddings, "backward"), rtol=1e-12)
    at.select_slider(key=GRAD_T).set_value(2)
    at.radio(key=GRAD_CHAIN).set_value("backward").run()
    assert not at.exception
    trace = run(half, ex.embeddings, tokens=ex.tokens)
    step = G.chain_step(trace, G.gradients(trace, half), "backward", 2)
    assert at.code[0].value == "\n".join(G.chain_lines(step))
    assert "h_(t-1)" in texts(at)


def test_a_unidirectional_workspace_says_so_and_checks_no_claim():
    ws = Workspace.from_example(presets.seed_example()).resized(bidirectional=False)
    at = open_page(ws)
    assert not at.error
    assert any("unidirectional" in i.value for i in at.info)
    assert [r.options for r in at.radio] == [["forward"]]
    assert "*Verdict*" not in texts(at)


def test_the_page_measures_once_per_model_and_factor(monkeypatch):
    """Moving t or the chain reuses the measurement (Streamlit's cache, keyed on the model's arrays);
    a new factor or a new model measures again."""
    calls = []

    def counted(model, X, factor):
        calls.append(factor)
        return measure(model, X, factor)

    measure = G.measure
    monkeypatch.setattr(G, "measure", counted)
    st.cache_data.clear()
    at = open_page()
    assert calls == [1.0]
    at.select_slider(key=GRAD_T).set_value(2).run()
    at.radio(key=GRAD_CHAIN).set_value("backward").run()
    assert calls == [1.0]
    at.slider(key=GRAD_SCALE).set_value(0.5).run()
    at.slider(key=GRAD_SCALE).set_value(1.0).run()
    assert calls == [1.0, 0.5]
    ws = Workspace.from_example(presets.seed_example())
    ws.fwd.W[0, 0] += 0.25
    at.session_state[WORKSPACE], at.session_state[WS_VERSION] = ws, 7
    at.run()
    assert calls == [1.0, 0.5, 1.0] and not at.exception
