"""Updates per second of the Train page while it trains, measured in a real browser (headless Debian
chromium), beside what the server could do in the same run.

Opens /train (next_parity, GRU, h = 12, 5 Adam steps per update), presses Play and, for each of
several windows, counts in the browser how often the status line (step, losses, accuracies) and the
weights picture change, on every animation frame. Also prints:
  - the page's cap, MAX_FPS (the loop never sends more);
  - one update (5 Adam steps of each network + evaluation) and one redraw's server time, measured in
    this process on the same settings, and the rate they alone would allow.
Usage: python bench/bench_train_page.py [--windows N] [--seconds S]
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT))
from browser_utils import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, AppServer, goto, wait_for_app  # noqa: E402

COUNT = """() => {
    window.__seen = {status: [], image: []};
    const last = {status: null, image: null};
    const tick = () => {
        const s = Array.from(document.querySelectorAll('[data-testid=stMarkdownContainer] strong'))
            .find(e => e.textContent.startsWith('Step '));
        const i = document.querySelector('[data-testid=stImage] img');
        const now = {status: s ? s.textContent : null, image: i ? i.getAttribute('src') : null};
        for (const k of ['status', 'image'])
            if (now[k] !== last[k]) { window.__seen[k].push(performance.now()); last[k] = now[k]; }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}"""


def per_second(times: list[float], start: float, end: float) -> float:
    return sum(start <= t < end for t in times) / ((end - start) / 1000)


def server_side(n: int = 40) -> tuple[float, float]:
    """Median ms of one update and of building everything one redraw sends, in this process."""
    from app.figures.training import curves_spec, curves_table, weights_caption, weights_image
    from app.training import T, Playground, Settings, sample_lines, status_text
    pg = Playground.fresh(Settings())
    updates, draws = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        pg.update()
        t1 = time.perf_counter()
        status_text(pg), curves_table(pg.runs), curves_spec(pg.task.left_context_bound(T)), sample_lines(pg)
        image, top = weights_image(pg.runs)
        weights_caption(pg.runs, top)
        draws.append((time.perf_counter() - t1) * 1e3)
        updates.append((t1 - t0) * 1e3)
    return statistics.median(updates), statistics.median(draws)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--windows", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=8.0)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    rates = {"status": [], "image": []}
    server = AppServer().start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport=VIEWPORT)
            goto(page, server.url, "/train")
            page.get_by_role("button", name="Play", exact=True).click()
            page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=30_000)
            page.evaluate(COUNT)
            page.wait_for_timeout(2_000)  # let it settle
            for _ in range(args.windows):
                start = page.evaluate("performance.now()")
                page.wait_for_timeout(args.seconds * 1000)
                end = page.evaluate("performance.now()")
                seen = page.evaluate("window.__seen")
                for k in rates:
                    rates[k].append(per_second(seen[k], start, end))
            page.get_by_role("button", name="Pause", exact=True).click()
            page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)
            wait_for_app(page)
            step = page.locator("[data-testid=stMarkdownContainer] strong").filter(has_text="Step ").first.inner_text()
            browser.close()
    finally:
        server.stop()
    update_ms, draw_ms = server_side()
    from app.training import MAX_FPS as cap
    print(f"Train page, next_parity, GRU h = 12, 5 Adam steps per update, {args.windows} windows of "
          f"{args.seconds:g} s in headless chromium (load average {os.getloadavg()[0]:.1f})")
    print(f"  status line updates/s   median {statistics.median(rates['status']):5.1f}   windows "
          + ", ".join(f"{r:.1f}" for r in rates["status"]))
    print(f"  weights picture/s       median {statistics.median(rates['image']):5.1f}   windows "
          + ", ".join(f"{r:.1f}" for r in rates["image"]))
    print(f"  the page's cap (MAX_FPS) {cap}/s: browser median / cap = "
          f"{statistics.median(rates['status']) / cap:.2f}")
    print(f"  server, this process: update {update_ms:.1f} ms + redraw {draw_ms:.1f} ms -> at most "
          f"{1000 / (update_ms + draw_ms):.1f} updates/s without the cap")
    print(f"  paused at: {step}")



if __name__ == "__main__":
    main()
