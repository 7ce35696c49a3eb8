"""NumPy inference reproduces PyTorch's logits on the whole EWT test set (shipped weights).

torch is the reference: the shipped .npz is loaded into the training module's TaggerNet and run
on the test sentences; the NumPy taggers (fast path and the step-by-step engine) must agree
within 1e-5 on every logit of every token.

The shipped weights are float16 numbers, exact in float32 and float64 alike, so torch can run
them in float64 (``net.double()``): that is the 1e-5 reference. torch's float32 forward, as it
runs in training, differs from any float64 computation by its own rounding (about 1e-5 on the
shipped models), so it is checked at 5e-5 and must give the same tag on every token. The test
prints the measured differences (``pytest -s``); the README quotes them.
"""
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from taggers import tagger as tg  # noqa: E402
from taggers.conllu import find_split, read_conllu  # noqa: E402
from taggers.train import Encoded, TaggerNet, HParams, batches, load_state  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets" / "tagger"
DATA = ROOT.parent / "shared" / "data" / "ud_english_ewt"
TOL = 1e-5


def torch_model(t: tg.Tagger) -> TaggerNet:
    hp = HParams(**{k: v for k, v in t.card["hyperparameters"].items() if k in HParams.__dataclass_fields__})
    net = TaggerNet(len(t.vocab.words), hp)
    with np.load(ASSETS / f"{t.name}.npz", allow_pickle=False) as z:
        load_state(net, {k: z[k] for k in z.files})
    return net.eval()


@pytest.mark.skipif(not DATA.is_dir(), reason="UD English-EWT not present")
@pytest.mark.parametrize("direction", ["uni", "bi"])
def test_numpy_logits_match_torch_on_whole_test_set(direction):
    torch.set_num_threads(1)
    t = tg.load_tagger(ASSETS, direction)
    net = torch_model(t)
    test = read_conllu(find_split(DATA, "test"))
    enc = Encoded(test, t.vocab)
    lengths = [len(s) for s in test]
    worst_fast = worst_engine = 0.0
    n_tokens = n_agree = 0
    net64 = torch_model(t).double()
    worst_f32 = largest = 0.0
    for k, idx in enumerate(batches(len(test), lengths, 128, None)):
        word, flat, offs, shape, lens, _ = enc.batch(idx, "cpu")
        with torch.no_grad():
            ref32 = net(word, flat, offs, shape, lens).double().numpy()
            ref = net64(word, flat, offs, shape.double(), lens).numpy()
        sents = [test[i].words for i in idx]
        fast, L = t.fast_logits_batch(sents)
        mask = np.arange(fast.shape[1])[None, :] < L[:, None]
        worst_fast = max(worst_fast, float(np.abs(fast - ref)[mask].max()))
        worst_f32 = max(worst_f32, float(np.abs(fast - ref32)[mask].max()))
        largest = max(largest, float(np.abs(ref)[mask].max()))
        n_tokens += int(mask.sum())
        n_agree += int((fast.argmax(-1) == ref32.argmax(-1))[mask].sum())
        if k % 4 == 0:  # the engine (full trace) on every fourth batch keeps the test quick
            engine, _ = t.logits_batch(sents)
            worst_engine = max(worst_engine, float(np.abs(engine - ref)[mask].max()))
    assert n_tokens == sum(lengths)
    assert worst_fast < TOL, f"{direction}: max |numpy - torch| = {worst_fast:.2e}"
    assert worst_engine < TOL, f"{direction}: engine max |numpy - torch| = {worst_engine:.2e}"
    assert worst_f32 < 5e-5, f"{direction}: max |numpy - torch float32| = {worst_f32:.2e}"
    assert n_agree == n_tokens
    print(f"\n{direction}: max |fast - torch64| = {worst_fast:.2e}, |engine - torch64| = {worst_engine:.2e}, "
          f"|fast - torch32| = {worst_f32:.2e}, same tag on {n_agree}/{n_tokens} tokens, "
          f"logits up to {largest:.1f} in magnitude")
