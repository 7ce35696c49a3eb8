"""Real browser: the Home page loads in chromium, and each of its page links opens its page."""
import re

import pytest
from playwright.sync_api import expect

from browser_utils import assert_page_clean, goto, retry, wait_for_app

from app.navigation import PAGE_TABLE

pytestmark = pytest.mark.browser

CONTROLS = [
    ("views/home.py", "page_link(p.path)", "test_each_page_link_opens_its_page"),
]

# What each page shows once it is open: its own title (st.title), the heading a person looks for.
LINKED = [p for p in PAGE_TABLE if not p.default]


def test_home_page_shows_title(page, app_server):
    goto(page, app_server, "/")
    expect(page.get_by_role("heading", name="BiRNN Explainer")).to_be_visible()
    expect(page).to_have_title("BiRNN Explainer")
    expect(page.get_by_role("heading", name="Explore")).to_be_visible()
    assert_page_clean(page)


def test_home_lists_every_page_with_its_blurb(page, app_server):
    goto(page, app_server, "/")
    links = page.locator("[data-testid=stMain] [data-testid=stPageLink]")
    expect(links).to_have_count(len(LINKED))
    for spec in LINKED:
        expect(links.filter(has_text=spec.title)).to_have_count(1)
        expect(page.get_by_text(spec.blurb, exact=True)).to_be_visible()


@pytest.mark.parametrize("spec", LINKED, ids=[p.url_path for p in LINKED])
def test_each_page_link_opens_its_page(page, app_server, spec):
    goto(page, app_server, "/")
    expect(page.get_by_role("heading", name="BiRNN Explainer")).to_be_visible()
    link = page.locator("[data-testid=stMain] [data-testid=stPageLink]").filter(has_text=spec.title).locator("a")
    heading = page.get_by_role("heading", name=spec.title, exact=True)  # every page's title is its heading
    # a slow first run can swallow the click; the page's own heading says it opened
    retry(link.click, lambda: expect(heading).to_be_visible(timeout=60_000), page=page)
    wait_for_app(page, timeout=60_000)
    # the Step by step page writes its share link into the address (?s=...): the path is what counts
    expect(page).to_have_url(re.compile(re.escape(f"{app_server}/{spec.url_path}") + r"(\?.*)?$"))
    expect(page.get_by_role("heading", name="BiRNN Explainer")).to_have_count(0)
    assert_page_clean(page)
