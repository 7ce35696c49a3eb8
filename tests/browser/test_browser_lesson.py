"""Real browser: the guided lesson answered as a student does, every step wrong and then right; a
teacher's link to step 5 with answers; a link that names no step."""
from __future__ import annotations

import re

import pytest
from browser_utils import assert_page_clean, goto, retry, wait_for_app
from playwright.sync_api import expect

from app import lesson as L
from app.state import shipped_taggers
from birnn_core import num

pytestmark = pytest.mark.browser

CONTROLS = [
    ("views/lesson.py", "radio(step.question)", "test_every_step_answered_wrong_then_right"),
    ("views/lesson.py", "text_input(step.question)", "test_every_step_answered_wrong_then_right"),
    ("views/lesson.py", "Check", "test_every_step_answered_wrong_then_right"),
    ("views/lesson.py", "Next step ▶", "test_every_step_answered_wrong_then_right"),
    ("views/lesson.py", "◀ Previous step", "test_a_teachers_link_opens_step_five_with_the_answers"),
]


@pytest.fixture(scope="module")
def steps() -> list[L.LessonStep]:
    return L.build_lesson(*shipped_taggers())


def verdict(page, kind: str):
    """The success ("Right") or error ("Not quite") box under the question."""
    return page.locator(f"[data-testid=stAlertContent{kind}]")


def answer(page, step: L.LessonStep, given: str) -> None:
    """Pick or type ``given`` the way a person does, then press Check."""
    if step.kind == L.CHOICE:
        radio = page.locator("[data-testid=stRadio]").first
        retry(lambda: radio.get_by_text(given, exact=True).click(),
              lambda: expect(radio.get_by_role("radio", name=given, exact=True)).to_be_checked(timeout=5_000),
              page=page)
    else:
        box = page.get_by_role("textbox", name=step.question, exact=True)
        box.fill(given)
        box.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Check", exact=True).click()
    wait_for_app(page)


def wrong(step: L.LessonStep) -> str:
    return next(o for o in step.options if o != step.answer) if step.kind == L.CHOICE else "0.5"


def right(step: L.LessonStep) -> str:
    return str(step.answer) if step.kind == L.CHOICE else num(float(step.answer), 3)  # as the page writes it


def test_every_step_answered_wrong_then_right(page, app_server, steps):
    goto(page, app_server, "/lesson")
    for k, step in enumerate(steps):
        expect(page.get_by_text(f"Step {k + 1} of {len(steps)}", exact=True)).to_be_visible()
        expect(page.get_by_role("heading", name=f"{k + 1}. {step.title}")).to_be_visible()
        answer(page, step, wrong(step))
        expect(verdict(page, "Error")).to_contain_text("Not quite")
        expect(verdict(page, "Error")).to_contain_text(step.why[:60])
        answer(page, step, right(step))
        expect(verdict(page, "Success")).to_contain_text(f"Right: {right(step)}")
        expect(verdict(page, "Error")).to_have_count(0)
        if k < len(steps) - 1:
            page.get_by_role("button", name="Next step ▶").click()
            wait_for_app(page)
    expect(page.get_by_role("button", name="Next step ▶")).to_be_disabled()
    expect(page.get_by_text(f"Answered {len(steps)} of {len(steps)} steps, {len(steps)} of them right")).to_be_visible()
    url = page.url
    assert "step=10" in url and re.search(r"a=1(%3A|:)c", url)
    assert_page_clean(page)


def test_a_typed_answer_that_is_no_number_says_what_to_type(page, app_server, steps):
    goto(page, app_server, "/lesson?step=2")
    expect(page.get_by_role("heading", name=f"2. {steps[1].title}")).to_be_visible()
    answer(page, steps[1], "0,327")
    expect(page.locator("[data-testid=stAlertContentWarning]")).to_contain_text("Use a point for the decimals")
    expect(verdict(page, "Error")).to_have_count(0)
    answer(page, steps[1], "<b>0.327</b>")
    expect(page.locator("[data-testid=stAlertContentWarning]")).to_contain_text("not a number")
    expect(page.locator("[data-testid=stMain] b, [data-testid=stMain] strong").filter(has_text="0.327")).to_have_count(0)
    assert_page_clean(page)


def test_a_teachers_link_opens_step_five_with_the_answers(page, app_server, steps):
    a = L.answers_to_link(steps, {0: right(steps[0]), 1: "0.5", 4: right(steps[4])})
    goto(page, app_server, f"/lesson?step=5&a={a}")
    expect(page.get_by_text("Step 5 of 10", exact=True)).to_be_visible()
    expect(page.get_by_role("radio", name=right(steps[4]), exact=True)).to_be_checked()
    expect(verdict(page, "Success")).to_contain_text(f"Right: {right(steps[4])}")
    for k in (4, 3, 2):  # back through the steps: step 2 shows the wrong answer the link carried, explained
        page.get_by_role("button", name="◀ Previous step").click()
        wait_for_app(page)
        expect(page.get_by_text(f"Step {k} of 10", exact=True)).to_be_visible()
    expect(page.get_by_role("textbox", name=steps[1].question)).to_have_value("0.5")
    expect(verdict(page, "Error")).to_contain_text("you answered 0.5")
    assert "step=2" in page.url
    assert_page_clean(page)


def test_a_link_that_names_no_step_starts_at_step_one_and_says_so(page, app_server):
    goto(page, app_server, "/lesson?step=%3Cscript%3E&a=1:c99,zz")
    expect(page.get_by_text("Step 1 of 10", exact=True)).to_be_visible()
    warning = page.locator("[data-testid=stAlertContentWarning]")
    expect(warning).to_contain_text("the lesson has steps 1 to 10")
    expect(warning).to_contain_text("which is not one of its choices")
    expect(page.get_by_role("button", name="◀ Previous step")).to_be_disabled()
    assert_page_clean(page)
