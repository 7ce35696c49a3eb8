"""Exports of a Workspace and its trace: JSON (importable again), CSV of the states, a Markdown/LaTeX
worksheet for a class, and PyTorch code that reproduces the same numbers. Pure functions; the page
offers every row of ``EXPORTS``."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from birnn_core import ModelTrace, ValidationError, explain_latex, get_cell, num
from birnn_core.registry import get_activation, get_head_activation, get_merge

from app.workspace import Workspace, load_json

EXPORT_FORMAT = "birnn-explainer/1"
MAX_IMPORT_BYTES = 2_000_000


def to_json(ws: Workspace, trace: ModelTrace | None) -> str:
    """Parameters (the share-link state) and, when given, the full trace."""
    out = {"format": EXPORT_FORMAT, "workspace": ws.to_dict()}
    if trace is not None:
        out["trace"] = trace.to_dict()
    return json.dumps(out, separators=(",", ":"))


def from_json(raw: bytes | str) -> Workspace:
    """Import what :func:`to_json` wrote (or a bare workspace dict). Plain JSON only, never pickle."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationError(f"The file is {len(raw):,} bytes: imports are limited to "
                              f"{MAX_IMPORT_BYTES:,} bytes.", field="import")
    data = load_json(raw, "The file")
    if isinstance(data, dict) and data.get("format") == EXPORT_FORMAT:
        data = data.get("workspace")
    return Workspace.from_dict(data)


def _columns(trace: ModelTrace) -> list[tuple[str, np.ndarray]]:
    """(column name, (T,) values) for every unit of every view of the first sequence, layer by layer
    (names start "L2 " from the second layer on)."""
    cols = []
    for l, layer in enumerate(trace.layers):
        pre = f"L{l + 1} " if len(trace.layers) > 1 else ""
        for d in layer.directions:
            tag = "fwd" if d.name == "forward" else "bwd"
            cols += [(f"{pre}h_{tag}[{j + 1}]", d.h[0, :, j]) for j in range(d.hidden_size)]
        if layer.merged is not None:
            cols += [(f"{pre}merged[{j + 1}]", layer.merged[0, :, j]) for j in range(layer.merged.shape[-1])]
    if trace.probs is not None:
        cols += [(f"y[{k + 1}]", trace.probs[0, :, k]) for k in range(trace.probs.shape[-1])]
    return cols


def states_csv(trace: ModelTrace) -> str:
    """One row per time step: t, token, every hidden unit of both directions, merged, outputs."""
    cols = _columns(trace)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["t", "token"] + [c for c, _ in cols])
    T = int(trace.lengths[0])
    for t in range(T):
        token = trace.tokens[t] if t < len(trace.tokens) else ""
        w.writerow([t + 1, token] + [repr(float(v[t])) for _, v in cols])
    return buf.getvalue()


def worksheet_markdown(ws: Workspace, trace: ModelTrace, digits: int = 3) -> str:
    """A worksheet for a class: the setup, then every step of both directions of every layer with the numbers."""
    stacked = len(trace.layers) > 1
    lines = ["# Bidirectional RNN worksheet", "",
             f"Sentence: {' '.join(ws.tokens)}  ",
             f"Cell: {ws.cell}, activation: {ws.activation}, merge: {ws.merge}, d = {ws.d}, "
             f"h_f = {ws.h_f}, h_b = {ws.h_b}" + (f", {ws.n_layers} layers (layer l+1 reads layer l's merged "
                                                   f"vectors as its x_t)" if stacked else ""), "",
             "Forward: $h_t = \\phi(W_f x_t + U_f h_{t-1} + b_f)$, backward: "
             "$h_t = \\phi(W_b x_t + U_b h_{t+1} + b_b)$; output $y_t = g(W_o [h_t^{fwd}; h_t^{bwd}] + b_o)$.", ""]
    lines += ["## Embeddings", "", "| t | token | x_t |", "|---|---|---|"]
    lines += [f"| {t + 1} | {tok} | {', '.join(num(v, digits) for v in ws.embeddings[t])} |"
              for t, tok in enumerate(ws.tokens)]
    for l, layer in enumerate(trace.layers):
        lines += _worksheet_layer(ws.tokens, layer, f"Layer {l + 1}: " if stacked else "", trace, digits)
    if trace.probs is not None:
        lines += ["", "## Outputs", ""]
        for t, tok in enumerate(ws.tokens):
            lines.append(f"- t = {t + 1} ({tok}): y = [{', '.join(num(v, digits) for v in trace.probs[0, t])}]")
    return "\n".join(lines) + "\n"


def _worksheet_layer(tokens: list[str], layer, title: str, trace: ModelTrace, digits: int) -> list[str]:
    """Every step of both directions of one layer, then its merged vectors."""
    lines = []
    for d in layer.directions:
        lines += ["", f"## {title}{d.name} pass" if title else f"## {d.name.capitalize()} pass", ""]
        for t in d.order(int(trace.lengths[0])):
            lines += [f"### t = {t + 1}: {tokens[t]}", "", "$$", "\\begin{aligned}"]
            lines += [f"& {line} \\\\" for line in explain_latex(d, t, 0, digits)]
            lines += ["\\end{aligned}", "$$", ""]
    if layer.merged is not None:
        lines += [f"## {title}merged vectors" if title else "## Merged vectors", ""]
        for t, tok in enumerate(tokens):
            lines.append(f"- t = {t + 1} ({tok}): [{', '.join(num(v, digits) for v in layer.merged[0, t])}]")
    return lines


def torch_refusal(ws: Workspace) -> str | None:
    """Why PyTorch code cannot reproduce this workspace (None: it can)."""
    cell = get_cell(ws.cell)
    if cell.torch is None:
        return cell.torch_refusal
    if ws.bidirectional and get_merge(ws.merge).torch is None:
        return (f"Merge '{ws.merge}' keeps the two directions apart, so the output layer has no single "
                "vector to read: choose concat, sum, mul or ave to export PyTorch code.")
    return None


def _torch_array(a) -> str:
    return np.array2string(np.asarray(a), separator=", ", precision=17, max_line_width=100,
                           threshold=100_000, floatmode="unique")


def _torch_layer(ws: Workspace, l: int, inp: str, native: bool) -> list[str]:
    """Lines that compute layer ``l`` of ``ws`` from the (1, T, ·) tensor named ``inp`` into ``merged<sfx>``."""
    cell = get_cell(ws.cell)
    assert cell.torch is not None
    sfx = "" if ws.n_layers == 1 else f"_l{l + 1}"
    fwd, bwd = ws.weights(l)
    dirs = [("f", fwd)] + ([("b", fwd if ws.tie else bwd)] if ws.bidirectional else [])
    lines = [f"# layer {l + 1}: reads {inp}"] if ws.n_layers > 1 else []
    for s, p in dirs:
        lines += [f"W_{s}{sfx} = torch.tensor({_torch_array(p.W)})", f"U_{s}{sfx} = torch.tensor({_torch_array(p.U)})",
                  f"b_{s}{sfx} = torch.tensor({_torch_array(p.b)})",
                  f"b_U{s}{sfx} = torch.tensor({_torch_array(p.b_U)})"]
    h_f, h_b = f"h_fwd{sfx}", f"h_bwd{sfx}"
    if native:
        extra = f", nonlinearity={ws.activation!r}" if cell.torch.nonlinearity else ""
        for s, p in dirs:
            lines += [f"rnn_{s}{sfx} = torch.nn.{cell.torch.module}({p.input_size}, {p.hidden_size}, "
                      f"batch_first=True{extra})",
                      f"rnn_{s}{sfx}.load_state_dict({{'weight_ih_l0': W_{s}{sfx}, 'weight_hh_l0': U_{s}{sfx}, "
                      f"'bias_ih_l0': b_{s}{sfx}, 'bias_hh_l0': b_U{s}{sfx}}})"]
        lines += ["with torch.no_grad():", f"    {h_f} = rnn_f{sfx}({inp})[0]  # (1, T, h_f)"]
        if ws.bidirectional:
            lines += ["    # the backward direction reads its inputs from T down to 1; flip its outputs back",
                      f"    {h_b} = rnn_b{sfx}({inp}.flip(1))[0].flip(1)  # (1, T, h_b)"]
    else:
        lines.append(f"{h_f} = sweep(W_f{sfx}, U_f{sfx}, b_f{sfx}, b_Uf{sfx}, {inp}[0])")
        if ws.bidirectional:
            lines.append(f"{h_b} = sweep(W_b{sfx}, U_b{sfx}, b_b{sfx}, b_Ub{sfx}, {inp}[0].flip(0)).flip(1)")
    merge = get_merge(ws.merge).torch if ws.bidirectional else "{f}"
    return lines + [f"merged{sfx} = " + str(merge).format(f=h_f, b=h_b), ""]


def pytorch_code(ws: Workspace) -> str:
    """A runnable script (torch, float64) that computes the same hidden states and outputs, layer by layer."""
    refusal = torch_refusal(ws)
    if refusal is not None:
        raise ValidationError(refusal, field="cell")
    cell = get_cell(ws.cell)
    assert cell.torch is not None
    act = ws.activation
    lines = ["import torch", "", "torch.set_default_dtype(torch.float64)",
             f"tokens = {ws.tokens!r}", f"X = torch.tensor({_torch_array(ws.embeddings)}).unsqueeze(0)  # (1, T, d)", ""]
    native = not cell.torch.nonlinearity or get_activation(act).torch is not None  # nn.RNN: tanh, relu
    if not native:
        lines += [f"phi = {get_activation(act).torch_fn}", "",
                  "def sweep(W, U, b, b_U, xs):",
                  "    h, out = torch.zeros(U.shape[1]), []",
                  "    for x in xs:",
                  "        h = phi(W @ x + b + U @ h + b_U)",
                  "        out.append(h)",
                  "    return torch.stack(out).unsqueeze(0)", ""]
    inp = "X"
    for l in range(ws.n_layers):
        lines += _torch_layer(ws, l, inp, native)
        inp = f"merged_l{l + 1}"
    if ws.n_layers > 1:
        lines += [f"merged = merged_l{ws.n_layers}", f"h_fwd = h_fwd_l{ws.n_layers}"]
    lines += [f"W_o = torch.tensor({_torch_array(ws.head_W)})", f"b_o = torch.tensor({_torch_array(ws.head_b)})",
              "logits = merged @ W_o.T + b_o", "y = " + get_head_activation(ws.head_activation).torch.format(z="logits")]
    lines += ["print('h_fwd', h_fwd)", "print('merged', merged)", "print('y', y)"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the table the page offers

@dataclass(frozen=True)
class Export:
    """One download on the Step by step page: ``make(ws, trace) -> str``; ``refusal(ws)`` says why
    this workspace cannot be exported so (None: it can)."""

    label: str
    filename: str
    mime: str
    make: Callable[[Workspace, ModelTrace], str]
    refusal: Callable[[Workspace], str | None] = lambda ws: None


EXPORTS: list[Export] = [
    Export("JSON (parameters + trace)", "birnn_trace.json", "application/json", to_json),
    Export("CSV of the states", "birnn_states.csv", "text/csv", lambda ws, trace: states_csv(trace)),
    Export("Worksheet (Markdown + LaTeX)", "birnn_worksheet.md", "text/markdown", worksheet_markdown),
    Export("PyTorch code", "birnn_reproduce.py", "text/x-python", lambda ws, trace: pytorch_code(ws),
           torch_refusal),
]
