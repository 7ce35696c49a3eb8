"""The scrub in a real browser: frames per second while dragging, and the time to the first frame.

One app server and one headless Debian chromium. Two workspaces, opened by share link: the seed
example (3 tokens, SimpleRNN, h = 2) and a 40-token bidirectional LSTM with d = h_f = h_b = 16 (the
page's largest sizes). For each:

* first frame: press on an entry of the matrix (not the chosen one) and move 20 px; the time, in
  the page's own clock, from the press to that number's first frame on screen (when the matrix is
  too large to send every entry's frames, this holds the server's scan, encoding, transfer and the
  browser's decoding); also the server-side time to build the payload (median ms);
* drag (the slider scrolled to the top of the window, the diagram and the table under it, as a
  person watching them; only what is on screen is redrawn): a pointer that moves every animation frame (a script sets the slider and dispatches the
  'input' event a moving pointer sends, once per requestAnimationFrame) for --seconds; a
  MutationObserver on the states table marks the animation frames whose states changed. Prints
  frames per second with a visible change and the p95 of the time between animation frames;
* the same drag with Playwright's mouse (real pointer events through the browser's input
  pipeline, as fast as the driver sends them): frames with a visible change per second.

Usage: python bench/bench_scrub.py [--picks N] [--seconds S]
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT))
from browser_utils import CHROMIUM, CHROMIUM_ARGS, AppServer, goto, wait_for_app  # noqa: E402

from app.scrub import payload  # noqa: E402
from app.workspace import Workspace  # noqa: E402
from birnn_core import presets  # noqa: E402

from _timing import median_ms  # noqa: E402
from test_browser_scrub import pick_number  # noqa: E402


def large_lstm(T: int = 40, h: int = 16) -> Workspace:
    """A T-token bidirectional LSTM at the page's largest d and h, random weights (seeded)."""
    ws = Workspace.from_example(presets.seed_example()).resized(d=16, h_f=h, h_b=h, cell="lstm", tie=False)
    rng = np.random.default_rng(1)
    for p in (ws.fwd, ws.bwd):
        p.W[:] = np.round(rng.normal(0, 0.3, p.W.shape), 2)
        p.U[:] = np.round(rng.normal(0, 0.3, p.U.shape), 2)
    tokens = [f"w{i}" for i in range(T)]
    return ws.copy(tokens=tokens, embeddings=np.round(presets.embed(tokens, 16), 2))


CASES = {
    # name: (workspace, two numbers of one matrix: presses alternate between them)
    "seed example (T=3, RNN h=2)": (Workspace.from_example(presets.seed_example()), ["W_f[2][1]", "W_f[1][3]"]),
    "40 tokens, bi-LSTM h=16": (large_lstm(), ["W_f[i1][1]", "W_f[o5][3]"]),
}

PRESS_CLOCK = """label => {
  window.__press = {t0: null, t1: null};
  document.addEventListener('pointerdown', () => { window.__press.t0 = performance.now(); }, {capture: true, once: true});
  const box = [...document.querySelectorAll('*')].map(e => e.shadowRoot).filter(Boolean)
    .map(r => r.querySelector('.scrub')).find(Boolean);
  const watch = () => {
    if (window.__press.t0 !== null && box.isConnected && box.dataset.label === label
        && box.dataset.frame !== String(Math.floor(Number(box.querySelector('.range').max) / 2))) {
      window.__press.t1 = performance.now(); return;
    }
    requestAnimationFrame(watch);
  };
  requestAnimationFrame(watch);
}"""

DRAG = """async ([seconds]) => {
  const roots = [...document.querySelectorAll('*')].map(e => e.shadowRoot).filter(Boolean);
  const range = roots.map(r => r.querySelector('.scrub .range')).find(Boolean);
  range.scrollIntoView({block: 'start'});  // as a person watching: the slider on top, the diagram and table below
  for (let i = 0; i < 3; i++) await new Promise(r => requestAnimationFrame(r));
  const table = document.querySelector('[data-testid=stHtml] .states');
  let mutated = false;
  const obs = new MutationObserver(() => { mutated = true; });
  obs.observe(table, {subtree: true, childList: true, characterData: true, attributes: true});
  const max = Number(range.max), mid = Math.floor(max / 2);
  const stamps = [], changed = [];
  let k = 0;
  await new Promise(done => {
    const t0 = performance.now();
    const tick = ts => {
      stamps.push(ts);
      changed.push(mutated);
      mutated = false;
      if (ts - t0 > seconds * 1000) { done(); return; }
      k += 1;  // a triangle wave over the whole range: every frame a new value
      const phase = k % (2 * max);
      range.value = String(phase < max ? phase : 2 * max - phase);
      range.dispatchEvent(new Event('input', {bubbles: true}));
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  obs.disconnect();
  range.value = String(mid);
  return {stamps, changed};
}"""

COUNT_CHANGES = """() => {
  const table = document.querySelector('[data-testid=stHtml] .states');
  window.__changes = [];
  let mutated = false;
  window.__obs = new MutationObserver(() => { mutated = true; });
  window.__obs.observe(table, {subtree: true, childList: true, characterData: true, attributes: true});
  const tick = ts => { if (mutated) window.__changes.push(ts); mutated = false;
                       if (window.__obs) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}"""


def press_to_frame(page, label: str) -> float:
    """Press on the matrix entry ``label`` and move 20 px: ms (page clock) from the press to the first
    frame of that number on screen. The pointer goes back before it is let go, so nothing is kept."""
    entry = page.locator(f".scrub .num[data-label='{label}']")
    entry.scroll_into_view_if_needed()
    bb = entry.bounding_box()
    x, y = bb["x"] + bb["width"] / 2, bb["y"] + bb["height"] / 2
    page.evaluate(PRESS_CLOCK, label)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 20, y, steps=4)
    page.wait_for_function("() => window.__press.t1 !== null", timeout=60_000)
    page.mouse.move(x, y, steps=2)
    page.mouse.up()
    wait_for_app(page)
    return page.evaluate("() => window.__press.t1 - window.__press.t0")


def precomputed(ws: Workspace, label: str) -> bool:
    """Does the page send every entry's frames of this number's matrix?"""
    p = payload(ws, label)
    return len(p["frames"]) == len(p["matrix"]["entries"])


def drag_stats(result: dict, seconds: float) -> tuple[float, float]:
    stamps = np.array(result["stamps"])
    changed = np.array(result["changed"])
    span = (stamps[-1] - stamps[0]) / 1e3
    return float(changed[1:].sum() / span), float(np.percentile(np.diff(stamps), 95))


def mouse_drag(page, seconds: float) -> float:
    """Drag the knob with Playwright's mouse for ``seconds``; frames with a visible change per second."""
    page.locator(".scrub .range").evaluate("r => r.scrollIntoView({block: 'start'})")
    rng_box = page.locator(".scrub .range").bounding_box()
    y = rng_box["y"] + rng_box["height"] / 2
    x0, w = rng_box["x"], rng_box["width"]
    page.mouse.move(x0 + w / 2, y)
    page.evaluate(COUNT_CHANGES)
    page.mouse.down()
    t0 = time.perf_counter()
    i = 0
    while time.perf_counter() - t0 < seconds:
        i += 1
        page.mouse.move(x0 + w * (0.5 + 0.45 * np.sin(i / 15)), y)
    changes = page.evaluate("() => { window.__obs.disconnect(); window.__obs = null; return window.__changes; }")
    page.keyboard.press("Escape")
    page.mouse.up()
    wait_for_app(page)
    return len(changes) / ((changes[-1] - changes[0]) / 1e3) if len(changes) > 1 else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--picks", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    server = AppServer().start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for name, (ws, labels) in CASES.items():
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                goto(page, server.url, f"/step_by_step?s={ws.to_url_state()}")
                tab = page.get_by_role("tab", name="Nudge one number")
                tab.click()
                wait_for_app(page)
                page.locator(".scrub .range").wait_for(timeout=60_000)
                pick_number(page, labels[0])
                firsts = {label: [] for label in labels}
                for i in range(args.picks + 1):  # the first round warms up and is dropped
                    for label in labels:
                        ms = press_to_frame(page, label)
                        if i:
                            firsts[label].append(ms)
                sent_all = precomputed(ws, labels[0])
                fps_runs, p95_runs = [], []
                for _ in range(3):
                    fps, p95 = drag_stats(page.evaluate(DRAG, [args.seconds]), args.seconds)
                    fps_runs.append(fps)
                    p95_runs.append(p95)
                mouse_fps = [mouse_drag(page, args.seconds) for _ in range(2)]
                server_ms = {label: median_ms(lambda: json.dumps(payload(ws, label)), repeat=5) for label in labels}
                rows.append((name, sent_all, firsts, server_ms, fps_runs, p95_runs, mouse_fps))
                page.close()
            browser.close()
    finally:
        server.stop()
    print(f"Scrub, headless Debian chromium, one app server (medians; drag {args.seconds:.0f} s x 3 runs, "
          f"{args.picks} picks per number):")
    for name, sent_all, firsts, server_ms, fps_runs, p95_runs, mouse_fps in rows:
        how = "the whole matrix's frames come with the page" if sent_all else "frames fetched on press"
        print(f"  {name}: {how}")
        for label, times in firsts.items():
            print(f"    press on {label.split('  ')[0]:<10} to its first frame {statistics.median(times):7.1f} ms "
                  f"(server: payload with it active {server_ms[label]:6.1f} ms)   goal <= 150 ms")
        print(f"    drag, pointer every animation frame: {statistics.median(fps_runs):5.1f} frames/s with a visible "
              f"change, frame time p95 {statistics.median(p95_runs):5.1f} ms   goal 60 fps, p95 <= 16.7 ms")
        print(f"    drag with Playwright's mouse: {statistics.median(mouse_fps):5.1f} frames/s with a visible change")


if __name__ == "__main__":
    main()
