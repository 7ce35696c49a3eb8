"""Edit-to-update latency of the step-by-step page against Streamlit's own floor, in one run.

Three servers (the app, a page with one data_editor + one line of text, a page with one
number_input + one line) and one headless Debian chromium. Each sample: type a new value into
a cell, press Enter, and time until the new text is on screen. Samples are interleaved.
Also types into the Nudge tab's matrix (the scrub's editor) two kinds of value, timed from Enter
against the number_input floor timed the same way. Also prints the server-side script time of those reruns, which the entry file logs when
BIRNN_LOG_RERUN_MS is set. With --against DIR (another checkout, e.g. `git worktree add DIR <commit>`,
run with this environment) the Nudge tab's two paths are also timed on DIR's app, interleaved.
Usage: python bench/bench_step_page.py [--samples N] [--against DIR]
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT))
from browser_utils import CHROMIUM, CHROMIUM_ARGS, AppServer, goto, wait_for_app  # noqa: E402

from test_browser_step import select_cell  # noqa: E402

from app.scrub import FRAMES, HALF_WIDTH, VALUE_DIGITS  # noqa: E402
from app.workspace import Workspace  # noqa: E402
from birnn_core import num, presets, run  # noqa: E402
from birnn_core.scan import scan_values  # noqa: E402


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


class CheckoutServer(AppServer):
    """The app of another checkout, run from its own folder (its own app/ and birnn_core/)."""

    def __init__(self, root: Path):
        super().__init__()
        self.root = root

    def start(self):
        import browser_utils
        old = browser_utils.ROOT, browser_utils.ENTRY
        browser_utils.ROOT, browser_utils.ENTRY = self.root, self.root / "app" / "streamlit_app.py"
        try:
            return super().start()
        finally:
            browser_utils.ROOT, browser_utils.ENTRY = old


class NudgeTab:
    """The Nudge tab's two typing paths on one app: the number box (time to the new text), and the
    scrub's matrix (page clock from Enter to the frame showing the new state)."""

    def __init__(self, browser, url: str):
        self.pn = browser.new_page(viewport={"width": 1400, "height": 1000})
        goto(self.pn, url, "/step_by_step")
        self.pn.get_by_role("tab", name="Nudge one number").click()
        wait_for_app(self.pn)
        self.nudge_in = self.pn.locator("[data-testid=stTabPanel]:visible input[type=number]")
        self.nudge_in.wait_for()
        self.nudge_cell = self.pn.locator(".states tbody tr").first.locator("td").first
        # Typing into the scrub's matrix, in a window tall enough to show the matrix and the states
        # table together, as a person watching the states would have it (the scrub redraws only
        # the cells on screen; one scrolled into view gets its frame then).
        self.pm = pm = browser.new_page(viewport={"width": 1400, "height": 1400})
        goto(pm, url, "/step_by_step")
        pm.get_by_role("tab", name="Nudge one number").click()
        wait_for_app(pm)
        pm.locator(".scrub .num[data-label='x_1[1]  (I)']").wait_for()
        self.seed = Workspace.from_example(presets.seed_example())
        self.x11 = float(self.seed.embeddings[0, 0])
        watched = pm.locator("[data-testid=stHtml] .states tbody td").first
        watched.wait_for()
        if not pm.evaluate("el => el.getBoundingClientRect().bottom <= innerHeight", watched.element_handle()):
            raise SystemExit("the states table is below the window: the typing figures would time a cell no one sees")

    def nudge(self, w: float) -> float:
        """ms from typing ``w`` into the number box for x_1[1] (fill + Enter) to the new h_1 forward."""
        def type_nudge():
            self.nudge_in.fill(str(w))
            self.nudge_in.press("Enter")
        want = f"{np.tanh(0.5 * w + 0.09 + 0.1 + 0.1):.3f}".rstrip("0").rstrip(".")
        ms = time_edit(self.pn, type_nudge, self.nudge_cell.inner_text, want)
        wait_for_app(self.pn, settle_ms=50)
        return ms

    def type_matrix(self, text: str) -> float:
        """ms from Enter in the matrix's box for x_1[1] to the frame showing the new h_1 forward."""
        pm = self.pm
        entry = pm.locator(".scrub .num[data-label='x_1[1]  (I)']")
        box = pm.locator(".scrub input.edit")
        entry.dblclick()
        box.wait_for()
        box.fill(text)
        self.x11 = float(text)
        ws = self.seed.copy()
        ws.embeddings[0, 0] = self.x11
        want = num(float(run(ws.model(), ws.embeddings).layers[0].fwd.h[0, 0, 0]))
        ms = time_from_enter(pm, "[data-testid=stHtml] .states tbody td", want, lambda: box.press("Enter"))
        wait_for_app(pm, settle_ms=50)
        pm.locator(f".scrub[data-id='x_1[1]  (I)={self.x11!r}']").wait_for()
        return ms


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


# In the page's own clock: from the Enter key going down to the first animation frame that shows
# ``want`` in the element ``selector`` (the frame in which it is painted).
ENTER_TO_FRAME = """([selector, want]) => {
  window.__enter = new Promise(done => {
    let t0 = null;
    document.addEventListener('keydown', e => { if (e.key === 'Enter' && t0 === null) t0 = performance.now(); },
                              {capture: true});
    const check = () => {
      const el = document.querySelector(selector);
      if (t0 !== null && el && el.textContent.trim() === want) { done(performance.now() - t0); return; }
      requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
}"""


def time_from_enter(page, selector: str, want: str, press) -> float:
    """ms in the page's clock from Enter to the frame showing ``want`` (see ENTER_TO_FRAME)."""
    page.evaluate(ENTER_TO_FRAME, [selector, want])
    press()
    return page.evaluate("() => window.__enter")


def logged_rerun_ms(server: AppServer) -> list[float]:
    """Script times the server printed (BIRNN_LOG_RERUN_MS) since start, in order."""
    text = Path(server.log.name).read_text(errors="replace")
    return [float(line.split("rerun_ms=")[1].split()[0]) for line in text.splitlines() if "rerun_ms=" in line]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=15)
    ap.add_argument("--against", type=Path, help="another checkout whose Nudge tab is timed too")
    args = ap.parse_args()
    n = args.samples
    from playwright.sync_api import sync_playwright

    os.environ["BIRNN_LOG_RERUN_MS"] = "1"
    servers = {"app": AppServer(), "editor": PageServer(ROOT / "bench/pages/floor_editor.py"),
               "number": PageServer(ROOT / "bench/pages/floor_number.py")}
    if args.against:
        servers["against"] = CheckoutServer(args.against.resolve())
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
            tab = NudgeTab(b, servers["app"].url)
            other = NudgeTab(b, servers["against"].url) if "against" in servers else None

            def number_enter_only(w: float) -> float:
                """The number_input floor timed the same way: from Enter to the frame showing the new text."""
                num_in.fill(str(w))
                return time_from_enter(pages["number"], "#out", f"value: {np.tanh(w):.6f}", lambda: num_in.press("Enter"))
            times = {k: [] for k in ("app", "editor", "number", "nudge", "grid", "off", "enter", "nudge_b", "off_b")}
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

                first, second = (tab, other) if i % 2 == 0 else (other, tab)  # who goes first alternates
                t_first = first.nudge(w) if first else None  # x_1[1], the default number in the nudge tab
                t_second = second.nudge(w) if second else None
                tu, tu_b = (t_first, t_second) if first is tab else (t_second, t_first)
                te2 = number_enter_only(round(float(rng.uniform(0.1, 0.9)), 4))
                wait_for_app(pages["number"], settle_ms=50)
                on_grid = scan_values(tab.x11, HALF_WIDTH, FRAMES)[int(rng.integers(0, FRAMES))]
                tg = tab.type_matrix(num(float(on_grid), VALUE_DIGITS))  # a value of the scrub's grid: its frame
                off = round(float(rng.uniform(-0.9, 0.9)), 4) + 0.00005  # 5 decimals: never on the grid
                t_first = first.type_matrix(f"{off:.5f}") if first else None
                t_second = second.type_matrix(f"{off:.5f}") if second else None
                to, to_b = (t_first, t_second) if first is tab else (t_second, t_first)
                if i == 1:
                    n_logged = {k: len(logged_rerun_ms(servers[k])) for k in n_logged}
                if i >= 2:
                    times["app"].append(ta)
                    times["editor"].append(te)
                    times["number"].append(tn)
                    times["nudge"].append(tu)
                    times["grid"].append(tg)
                    times["off"].append(to)
                    times["enter"].append(te2)
                    if other:
                        times["nudge_b"].append(tu_b)
                        times["off_b"].append(to_b)
            reruns = {k: logged_rerun_ms(servers[k])[n_logged[k]:] for k in n_logged}
            b.close()
    finally:
        for s in servers.values():
            s.stop()
    med = {k: statistics.median(v) for k, v in times.items() if v}
    print(f"Edit-to-update, headless Debian chromium, {n} interleaved samples each (median ms; "
          f"cell edits include the test's own click + arrow keys + typing):")
    print(f"  floor: one number_input + text      {med['number']:8.1f}")
    print(f"  floor: one data_editor + text       {med['editor']:8.1f}")
    print(f"  step-by-step page (W_f[1][1] edit)  {med['app']:8.1f}")
    print(f"  ratio step page / data_editor floor {med['app'] / med['editor']:8.2f}   (goal ≤ 1.2)")
    print(f"  step page, 'Nudge one number' path  {med['nudge']:8.1f}   ratio to number_input floor "
          f"{med['nudge'] / med['number']:.2f}, to data_editor floor {med['nudge'] / med['editor']:.2f}")
    print(f"  typed into the matrix (Nudge tab), page clock from Enter to the frame showing it: number_input "
          f"floor timed the same way {med['enter']:.1f}")
    print(f"    a value on the scrub's grid (its frame is shown)  {med['grid']:8.1f}   ratio to that floor "
          f"{med['grid'] / med['enter']:.2f}   (goal ≤ 1.0)")
    print(f"    any other value (the server recomputes)          {med['off']:8.1f}   ratio to that floor "
          f"{med['off'] / med['enter']:.2f}")
    print(f"Server-side script time per rerun during those edits (median ms, {len(reruns['app'])} reruns): "
          f"step page {statistics.median(reruns['app']):.1f}, data_editor floor "
          f"{statistics.median(reruns['editor']):.1f}   (goal ≤ 30 ms)")
    if args.against:
        print(f"Against {args.against} (its app, same samples, interleaved): 'Nudge one number' path "
              f"{med['nudge_b']:.1f} (this checkout / that one: {med['nudge'] / med['nudge_b']:.2f}); "
              f"an off-grid value typed into the matrix {med['off_b']:.1f} ({med['off'] / med['off_b']:.2f})")


if __name__ == "__main__":
    main()
