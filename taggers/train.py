"""Train a UPOS tagger (unidirectional or bidirectional LSTM) on UD English-EWT with PyTorch.

This is the only module of the project that imports torch. Example (one seed)::

    python -m taggers.train --data-dir ../shared/data/ud_english_ewt \\
        --direction bi --seed 1 --out /tmp/tagger_runs/bi_s1

then, after three seeds of each direction, pick the best-dev seed of each and write the
shipped assets with 3-seed means in the model cards::

    python -m taggers.train --ship /tmp/tagger_runs/*_s* --out assets/tagger

Each run directory holds ``model.npz`` (all weights, float16, loaded with allow_pickle=False),
``vocab.json`` and ``card.json``. Token features are computed by :mod:`taggers.tagger`, so the
NumPy inference reads exactly the inputs the network was trained on.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shlex
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import nn
from torch.optim import swa_utils
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .conllu import SPLITS, UPOS_TAGS, find_split, read_conllu, sha256_file
from .tagger import (N_SHAPE, Vocab, accuracy_report, ambiguous_forms, most_frequent_tag_baseline,
                     ngram_ids, normalise, shape_vector)

TAG_INDEX = {t: i for i, t in enumerate(UPOS_TAGS)}


@dataclass
class HParams:
    direction: str = "bi"
    cell: str = "lstm"
    layers: int = 2
    hidden: int = 0  # 0: the default for the direction (bi 128 per direction, uni 215)
    word_dim: int = 100
    ngram_dim: int = 64
    ngram_buckets: int = 1 << 14
    min_count: int = 2
    dropout: float = 0.33
    word_dropout_alpha: float = 0.25
    batch_size: int = 32
    lr: float = 2e-3
    clip: float = 5.0
    epochs: int = 20  # the shipped models set their own (see their cards' "command")
    patience: int = 3
    ema: float = 0.0  # decay of an exponential moving average of the weights, scored and shipped; 0: off
    adversarial: float = 0.0  # alpha of adversarial training on the input vectors (alpha * sqrt(d) per word); 0: off

    def resolved_hidden(self) -> int:
        if self.hidden:
            return self.hidden
        return 128 if self.direction == "bi" else 215


class TaggerNet(nn.Module):
    """Word embedding + mean of hashed character n-gram embeddings + shape flags -> LSTM -> Linear."""

    def __init__(self, vocab_size: int, hp: HParams):
        super().__init__()
        self.hp = hp
        h = hp.resolved_hidden()
        self.word = nn.Embedding(vocab_size, hp.word_dim, padding_idx=0)
        self.ngram = nn.EmbeddingBag(hp.ngram_buckets, hp.ngram_dim, mode="mean", padding_idx=0)
        d = hp.word_dim + hp.ngram_dim + N_SHAPE
        rnn_cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[hp.cell]
        self.rnn = rnn_cls(d, h, num_layers=hp.layers, batch_first=True,
                           bidirectional=hp.direction == "bi",
                           dropout=hp.dropout if hp.layers > 1 else 0.0)
        self.out = nn.Linear(h * (2 if hp.direction == "bi" else 1), len(UPOS_TAGS))
        self.drop = nn.Dropout(hp.dropout)

    def inputs(self, word, ngram_flat, ngram_offsets, shape):
        B, T = word.shape
        ng = self.ngram(ngram_flat, ngram_offsets).view(B, T, -1)
        return torch.cat([self.word(word), ng, shape], dim=-1)

    def forward(self, word, ngram_flat, ngram_offsets, shape, lengths):
        return self.from_inputs(self.inputs(word, ngram_flat, ngram_offsets, shape), lengths)

    def from_inputs(self, x, lengths):
        """Logits (B, T, tags) from the input vectors x (B, T, d) of sentences of these lengths."""
        x = self.drop(x)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        y, _ = self.rnn(packed)
        y, _ = pad_packed_sequence(y, batch_first=True, total_length=x.shape[1])
        return self.out(self.drop(y))


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------

class Encoded:
    """Sentences encoded once: word ids, per-sentence flat n-gram ids and counts, shapes, tags."""

    def __init__(self, sentences, vocab: Vocab, word_counts: dict[str, int] | None = None):
        self.sentences = sentences
        self.word = [np.array([vocab.word_id(w) for w in s.words], dtype=np.int64) for s in sentences]
        self.ng_flat, self.ng_count = [], []
        for s in sentences:
            ids = [ngram_ids(w, vocab.ngram_buckets) for w in s.words]
            self.ng_flat.append(np.fromiter((i for g in ids for i in g), dtype=np.int64))
            self.ng_count.append(np.array([len(g) for g in ids], dtype=np.int64))
        self.shape = [np.array([shape_vector(w) for w in s.words], dtype=np.float32) for s in sentences]
        self.tags = [np.array([TAG_INDEX[t] for t in s.tags], dtype=np.int64) for s in sentences]
        # probability of replacing a word by <unk> during training: alpha / (alpha + count)
        self.word_count = None
        if word_counts is not None:
            self.word_count = [np.array([word_counts.get(normalise(w), 0) for w in s.words],
                                        dtype=np.float64) for s in sentences]

    def __len__(self):
        return len(self.sentences)

    def batch(self, idx, device, rng: np.random.Generator | None = None, alpha: float = 0.0):
        lengths = np.array([len(self.word[i]) for i in idx], dtype=np.int64)
        B, T = len(idx), int(lengths.max())
        word = np.zeros((B, T), dtype=np.int64)
        shape = np.zeros((B, T, N_SHAPE), dtype=np.float32)
        tags = np.full((B, T), -100, dtype=np.int64)
        counts = np.zeros((B, T), dtype=np.int64)
        for b, i in enumerate(idx):
            n = lengths[b]
            w = self.word[i]
            if rng is not None and alpha > 0 and self.word_count is not None:
                drop = rng.random(n) < alpha / (alpha + self.word_count[i])
                w = np.where(drop, 1, w)
            word[b, :n] = w
            shape[b, :n] = self.shape[i]
            tags[b, :n] = self.tags[i]
            counts[b, :n] = self.ng_count[i]
        flat = np.concatenate([self.ng_flat[i] for i in idx])
        offsets = np.concatenate([[0], np.cumsum(counts.ravel())[:-1]])
        t = lambda a: torch.from_numpy(a).to(device)
        return t(word), t(flat), t(offsets), t(shape), torch.from_numpy(lengths), t(tags)


def batches(n_items: int, lengths, batch_size: int, rng: np.random.Generator | None):
    """Shuffled batches of similar lengths (sorted inside pools of 50 batches); in order if no rng."""
    order = np.arange(n_items) if rng is None else rng.permutation(n_items)
    pool = batch_size * 50
    out: list[list[int]] = []
    for s in range(0, n_items, pool):
        chunk = sorted(order[s:s + pool], key=lambda i: lengths[i])
        out.extend(chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size))
    if rng is not None:
        rng.shuffle(out)
    return out


@torch.no_grad()
def predict(model: TaggerNet, data: Encoded, device, batch_size: int = 256) -> list[list[str]]:
    model.eval()
    lengths = [len(w) for w in data.word]
    preds: list = [None] * len(data)
    for idx in batches(len(data), lengths, batch_size, None):
        word, flat, offs, shape, lens, _ = data.batch(idx, device)
        logits = model(word, flat, offs, shape, lens)
        am = logits.argmax(-1).cpu().numpy()
        for b, i in enumerate(idx):
            preds[i] = [UPOS_TAGS[k] for k in am[b, :lengths[i]]]
    return preds


def accuracy(preds, data: Encoded) -> float:
    ok = sum(int(p == g) for ps, s in zip(preds, data.sentences) for p, g in zip(ps, s.tags))
    return ok / sum(len(s) for s in data.sentences)


# ---------------------------------------------------------------------------------------------
# Weights <-> npz
# ---------------------------------------------------------------------------------------------

def export_state(model: TaggerNet, dtype=np.float16) -> dict[str, np.ndarray]:
    """All weights as NumPy arrays (torch state_dict names), rounded to ``dtype`` for shipping."""
    return {k: v.detach().cpu().numpy().astype(dtype) for k, v in model.state_dict().items()}


def load_state(model: TaggerNet, arrays: dict[str, np.ndarray]) -> None:
    model.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in arrays.items()})


def count_params(model: TaggerNet) -> dict[str, int]:
    parts = {"word_embedding": model.word, "ngram_embedding": model.ngram,
             "recurrent": model.rnn, "output": model.out}
    out = {k: sum(p.numel() for p in m.parameters()) for k, m in parts.items()}
    out["total"] = sum(out.values())
    out["total_without_embeddings"] = out["recurrent"] + out["output"]
    return out


# ---------------------------------------------------------------------------------------------
# The command line, as the card records it
# ---------------------------------------------------------------------------------------------

PROG = "python -m taggers.train"
ROOT = Path(__file__).resolve().parents[1]
PATH_OPTIONS = {"--data-dir", "--out", "--ship"}


def _portable_path(value: str, cwd: Path) -> str:
    """A path argument relative to the project root (where ``python -m`` runs), when it lies next
    to the project (../shared/data/...) or inside it; any other path is kept as it was given."""
    p = Path(value)
    full = (p if p.is_absolute() else cwd / p).resolve()
    for base, prefix in ((ROOT, ""), (ROOT.parent, "..")):
        try:
            rel = full.relative_to(base)
        except ValueError:
            continue
        return str(Path(prefix) / rel) if prefix else (str(rel) or ".")
    return value


def command_line(argv: list[str], cwd: Path | None = None) -> str:
    """The command that reproduces this run from the project root: ``argv`` as given, path
    arguments made relative to the project, shell-quoted."""
    cwd = Path.cwd() if cwd is None else cwd
    out, path_arg = [], False
    for a in argv:
        if path_arg and not a.startswith("--"):
            out.append(_portable_path(a, cwd))
            continue
        name, eq, value = a.partition("=")
        path_arg = name in PATH_OPTIONS and not eq
        out.append(f"{name}={_portable_path(value, cwd)}" if eq and name in PATH_OPTIONS else a)
    return shlex.join([*PROG.split(), *out])


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

def pick_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda was asked for but torch sees no CUDA device")
    if name == "cuda":
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    return torch.device(name)


def set_seeds(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def load_splits(data_dir: Path, max_sentences: int | None):
    files = {s: find_split(data_dir, s) for s in SPLITS}
    data = {s: read_conllu(p) for s, p in files.items()}
    if max_sentences:
        data = {s: v[:max_sentences] for s, v in data.items()}
    info = {s: {"file": files[s].name, "sha256": sha256_file(files[s]),
                "sentences": len(data[s]), "tokens": sum(len(x) for x in data[s])} for s in SPLITS}
    return data, info


def adversarial_perturbation(loss, x, alpha: float):
    """The step of length alpha * sqrt(d) per word along the gradient of ``loss`` with respect to the
    input vectors x (B, T, d) that raises the loss most, to first order (Yasunaga et al. 2018, "Robust
    Multilingual Part-of-Speech Tagging via Adversarial Training"); padding gets none."""
    (g,) = torch.autograd.grad(loss, x, retain_graph=True)
    norm = g.norm(dim=-1, keepdim=True)
    return (alpha * math.sqrt(x.shape[-1]) * g / norm.clamp_min(1e-12)).detach()  # padding: g = 0


def batch_loss(model: TaggerNet, batch, loss_fn, alpha: float):
    """(the loss on the batch as it is, the loss trained on): the second adds the loss on the
    adversarially perturbed input vectors when alpha > 0."""
    word, flat, offs, shape, lens, tags = batch
    x = model.inputs(word, flat, offs, shape)
    logits = model.from_inputs(x, lens)
    loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tags.reshape(-1))
    if not alpha:
        return loss, loss
    adv = model.from_inputs(x + adversarial_perturbation(loss, x, alpha), lens)
    return loss, loss + loss_fn(adv.reshape(-1, adv.shape[-1]), tags.reshape(-1))


def hparams(args) -> HParams:
    """The hyper-parameters a parsed command line asks for (the rest keep HParams' defaults)."""
    return HParams(direction=args.direction, cell=args.cell, layers=args.layers, hidden=args.hidden,
                   word_dim=args.word_dim, ngram_dim=args.ngram_dim, ngram_buckets=args.ngram_buckets,
                   dropout=args.dropout, batch_size=args.batch_size, lr=args.lr, epochs=args.epochs,
                   patience=args.patience, ema=args.ema, adversarial=args.adversarial)


def train(args) -> dict:
    from tqdm import tqdm

    t_start = time.perf_counter()
    hp = hparams(args)
    set_seeds(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    data, data_info = load_splits(Path(args.data_dir), args.max_sentences)
    train_words = [s.words for s in data["train"]]
    vocab = Vocab.build(train_words, min_count=hp.min_count, ngram_buckets=hp.ngram_buckets)
    counts: dict[str, int] = {}
    for ws in train_words:
        for w in ws:
            counts[normalise(w)] = counts.get(normalise(w), 0) + 1
    enc = {"train": Encoded(data["train"], vocab, counts),
           "dev": Encoded(data["dev"], vocab), "test": Encoded(data["test"], vocab)}

    model = TaggerNet(len(vocab.words), hp).to(device)
    params = count_params(model)
    opt = torch.optim.Adam(model.parameters(), lr=hp.lr, betas=(0.9, 0.9))
    # The averaged copy is the same network with other numbers: what is scored, kept and shipped.
    scored = (swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(hp.ema))
              if hp.ema else None)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=1)
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    rng = np.random.default_rng(args.seed)
    lengths = [len(w) for w in enc["train"].word]

    best_dev, best_epoch, best_state, history = -1.0, 0, None, []
    bad = 0
    quiet = args.quiet or not sys.stderr.isatty() and not args.progress
    for epoch in range(1, hp.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        bl = batches(len(enc["train"]), lengths, hp.batch_size, rng)
        total_loss, n_tok = 0.0, 0
        bar = tqdm(bl, desc=f"{args.direction} s{args.seed} epoch {epoch}", unit="batch",
                   disable=False, mininterval=5.0 if quiet else 0.1, file=sys.stderr)
        for idx in bar:
            batch = enc["train"].batch(idx, device, rng, hp.word_dropout_alpha)
            tags = batch[-1]
            loss, trained_on = batch_loss(model, batch, loss_fn, hp.adversarial)
            opt.zero_grad(set_to_none=True)
            trained_on.backward()
            nn.utils.clip_grad_norm_(model.parameters(), hp.clip)
            opt.step()
            if scored is not None:
                scored.update_parameters(model)
            k = int((tags != -100).sum())
            total_loss += float(loss.detach()) * k
            n_tok += k
            bar.set_postfix(loss=f"{total_loss / max(n_tok, 1):.3f}", refresh=False)
        bar.close()
        kept = model if scored is None else cast(TaggerNet, scored.module)
        dev_acc = accuracy(predict(kept, enc["dev"], device), enc["dev"])
        sched.step(dev_acc)
        secs = time.perf_counter() - t0
        history.append({"epoch": epoch, "train_loss": total_loss / max(n_tok, 1), "dev_accuracy": dev_acc,
                        "seconds": secs, "lr": opt.param_groups[0]["lr"]})
        print(f"[{args.direction} seed {args.seed}] epoch {epoch}: loss {total_loss / max(n_tok, 1):.4f} "
              f"dev {dev_acc * 100:.2f}% ({secs:.1f} s)", flush=True)
        if dev_acc > best_dev:
            best_dev, best_epoch, bad = dev_acc, epoch, 0
            best_state = {k: v.detach().clone() for k, v in kept.state_dict().items()}
        else:
            bad += 1
            if bad >= hp.patience:
                print(f"early stop: dev has not improved for {bad} epochs (best {best_epoch})", flush=True)
                break
    train_seconds = time.perf_counter() - t_start

    # Ship float16 weights, and measure what ships: reload the rounded weights before scoring.
    assert best_state is not None, "at least one epoch ran"
    model.load_state_dict(best_state)
    arrays = export_state(model)
    load_state(model, arrays)
    model.to(device)
    preds = {s: predict(model, enc[s], device) for s in ("dev", "test")}
    train_forms = {w for ws in train_words for w in ws}
    train_tags = [s.tags for s in data["train"]]
    amb = ambiguous_forms(train_words, train_tags)
    test_words = [s.words for s in data["test"]]
    test_gold = [s.tags for s in data["test"]]
    report = accuracy_report(test_words, test_gold, preds["test"], train_forms, amb)
    baseline = accuracy_report(test_words, test_gold,
                               most_frequent_tag_baseline(train_words, train_tags, test_words),
                               train_forms, amb)

    np.savez_compressed(out / "model.npz", **cast(dict[str, Any], arrays))
    (out / "vocab.json").write_text(json.dumps(vocab.to_json()), encoding="utf-8")
    card = {
        "format": "birnn-tagger-card/1",
        "command": getattr(args, "command", None),
        "name": f"{args.direction}-lstm UPOS tagger",
        "direction": args.direction,
        "seed": args.seed,
        "task": "Universal POS tags (17 UPOS), gold tokenisation",
        "data": {"name": "UD English-EWT", "license": "CC BY-SA 4.0",
                 "url": "https://github.com/UniversalDependencies/UD_English-EWT",
                 "dir": _portable_path(args.data_dir, Path.cwd()), "max_sentences": args.max_sentences, "splits": data_info},
        "architecture": {
            "input": "word embedding (lower-cased, digits->0) ; mean of hashed char 3-5-gram embeddings of "
                     "<word> ; 16 shape flags  (strictly word-local)",
            "input_dim": hp.word_dim + hp.ngram_dim + N_SHAPE,
            "recurrent": f"torch.nn.{hp.cell.upper()}(num_layers={hp.layers}, hidden_size="
                         f"{hp.resolved_hidden()}, bidirectional={hp.direction == 'bi'}, batch_first=True)",
            "output": f"Linear({hp.resolved_hidden() * (2 if hp.direction == 'bi' else 1)} -> 17)",
            "vocab_size": len(vocab.words),
        },
        "hyperparameters": asdict(hp) | {"hidden": hp.resolved_hidden()},
        "parameters": params,
        "weights": {"file": "model.npz", "dtype": "float16 (rounded after training; scores below "
                                                   "are measured with the rounded weights)"},
        "training": {
            "device": str(device), "device_name": (torch.cuda.get_device_name(0) if device.type == "cuda"
                                                   else platform.processor() or platform.machine()),
            "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
            "torch_version": torch.__version__, "numpy_version": np.__version__,
            "python_version": platform.python_version(),
            "wall_time_seconds": round(train_seconds, 1), "epochs_run": len(history),
            "best_epoch": best_epoch, "history": history,
            "optimizer": f"Adam(lr={hp.lr}, betas=(0.9, 0.9)), ReduceLROnPlateau(dev, 0.5, patience 1), "
                         f"clip {hp.clip}, dropout {hp.dropout}, word dropout alpha/(alpha+count) "
                         f"alpha={hp.word_dropout_alpha}, early stopping patience {hp.patience} on dev"
                         + (f", scored and shipped: the weights' exponential moving average (decay {hp.ema} "
                            "per step)" if hp.ema else "")
                         + (f", adversarial training on the input vectors (alpha {hp.adversarial}: a step of "
                            "alpha * sqrt(d) per word)" if hp.adversarial else ""),
        },
        "dev_accuracy": accuracy(preds["dev"], enc["dev"]),
        "test_accuracy": report["overall"]["accuracy"],
        "test": report,
        "baseline_most_frequent_tag_test": baseline,
    }
    (out / "card.json").write_text(json.dumps(card, indent=1), encoding="utf-8")
    print(f"[{args.direction} seed {args.seed}] dev {card['dev_accuracy'] * 100:.2f}%  "
          f"test {card['test_accuracy'] * 100:.2f}%  unseen "
          f"{(report['groups']['unseen']['accuracy'] or 0) * 100:.2f}%  ({train_seconds:.0f} s) -> {out}",
          flush=True)
    return card


# ---------------------------------------------------------------------------------------------
# Shipping: best-dev seed of each direction + 3-seed means
# ---------------------------------------------------------------------------------------------

def _mean_std(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None, None
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
    return m, sd


def ship(run_dirs: list[str], out: str) -> dict:
    cards = []
    for run_dir in run_dirs:
        p = Path(run_dir) / "card.json"
        if p.exists():
            cards.append((Path(run_dir), json.loads(p.read_text(encoding="utf-8"))))
    if not cards:
        raise SystemExit("no run directory with a card.json among --ship arguments")
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary: dict = {"format": "birnn-tagger-summary/1", "models": {}}
    by_dir: dict[str, list] = {}
    for d, c in cards:
        by_dir.setdefault(c["direction"], []).append((d, c))
    for direction, runs in sorted(by_dir.items()):
        runs.sort(key=lambda dc: dc[1]["seed"])
        best_d, best_c = max(runs, key=lambda dc: dc[1]["dev_accuracy"])
        groups = best_c["test"]["groups"].keys()
        seeds: dict[str, Any] = {
            "seeds": [c["seed"] for _, c in runs],
            "dev_accuracy": [c["dev_accuracy"] for _, c in runs],
            "test_accuracy": [c["test_accuracy"] for _, c in runs],
            "wall_time_seconds": [c["training"]["wall_time_seconds"] for _, c in runs],
            "epochs_run": [c["training"]["epochs_run"] for _, c in runs],
            "groups": {g: [c["test"]["groups"][g]["accuracy"] for _, c in runs] for g in groups},
        }
        means = {"dev_accuracy": _mean_std(seeds["dev_accuracy"]),
                 "test_accuracy": _mean_std(seeds["test_accuracy"]),
                 "groups": {g: _mean_std(v) for g, v in seeds["groups"].items()},
                 "per_tag": {t: _mean_std([c["test"]["per_tag"][t]["accuracy"] for _, c in runs])
                             for t in UPOS_TAGS},
                 "wall_time_seconds": _mean_std(seeds["wall_time_seconds"])}
        card = dict(best_c)
        card["shipped_seed"] = best_c["seed"]
        card["shipped_because"] = "best dev accuracy among the seeds below"
        card["seeds"] = seeds
        card["mean_over_seeds"] = {k: (v if k in ("groups", "per_tag") else {"mean": v[0], "std": v[1]})
                                   for k, v in means.items()}
        for key in ("groups", "per_tag"):
            card["mean_over_seeds"][key] = {g: {"mean": m, "std": s} for g, (m, s) in means[key].items()}
        shutil.copyfile(best_d / "model.npz", out_dir / f"{direction}.npz")
        shutil.copyfile(best_d / "vocab.json", out_dir / f"{direction}.vocab.json")
        card["weights"]["file"] = f"{direction}.npz"
        (out_dir / f"{direction}.card.json").write_text(json.dumps(card, indent=1), encoding="utf-8")
        summary["models"][direction] = {"shipped_seed": best_c["seed"], **{
            k: card["mean_over_seeds"][k] for k in ("dev_accuracy", "test_accuracy")}}
        print(f"{direction}: seeds {seeds['seeds']} test {[round(a * 100, 2) for a in seeds['test_accuracy']]} "
              f"mean {means['test_accuracy'][0] * 100:.2f}% (ships seed {best_c['seed']})")
    (out_dir / "summary.md").write_text(summary_markdown(out_dir), encoding="utf-8")
    print(summary_markdown(out_dir))
    return summary


def _gap(uni: float | None, bi: float | None) -> str:
    """bi − uni in points, signed; equal means print +0.00 (rounding first: no "-0.00")."""
    if uni is None or bi is None:
        return "–"
    return f"{round(100 * (bi - uni), 2) + 0.0:+.2f}"


def summary_markdown(assets: Path) -> str:
    """Markdown tables of the shipped cards: per seed, means, gaps uni -> bi, baseline, sizes."""
    cards = {d: json.loads((assets / f"{d}.card.json").read_text(encoding="utf-8"))
             for d in ("uni", "bi") if (assets / f"{d}.card.json").exists()}
    if not cards:
        return ""
    pct = lambda x: "–" if x is None else f"{100 * x:.2f}"
    lines = ["| model | seeds | test acc. per seed (%) | mean ± sd (%) | dev mean (%) | epochs | "
             "wall time per seed (min) |", "|---|---|---|---|---|---|---|"]
    for d, c in cards.items():
        s, m = c["seeds"], c["mean_over_seeds"]
        lines.append(f"| {d} | {', '.join(map(str, s['seeds']))} | "
                     f"{', '.join(pct(a) for a in s['test_accuracy'])} | {pct(m['test_accuracy']['mean'])} ± "
                     f"{pct(m['test_accuracy']['std'])} | {pct(m['dev_accuracy']['mean'])} | "
                     f"{', '.join(map(str, s['epochs_run']))} | "
                     f"{', '.join(f'{w / 60:.1f}' for w in s['wall_time_seconds'])} |")
    base = next(iter(cards.values()))["baseline_most_frequent_tag_test"]
    lines += ["", "| test subset (tokens) | baseline (%) | uni mean (%) | bi mean (%) | gap bi − uni (points) |",
              "|---|---|---|---|---|"]
    groups = [("all tokens", "overall")] + [(g, g) for g in next(iter(cards.values()))["test"]["groups"]]
    for label, g in groups:
        if g == "overall":
            n = base["overall"]["tokens"]
            b0 = base["overall"]["accuracy"]
            vals = {d: c["mean_over_seeds"]["test_accuracy"]["mean"] for d, c in cards.items()}
        else:
            n = base["groups"][g]["tokens"]
            b0 = base["groups"][g]["accuracy"]
            vals = {d: c["mean_over_seeds"]["groups"][g]["mean"] for d, c in cards.items()}
        gap = _gap(vals.get("uni"), vals.get("bi"))
        lines.append(f"| {label} ({n}) | {pct(b0)} | {pct(vals.get('uni'))} | {pct(vals.get('bi'))} | {gap} |")
    lines += ["", "| tag (test, per-tag accuracy) | uni mean (%) | bi mean (%) | gap bi − uni (points) |",
              "|---|---|---|---|"]
    for tag in UPOS_TAGS:
        vals = {d: c["mean_over_seeds"]["per_tag"][tag]["mean"] for d, c in cards.items()}
        gap = _gap(vals.get("uni"), vals.get("bi"))
        lines.append(f"| {tag} | {pct(vals.get('uni'))} | {pct(vals.get('bi'))} | {gap} |")
    lines += ["", "| model | total parameters | embeddings | recurrent | output | recurrent layers |",
              "|---|---|---|---|---|---|"]
    for d, c in cards.items():
        p = c["parameters"]
        lines.append(f"| {d} | {p['total']:,} | {p['word_embedding'] + p['ngram_embedding']:,} | "
                     f"{p['recurrent']:,} | {p['output']:,} | {c['architecture']['recurrent']} |")
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m taggers.train", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=os.environ.get("EWT_DIR", "../shared/data/ud_english_ewt"),
                   help="folder with *-ud-train/dev/test.conllu (UD English-EWT)")
    p.add_argument("--direction", choices=["uni", "bi"], default="bi")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, help="run directory (train) or assets folder (--ship)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--max-sentences", type=int, default=None, help="use only the first N sentences of each split")
    d = HParams()
    p.add_argument("--cell", choices=["lstm", "gru", "rnn"], default=d.cell)
    p.add_argument("--layers", type=int, default=d.layers)
    p.add_argument("--hidden", type=int, default=d.hidden, help="0: bi 128 per direction, uni 215 (about the same number of recurrent weights)")
    p.add_argument("--word-dim", type=int, default=d.word_dim)
    p.add_argument("--ngram-dim", type=int, default=d.ngram_dim)
    p.add_argument("--ngram-buckets", type=int, default=d.ngram_buckets)
    p.add_argument("--dropout", type=float, default=d.dropout)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--patience", type=int, default=d.patience)
    p.add_argument("--ema", type=float, default=d.ema,
                   help="score and ship an exponential moving average of the weights with this decay per "
                        "step (e.g. 0.999); 0: the weights as trained")
    p.add_argument("--adversarial", type=float, default=d.adversarial,
                   help="train on the loss at input vectors moved alpha * sqrt(d) per word along the gradient "
                        "too (e.g. 0.02); 0: off")
    p.add_argument("--progress", action="store_true", help="live progress bar even when not on a tty")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--ship", nargs="+", metavar="RUN_DIR",
                   help="instead of training: copy the best-dev run of each direction to --out")
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    args.command = command_line(argv)
    if args.ship:
        ship(args.ship, args.out)
        return 0
    try:
        train(args)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
