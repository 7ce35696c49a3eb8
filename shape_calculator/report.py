"""The Shapes page's texts, written from the calculator's results (Markdown; no Streamlit here)."""
from __future__ import annotations

from birnn_core.registry import cells, merges

from .counts import ParamCount
from .regularization import RegularizationReport
from .spec import NamedShape, RecurrentSpec, py, shape_text

FINAL_STATE_NOTE = (
    "**Final state ≠ last output.** The forward direction's final state is after x_T, the backward one's "
    "after x_1 (it runs T → 1). In PyTorch that is `h_n[-2]` and `h_n[-1]`; `output[:, -1]` holds the "
    "backward state after x_T only, which has seen a single token.")


def input_text(spec: RecurrentSpec, batch_first: bool) -> str:
    B, T, d = spec.batch_size, spec.time_steps, spec.features
    return (f"Input **x**: `{shape_text((B, T, d))}` (batch, time steps, features) in Keras"
            + ("" if batch_first else f"; `{shape_text((T, B, d))}` (time steps, batch, features) in PyTorch "
               "with batch_first=False") + ".")


def shapes_table(rows: list[NamedShape]) -> str:
    lines = ["| returned | shape | axes: what it holds |", "|---|---|---|"]
    lines += [f"| {r.name} | `{shape_text(r.shape)}` | {r.axes}" + (f": {r.note}" if r.note else "") + " |"
              for r in rows]
    return "\n".join(lines)


def params_table(rows: list[ParamCount]) -> str:
    lines = ["| layer | d | formula per direction, with the numbers | parameters |", "|---|---|---|---|"]
    lines += [f"| {r.layer} | {r.input_size} | `{r.formula}`: {r.arithmetic} | **{r.total:,}** |" for r in rows]
    lines.append(f"| **total** | | | **{sum(r.total for r in rows):,}** |")
    return "\n".join(lines)


def tensors_text(rows: list[ParamCount], spec: RecurrentSpec) -> str:
    """Each layer's weight tensors, then the gate blocks stacked along G·h in that framework's order."""
    lines = [f"- layer {r.layer}: " + ", ".join(f"`{n}` {shape_text(s)}" for n, s in r.tensors)
             + (" (× 2: forward and backward)" if r.directions == 2 else "") for r in rows]
    framework = rows[0].framework
    blocks = spec.cell_entry.keras.gate_names if framework == "Keras" else spec.cell_entry.gates
    if blocks:
        lines.append(f"\nGate blocks along G·h = {len(blocks)}·h, in {framework} order: {', '.join(blocks)}.")
    return "\n".join(lines)


def cells_help() -> str:
    """Each registered cell with its Keras layer (and the arguments that select it) and PyTorch module."""
    def keras(c):
        return c.keras.layer + (f"({', '.join(f'{k}={py(v)}' for k, v in c.keras.config.items())})"
                                if c.keras.config else "")
    return "\n".join(f"- **{c.display}**: Keras `{keras(c)}`, "
                     + (f"PyTorch `nn.{c.torch.module}`" if c.torch else "no PyTorch module") for c in cells())


def merges_help() -> str:
    return "Keras' Bidirectional merge_mode: how the forward and backward outputs combine.\n\n" + "\n".join(
        f"- **{m.name}**: " + (m.text("h_f", "h_b") if m.single else f"both returned, merge_mode={py(m.keras)}")
        for m in merges())


def penalty_table(report: RegularizationReport) -> str:
    lines = ["| weight | role | shape | Σ\\|w\\| | Σw² | penalty |", "|---|---|---|---|---|---|"]
    lines += [f"| {t.name} | {t.role} | `{shape_text(t.shape)}` | {t.abs_sum:.4g} | {t.square_sum:.4g} | "
              f"{t.arithmetic} |" for t in report.terms]
    return "\n".join(lines)


def penalty_total(report: RegularizationReport) -> str:
    r = report.by_role
    return (f"**Total penalty: {report.total:.6g}** (kernel {r['kernel']:.6g} + recurrent {r['recurrent']:.6g} "
            f"+ bias {r['bias']:.6g})")
