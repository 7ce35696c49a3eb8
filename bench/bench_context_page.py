"""Server time of one control change on the Context vectors page, through Streamlit's AppTest.

Opens the page on its default pair ("bank"), then changes the "Part" radio (backward, merged,
forward, ...) and times each rerun. Usage: python bench/bench_context_page.py [--changes N]
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "app")]
from apptest_utils import open_view  # noqa: E402

from app.state import CONTEXT_PART  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--changes", type=int, default=8)
    n = ap.parse_args().changes
    at = open_view("views/context.py")
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        at.radio(key=CONTEXT_PART).set_value(["backward", "merged", "forward"][i % 3]).run()
        times.append((time.perf_counter() - t0) * 1e3)
        assert not at.exception, [e.value for e in at.exception]
    print(f"Context vectors, one Part change through AppTest: median {statistics.median(times):.0f} ms "
          f"over {n} (min {min(times):.0f}, max {max(times):.0f})")


if __name__ == "__main__":
    main()
