"""Real browser: type a sentence on the compare page and see both models' rows of tags."""
import pytest
from playwright.sync_api import expect

from browser_utils import exception_texts, goto, wait_for_app

pytestmark = pytest.mark.browser


def test_type_a_sentence_and_see_both_rows_of_tags(page, app_server):
    goto(page, app_server, "/compare")
    expect(page.get_by_role("heading", name="Uni vs Bi taggers")).to_be_visible()
    box = page.locator('input[aria-label^="Sentence"]')
    box.fill("I went to the bank to deposit cash")
    box.press("Enter")
    wait_for_app(page)
    table = page.locator("table.tags").first
    expect(table).to_contain_text("deposit")
    expect(table.locator("th", has_text="uni →")).to_be_visible()
    expect(table.locator("th", has_text="bi ↔")).to_be_visible()
    expect(page.locator('td[data-model="uni"]')).to_have_count(8)
    expect(page.locator('td[data-model="bi"]')).to_have_count(8)
    expect(page.locator('td[data-model="bi"]').nth(4)).to_contain_text("NOUN")  # bank
    expect(page.get_by_text("Model card")).to_be_visible()
    assert exception_texts(page) == []


def test_hand_the_bi_tagger_over_to_step_by_step(page, app_server):
    goto(page, app_server, "/compare")
    page.get_by_text("Inspect the real models' hidden states").click()
    wait_for_app(page)
    page.get_by_role("button", name="bi tagger → Step by step").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Step by step")).to_be_visible()
    expect(page.get_by_text("The trained tagger on").first).to_be_visible()
    assert exception_texts(page) == []
