"""Real browser: the Train page. Play trains and the curves and weights move, Pause stops, the gap between
the unidirectional and the bidirectional network appears, every setting works from the keyboard or the
mouse, leaving the page stops training, and a trained network opens on three pages and in a share link.

Training is seeded, so what the page shows after n steps is replayed here with app.training and
compared number for number."""
import re
import urllib.parse

import pytest
from playwright.sync_api import expect

from browser_utils import assert_page_clean, choose, goto, press_slider, retry, wait_for_app

from app.training import Playground, Settings, bound_text, sample_lines, status_text, workspace_of
from app.workspace import Workspace
from playground import TASKS

pytestmark = pytest.mark.browser

V = "views/train.py"
CONTROLS = [
    (V, "Task", "test_every_setting_changes_the_networks_and_pauses"),
    (V, "Cell", "test_every_setting_changes_the_networks_and_pauses"),
    (V, "Hidden size h", "test_every_setting_changes_the_networks_and_pauses"),
    (V, "Learning rate", "test_every_setting_changes_the_networks_and_pauses"),
    (V, "Seed", "test_every_setting_changes_the_networks_and_pauses"),
    (V, "Steps per update", "test_every_setting_changes_the_networks_and_pauses"),
    (V, "key=train_play", "test_play_trains_the_curves_move_the_gap_appears_and_pause_stops"),
    (V, "Step", "test_step_and_reset"),
    (V, "Reset", "test_step_and_reset"),
    (V, "Network", "test_open_hands_the_network_to_the_page_and_the_share_link"),
    (V, "Open in ", "test_open_hands_the_network_to_the_page_and_the_share_link"),
]

STATUS = "[data-testid=stMarkdownContainer] strong"


def status(page):
    return page.locator(STATUS).filter(has_text=re.compile(r"^Step \d+"))


def step_shown(page) -> int:
    return int(re.match(r"Step (\d+)", status(page).inner_text()).group(1))


def replay(settings: Settings, steps: int) -> Playground:
    """The page's networks after ``steps`` Adam steps, trained here from the same seed."""
    pg = Playground.fresh(settings)
    while pg.step < steps:
        pg.update()
    assert pg.step == steps, "the page's step is a multiple of the update size"
    return pg


def shows(page, pg: Playground) -> None:
    """The page shows these networks: the status line and the written-out sequence, number for number."""
    expect(status(page)).to_have_text(status_text(pg))
    expect(page.locator("[data-testid=stCode]").first).to_have_text("\n".join(sample_lines(pg)))


def open_train(page, app_server, path: str = "/train") -> None:
    goto(page, app_server, path)
    expect(page.get_by_role("heading", name="Train", exact=True)).to_be_visible(timeout=60_000)
    expect(status(page)).to_be_visible()


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def play(page) -> None:
    retry(lambda: button(page, "Play").click(), lambda: expect(button(page, "Pause")).to_be_visible(), page=None)


def pause(page) -> None:
    """Click Pause once (a second click could land on Play, the same button relabelled) and wait for Play."""
    button(page, "Pause").click()
    expect(button(page, "Play")).to_be_visible(timeout=30_000)
    wait_for_app(page)


def until_step(page, at_least: int, timeout_s: float = 90) -> None:
    expect(status(page)).to_have_text(re.compile(r"^Step (\d+)"), timeout=10_000)
    deadline = page.evaluate("Date.now()") + timeout_s * 1000
    while step_shown(page) < at_least:
        assert page.evaluate("Date.now()") < deadline, f"still at step {step_shown(page)}"
        page.wait_for_timeout(200)


def curves_png(page) -> bytes:
    return page.locator("[data-testid=stVegaLiteChart]").first.screenshot()


def weights_src(page) -> str:
    return page.locator("[data-testid=stImage] img").first.get_attribute("src")


# ---------------------------------------------------------------- Play, Pause, the gap

def test_play_trains_the_curves_move_the_gap_appears_and_pause_stops(page, app_server):
    open_train(page, app_server)
    expect(status(page)).to_have_text("Step 0 · unidirectional: not trained yet · bidirectional: not trained yet")
    expect(page.get_by_text(bound_text(Playground.fresh(Settings())))).to_be_visible()
    play(page)
    until_step(page, 20)
    before = (curves_png(page), weights_src(page))
    until_step(page, 200)
    assert curves_png(page) != before[0], "the curves did not move"
    assert weights_src(page) != before[1], "the weights picture did not change"
    pause(page)
    n = step_shown(page)
    page.wait_for_timeout(1500)
    assert step_shown(page) == n, "Pause did not stop training"
    pg = replay(Settings(), n)
    shows(page, pg)
    uni, bi = (pg.runs[net].history[-1][2] for net in ("uni", "bi"))
    assert bi > 0.95 and uni < TASKS["next_parity"].left_context_bound(8) + 0.05, (uni, bi)  # the gap
    expect(page.get_by_text(re.compile(r"Red < 0 < blue, darkest at \|w\| = "))).to_be_visible()
    assert_page_clean(page)


def test_step_and_reset(page, app_server):
    open_train(page, app_server)
    retry(lambda: button(page, "Step").click(), lambda: expect(status(page)).to_contain_text("Step 5 "), page=page)
    wait_for_app(page)
    shows(page, replay(Settings(), 5))
    retry(lambda: button(page, "Step").click(), lambda: expect(status(page)).to_contain_text("Step 10 "), page=page)
    wait_for_app(page)
    shows(page, replay(Settings(), 10))
    retry(lambda: button(page, "Reset").click(), lambda: expect(status(page)).to_contain_text("Step 0 "), page=page)
    wait_for_app(page)
    shows(page, Playground.fresh(Settings()))
    assert_page_clean(page)


def test_leaving_the_page_stops_training(page, app_server):
    open_train(page, app_server)
    play(page)
    until_step(page, 10)
    sidebar = page.get_by_test_id("stSidebarNavItems")
    retry(lambda: sidebar.get_by_role("link", name="Home").click(),
          lambda: expect(page.get_by_role("heading", name="BiRNN Explainer")).to_be_visible(), page=None)
    wait_for_app(page)
    sidebar.get_by_role("link", name="Train").click()
    wait_for_app(page)
    expect(button(page, "Play")).to_be_visible()
    n = step_shown(page)
    page.wait_for_timeout(1500)
    assert step_shown(page) == n
    shows(page, replay(Settings(), n))


# ---------------------------------------------------------------- the settings





def test_every_setting_changes_the_networks_and_pauses(page, app_server):
    open_train(page, app_server)
    play(page)
    until_step(page, 5)
    task = TASKS["marker_later"]
    choose(page, "Task", task.title)  # a change pauses, and new networks start at step 0
    expect(button(page, "Play")).to_be_visible()
    expect(status(page)).to_contain_text("Step 0 ")
    want = Settings(task="marker_later")
    expect(page.get_by_text(bound_text(Playground.fresh(want)))).to_be_visible()
    choose(page, "Cell", "LSTM")
    press_slider(page, "Hidden size h", "ArrowLeft", "11")
    press_slider(page, "Learning rate", "ArrowRight", "0.05")
    press_slider(page, "Steps per update", "ArrowRight", "10")
    seed = page.get_by_label("Seed", exact=True)
    retry(lambda: (seed.fill("7"), seed.press("Enter")), lambda: expect(seed).to_have_value("7"), page=page)
    wait_for_app(page)
    want = Settings(task="marker_later", cell="lstm", h=11, lr=0.05, seed=7, steps_per_update=10)
    shows(page, Playground.fresh(want))
    retry(lambda: button(page, "Step").click(), lambda: expect(status(page)).to_contain_text("Step 10 "), page=page)
    wait_for_app(page)
    shows(page, replay(want, 10))
    press_slider(page, "Learning rate", "ArrowLeft", "0.02")  # a new learning rate carries on from these weights
    retry(lambda: button(page, "Step").click(), lambda: expect(status(page)).to_contain_text("Step 20 "), page=page)
    wait_for_app(page)
    pg = replay(want, 10)
    pg = pg.configure(Settings(task="marker_later", cell="lstm", h=11, lr=0.02, seed=7, steps_per_update=10))
    pg.update()
    shows(page, pg)
    assert_page_clean(page)


# ---------------------------------------------------------------- a trained network, elsewhere

@pytest.mark.parametrize("target,net", [("Step by step", "bidirectional"), ("Arrows diagram", "unidirectional"),
                                        ("Gradients", "bidirectional")])
def test_open_hands_the_network_to_the_page_and_the_share_link(page, app_server, target, net):
    open_train(page, app_server)
    retry(lambda: button(page, "Step").click(), lambda: expect(status(page)).to_contain_text("Step 5 "), page=page)
    wait_for_app(page)
    radio = page.locator("[data-testid=stRadio]").filter(has_text="Network")
    retry(lambda: radio.get_by_text(net, exact=True).click(),
          lambda: expect(radio.get_by_role("radio", name=net)).to_be_checked(), page=page)
    wait_for_app(page)
    retry(lambda: button(page, f"Open in {target}").click(),
          lambda: expect(page.get_by_role("heading", name=target, exact=True)).to_be_visible(timeout=30_000),
          page=None)
    wait_for_app(page)
    want = workspace_of(replay(Settings(), 5), {"unidirectional": "uni", "bidirectional": "bi"}[net])
    link = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["s"][0]
    assert Workspace.from_url_state(link).to_url_state() == want.to_url_state()
    assert page.locator("[data-testid=stAlertContentWarning]").count() == 0
    if target == "Gradients":
        expect(page.get_by_text(re.compile("^Spectral radius"))).to_be_visible()
    assert_page_clean(page)

    fresh = page.context.new_page()  # the address is a share link: a new visitor gets the same network
    goto(fresh, app_server, urllib.parse.urlsplit(page.url).path + "?s=" + link)
    expect(fresh.get_by_role("heading", name=target, exact=True)).to_be_visible(timeout=60_000)
    assert fresh.locator("[data-testid=stAlertContentWarning]").count() == 0
    assert_page_clean(fresh)
