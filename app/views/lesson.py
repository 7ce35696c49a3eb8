"""Guided lesson: ten predict-then-reveal steps through seed 000's bidirectional RNN.

The page lays out what app.lesson computes (the steps, their answers from the real computation, the
verdicts); the step and the answers live in the address (?step=5&a=1:c2,2:0.327), so a teacher can
send "step 5"."""
from __future__ import annotations

import streamlit as st

from app import lesson as L
from app.state import (LESSON_ANSWERS, LESSON_CHECK, LESSON_CHOICE, LESSON_LINK_READ, LESSON_NEXT, LESSON_NUMBER,
                       LESSON_PREV, LESSON_PROBLEM, LESSON_STEP, shipped_taggers)
from app.text import markdown


@st.cache_resource(show_spinner=False)
def lesson_steps() -> list[L.LessonStep]:
    """The steps, computed once per server (the seed example and the taggers do not change)."""
    return L.build_lesson(*shipped_taggers())


def widget_key(steps: list[L.LessonStep], k: int) -> str:
    return LESSON_CHOICE.at(k) if steps[k].kind == L.CHOICE else LESSON_NUMBER.at(k)


def read_link(steps: list[L.LessonStep]) -> None:
    """Open the address's step and answers once per session; say what in it could not be read."""
    if st.session_state.get(LESSON_LINK_READ):
        return
    st.session_state[LESSON_LINK_READ] = True
    k, problem = L.step_from_link(st.query_params.get("step"), len(steps))
    answers, problems = L.answers_from_link(steps, st.query_params.get("a", ""))
    st.session_state[LESSON_STEP], st.session_state[LESSON_ANSWERS] = k, answers
    for j, given in answers.items():
        st.session_state[widget_key(steps, j)] = given
    notes = ([problem] if problem else []) + ([f"The link's answers were read except {'; '.join(problems)}."]
                                              if problems else [])
    if notes:
        st.session_state[LESSON_PROBLEM] = (k, " ".join(notes))


def write_link(steps: list[L.LessonStep]) -> None:
    st.query_params["step"] = str(st.session_state[LESSON_STEP] + 1)
    link = L.answers_to_link(steps, st.session_state[LESSON_ANSWERS])
    if link:
        st.query_params["a"] = link
    elif "a" in st.query_params:
        del st.query_params["a"]


def go(delta: int, n: int) -> None:
    st.session_state[LESSON_STEP] = min(max(st.session_state[LESSON_STEP] + delta, 0), n - 1)
    st.session_state.pop(LESSON_PROBLEM, None)


def check_answer(steps: list[L.LessonStep], k: int) -> None:
    """Keep the answer the person gave (the verdict then shows), or say why it was not read."""
    given = st.session_state.get(widget_key(steps, k))
    verdict = L.check(steps[k], "" if given is None else str(given))
    if verdict.read:
        st.session_state[LESSON_ANSWERS] = {**st.session_state[LESSON_ANSWERS], k: str(given)}
        st.session_state.pop(LESSON_PROBLEM, None)
    else:
        st.session_state[LESSON_PROBLEM] = (k, verdict.message)


st.title("Guided lesson")
st.caption("Ten short steps through seed 000's bidirectional RNN. Each step asks first: answer, press Check, "
           "and the page shows what the model really computes. The address holds the step and your answers: "
           "send it and others open the same step.")
try:
    steps = lesson_steps()
except (OSError, ValueError) as e:
    st.error(f"The lesson needs the trained taggers, which could not be loaded: {markdown(str(e))}")
    st.stop()
n = len(steps)
read_link(steps)
k = st.session_state[LESSON_STEP]
step = steps[k]

st.progress((k + 1) / n, text=f"Step {k + 1} of {n}")
st.subheader(f"{k + 1}. {step.title}")
st.markdown(step.text)
if step.kind == L.CHOICE:
    st.radio(step.question, step.options, index=None, key=widget_key(steps, k))
else:
    st.text_input(step.question, key=widget_key(steps, k), placeholder="a number, e.g. 0.5",
                  max_chars=L.MAX_ANSWER_CHARS)
st.button("Check", key=LESSON_CHECK, type="primary", on_click=check_answer, args=(steps, k))

problem = st.session_state.get(LESSON_PROBLEM)
if problem and problem[0] == k:
    st.warning(markdown(problem[1]))
given = st.session_state[LESSON_ANSWERS].get(k)
if given is not None:
    verdict = L.check(step, given)
    (st.success if verdict.right else st.error)(markdown(verdict.message))

c1, c2, _ = st.columns([1, 1, 4])
c1.button("◀ Previous step", key=LESSON_PREV, on_click=go, args=(-1, n), disabled=k == 0, use_container_width=True)
c2.button("Next step ▶", key=LESSON_NEXT, on_click=go, args=(1, n), disabled=k == n - 1, use_container_width=True)
done = len(st.session_state[LESSON_ANSWERS])
right = sum(L.check(steps[j], a).right for j, a in st.session_state[LESSON_ANSWERS].items())
st.caption(f"Answered {done} of {n} steps, {right} of them right (the last answer checked counts)." if done
           else "No step answered yet.")
write_link(steps)
