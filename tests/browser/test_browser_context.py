"""Real browser: the Context vectors page. Every control used as a person does, the numbers on screen
checked against app.context on the shipped taggers, and hostile sentences shown as text."""
import re

import numpy as np
import pytest
from playwright.sync_api import expect

from browser_utils import assert_page_clean, choose, goto, retry, wait_for_app

from app import context as C
from taggers import tagger as tg

pytestmark = pytest.mark.browser

V = "views/context.py"
CONTROLS = [
    (V, "Example pair", "test_example_pair_and_shared_word"),
    (V, "Shared word", "test_example_pair_and_shared_word"),
    (V, "Sentence A", "test_typed_sentences_change_the_tables"),
    (V, "Sentence B", "test_typed_sentences_change_the_tables"),
    (V, "Layer", "test_layer_and_part_change_the_vectors"),
    (V, "Part of the bidirectional tagger", "test_layer_and_part_change_the_vectors"),
]

CHART = ".js-plotly-plot"


@pytest.fixture(scope="module")
def taggers():
    return tg.load_taggers()


def open_context(page, app_server, path="/context"):
    goto(page, app_server, path)
    expect(page.get_by_role("heading", name="Context vectors", exact=True)).to_be_visible(timeout=60_000)
    expect(page.locator(CHART)).to_have_count(1, timeout=60_000)


def note(page):
    return page.locator("[data-testid=stCaptionContainer]").filter(has_text=re.compile("^A and B "))


def expect_note(page, taggers, a: str, b: str, word: str) -> None:
    uni, bi = taggers
    A, B = tg.tokenize(a), tg.tokenize(b)
    want = C.context_note(A, B, word, C.compare_word(uni, A, B, word), C.compare_word(bi, A, B, word))
    expect(note(page)).to_have_text(want)


def chart_z(page) -> np.ndarray:
    z = page.evaluate("() => Array.from(document.querySelector('.js-plotly-plot')._fullData[0].z, r => Array.from(r))")
    return np.array(z, dtype=float)


def shows_vectors(page, va: np.ndarray, vb: np.ndarray) -> None:
    def check():
        z = chart_z(page)
        assert np.allclose(z[0], va, rtol=1e-12) and np.allclose(z[1], vb, rtol=1e-12)
    retry(lambda: page.wait_for_timeout(300), check, tries=40)




def test_example_pair_and_shared_word(page, app_server, taggers):
    open_context(page, app_server)
    expect_note(page, taggers, *C.PAIRS[0][1:])
    label, a, b, word = C.PAIRS[2]
    choose(page, "Example pair", label)
    expect(page.get_by_label("Sentence A", exact=True)).to_have_value(a)
    expect(page.get_by_label("Sentence B", exact=True)).to_have_value(b)
    expect(page.get_by_role("combobox", name="Shared word", exact=True)).to_have_value(word)
    expect_note(page, taggers, a, b, word)
    choose(page, "Shared word", "fish")
    expect_note(page, taggers, a, b, "fish")
    _, bi = taggers
    shows_vectors(page, C.vectors(bi.trace(tg.tokenize(a)), 2)[1, "forward"],
                  C.vectors(bi.trace(tg.tokenize(b)), 3)[1, "forward"])
    assert_page_clean(page)


def test_typed_sentences_change_the_tables(page, app_server, taggers):
    open_context(page, app_server)
    a, b = "The bank was closed", "The bank was steep"
    for label, text in (("Sentence A", a), ("Sentence B", b)):
        box = page.get_by_label(label, exact=True)
        retry(lambda: (box.fill(text), box.press("Enter")), lambda: expect(box).to_have_value(text), page=page)
        wait_for_app(page)
    expect_note(page, taggers, a, b, "bank")
    expect(note(page)).to_contain_text("the bidirectional tagger's in 1 of 6 (layer 1 forward)")
    box = page.get_by_label("Sentence B", exact=True)
    retry(lambda: (box.fill("nothing alike"), box.press("Enter")),
          lambda: expect(page.get_by_text("The two sentences share no word")).to_be_visible(), page=page)
    assert_page_clean(page)


def test_layer_and_part_change_the_vectors(page, app_server, taggers):
    open_context(page, app_server)
    _, bi = taggers
    _, a, b, _ = C.PAIRS[0]
    ta, tb = bi.trace(tg.tokenize(a)), bi.trace(tg.tokenize(b))
    shows_vectors(page, C.vectors(ta, 4)[1, "forward"], C.vectors(tb, 4)[1, "forward"])
    z = chart_z(page)
    assert not z[2].any()  # layer 1 forward: A − B is zero, the sentences agree up to 'bank'
    for group, option in (("Layer", "2"), ("Part of the bidirectional tagger", "backward")):
        radio = page.locator("[data-testid=stRadio]").filter(has_text=group)
        retry(lambda: radio.get_by_text(option, exact=True).click(),
              lambda: expect(radio.get_by_role("radio", name=option)).to_be_checked(), page=page)
        wait_for_app(page)
    shows_vectors(page, C.vectors(ta, 4)[2, "backward"], C.vectors(tb, 4)[2, "backward"])
    expect(page.get_by_text(re.compile(r"Nearest to “bank” in A \(layer 2, backward"))).to_be_visible()
    assert_page_clean(page)


HOSTILE = ['<img src=x onerror="window.__pwned=1"> bank', "**bank** $x$ ![i](http://x.invalid/a.png)"]


def test_hostile_sentences_show_as_text(page, app_server):
    open_context(page, app_server)
    a, b = HOSTILE
    for label, text in (("Sentence A", a), ("Sentence B", b)):
        box = page.get_by_label(label, exact=True)
        retry(lambda: (box.fill(text), box.press("Enter")), lambda: expect(box).to_have_value(text), page=page)
        wait_for_app(page)
    expect(page.get_by_role("combobox", name="Shared word", exact=True)).to_be_visible()
    assert page.locator("img[src='x'], img[src*='x.invalid'], a[href*='x.invalid']").count() == 0
    assert page.locator(f"{CHART} b, {CHART} img").count() == 0
    assert_page_clean(page)
