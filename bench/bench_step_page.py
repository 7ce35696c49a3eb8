"""Edit-to-update latency of the step-by-step page against Streamlit's own floor, in one run.

Three servers (the app, a page with one data_editor + one line of text, a page with one
number_input + one line) and one headless Debian chromium. Each sample: type a new value into
a cell, press Enter, and time until the new text is on screen. Samples are interleaved.
Also prints the server-side script time of those reruns, which the entry file logs when
BIRNN_LOG_RERUN_MS is set.
Usage: python bench/bench_step_page.py [--samples N]
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT))
from browser_utils import CHROMIUM, CHROMIUM_ARGS, AppServer, goto, wait_for_app  # noqa: E402

from test_browser_step import select_cell  # noqa: E402


def edit_cell(page, grid, row: int, col: int, ncols: int, text: str) -> None:
    """Type into a cell as a person does (select, Enter, type, Enter), with no waiting on the page:
    the time to the new number on screen is what is measured (the tests' edit_cell also waits)."""
    select_cell(page, grid, row, col, ncols)
    page.keyboard.press("Enter")
    page.locator(".gdg-input").wait_for(timeout=5_000)
    page.locator(".gdg-input").fill(text)
    page.keyboard.press("Enter")


class PageServer(AppServer):
    def __init__(self, script: Path):
        super().__init__()
        self.script = script

    def start(self):
        import browser_utils
        old = browser_utils.ENTRY
        browser_utils.ENTRY = self.script
        try:
            return super().start()
        finally:
            browser_utils.ENTRY = old


def grid_of(page, selector=None):
    g = page.locator(selector or "[data-testid=stDataFrame]").first
    g.wait_for()
    return g


def time_edit(page, do_edit, expect_text_fn, want: str) -> float:
    t0 = time.perf_counter()
    do_edit()
    deadline = t0 + 30
    while expect_text_fn() != want:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"never saw {want!r} (saw {expect_text_fn()!r})")
        time.sleep(0.005)
    return (time.perf_counter() - t0) * 1e3


def logged_rerun_ms(server: AppServer) -> list[float]:
    """Script times the server printed (BIRNN_LOG_RERUN_MS) since start, in order."""
    text = Path(server.log.name).read_text(errors="replace")
    return [float(line.split("rerun_ms=")[1].split()[0]) for line in text.splitlines() if "rerun_ms=" in line]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=15)
    n = ap.parse_args().samples
    from playwright.sync_api import sync_playwright
    import numpy as np

    os.environ["BIRNN_LOG_RERUN_MS"] = "1"
    servers = {"app": AppServer(), "editor": PageServer(ROOT / "bench/pages/floor_editor.py"),
               "number": PageServer(ROOT / "bench/pages/floor_number.py")}
    for s in servers.values():
        s.start()
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            pages = {k: b.new_page(viewport={"width": 1400, "height": 1000}) for k in servers}
            goto(pages["app"], servers["app"].url, "/step_by_step")
            goto(pages["editor"], servers["editor"].url, "/")
            goto(pages["number"], servers["number"].url, "/")
            pa = pages["app"]
            pa.get_by_role("tab", name="Forward weights").click()
            wait_for_app(pa)
            app_grid = grid_of(pa, "[data-testid=stTabPanel]:visible [data-testid=stDataFrame]")
            first_cell = pa.locator(".states tbody tr").first.locator("td").first
            ed_grid = grid_of(pages["editor"])
            ed_out = pages["editor"].locator("#out")
            num_in = pages["number"].locator("input[type=number]")
            num_out = pages["number"].locator("#out")
            pn = b.new_page(viewport={"width": 1400, "height": 1000})  # the page's "Nudge one number" path
            goto(pn, servers["app"].url, "/step_by_step")
            pn.get_by_role("tab", name="Nudge one number").click()
            wait_for_app(pn)
            nudge_in = pn.locator("[data-testid=stTabPanel]:visible input[type=number]")
            nudge_in.wait_for()
            nudge_cell = pn.locator(".states tbody tr").first.locator("td").first
            times = {"app": [], "editor": [], "number": [], "nudge": []}
            n_logged = {k: 0 for k in ("app", "editor")}
            rng = np.random.default_rng(0)
            for i in range(n + 2):  # the first two samples warm up and are dropped
                w = round(float(rng.uniform(0.1, 0.9)), 4)
                want_app = f"{np.tanh(w * 0.1 + 0.09 + 0.1 + 0.1):.3f}".rstrip("0").rstrip(".")
                ta = time_edit(pa, lambda: edit_cell(pa, app_grid, 0, 0, 6, str(w)), first_cell.inner_text, want_app)
                wait_for_app(pa, settle_ms=50)
                want_ed = f"value: {np.tanh(w + 0.3 + 0.2 + 0.4 + 0.7 + 0.6):.6f}"
                te = time_edit(pages["editor"], lambda: edit_cell(pages["editor"], ed_grid, 0, 0, 3, str(w)),
                               ed_out.inner_text, want_ed)
                wait_for_app(pages["editor"], settle_ms=50)

                def type_number():
                    num_in.fill(str(w))
                    num_in.press("Enter")
                tn = time_edit(pages["number"], type_number, num_out.inner_text, f"value: {np.tanh(w):.6f}")
                wait_for_app(pages["number"], settle_ms=50)

                def type_nudge():  # x_1[1], the default number in the nudge tab
                    nudge_in.fill(str(w))
                    nudge_in.press("Enter")
                want_nudge = f"{np.tanh(0.5 * w + 0.09 + 0.1 + 0.1):.3f}".rstrip("0").rstrip(".")
                tu = time_edit(pn, type_nudge, nudge_cell.inner_text, want_nudge)
                wait_for_app(pn, settle_ms=50)
                if i == 1:
                    n_logged = {k: len(logged_rerun_ms(servers[k])) for k in n_logged}
                if i >= 2:
                    times["app"].append(ta)
                    times["editor"].append(te)
                    times["number"].append(tn)
                    times["nudge"].append(tu)
            reruns = {k: logged_rerun_ms(servers[k])[n_logged[k]:] for k in n_logged}
            b.close()
    finally:
        for s in servers.values():
            s.stop()
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"Edit-to-update, headless Debian chromium, {n} interleaved samples each (median ms; "
          f"cell edits include the test's own click + arrow keys + typing):")
    print(f"  floor: one number_input + text      {med['number']:8.1f}")
    print(f"  floor: one data_editor + text       {med['editor']:8.1f}")
    print(f"  step-by-step page (W_f[1][1] edit)  {med['app']:8.1f}")
    print(f"  ratio step page / data_editor floor {med['app'] / med['editor']:8.2f}   (goal ≤ 1.2)")
    print(f"  step page, 'Nudge one number' path  {med['nudge']:8.1f}   ratio to number_input floor "
          f"{med['nudge'] / med['number']:.2f}, to data_editor floor {med['nudge'] / med['editor']:.2f}")
    print(f"Server-side script time per rerun during those edits (median ms, {len(reruns['app'])} reruns): "
          f"step page {statistics.median(reruns['app']):.1f}, data_editor floor "
          f"{statistics.median(reruns['editor']):.1f}   (goal ≤ 30 ms)")


if __name__ == "__main__":
    main()
