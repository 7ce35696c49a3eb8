"""The guided lesson: every answer comes from the real computation (app/lesson.py), the link keeps the
step and the answers, and the page reveals right and wrong answers (AppTest through the entry file)."""
from __future__ import annotations

import numpy as np
import pytest

from apptest_utils import open_view

from app import lesson as L
from app.state import LESSON_ANSWERS, LESSON_STEP, shipped_taggers
from birnn_core import presets, run


@pytest.fixture(scope="module")
def steps() -> list[L.LessonStep]:
    return L.build_lesson(*shipped_taggers())


def wrong(step: L.LessonStep) -> str:
    return next(o for o in step.options if o != step.answer) if step.kind == L.CHOICE else str(float(step.answer) + 0.5)


def right(step: L.LessonStep) -> str:
    return step.answer if step.kind == L.CHOICE else f"{float(step.answer):.3f}"


def test_ten_steps_each_with_a_question_whose_answer_is_one_of_its_choices(steps):
    assert 8 <= len(steps) <= 12
    for s in steps:
        assert s.question.endswith(("?", "(3 decimals)")) and s.why
        if s.kind == L.CHOICE:
            assert s.answer in s.options and len(set(s.options)) == len(s.options) >= 2


def test_the_answers_are_the_engines_numbers(steps):
    ex = presets.seed_example()
    tr = run(ex.model, ex.embeddings, tokens=ex.tokens)
    lt = tr.layers[0]
    by_title = {s.title: s for s in steps}
    assert by_title["A forward step by hand"].answer == pytest.approx(lt.fwd.h[0, 0, 0])
    assert round(float(by_title["A forward step by hand"].answer), 3) == 0.327  # seed 000's worked number
    assert by_title["What a state has read"].answer == "forward h_2, h_3; backward h_1, h_2"
    assert by_title["The backward direction"].answer == "AI"
    assert by_title["Concatenation"].answer == "4"
    assert by_title["Final state against last output"].answer == "the second half (backward)"
    assert np.array_equal(lt.torch_outputs()[0][0, 0, 2:], lt.bwd.final_h[0])
    assert by_title["Shapes and parameters"].answer == 28  # 2 × (2·3 + 2·2 + 2 + 2), as torch counts it
    assert by_title["Other merges"].answer == pytest.approx(lt.fwd.h[0, 0, 0] + lt.bwd.h[0, 0, 0])


def test_the_tagger_step_asks_what_the_unidirectional_tagger_really_says(steps):
    uni, bi = shipped_taggers()
    step = next(s for s in steps if s.title == "Uni against bi on real taggers")
    a, b = (s.split() for s in L.TAGGER_SENTENCES)
    assert step.answer == uni.tag(a)[0][2]
    assert uni.tag(a)[0][2] == uni.tag(b)[0][2]  # the same left context: the same forward state, the same tag
    assert f"{bi.tag(a)[0][2]} and {bi.tag(b)[0][2]}" in step.why


@pytest.mark.parametrize("typed,read,ok", [("0.327", True, True), ("0.3275", True, True), (".327", True, True),
                                           ("3.27e-1", True, True), ("0.33", True, False), ("-0.327", True, False),
                                           ("0,327", False, None), ("abc", False, None), ("", False, None),
                                           ("nan", False, None), ("1e999", False, None), ("9" * 40, False, None),
                                           ("<b>1</b>", False, None)])
def test_a_typed_number_is_read_strictly(steps, typed, read, ok):
    v = L.check(steps[1], typed)
    assert v.read == read
    if read:
        assert v.right == ok
    else:
        assert not v.right and v.message  # says what to type instead


def test_a_wrong_answer_is_explained_with_the_right_one(steps):
    for s in steps:
        v = L.check(s, wrong(s))
        assert v.read and not v.right and v.message.startswith("Not quite") and s.why in v.message
        assert L.check(s, right(s)).right


def test_the_link_carries_the_answers_and_refuses_what_it_cannot_read(steps):
    answers = {k: right(s) for k, s in enumerate(steps)}
    link = L.answers_to_link(steps, answers)
    assert L.answers_from_link(steps, link) == (answers, [])
    got, problems = L.answers_from_link(steps, "1:c9,2:abc,99:c0,x,3:c0")
    assert got == {2: steps[2].options[0]} and len(problems) == 4
    assert L.answers_from_link(steps, "") == ({}, [])
    assert L.step_from_link("5", len(steps)) == (4, None)
    for bad in ("0", "11", "-1", "five", "<script>"):
        k, problem = L.step_from_link(bad, len(steps))
        assert k == 0 and "steps 1 to 10" in problem


def test_the_page_walks_the_steps_and_reveals_right_and_wrong(steps):
    at = open_view("views/lesson.py")
    assert at.session_state[LESSON_STEP] == 0
    at.radio(key="lesson_choice_0").set_value(wrong(steps[0])).run()
    at.button(key="lesson_check").click().run()
    assert at.error and at.error[0].value.startswith("Not quite")
    at.radio(key="lesson_choice_0").set_value(right(steps[0])).run()
    at.button(key="lesson_check").click().run()
    assert not at.error and at.success[0].value.startswith("Right")
    at.button(key="lesson_next").click().run()
    assert at.session_state[LESSON_STEP] == 1
    at.text_input(key="lesson_number_1").input("zero").run()
    at.button(key="lesson_check").click().run()
    assert "not a number" in at.warning[0].value and not at.success and not at.error
    at.text_input(key="lesson_number_1").input("0.327").run()
    at.button(key="lesson_check").click().run()
    assert at.success[0].value.replace("\\", "").startswith("Right: 0.327")  # markdown-escaped on the page
    assert at.query_params["step"] in ("2", ["2"]) and at.query_params["a"] in ("1:c2,2:0.327", ["1:c2,2:0.327"])
    assert at.session_state[LESSON_ANSWERS] == {0: "6", 1: "0.327"}
    assert not at.exception
