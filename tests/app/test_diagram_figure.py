"""The arrows diagram's spec (nodes, arrows, frames) against the core's trace (app/figures/diagram.py)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from apptest_utils import plotly_array

from app.figures.diagram import (ANIMATED, CAPTION_I, HL_BWD_I, HL_FWD_I, PARALLEL, SEQUENTIAL, VEIL_I,
                                 HALF_H, arrows_figure, final_state_rows, merge_caption, merge_figure, stack_figure)
from app.text import plotly
from birnn_core import Merge, num, presets, register_merge, run, state_update_lines, unregister_merge
from birnn_core.registry import B, F


def seed_trace():
    ex = presets.seed_example()
    return run(ex.model, ex.embeddings, tokens=ex.tokens)


def random_trace(T: int, h: int = 3, cell: str = "rnn", merge: str = "concat", d: int = 4, h_b: int | None = None,
                 lengths=None):
    model = presets.random_model(cell, d=d, h_f=h, h_b=h if h_b is None else h_b, q=3, seed=T, merge=merge)
    X = np.random.default_rng(T).normal(size=(T, d) if lengths is None else (len(lengths), T, d))
    return run(model, X, lengths=lengths, tokens=[f"w{i}" for i in range(T)])


def heatmap(fig, name: str):
    (trace,) = [t for t in fig.data if t.type == "heatmap" and t.name == name]
    return trace


def node_values(hm) -> np.ndarray:
    """(n nodes, k units) back from a row heatmap: every other column, unit 1 on top."""
    return plotly_array(hm.z)[::-1, 0::2].T


def trace_named(fig, name: str):
    (t,) = [t for t in fig.data if t.name == name]
    return t


def polylines(t) -> list[list[tuple[float, float]]]:
    out, cur = [], []
    for x, y in zip(t.x, t.y):
        if x is None:
            out.append(cur)
            cur = []
        else:
            cur.append((x, y))
    return out + [cur] if cur else out


# ---------------------------------------------------------------- nodes

def test_seed_nodes_hold_the_traces_numbers():
    tr = seed_trace()
    fig = arrows_figure(tr)
    lt = tr.layers[0]
    np.testing.assert_allclose(node_values(heatmap(fig, "x")), tr.X[0], rtol=1e-6)
    fwd = node_values(heatmap(fig, "fwd"))
    bwd = node_values(heatmap(fig, "bwd"))
    np.testing.assert_allclose(fwd[:3], lt.fwd.h[0], rtol=1e-6)
    np.testing.assert_allclose(bwd[1:], lt.bwd.h[0], rtol=1e-6)
    # the final state: h_n[0] right of h_3 forward, h_n[1] left of h_1 backward
    np.testing.assert_allclose(fwd[3], lt.fwd.h[0, 2], rtol=1e-6)
    np.testing.assert_allclose(bwd[0], lt.bwd.h[0, 0], rtol=1e-6)
    np.testing.assert_allclose(node_values(heatmap(fig, "merged")), lt.merged[0], rtol=1e-6)
    np.testing.assert_allclose(node_values(heatmap(fig, "y")), tr.probs[0], rtol=1e-6)
    # seed 000's step 1 forward, printed to 3 decimals in the cells
    assert fwd[0].round(3).tolist() == [0.327, 0.635]
    assert heatmap(fig, "fwd").texttemplate == "%{z:.3f}"
    # hover: the whole vector of h_2 forward
    hover = trace_named(fig, "fwd vectors").text
    assert "h<sub>2</sub><sup>(fwd)</sup>" in hover[1] and "[0.758, 0.958]" in hover[1]


def test_columns_and_rows_follow_the_seed_drawing():
    fig = arrows_figure(seed_trace())
    ys = {name: float(np.mean(plotly_array(heatmap(fig, name).y))) for name in ("x", "fwd", "bwd", "merged", "y")}
    assert ys["x"] > ys["fwd"] > ys["bwd"] > ys["merged"] > ys["y"]  # inputs on top, outputs at the bottom
    centres = lambda name: plotly_array(heatmap(fig, name).x).reshape(-1, 2).mean(axis=1).round(6).tolist()
    assert centres("x") == [1, 2, 3]
    assert centres("fwd") == [1, 2, 3, 4]      # h_n[0] on the right
    assert centres("bwd") == [0, 1, 2, 3]      # h_n[1] on the left
    ticks = dict(zip(fig.layout.xaxis.tickvals, fig.layout.xaxis.ticktext))
    assert ticks[0] == "h_n[1]" and ticks[4] == "h_n[0]"
    assert ticks[2] == "x<sub>2</sub><br>\u2068love\u2069"  # the token, isolated (see isolate())


def test_large_vectors_are_strips_without_numbers():
    tr = random_trace(12, h=16)
    fig = arrows_figure(tr)
    assert heatmap(fig, "fwd").texttemplate is None
    assert plotly_array(heatmap(fig, "fwd").z).shape == (16, 2 * 13 - 1)
    np.testing.assert_allclose(node_values(heatmap(fig, "bwd"))[1:], tr.layers[0].bwd.h[0], rtol=1e-6)


# ---------------------------------------------------------------- arrows

def test_arrows_point_the_right_way():
    fig = arrows_figure(seed_trace())
    fwd = polylines(trace_named(fig, "forward recurrence"))
    bwd = polylines(trace_named(fig, "backward recurrence"))
    assert len(fwd) == 4 and len(bwd) == 4  # T arrows into the nodes + one into the final state
    assert all(line[-1][0] > line[0][0] for line in fwd)   # left to right
    assert all(line[-1][0] < line[0][0] for line in bwd)   # right to left
    assert max(line[-1][0] for line in fwd) > 3.5          # the last one ends at h_n[0] (x = 4)
    assert min(line[-1][0] for line in bwd) < 0.5          # ... and at h_n[1] (x = 0)
    tips = trace_named(fig, "forward recurrence (tips)")
    assert list(tips.marker.symbol) == ["triangle-right"] * 4
    assert list(tips.x) == [line[-1][0] for line in fwd]   # one tip at the end of every arrow
    assert list(trace_named(fig, "backward recurrence (tips)").marker.symbol) == ["triangle-left"] * 4
    inputs = polylines(trace_named(fig, "x_t feeds both directions"))
    assert len(inputs) == 6 and all(line[-1][1] < line[0][1] for line in inputs)  # downwards


# ---------------------------------------------------------------- frames

@pytest.mark.parametrize("order, labels", [
    (SEQUENTIAL, ["→1", "→2", "→3", "←3", "←2", "←1", "merge"]),
    (PARALLEL, ["→1 ←3", "→2 ←2", "→3 ←1", "merge"]),
])
def test_frames_follow_the_order_and_touch_only_the_animated_traces(order, labels):
    fig = arrows_figure(seed_trace(), order=order)
    assert [s.label for s in fig.layout.sliders[0].steps] == labels
    assert len(fig.frames) == len(labels)
    for frame in fig.frames:
        assert list(frame.traces) == ANIMATED and len(frame.data) == len(ANIMATED)
    assert [s.args[0][0] for s in fig.layout.sliders[0].steps] == [f.name for f in fig.frames]
    assert fig.layout.updatemenus[0].buttons[0].label == "▶ Play"


def test_frame_captions_carry_the_step_arithmetic():
    tr = seed_trace()
    fig = arrows_figure(tr)
    first = fig.frames[0].data[CAPTION_I].text[0]
    # seed 000's step 1 forward: 0.5×0.1 + 0.3×0.3 + 0.2×0.5 + 0 + 0.1 -> tanh(0.34) = 0.327
    assert "0.5×0.1 + 0.3×0.3 + 0.2×0.5" in first and "tanh(0.34) = <b>0.327</b>" in first
    fourth = fig.frames[3].data[CAPTION_I].text[0]  # backward, t = 3
    assert "backward, t = 3" in fourth
    assert f"<b>{round(tr.layers[0].bwd.h[0, 2, 0], 3)}</b>" in fourth
    assert "h_n = (h<sub>3</sub>" in fig.frames[-1].data[CAPTION_I].text[0]


def test_frame_highlight_boxes_the_node_being_computed():
    fig = arrows_figure(seed_trace())
    y_fwd, y_bwd = float(np.mean(plotly_array(heatmap(fig, "fwd").y))), float(np.mean(plotly_array(heatmap(fig, "bwd").y)))
    for k, (kind, t) in enumerate([("fwd", 1), ("fwd", 2), ("fwd", 3), ("bwd", 3), ("bwd", 2), ("bwd", 1)]):
        data = fig.frames[k].data
        hl = data[HL_FWD_I] if kind == "fwd" else data[HL_BWD_I]
        other = data[HL_BWD_I] if kind == "fwd" else data[HL_FWD_I]
        box = [line for line in polylines(hl) if len(line) == 5][0]
        xs, ys = zip(*box)
        assert abs(np.mean(xs[:4]) - t) < 1e-9
        assert abs(np.mean(ys[:4]) - (y_fwd if kind == "fwd" else y_bwd)) < 1e-9
        assert len(other.x) == 0 or kind == "bwd"  # forward frames highlight nothing backward


def test_veil_covers_what_is_not_computed_yet():
    fig = arrows_figure(seed_trace())
    rects = lambda k: polylines(fig.frames[k].data[VEIL_I])
    assert len(rects(0)) == 3            # rest of forward, all backward, merged + outputs
    assert len(rects(2)) == 2            # forward done
    assert len(rects(len(fig.frames) - 1)) == 0


def test_payload_grows_linearly_with_T():
    sizes = {T: len(arrows_figure(random_trace(T, h=8)).to_json()) for T in (15, 30, 60)}
    assert 1.6 < sizes[30] / sizes[15] < 2.4
    assert 1.6 < sizes[60] / sizes[30] < 2.4
    frames = {T: len(json.dumps(arrows_figure(random_trace(T, h=8)).to_dict()["frames"])) for T in (30, 60)}
    assert frames[60] / frames[30] < 2.4  # frames carry O(1) each, not the whole diagram


# ---------------------------------------------------------------- dependencies

def test_dependency_boxes_for_a_chosen_token():
    fig = arrows_figure(random_trace(6), focus=2)
    y = {name: float(np.mean(plotly_array(heatmap(fig, name).y))) for name in ("x", "fwd", "bwd", "merged")}
    boxes = lambda name: sorted((round(np.mean([p[0] for p in b[:4]]), 6), round(np.mean([p[1] for p in b[:4]]), 6))
                                for b in polylines(next(t for t in fig.data if t.name.startswith(name))))
    assert boxes("reaches h<sub>3</sub><sup>(fwd)</sup>") == sorted(
        [(t, y["x"]) for t in (1, 2, 3)] + [(t, y["fwd"]) for t in (1, 2, 3)])
    assert boxes("reaches h<sub>3</sub><sup>(bwd)</sup>") == sorted(
        [(t, y["x"]) for t in (3, 4, 5, 6)] + [(t, y["bwd"]) for t in (3, 4, 5, 6)])
    assert (3, y["merged"]) in boxes("m<sub>3</sub>")
    none = arrows_figure(random_trace(6))
    assert all(len(t.x) == 0 for t in none.data if t.name and t.name.startswith("reaches"))


# ---------------------------------------------------------------- other shapes of model

@pytest.mark.parametrize("cell", ["gru", "lstm", "gru_classic"])
def test_gated_cells(cell):
    tr = random_trace(5, h=3, cell=cell)
    fig = arrows_figure(tr, step=0)
    np.testing.assert_allclose(node_values(heatmap(fig, "fwd"))[:5], tr.layers[0].fwd.h[0], rtol=1e-6)
    cap = fig.data[CAPTION_I].text[0]
    fwd = tr.layers[0].fwd
    assert all(plotly(line) in cap for line in state_update_lines(fwd, 0)), cap
    assert ("(1 - z)×n" in cap) if cell.startswith("gru") else ("c[1] = f×c_prev + i×g" in cap)


def test_unidirectional_and_ragged():
    uni = presets.random_model("rnn", d=3, h_f=2, h_b=None, q=2, seed=1)
    tr = run(uni, np.random.default_rng(1).normal(size=(4, 3)))
    fig = arrows_figure(tr)
    assert {t.name for t in fig.data if t.type == "heatmap"} == {"x", "fwd", "y"}
    assert [s.label for s in fig.layout.sliders[0].steps] == ["→1", "→2", "→3", "→4", "merge"]
    rag = random_trace(5, lengths=[5, 3])
    fig = arrows_figure(rag, b=1)
    bwd = node_values(heatmap(fig, "bwd"))
    assert bwd.shape[0] == 4  # h_n[1] + three real steps
    np.testing.assert_allclose(bwd[1:], rag.layers[0].bwd.h[1, :3], rtol=1e-6)
    np.testing.assert_allclose(bwd[0], rag.layers[0].bwd.final_h[1], rtol=1e-6)


# ---------------------------------------------------------------- merged strips and final state

def test_concat_strip_is_forward_then_backward():
    tr = seed_trace()
    fig = merge_figure(tr)
    z = plotly_array(fig.data[0].z)
    lt = tr.layers[0]
    np.testing.assert_allclose(z[:, :2], lt.fwd.h[0], rtol=1e-6)
    assert np.all(np.isnan(z[:, 2]))                       # the seam between the halves
    np.testing.assert_allclose(z[:, 3:], lt.bwd.h[0], rtol=1e-6)
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "output[:, t, :2]" in texts and "output[:, t, 2:]" in texts
    assert "h_n[0]" in texts and "h_n[1]" in texts


@pytest.mark.parametrize("merge, symbol", [("sum", "+"), ("mul", "⊙"), ("ave", "avg")])
def test_sum_mul_ave_draw_the_operation(merge, symbol):
    tr = random_trace(4, merge=merge)
    fig = merge_figure(tr)
    z = plotly_array(fig.data[0].z)
    lt = tr.layers[0]
    np.testing.assert_allclose(z[:, 8:11], lt.merged[0], rtol=1e-6)
    assert {f"<b>{symbol}</b>", "<b>=</b>"} <= {a.text for a in fig.layout.annotations}


def test_final_state_rows_map_pytorch_and_keras():
    tr = seed_trace()
    rows = {r.expression: r for r in final_state_rows(tr)}
    lt = tr.layers[0]
    assert rows["h_n[0][0]"].same and rows["h_n[0][0]"].same_as == "output[0, 2, :2]"
    assert rows["h_n[1][0]"].same and rows["h_n[1][0]"].same_as == "output[0, 0, 2:]"
    np.testing.assert_array_equal(rows["h_n[1][0]"].values, lt.bwd.h[0, 0])
    trap = rows["output[0, 2, 2:]"]
    assert trap.same is False and "NOT h_n[1]" in trap.meaning
    keras = [r for r in final_state_rows(tr) if r.framework == "Keras"]
    np.testing.assert_array_equal(keras[0].values, lt.fwd.h[0, 2])
    np.testing.assert_array_equal(keras[1].values, lt.bwd.h[0, 0])
    np.testing.assert_array_equal(keras[2].values, np.concatenate([lt.fwd.h[0, 2], lt.bwd.h[0, 0]]))


# ---------------------------------------------------------------- user text is text

HOSTILE = ['<span style="font-size:90px">BIG</span>', "<img src=x onerror=window.__pwned=1>",
           "a & b <br> c", "\u202eabc"]


def spec_strings(spec) -> list[str]:
    """Every string anywhere in a figure's JSON (data, layout, frames)."""
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, dict):
        return [s for v in spec.values() for s in spec_strings(v)]
    if isinstance(spec, (list, tuple)):
        return [s for v in spec for s in spec_strings(v)]
    return []


@pytest.mark.parametrize("order", [SEQUENTIAL, PARALLEL])
def test_tokens_reach_every_plotly_label_escaped(order):
    """Ticks, hover, step captions, legend names and the strips' ticks show a token as typed:
    Plotly's markup (<span style>, <b>, <br>) in a token is escaped, and its text direction is
    isolated (FSI ... PDI) so a U+202E override cannot reverse the label around it."""
    tr = run(presets.seed_example().model, np.ones((4, 3)) * 0.1, tokens=HOSTILE)
    figs = [arrows_figure(tr, order=order, step=0, focus=k).to_dict() for k in range(4)]
    figs.append(merge_figure(tr).to_dict())
    texts = [s for f in figs for s in spec_strings(f)]
    for raw in HOSTILE[:3]:
        assert not any(raw in s for s in texts), raw  # markup never reaches Plotly unescaped
    escaped = ["\u2068&lt;span style=\"font-size:90px\"&gt;BIG&lt;/span&gt;\u2069",
               "\u2068&lt;img src=x onerror=window.__pwned=1&gt;\u2069", "\u2068a &amp; b &lt;br&gt; c\u2069",
               "\u2068\u202eabc\u2069"]
    fig = figs[0]
    ticks = fig["layout"]["xaxis"]["ticktext"]
    hover = [s for t in fig["data"] if t.get("name", "").endswith("vectors") for s in t["text"]]
    captions = [fr["data"][CAPTION_I]["text"][0] for f in figs[:4] for fr in f["frames"]]
    legend = [t["name"] for f in figs[:4] for t in f["data"] if t.get("showlegend")]
    strips = figs[4]["layout"]["yaxis"]["ticktext"]
    for k, esc in enumerate(escaped):
        assert ticks[k + 1] == f"x<sub>{k + 1}</sub><br>{esc}"
        assert sum(esc in h for h in hover) == 4  # x_t, h_t forward, h_t backward, y_t
        assert any(esc in c for c in captions)
        assert any(esc in n for n in legend)
        assert strips[k] == f"{k + 1} · {esc}"


def test_a_registered_merge_is_drawn_and_captioned_from_its_entry():
    register_merge(Merge("max", np.maximum, lambda f, b: f, elementwise=True, pattern=("max(", F, ",", B, ")"),
                         symbol="max"))
    try:
        model = presets.random_model("rnn", 3, 2, 2, 2, seed=1, merge="max")
        tr = run(model, np.random.default_rng(1).normal(size=(4, 3)))
        assert merge_caption("max") == "max: for every t, m_t = max(h_t^(fwd), h_t^(bwd)), unit by unit."
        fig = merge_figure(tr)
        assert any(a.text == "<b>max</b>" for a in fig.layout.annotations)
        np.testing.assert_array_equal(fig.data[0].z[:, -2:], tr.layers[0].merged[0].astype(np.float32))
    finally:
        unregister_merge("max")


# ---------------------------------------------------------------- the whole stack

def stacked_trace(layers: int, h_b: int | None = 2, cell: str = "rnn", T: int = 4):
    model = presets.random_model(cell, d=3, h_f=2, h_b=h_b, q=3, num_layers=layers, seed=layers)
    return run(model, np.random.default_rng(layers).normal(size=(T, 3)), tokens=[f"w{i}" for i in range(T)])


def rows_top_down(fig) -> list[tuple[str, np.ndarray]]:
    """(row key, node values) of every row heatmap, from the top of the figure down."""
    hms = sorted((t for t in fig.data if t.type == "heatmap"), key=lambda t: -float(np.mean(plotly_array(t.y))))
    return [(t.name, node_values(t)) for t in hms]


@pytest.mark.parametrize("layers", [2, 3])
def test_the_stack_draws_every_layer_once_with_the_traces_numbers(layers):
    tr = stacked_trace(layers)
    fig = stack_figure(tr)
    rows = rows_top_down(fig)
    # x, then each layer's forward, backward and merged rows (layer l+1's input row is layer l's
    # merged row, drawn once), then the output
    assert [k for k, _ in rows] == ["x"] + ["fwd", "bwd", "merged"] * layers + ["y"]
    for l, lt in enumerate(tr.layers):
        (_, hf), (_, hb), (_, m) = rows[1 + 3 * l: 4 + 3 * l]
        np.testing.assert_allclose(hf[:4], lt.fwd.h[0], rtol=1e-6)
        np.testing.assert_allclose(hb[1:], lt.bwd.h[0], rtol=1e-6)
        np.testing.assert_allclose(m, lt.merged[0], rtol=1e-6)
        if l:  # what layer l reads is what layer l-1 merged
            np.testing.assert_allclose(lt.fwd.x[0], tr.layers[l - 1].merged[0], rtol=1e-6)
    labels = list(fig.layout.yaxis.ticktext)
    assert labels[0] == "input x<sub>t</sub>" and labels[-1].startswith(f"L{layers} output")
    assert f"L{layers} forward h<sub>t</sub><sup>(fwd)</sup>" in labels


def test_the_stack_animates_layer_by_layer():
    tr = stacked_trace(2)
    fig = stack_figure(tr, step=0)
    labels = [s.label for s in fig.layout.sliders[0].steps]
    per_layer = ["→1", "→2", "→3", "→4", "←4", "←3", "←2", "←1", "merge"]
    assert labels == [f"L1 {s}" for s in per_layer] + [f"L2 {s}" for s in per_layer]
    assert len(fig.frames) == len(labels)
    ys = {k: float(np.mean(plotly_array(t.y))) for k, t in ((t.name + str(i), t) for i, t in
                                              enumerate(sorted((t for t in fig.data if t.type == "heatmap"),
                                                               key=lambda t: -float(np.mean(plotly_array(t.y))))))}
    y_l1_fwd, y_l2_fwd, y_l2_merged = ys["fwd1"], ys["fwd4"], ys["merged6"]

    def veiled_rows(k: int) -> set[float]:
        veil = fig.frames[k].data[0]
        return {round(float(y), 2) for poly in polylines(veil) for _, y in poly}

    def covers(k: int, y: float) -> bool:
        return any(abs(v - (y - 0.4)) < 0.01 or abs(v - (y + 0.4)) < 0.01 for v in veiled_rows(k))

    first_of_l2 = labels.index("L2 →1")
    assert covers(0, y_l1_fwd) and covers(0, y_l2_fwd)                 # at the start nothing is computed
    assert not covers(first_of_l2, y_l1_fwd)                           # layer 1 done before layer 2 starts
    assert covers(first_of_l2, y_l2_fwd) and covers(first_of_l2, y_l2_merged)
    assert fig.frames[-1].data[0].x in ([], None) or not veiled_rows(len(labels) - 1)
    caption = fig.frames[first_of_l2].data[CAPTION_I].text[0]
    assert caption.startswith("<b>Layer 2 of 2</b>") and num(tr.layers[1].fwd.h[0, 0, 0], 3) in caption
    assert fig.frames[0].data[CAPTION_I].text[0].startswith("<b>Layer 1 of 2</b>")


def test_a_unidirectional_stack_feeds_each_layer_its_forward_states():
    tr = stacked_trace(2, h_b=None)
    fig = stack_figure(tr)
    assert [k for k, _ in rows_top_down(fig)] == ["x", "fwd", "fwd", "y"]
    assert [s.label for s in fig.layout.sliders[0].steps][-2:] == ["L2 →4", "L2 merge"]
    inputs = trace_named(fig, "x_t feeds both directions")
    hms = sorted((t for t in fig.data if t.type == "heatmap"), key=lambda t: -float(np.mean(plotly_array(t.y))))
    y1, y2 = float(np.mean(plotly_array(hms[1].y))), float(np.mean(plotly_array(hms[2].y)))
    # an arrow leaves the bottom of layer 1's forward row for layer 2's forward row
    assert any(abs(p[0][1] - (y1 - HALF_H)) < 1e-3 and p[-1][1] > y2 for p in polylines(inputs))


def test_one_layer_of_a_stack_still_draws_alone():
    tr = stacked_trace(2)
    fig = arrows_figure(tr, layer=1)
    assert [k for k, _ in rows_top_down(fig)] == ["x", "fwd", "bwd", "merged", "y"]
    np.testing.assert_allclose(rows_top_down(fig)[0][1], tr.layers[0].merged[0], rtol=1e-6)
