"""Shared timing helper for the benchmark scripts (the leading underscore keeps `make bench` off it)."""
import statistics
import time


def median_ms(fn, repeat: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in milliseconds over ``repeat`` calls, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)
