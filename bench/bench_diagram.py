"""Benchmark of the arrows diagram (issue #4): the figure's JSON size and its render time in a real
browser, for T = 3, 15, 60, at the seed's size (SimpleRNN, d = 3, h = 2) and at the pretrained
tagger's size (LSTM, d = 64, h = 64, 17 classes).

Render time: Debian's /usr/bin/chromium driven by Playwright loads a static HTML page with the
plotly.js that ships in the plotly package (plotly.offline.get_plotlyjs(); no CDN, no network),
then for each figure times `await Plotly.newPlot(div, spec)` (spec already parsed) and newPlot
plus the next two animation frames (the paint), after Plotly.purge of the previous one.
Prints medians; asserts nothing.

    .venv/bin/python bench/bench_diagram.py [--repeats 7]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import median_ms  # noqa: E402
import numpy as np  # noqa: E402
from plotly.offline import get_plotlyjs  # noqa: E402

from app.figures.diagram import arrows_figure, merge_figure  # noqa: E402
from birnn_core import presets, run  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SIZES = {"seed-size (rnn, d=3, h=2)": ("rnn", 3, 2, 2), "tagger-size (lstm, d=64, h=64)": ("lstm", 64, 64, 17)}
STEPS = (3, 15, 60)

RENDER_JS = """async ([specText, repeats]) => {
    const t0 = performance.now();
    const spec = JSON.parse(specText);
    const parse = performance.now() - t0;
    const plot = [], paint = [];
    const frame = () => new Promise(r => requestAnimationFrame(() => r()));
    for (let i = 0; i < repeats; i++) {
        const div = document.getElementById('chart');
        Plotly.purge(div);
        const s = JSON.parse(specText);
        await frame();
        const a = performance.now();
        await Plotly.newPlot(div, s.data, s.layout, {displayModeBar: false});
        await Plotly.addFrames(div, s.frames);
        const b = performance.now();
        await frame(); await frame();
        const c = performance.now();
        plot.push(b - a); paint.push(c - a);
    }
    return {parse, plot, paint};
}"""


def trace_for(cell: str, d: int, h: int, q: int, T: int):
    model = presets.random_model(cell, d=d, h_f=h, h_b=h, q=q, seed=0)
    X = np.random.default_rng(T).normal(size=(T, d))
    return run(model, X, tokens=[f"w{i + 1}" for i in range(T)])



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()

    rows = []
    for size, (cell, d, h, q) in SIZES.items():
        for T in STEPS:
            tr = trace_for(cell, d, h, q, T)
            fig = arrows_figure(tr)
            spec = fig.to_json()
            frames = len(json.dumps(fig.to_dict()["frames"], separators=(",", ":")))
            build = median_ms(lambda: arrows_figure(tr).to_json(), max(3, args.repeats // 2))
            strips = len(merge_figure(tr).to_json())
            rows.append({"size": size, "T": T, "json": len(spec), "frames": frames, "n_frames": len(fig.frames),
                         "strips": strips, "build_ms": build, "spec": spec})

    if not os.access(CHROMIUM, os.X_OK):
        print(f"{CHROMIUM} not found: render times skipped (apt-get install chromium)")
    else:
        from playwright.sync_api import sync_playwright
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "plotly.min.js"), "w") as f:
                f.write(get_plotlyjs())
            with open(os.path.join(tmp, "index.html"), "w") as f:
                f.write('<!doctype html><html><head><meta charset="utf-8"><script src="plotly.min.js">'
                        '</script></head><body><div id="chart" style="width:1200px"></div></body></html>')
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
                page = browser.new_page(viewport={"width": 1300, "height": 1000})
                page.goto("file://" + os.path.join(tmp, "index.html"))
                page.wait_for_function("() => typeof Plotly !== 'undefined'")
                page.evaluate(RENDER_JS, [rows[0]["spec"], 2])  # warm-up
                for r in rows:
                    res = page.evaluate(RENDER_JS, [r["spec"], args.repeats])
                    r["parse_ms"] = res["parse"]
                    r["plot_ms"] = statistics.median(res["plot"])
                    r["paint_ms"] = statistics.median(res["paint"])
                browser.close()

    print(f"Arrows diagram: figure JSON and browser render (medians; chromium headless, "
          f"{args.repeats} renders each)\n")
    head = (f"{'model':32s} {'T':>3s} {'JSON KB':>8s} {'frames KB':>9s} {'#frames':>7s} {'strips KB':>9s} "
            f"{'build ms':>8s} {'parse ms':>8s} {'newPlot ms':>10s} {'+paint ms':>9s}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['size']:32s} {r['T']:3d} {r['json'] / 1024:8.1f} {r['frames'] / 1024:9.1f} {r['n_frames']:7d} "
              f"{r['strips'] / 1024:9.1f} {r['build_ms']:8.0f} {r.get('parse_ms', float('nan')):8.1f} "
              f"{r.get('plot_ms', float('nan')):10.0f} {r.get('paint_ms', float('nan')):9.0f}")
    for size in SIZES:
        by_T = {r["T"]: r for r in rows if r["size"] == size}
        print(f"\n{size}: JSON size ratio T=60 / T=15 = {by_T[60]['json'] / by_T[15]['json']:.2f} "
              f"(linear would be 4.0, quadratic 16)")


if __name__ == "__main__":
    main()
