"""Real browser: the Home page loads in chromium, with its title and no exception box."""
import pytest
from playwright.sync_api import expect

from browser_utils import exception_texts, goto

pytestmark = pytest.mark.browser


def test_home_page_shows_title(page, app_server):
    goto(page, app_server, "/")
    expect(page.get_by_role("heading", name="BiRNN Explainer")).to_be_visible()
    expect(page).to_have_title("BiRNN Explainer")
    assert exception_texts(page) == []
