"""The two taggers' model cards side by side, as the Uni vs Bi page shows them. Pure functions of
the cards' JSON (no Streamlit).

Fields an older card may lack are read with ``field`` and shown as "not in the card"; the others
are required (tests/app/test_tagger_page.py reads the shipped cards through the page)."""
from __future__ import annotations

from taggers import tagger as tg

MISSING = "not in the card"

INTRO = ("Both taggers read the same **strictly word-local** input per token (a word embedding, the mean "
         "of hashed character 3–5-gram embeddings, 16 shape flags), feed it to two stacked `nn.LSTM` "
         "layers, and map every step to the 17 UPOS tags with one linear layer. The unidirectional one "
         "reads left to right only; the bidirectional one also reads right to left. Hidden sizes are "
         "chosen so both have about the same number of recurrent weights.")

GROUPS = {"unseen": "Words unseen in training", "that": "'that'", "to": "'to'", "like": "'like'",
          "'s": "'s", "sentence_initial_capital": "Sentence-initial capital",
          "ambiguous_in_train": "Words with several tags in training"}


def field(card: dict, *path: str):
    """card[path[0]][path[1]]…, or None where the card has no such field."""
    value = card
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.2f}%"


def _trained_on(card: dict) -> str:
    device, threads, cores = (field(card, "training", k) for k in ("device", "torch_threads", "cpu_count"))
    if None in (device, threads, cores):
        return MISSING
    return f"{device} ({threads} torch thread(s), {cores} cores)"


def _wall_time(card: dict) -> str:
    seconds = field(card, "mean_over_seeds", "wall_time_seconds", "mean")
    return MISSING if seconds is None else f"{seconds / 60:.1f} min"


def card_rows(uni: dict, bi: dict) -> list[dict]:
    """One row per figure: {"": what, "unidirectional": …, "bidirectional": …}."""
    def row(label: str, fn) -> dict:
        return {"": label, "unidirectional": fn(uni), "bidirectional": fn(bi)}

    def mean_sd(key: str):
        def cell(card: dict) -> str:
            m, s = field(card, "mean_over_seeds", key, "mean"), field(card, "mean_over_seeds", key, "std")
            return "–" if m is None else f"{100 * m:.2f} ± {100 * s:.2f}%"
        return cell

    rows = [row("Test accuracy (mean of seeds ± sd)", mean_sd("test_accuracy")),
            row("Dev accuracy (mean of seeds ± sd)", mean_sd("dev_accuracy")),
            row("Test accuracy, shipped seed", lambda c: _pct(c["test_accuracy"]))]
    for g, label in GROUPS.items():
        n = bi["test"]["groups"][g]["tokens"]
        rows.append(row(f"{label} (test, {n} tokens, mean of seeds)",
                        lambda c, g=g: _pct(field(c, "mean_over_seeds", "groups", g, "mean"))))
    base = _pct(bi["baseline_most_frequent_tag_test"]["overall"]["accuracy"])
    rows.append(row("Most-frequent-tag baseline (test)", lambda c: base))
    for label, key in (("Parameters (total)", "total"), ("Recurrent + output parameters", "total_without_embeddings")):
        rows.append(row(label, lambda c, key=key: f"{c['parameters'][key]:,}"))
    rows.append(row("Recurrent layers", lambda c: c["architecture"]["recurrent"]))
    rows.append(row("Trained on", _trained_on))
    rows.append(row("Training wall time per seed (mean)", _wall_time))
    rows.append(row("torch", lambda c: field(c, "training", "torch_version") or MISSING))
    return rows


def per_tag_rows(uni: dict, bi: dict) -> list[dict]:
    """Test accuracy per UPOS tag of both taggers, and bi − uni (percentage points)."""
    acc = lambda x: None if x["accuracy"] is None else round(100 * x["accuracy"], 2)
    out = []
    for t in tg.UPOS_TAGS:
        u, b = acc(uni["test"]["per_tag"][t]), acc(bi["test"]["per_tag"][t])
        out.append({"tag": t, "test tokens": bi["test"]["per_tag"][t]["tokens"], "uni %": u, "bi %": b,
                    "bi − uni": None if u is None or b is None else round(b - u, 2)})
    return out


def data_caption(card: dict) -> str:
    """Where the data comes from and how the shipped weights were trained."""
    data, splits = card["data"], card["data"]["splits"]
    return (f"Data: {data['name']} ({data['url']}), licensed {data['license']}; train "
            f"{splits['train']['sentences']:,} sentences / {splits['train']['tokens']:,} tokens, "
            f"test {splits['test']['tokens']:,} tokens (gold tokenisation). Trained with PyTorch "
            f"{field(card, 'training', 'torch_version') or '(version not in the card)'} on "
            f"{field(card, 'training', 'device') or '(device not in the card)'} by `python -m taggers.train`, "
            f"{len(card['seeds']['seeds'])} seeds per model; the seed with the best dev accuracy ships. The app "
            f"runs the weights in NumPy (no torch).")
