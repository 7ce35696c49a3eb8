"""Real browser: edit a weight in the table, open a shared link, and type a bad cell."""
import numpy as np
import pytest
from browser_utils import goto, wait_for_app
from playwright.sync_api import expect

from app.workspace import Workspace
from birnn_core import presets, run

pytestmark = pytest.mark.browser


def select_cell(page, grid, row: int, col: int, ncols: int) -> None:
    """Select data cell (row, col) of a glide data grid (0-based, index column excluded).

    The grid is a canvas: click the row's last cell, then walk left with the arrow keys.
    """
    box = grid.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 8, box["y"] + 35 + 35 * row + 17)
    for _ in range(ncols - 1 - col):
        page.keyboard.press("ArrowLeft")


def edit_cell(page, grid, row: int, col: int, ncols: int, text: str, tries: int = 3) -> None:
    """Type ``text`` into a cell: open its editor with Enter, fill it, commit with Enter.

    A grid that a rerun has just replaced drops the selection: select again (up to ``tries``)."""
    cell = page.locator(".gdg-input")
    for attempt in range(tries):
        select_cell(page, grid, row, col, ncols)
        page.keyboard.press("Enter")
        try:
            cell.wait_for(timeout=5_000)
            break
        except Exception:
            if attempt == tries - 1:
                raise
            wait_for_app(page)
    cell.fill(text)
    page.keyboard.press("Enter")


def forward_grid(page):
    page.get_by_role("tab", name="Forward weights").click()
    wait_for_app(page)  # opening a tab reruns the page, which draws that tab's table anew
    grid = page.locator("[data-testid=stTabPanel]:visible [data-testid=stDataFrame]").first
    grid.wait_for()
    return grid


def states_table(page):
    return page.locator("[data-testid=stHtml] .states")


def test_edit_W_f_changes_h1_forward_to_the_core_value(page, app_server):
    goto(page, app_server, "/step_by_step")
    expect(states_table(page)).to_contain_text("0.327")
    edit_cell(page, forward_grid(page), 0, 0, 6, "0.9")  # [W_f | U_f | b_f]: 3 + 2 + 1 columns
    ws = Workspace.from_example(presets.seed_example())
    ws.fwd.W[0, 0] = 0.9
    ws.bwd = ws.fwd.copy()
    exact = run(ws.model(), ws.embeddings).layers[0].fwd.h[0, 0, 0]
    first_row = states_table(page).locator("tbody tr").first
    expect(first_row.locator("td").first).to_have_text(f"{exact:.3f}")
    expect(page.locator(".states td.changed").first).to_be_visible()
    assert "s=1." in page.url  # the address bar now holds the share link of the edited state


def test_shared_link_reproduces_the_numbers(page, app_server):
    ws = Workspace.from_example(presets.seed_example()).resized(cell="gru", tie=False, h_b=3)
    ws.embeddings[1] = [0.9, -0.4, 0.25]
    tr = run(ws.model(), ws.embeddings, tokens=ws.tokens)
    goto(page, app_server, f"/step_by_step?s={ws.to_url_state()}")
    table = states_table(page)
    row2 = table.locator("tbody tr").nth(1).locator("td")
    want = np.concatenate([tr.layers[0].fwd.h[0, 1], tr.layers[0].bwd.h[0, 1]])
    for k, v in enumerate(want):
        expect(row2.nth(k)).to_have_text(f"{v:.3f}".rstrip("0").rstrip(".") if abs(v) >= 0.0005 else "0")
    expect(table.locator("thead th[colspan='3']")).to_have_text("h bwd ←")  # h_b = 3 came with the link


def test_bad_cell_shows_message_and_keeps_old_values(page, app_server):
    goto(page, app_server, "/step_by_step")
    grid = forward_grid(page)
    select_cell(page, grid, 1, 1, 6)
    page.keyboard.press("Delete")  # clears W_f[2][2]
    wait_for_app(page)
    expect(page.get_by_text("W_f (= W_b)[2][2] (row 2) is empty")).to_be_visible()
    expect(states_table(page).locator("tbody tr").first.locator("td").first).to_have_text("0.327")
    expect(page.get_by_text("Showing the last valid computation")).to_be_visible()
