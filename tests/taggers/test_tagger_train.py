"""End to end: the trainer trains a tiny tagger on a slice, writes safe files, NumPy reloads it."""
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from taggers import tagger as tg  # noqa: E402
from taggers import train as train_tagger  # noqa: E402
from taggers.conllu import UPOS_TAGS  # noqa: E402

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "ud_english_ewt"


@pytest.mark.skipif(not DATA.is_dir(), reason="UD English-EWT not present")
def test_tiny_training_run_end_to_end(tmp_path):
    runs = []
    for direction in ("uni", "bi"):
        out = tmp_path / direction
        rc = train_tagger.main(["--data-dir", str(DATA), "--direction", direction, "--seed", "3",
                                "--out", str(out), "--device", "cpu", "--threads", "1",
                                "--max-sentences", "300", "--epochs", "2", "--hidden", "32",
                                "--layers", "1", "--word-dim", "32", "--ngram-dim", "16",
                                "--ngram-buckets", "4096", "--batch-size", "8", "--lr", "0.01",
                                "--quiet"])
        assert rc == 0
        assert sorted(p.name for p in out.iterdir()) == ["card.json", "model.npz", "vocab.json"]
        card = json.loads((out / "card.json").read_text())
        assert card["data"]["splits"]["train"]["sentences"] == 300
        assert card["training"]["epochs_run"] == 2 and card["training"]["device"] == "cpu"
        # learned something: well above always-NOUN (about 17% of tokens)
        assert card["dev_accuracy"] > 0.40
        assert card["parameters"]["total"] == sum(
            v for k, v in card["parameters"].items() if k not in ("total", "total_without_embeddings"))
        m = tg.load_tagger(out, direction)
        # the NumPy tagger reproduces the card's dev accuracy from the shipped files alone
        from taggers.conllu import find_split, read_conllu
        dev = read_conllu(find_split(DATA, "dev"))[:300]
        ok = sum(p == g for s in dev for p, g in zip(m.tag(list(s.words))[0], s.tags))
        assert ok / sum(len(s) for s in dev) == pytest.approx(card["dev_accuracy"], abs=1e-9)
        runs.append(str(out))
    assets = tmp_path / "assets"
    train_tagger.main(["--ship", *runs, "--out", str(assets)])
    uni, bi = tg.load_taggers(assets)
    assert uni.direction == "uni" and bi.direction == "bi"
    assert json.loads((assets / "bi.card.json").read_text())["shipped_seed"] == 3
    # summary.md has a per-tag row for every tag, with the means of the cards
    summary = (assets / "summary.md").read_text()
    assert all(f"\n| {tag} | " in summary for tag in UPOS_TAGS)
    u, b = (json.loads((assets / f"{d}.card.json").read_text())["mean_over_seeds"]["per_tag"]["NOUN"]["mean"]
            for d in ("uni", "bi"))
    assert f"| NOUN | {100 * u:.2f} | {100 * b:.2f} | {100 * (b - u):+.2f} |" in summary


def test_missing_data_dir_is_a_clear_error(tmp_path, capsys):
    rc = train_tagger.main(["--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.skipif(not DATA.is_dir(), reason="UD English-EWT not present")
def test_ema_scores_and_ships_the_averaged_weights(tmp_path):
    """--ema: the averaged weights are what is scored and written. With a decay this close to 1 the
    average hardly leaves the weights after the first step, so it tags far worse than the weights as
    trained; a run that shipped the trained weights would score like the plain run."""
    common = ["--data-dir", str(DATA), "--direction", "bi", "--seed", "2", "--device", "cpu", "--threads", "1",
              "--max-sentences", "200", "--epochs", "2", "--hidden", "16", "--layers", "1", "--word-dim", "16",
              "--ngram-dim", "8", "--ngram-buckets", "1024", "--batch-size", "8", "--lr", "0.01", "--quiet"]
    assert train_tagger.main([*common, "--out", str(tmp_path / "plain")]) == 0
    assert train_tagger.main([*common, "--out", str(tmp_path / "ema"), "--ema", "0.99999"]) == 0
    plain = json.loads((tmp_path / "plain" / "card.json").read_text())
    card = json.loads((tmp_path / "ema" / "card.json").read_text())
    assert card["hyperparameters"]["ema"] == 0.99999 and plain["hyperparameters"]["ema"] == 0.0
    assert "moving average (decay 0.99999 per step)" in card["training"]["optimizer"]
    assert card["command"].endswith("--ema 0.99999")
    assert plain["dev_accuracy"] > 0.4
    assert card["dev_accuracy"] < plain["dev_accuracy"] - 0.15  # measured on the written weights
    assert max(h["dev_accuracy"] for h in card["training"]["history"]) < plain["dev_accuracy"] - 0.15


def _tiny_net_and_batch():
    """A small bi-LSTM tagger (dropout off) and input vectors x (3, 5, d) of sentences of 5, 3, 4 words."""
    torch.manual_seed(0)
    hp = train_tagger.HParams(hidden=8, layers=1, word_dim=6, ngram_dim=4, ngram_buckets=64, dropout=0.0)
    net = train_tagger.TaggerNet(20, hp).eval()
    lengths = torch.tensor([5, 3, 4])
    x = torch.randn(3, 5, hp.word_dim + hp.ngram_dim + tg.N_SHAPE, requires_grad=True)
    tags = torch.randint(0, len(tg.UPOS_TAGS), (3, 5))
    tags[torch.arange(5)[None, :] >= lengths[:, None]] = -100
    return net, x, lengths, tags


def test_the_adversarial_step_has_its_length_per_word_and_raises_the_loss_more_than_random_steps():
    net, x, lengths, tags = _tiny_net_and_batch()
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)

    def loss_at(v):
        logits = net.from_inputs(v, lengths)
        return loss_fn(logits.reshape(-1, logits.shape[-1]), tags.reshape(-1))

    alpha, d = 0.05, x.shape[-1]
    loss = loss_at(x)
    r = train_tagger.adversarial_perturbation(loss, x, alpha)
    norms = r.norm(dim=-1)
    real = torch.arange(5)[None, :] < lengths[:, None]
    assert torch.allclose(norms[real], torch.full_like(norms[real], alpha * d ** 0.5))
    assert float(norms[~real].abs().max()) == 0.0  # padding is not moved
    with torch.no_grad():
        adversarial = loss_at(x + r).item()
        for seed in range(20):
            g = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed))
            random_step = alpha * d ** 0.5 * g / g.norm(dim=-1, keepdim=True) * real[..., None]
            assert adversarial > loss_at(x + random_step).item()
    assert adversarial > loss.item()


def test_batch_loss_adds_the_adversarial_term_only_when_asked():
    net, _, lengths, tags = _tiny_net_and_batch()
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)
    word = torch.randint(2, 20, (3, 5))
    flat, offsets = torch.randint(1, 64, (15,)), torch.arange(15)
    shape = torch.zeros(3, 5, tg.N_SHAPE)
    batch = (word, flat, offsets, shape, lengths, tags)
    clean, trained_on = train_tagger.batch_loss(net, batch, loss_fn, 0.0)
    assert trained_on is clean
    clean2, trained_on = train_tagger.batch_loss(net, batch, loss_fn, 0.05)
    assert torch.isclose(clean2, clean)
    assert trained_on.item() > 2 * clean.item()  # the loss at the perturbed inputs is above the clean one


@pytest.mark.skipif(not DATA.is_dir(), reason="UD English-EWT not present")
def test_adversarial_training_is_recorded_in_the_card(tmp_path):
    assert train_tagger.main(["--data-dir", str(DATA), "--direction", "uni", "--seed", "1", "--device", "cpu",
                              "--threads", "1", "--max-sentences", "100", "--epochs", "1", "--hidden", "8",
                              "--layers", "1", "--word-dim", "8", "--ngram-dim", "8", "--ngram-buckets", "512",
                              "--out", str(tmp_path / "adv"), "--adversarial", "0.05", "--quiet"]) == 0
    card = json.loads((tmp_path / "adv" / "card.json").read_text())
    assert card["hyperparameters"]["adversarial"] == 0.05
    assert "adversarial training on the input vectors (alpha 0.05" in card["training"]["optimizer"]
    assert "--adversarial 0.05" in card["command"]


def test_equal_means_give_a_gap_of_plus_zero():
    """Means equal up to float noise ('s: 99.09 for both) print +0.00, never -0.00."""
    assert train_tagger._gap(0.9909090909090909, 0.9909090909090908) == "+0.00"
    assert train_tagger._gap(0.5, 0.6) == "+10.00" and train_tagger._gap(0.6, 0.5) == "-10.00"
    assert train_tagger._gap(None, 0.5) == "–"
