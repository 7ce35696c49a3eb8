"""Backpropagation cost, side by side in one run: the NumPy backward trace against the NumPy forward
trace, and one NumPy training step (forward + backward + Adam) against torch CPU float64 on the
same toy model (a bidirectional layer and a softmax head, batch 16, T = 20, d = 8, q = 4).

Prints medians (ms) and the ratios backward / forward (goal: at most 2) and NumPy / torch
(goal: at most 2). Usage: python bench/bench_backprop.py [--quick]
"""
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # tiny per-step matmuls: BLAS threads only add overhead
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import median_ms  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from birnn_core import HeadParams, ModelParams, layers_from_torch_state_dict, presets, run  # noqa: E402
from birnn_core.backprop import backprop  # noqa: E402
from playground import Adam, train_step  # noqa: E402

torch.set_num_threads(1)
TORCH = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
B, T, D_IN, Q = 16, 20, 8, 4


def torch_step(rnn, head, opt, x, y):
    opt.zero_grad()
    out, _ = rnn(x)
    loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, Q), y.reshape(-1))
    loss.backward()
    opt.step()


def main(quick=False):
    repeat = 7 if quick else 30
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(B, T, D_IN)), rng.integers(0, Q, size=(B, T))
    lengths = np.full(B, T)
    print(f"bidirectional layer + softmax head, B = {B}, T = {T}, d = {D_IN}, q = {Q}, float64, "
          f"torch threads = {torch.get_num_threads()}, {repeat} repeats (medians)")
    print(f"{'cell':>11} {'h':>4} | {'forward ms':>10} {'backward ms':>11} {'bwd/fwd':>7} | "
          f"{'numpy step ms':>13} {'torch step ms':>13} {'np/torch':>8}")
    for cell in ["rnn", "gru", "lstm", "gru_classic"]:
        for h in ([16] if quick else [8, 32, 64]):
            if cell in TORCH:
                torch.manual_seed(0)
                rnn = TORCH[cell](D_IN, h, bidirectional=True, batch_first=True).double()
                head = torch.nn.Linear(2 * h, Q).double()
                layers = layers_from_torch_state_dict({k: v.numpy().copy() for k, v in rnn.state_dict().items()}, cell)
                model = ModelParams(layers, HeadParams(head.weight.detach().numpy().copy(),
                                                       head.bias.detach().numpy().copy(), "softmax"))
            else:
                model = presets.random_model(cell, D_IN, h, h, Q, seed=0)
            trace = run(model, X, lengths)
            t_fwd = median_ms(lambda: run(model, X, lengths), repeat)
            t_bwd = median_ms(lambda: backprop(trace, model, y), repeat)
            opt = Adam(model, lr=1e-3)
            t_np = median_ms(lambda: train_step(model, opt, X, lengths, y), repeat)
            line = f"{cell:>11} {h:>4} | {t_fwd:>10.2f} {t_bwd:>11.2f} {t_bwd / t_fwd:>7.2f} | {t_np:>13.2f} "
            if cell in TORCH:
                opt_t = torch.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=1e-3)
                xt, yt = torch.from_numpy(X), torch.from_numpy(y)
                t_torch = median_ms(lambda: torch_step(rnn, head, opt_t, xt, yt), repeat)
                line += f"{t_torch:>13.2f} {t_np / t_torch:>8.2f}"
            else:
                line += f"{'(no torch)':>13} {'':>8}"
            print(line, flush=True)


if __name__ == "__main__":
    main("--quick" in sys.argv)
