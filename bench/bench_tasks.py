"""Uni against bi on each toy task of the playground: final accuracy over 3 seeds, side by side.

GRU, h = 12, Adam lr 0.02, batches of 32 sequences of T = 8, accuracy on 256 fixed sequences after
the last step. Usage: python bench/bench_tasks.py [--quick] (quick: 150 steps instead of 600).
"""
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

from playground import TASKS, start  # noqa: E402

SEEDS = (0, 1, 2)


def main(quick=False):
    steps = 150 if quick else 600
    print(f"GRU, h = 12, Adam lr 0.02, B = 32, T = 8, {steps} steps, seeds {SEEDS}: "
          "accuracy on 256 held-out sequences (mean ± sd over seeds)")
    print(f"{'task':>16} {'context':>26} | {'uni':>13} {'bi':>13} | {'s per run':>9}")
    for name, task in TASKS.items():
        acc = {}
        t0 = time.perf_counter()
        for bi in (False, True):
            finals = []
            for seed in SEEDS:
                r = start(task, "gru", bi, seed=seed)
                r.advance(steps, every=steps)
                finals.append(r.history[-1][2])
            acc[bi] = (np.mean(finals), np.std(finals, ddof=1))
        per_run = (time.perf_counter() - t0) / (2 * len(SEEDS))
        cell = lambda m_s: f"{m_s[0]:.3f} ± {m_s[1]:.3f}"
        print(f"{name:>16} {task.context:>26} | {cell(acc[False]):>13} {cell(acc[True]):>13} | {per_run:>9.1f}",
              flush=True)


if __name__ == "__main__":
    main("--quick" in sys.argv)
