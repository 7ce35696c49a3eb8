"""Full NumPy trace vs a plain PyTorch CPU forward, same shapes, side by side in one run.

Bidirectional LSTM, batch 1, d = 32. Prints medians (ms), the ratio trace / torch, the
trace's memory and the cost per step (linear in T means a flat us/step column).
Usage: python bench/bench_core.py [--quick]
"""
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # tiny per-step matmuls: BLAS threads only add overhead
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import median_ms  # noqa: E402
import numpy as np  # noqa: E402
import torch

from birnn_core import ModelParams, layers_from_torch_state_dict, run

torch.set_num_threads(1)



def trace_bytes(tr):
    total = 0
    for lt in tr.layers:
        for d in lt.directions:
            for v in vars(d).values():
                if isinstance(v, np.ndarray):
                    total += v.nbytes if v.base is None else v.base.nbytes / max(1, len(lt.directions))
    return total


def main(quick=False):
    d = 32
    Ts = [16, 64, 256, 512, 1024] if not quick else [16, 128]
    hs = [2, 16, 128, 256] if not quick else [8, 128]
    print(f"bi-LSTM, batch 1, d = {d}, float64, torch threads = {torch.get_num_threads()}")
    print(f"{'T':>5} {'h':>4} | {'trace ms':>9} {'torch64 ms':>10} {'ratio':>6} | {'torch32 ms':>10} | "
          f"{'us/step':>8} | {'trace MB':>8}")
    for h in hs:
        for T in Ts:
            torch.manual_seed(0)
            mod = torch.nn.LSTM(d, h, bidirectional=True, batch_first=True).double()
            model = ModelParams(layers_from_torch_state_dict(mod.state_dict(), "lstm"))
            X = np.random.default_rng(0).normal(size=(1, T, d))
            xt = torch.from_numpy(X)
            repeat = max(5, min(50, 20000 // T))

            mod32, xt32 = torch.nn.LSTM(d, h, bidirectional=True, batch_first=True), xt.float()
            mod32.load_state_dict({k: v.float() for k, v in mod.state_dict().items()})

            def torch_fwd(m, x):
                with torch.no_grad():
                    m(x)
            t_np = median_ms(lambda: run(model, X), repeat)
            t_torch = median_ms(lambda: torch_fwd(mod, xt), repeat)
            t_torch32 = median_ms(lambda: torch_fwd(mod32, xt32), repeat)
            mb = trace_bytes(run(model, X)) / 2**20
            print(f"{T:>5} {h:>4} | {t_np:>9.2f} {t_torch:>10.2f} {t_np / t_torch:>6.2f} | {t_torch32:>10.2f} | "
                  f"{t_np * 1e3 / T:>8.1f} | {mb:>8.2f}", flush=True)


if __name__ == "__main__":
    main("--quick" in sys.argv)
