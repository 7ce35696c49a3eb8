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
    """(column name, (T,) values) for every unit of every view of the first sequence."""
    layer = trace.layers[-1]
    cols = []
    for d in layer.directions:
        tag = "fwd" if d.name == "forward" else "bwd"
        cols += [(f"h_{tag}[{j + 1}]", d.h[0, :, j]) for j in range(d.hidden_size)]
    if layer.merged is not None:
        cols += [(f"merged[{j + 1}]", layer.merged[0, :, j]) for j in range(layer.merged.shape[-1])]
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
    """A worksheet for a class: the setup, then every step of both directions with the numbers."""
    layer = trace.layers[-1]
    lines = ["# Bidirectional RNN worksheet", "",
             f"Sentence: {' '.join(ws.tokens)}  ",
             f"Cell: {ws.cell}, activation: {ws.activation}, merge: {ws.merge}, d = {ws.d}, "
             f"h_f = {ws.h_f}, h_b = {ws.h_b}", "",
             "Forward: $h_t = \\phi(W_f x_t + U_f h_{t-1} + b_f)$, backward: "
             "$h_t = \\phi(W_b x_t + U_b h_{t+1} + b_b)$; output $y_t = g(W_o [h_t^{fwd}; h_t^{bwd}] + b_o)$.", ""]
    lines += ["## Embeddings", "", "| t | token | x_t |", "|---|---|---|"]
    lines += [f"| {t + 1} | {tok} | {', '.join(num(v, digits) for v in ws.embeddings[t])} |"
              for t, tok in enumerate(ws.tokens)]
    for d in layer.directions:
        lines += ["", f"## {d.name.capitalize()} pass", ""]
        for t in d.order(int(trace.lengths[0])):
            lines += [f"### t = {t + 1}: {ws.tokens[t]}", "", "$$", "\\begin{aligned}"]
            lines += [f"& {line} \\\\" for line in explain_latex(d, t, 0, digits)]
            lines += ["\\end{aligned}", "$$", ""]
    if layer.merged is not None:
        lines += ["## Merged vectors", ""]
        for t, tok in enumerate(ws.tokens):
            lines.append(f"- t = {t + 1} ({tok}): [{', '.join(num(v, digits) for v in layer.merged[0, t])}]")
    if trace.probs is not None:
        lines += ["", "## Outputs", ""]
        for t, tok in enumerate(ws.tokens):
            lines.append(f"- t = {t + 1} ({tok}): y = [{', '.join(num(v, digits) for v in trace.probs[0, t])}]")
    return "\n".join(lines) + "\n"


def torch_refusal(ws: Workspace) -> str | None:
    """Why PyTorch code cannot reproduce this workspace (None: it can)."""
    cell = get_cell(ws.cell)
    if cell.torch is None:
        return cell.torch_refusal
    if ws.bidirectional and get_merge(ws.merge).torch is None:
        return (f"Merge '{ws.merge}' keeps the two directions apart, so the output layer has no single "
                "vector to read: choose concat, sum, mul or ave to export PyTorch code.")
    return None


def pytorch_code(ws: Workspace) -> str:
    """A runnable script (torch, float64) that computes the same hidden states and outputs."""
    L = lambda a: np.array2string(np.asarray(a), separator=", ", precision=17, max_line_width=100,
                                  threshold=100_000, floatmode="unique")
    refusal = torch_refusal(ws)
    if refusal is not None:
        raise ValidationError(refusal, field="cell")
    cell = get_cell(ws.cell)
    assert cell.torch is not None
    cls = cell.torch.module
    act = ws.activation
    lines = ["import torch", "", "torch.set_default_dtype(torch.float64)",
             f"tokens = {ws.tokens!r}", f"X = torch.tensor({L(ws.embeddings)}).unsqueeze(0)  # (1, T, d)", ""]
    native = not cell.torch.nonlinearity or get_activation(act).torch is not None  # nn.RNN: tanh, relu
    dirs = [("f", ws.fwd)] + ([("b", ws.bwd if not ws.tie else ws.fwd)] if ws.bidirectional else [])
    for s, p in dirs:
        lines += [f"W_{s} = torch.tensor({L(p.W)})", f"U_{s} = torch.tensor({L(p.U)})",
                  f"b_{s} = torch.tensor({L(p.b)})", f"b_U{s} = torch.tensor({L(p.b_U)})"]
    lines.append("")
    if native:
        extra = f", nonlinearity={act!r}" if cell.torch.nonlinearity else ""
        for s, p in dirs:
            lines += [f"rnn_{s} = torch.nn.{cls}({ws.d}, {p.hidden_size}, batch_first=True{extra})",
                      f"rnn_{s}.load_state_dict({{'weight_ih_l0': W_{s}, 'weight_hh_l0': U_{s}, "
                      f"'bias_ih_l0': b_{s}, 'bias_hh_l0': b_U{s}}})"]
        lines += ["with torch.no_grad():", "    h_fwd = rnn_f(X)[0]  # (1, T, h_f)"]
        if ws.bidirectional:
            lines += ["    # the backward direction reads x_T..x_1; flip its outputs back to time order",
                      "    h_bwd = rnn_b(X.flip(1))[0].flip(1)  # (1, T, h_b)"]
    else:
        lines += [f"phi = {get_activation(act).torch_fn}", "",
                  "def sweep(W, U, b, b_U, xs):",
                  "    h, out = torch.zeros(U.shape[1]), []",
                  "    for x in xs:",
                  "        h = phi(W @ x + b + U @ h + b_U)",
                  "        out.append(h)",
                  "    return torch.stack(out).unsqueeze(0)", "",
                  "h_fwd = sweep(W_f, U_f, b_f, b_Uf, X[0])"]
        if ws.bidirectional:
            lines.append("h_bwd = sweep(W_b, U_b, b_b, b_Ub, X[0].flip(0)).flip(1)")
    if not ws.bidirectional:
        lines.append("merged = h_fwd")
    else:
        lines.append("merged = " + str(get_merge(ws.merge).torch).format(f="h_fwd", b="h_bwd"))
    lines += [f"W_o = torch.tensor({L(ws.head_W)})", f"b_o = torch.tensor({L(ws.head_b)})",
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
