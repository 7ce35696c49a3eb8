"""The guided lesson: ten predict-then-reveal steps from seed 000's "I love AI" to the final state.

Every answer is computed when the lesson is built (the engine's trace of the seed example, the shipped
taggers, the parameter counts of shape_calculator), never stored: change the seed example and the
right answers follow. A step asks first (a choice, or a number to 3 decimals) and explains after,
right or wrong, with the real numbers. The answers a person gave travel in the share link as
``?step=K&a=1:c1,2:0.327`` (a choice by its option number, a number as typed).

Pure Python and NumPy: no Streamlit here (app/views/lesson.py lays it out).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

from birnn_core import DirectionTrace, LayerTrace, ModelTrace, num, presets, run
from shape_calculator.counts import torch_layer_params

CHOICE, NUMBER = "choice", "number"
TOLERANCE = 0.0005          # a typed number is right when it rounds to the answer's 3 decimals
MAX_ANSWER_CHARS = 32       # a typed number, or an answer read from a link
NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class LessonStep:
    """One step: a title, what to read (markdown of our own text), a question, the computed answer
    (an option of ``options`` or a number) and the explanation shown once the person has answered."""

    title: str
    text: str
    question: str
    kind: str
    answer: str | float
    why: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """What the page says about an answer: right or not, the message, and whether it was read at all
    (a malformed number is refused, not marked wrong)."""

    right: bool
    message: str
    read: bool = True


# ---------------------------------------------------------------- checking answers

def parse_number(text: str) -> float:
    """A typed number ("0.327", "-.5", "1e-3"); ValueError with what to change otherwise."""
    s = text.strip()
    if not s:
        raise ValueError("Type a number first, for example 0.327.")
    if len(s) > MAX_ANSWER_CHARS:
        raise ValueError(f"That is {len(s)} characters: type a number of at most {MAX_ANSWER_CHARS}.")
    if "," in s and "." not in s and NUMBER_RE.match(s.replace(",", ".")):
        raise ValueError("Use a point for the decimals: 0.327, not 0,327.")
    if not NUMBER_RE.match(s):
        raise ValueError("That is not a number: type digits with a point, for example 0.327 or -1.5.")
    value = float(s)
    if not math.isfinite(value):
        raise ValueError("That number is too large: type one between -1e300 and 1e300.")
    return value


def check(step: LessonStep, given: str) -> Verdict:
    """The verdict on ``given`` (an option's text, or a typed number) for ``step``."""
    if step.kind == NUMBER:
        try:
            value = parse_number(given)
        except ValueError as e:
            return Verdict(False, str(e), read=False)
        right = abs(value - float(step.answer)) <= TOLERANCE
        shown = num(value, 6)
        expected = num(float(step.answer), 3)
        if right:
            return Verdict(True, f"Right: {expected}. {step.why}")
        return Verdict(False, f"Not quite: you answered {shown}, the model computes {expected}. {step.why}")
    if given not in step.options:
        return Verdict(False, "Pick one of the answers first.", read=False)
    if given == step.answer:
        return Verdict(True, f"Right: {step.answer}. {step.why}")
    return Verdict(False, f"Not quite: you picked “{given}”; the answer is “{step.answer}”. {step.why}")


# ---------------------------------------------------------------- the link

def answers_to_link(steps: list[LessonStep], answers: dict[int, str]) -> str:
    """``answers`` {step index: answer} as the link's ``a`` value: "1:c0,2:0.327" (1-based steps)."""
    parts = []
    for k in sorted(answers):
        if not 0 <= k < len(steps):
            continue
        step, given = steps[k], answers[k]
        if step.kind == CHOICE:
            if given in step.options:
                parts.append(f"{k + 1}:c{step.options.index(given)}")
        else:
            parts.append(f"{k + 1}:{given.strip()}")
    return ",".join(parts)


def answers_from_link(steps: list[LessonStep], value: str) -> tuple[dict[int, str], list[str]]:
    """The link's ``a`` value back as {step index: answer}, and a message per part not read."""
    answers: dict[int, str] = {}
    problems: list[str] = []
    for part in value.split(",")[:len(steps) + 1] if value else []:
        k_text, sep, given = part.partition(":")
        if not sep or not k_text.isdigit() or not 1 <= int(k_text) <= len(steps) or len(given) > MAX_ANSWER_CHARS:
            problems.append(f"an answer “{part[:40]}” that names no step of 1 to {len(steps)}")
            continue
        k = int(k_text) - 1
        step = steps[k]
        if step.kind == CHOICE:
            if not (given.startswith("c") and given[1:].isdigit() and int(given[1:]) < len(step.options)):
                problems.append(f"step {k + 1}'s answer “{given}”, which is not one of its choices")
                continue
            answers[k] = step.options[int(given[1:])]
        else:
            try:
                parse_number(given)
            except ValueError:
                problems.append(f"step {k + 1}'s answer “{given}”, which is not a number")
                continue
            answers[k] = given
    return answers, problems


def step_from_link(value: str | None, n: int) -> tuple[int, str | None]:
    """The link's ``step`` (1-based) as an index, and a message when it is not a step of 1..n."""
    if value is None:
        return 0, None
    if value.isdigit() and 1 <= int(value) <= n:
        return int(value) - 1, None
    return 0, f"The link asks for step “{value[:20]}”; the lesson has steps 1 to {n}, so it starts at step 1."


# ---------------------------------------------------------------- the steps, computed

def _bwd(lt: LayerTrace) -> DirectionTrace:
    """The backward direction of a layer the lesson knows is bidirectional."""
    if lt.bwd is None:
        raise ValueError("the lesson's example must be bidirectional")
    return lt.bwd


def _merged(lt: LayerTrace) -> np.ndarray:
    if lt.merged is None:
        raise ValueError("the lesson's example must merge its directions")
    return lt.merged


def _vec(v: np.ndarray) -> str:
    return "[" + ", ".join(num(float(x), 3) for x in v) + "]"


def _states_changed(model, X: np.ndarray, t: int, tokens: list[str]) -> tuple[set[int], set[int]]:
    """Which forward and backward states (0-based t) change when x_t changes: the engine, run twice."""
    before = run(model, X, tokens=tokens).layers[0]
    X2 = X.copy()
    X2[t] += 1.0
    after = run(model, X2, tokens=tokens).layers[0]
    changed = lambda a, b: {i for i in range(X.shape[0]) if not np.allclose(a[0, i], b[0, i], atol=1e-12)}
    return changed(before.fwd.h, after.fwd.h), changed(_bwd(before).h, _bwd(after).h)


def _states_text(fwd: set[int], bwd: set[int]) -> str:
    name = lambda ts: ", ".join(f"h_{t + 1}" for t in sorted(ts)) or "none"
    return f"forward {name(fwd)}; backward {name(bwd)}"


def build_lesson(uni_tagger, bi_tagger) -> list[LessonStep]:
    """The ten steps, every answer computed now from the seed example, the taggers and the counts."""
    ex = presets.seed_example()
    model, X, tokens = ex.model, np.asarray(ex.embeddings, dtype=float), list(ex.tokens)
    tr: ModelTrace = run(model, X, tokens=tokens)
    lt = tr.layers[0]
    T, H = len(tokens), lt.fwd.hidden_size
    steps = [_step_states(tr, tokens), _step_forward(tr, tokens), _step_dependence(model, X, tokens),
             _step_backward(model, X, tokens, tr), _step_concat(tr, tokens), _step_final_state(tr, T, H),
             _step_tagger(uni_tagger, bi_tagger), _step_stack(), _step_shapes(X.shape[1], H),
             _step_sum_merge(model, X, tokens)]
    return steps


def _step_states(tr: ModelTrace, tokens: list[str]) -> LessonStep:
    lt = tr.layers[0]
    T = len(tokens)
    n_states = lt.fwd.h.shape[1] + _bwd(lt).h.shape[1]
    return LessonStep(
        "Two readers of one sentence",
        f"Seed 000's sentence is “{' '.join(tokens)}”: {T} tokens, each an embedding x_t of "
        f"{tr.layers[0].fwd.x.shape[-1]} numbers. A bidirectional layer runs two recurrent networks over it: "
        "the **forward** one reads x_1, x_2, x_3 in order, the **backward** one reads x_3, x_2, x_1.",
        f"How many hidden state vectors h_t does this layer compute for the {T} tokens?",
        CHOICE, str(n_states),
        f"The forward direction computes h_1..h_{T} reading left to right and the backward direction its own "
        f"h_1..h_{T} reading right to left: {T} + {T} = {n_states} vectors of {lt.fwd.hidden_size} numbers.",
        options=tuple(str(n) for n in sorted({T, n_states, 3 * T, T + 1})))


def _step_forward(tr: ModelTrace, tokens: list[str]) -> LessonStep:
    f = tr.layers[0].fwd
    W, b = f.params.W, f.params.b + f.params.b_U
    x1 = f.x[0, 0]
    terms = " + ".join(f"{num(float(w), 2)}×{num(float(v), 2)}" for w, v in zip(W[0], x1))
    return LessonStep(
        "A forward step by hand",
        "The forward state at t = 1 is h_1 = tanh(W x_1 + U h_0 + b), and h_0 is zeros, so only W x_1 + b "
        f"counts. Row 1 of W is {_vec(W[0])}, x_1 (“{tokens[0]}”) is {_vec(x1)} and b[1] is "
        f"{num(float(b[0]), 3)}.",
        "What is h_1 forward [1], the first number of the forward state at t = 1? (3 decimals)",
        NUMBER, float(f.h[0, 0, 0]),
        f"W[1]·x_1 + b[1] = {terms} + {num(float(b[0]), 2)} = {num(float(f.pre[0, 0, 0]), 3)}, and "
        f"tanh({num(float(f.pre[0, 0, 0]), 3)}) = {num(float(f.h[0, 0, 0]), 3)}.")


def _step_dependence(model, X: np.ndarray, tokens: list[str]) -> LessonStep:
    t = 1  # x_2
    fwd, bwd = _states_changed(model, X, t, tokens)
    T = len(tokens)
    right = _states_text(fwd, bwd)
    decoys = [_states_text({t}, {t}), _states_text(set(range(T)), set(range(T))),
              _states_text(set(range(t + 1)), set(range(t, T))), _states_text(set(), set(range(T)))]
    options = tuple(dict.fromkeys([right] + [d for d in decoys if d != right]))
    return LessonStep(
        "What a state has read",
        "Each forward state carries everything read so far: h_t = tanh(W x_t + U h_(t-1) + b). The backward "
        "states do the same from the right end. Suppose the embedding x_2 (“" + tokens[t] + "”) changes.",
        f"Of the states at t = 1..{T}, which change if x_2 changes?",
        CHOICE, right,
        f"The engine, run again with x_2 changed, gives: {right}. Forward states from t = 2 on have read x_2 "
        f"(h_2 directly, h_3 through h_2); backward states up to t = 2 have read it (h_2 directly, h_1 through "
        f"h_2). h_1 forward and h_{T} backward were computed before x_2 was read.",
        options=tuple(sorted(options)))


def _step_backward(model, X: np.ndarray, tokens: list[str], tr: ModelTrace) -> LessonStep:
    T = len(tokens)
    # the token the backward direction reads first: the one every backward state has read
    every = [t for t in range(T) if _states_changed(model, X, t, tokens)[1] == set(range(T))]
    first = every[0] if every else T - 1
    b = _bwd(tr.layers[0])
    return LessonStep(
        "The backward direction",
        "The backward network has its own W, U and b and reads the sentence from the other end; its "
        "state at t has read x_t..x_T.",
        "Which token does the backward direction read first?",
        CHOICE, tokens[first],
        f"It starts at the last token, “{tokens[first]}” (t = {first + 1}), from h_{T + 1} = zeros: changing "
        f"x_{first + 1} changes every backward state, and h_{first + 1} backward = {_vec(b.h[0, first])} has read "
        "that token alone. Its last state, at t = 1, has read the whole sentence.",
        options=tuple(tokens))


def _step_concat(tr: ModelTrace, tokens: list[str]) -> LessonStep:
    lt = tr.layers[0]
    m = _merged(lt)[0, 1]
    return LessonStep(
        "Concatenation",
        "At every t the layer's output merges the two states. With merge = concat (PyTorch's only choice, "
        "Keras' default) m_t = [h_t forward ; h_t backward].",
        f"The output at t = 2 (“{tokens[1]}”), output[0, 1], has how many numbers?",
        CHOICE, str(m.size),
        f"m_2 = [{_vec(lt.fwd.h[0, 1])} ; {_vec(_bwd(lt).h[0, 1])}] = {_vec(m)}: "
        f"{lt.fwd.hidden_size} forward numbers, then {_bwd(lt).hidden_size} backward ones.",
        options=tuple(str(n) for n in sorted({lt.fwd.hidden_size, m.size, m.size + lt.fwd.hidden_size})))


def _step_final_state(tr: ModelTrace, T: int, H: int) -> LessonStep:
    lt = tr.layers[0]
    out, _ = lt.torch_outputs()
    h_n1 = _bwd(lt).final_h[0]
    first, second = "the first half (forward)", "the second half (backward)"
    answer = (second if np.array_equal(out[0, 0, H:], h_n1)
              else first if np.array_equal(out[0, 0, :H], h_n1) else "neither")
    return LessonStep(
        "Final state against last output",
        "PyTorch returns output (every t) and h_n, each direction's final state: h_n[0] is the forward "
        f"state after the last token. h_n[1] is the backward direction's final state: {_vec(h_n1)}.",
        "Which half of output[:, 0] (the FIRST token) is h_n[1]?",
        CHOICE, answer,
        f"output[0, 0] = {_vec(out[0, 0])}. The backward chain ends at the first token, so h_n[1] is "
        f"output[0, 0, {H}:], and output[0, -1, {H}:] = {_vec(out[0, -1, H:])} (its first step, having read "
        "only the last token) is not the final state.",
        options=(first, second, "neither"))


TAGGER_SENTENCES = ("I like that he came", "I like that car")


def _step_tagger(uni, bi) -> LessonStep:
    a, b = (s.split() for s in TAGGER_SENTENCES)
    i = a.index("that")
    prefix = " ".join(a[:i + 1])
    uni_a, uni_b = uni.tag(a)[0][i], uni.tag(b)[0][i]
    bi_a, bi_b = bi.tag(a)[0][i], bi.tag(b)[0][i]
    options = tuple(dict.fromkeys(sorted({"SCONJ", "DET", "PRON", "ADV", uni_a})))
    same = "the same tag" if uni_a == uni_b else "a different tag"
    return LessonStep(
        "Uni against bi on real taggers",
        "Two part-of-speech taggers trained on UD English-EWT (see Uni vs Bi taggers): one reads left to "
        f"right only, the other both ways. In “{TAGGER_SENTENCES[0]}” the word “that” is a subordinating "
        f"conjunction (SCONJ); in “{TAGGER_SENTENCES[1]}” a determiner (DET).",
        f"Which tag does the unidirectional tagger give “that” in “{TAGGER_SENTENCES[0]}”?",
        CHOICE, uni_a,
        f"The unidirectional tagger says {uni_a} here and {uni_b} in “{TAGGER_SENTENCES[1]}”: {same}, and it "
        f"cannot do otherwise, since at “that” both sentences read “{prefix}” so far and its forward state is "
        f"identical. The bidirectional tagger reads the words after it too: {bi_a} and {bi_b}.",
        options=options)


def _step_stack() -> LessonStep:
    ex = presets.stacked_example()
    upper = ex.model.layers[1]
    d2 = upper.fwd.input_size
    h = ex.model.layers[0].fwd.hidden_size
    return LessonStep(
        "Stacked layers",
        f"A stack (the preset “{ex.name}”): layer 2 reads layer 1's merged vectors m_t as its inputs. "
        f"Layer 1 has {h} units per direction and merge = concat.",
        "How many numbers does layer 2's input x_t have?",
        CHOICE, str(d2),
        f"Layer 2's x_t is layer 1's m_t = [h_t forward ; h_t backward]: {h} + {h} = {d2} numbers, so layer 2's "
        f"W has {d2} columns, and each of its states has read the whole sentence already.",
        options=tuple(str(n) for n in sorted({h, d2, ex.model.input_size, d2 + h})))


def _step_shapes(d: int, h: int) -> LessonStep:
    per_direction = torch_layer_params("rnn", d, h)
    total = 2 * per_direction
    return LessonStep(
        "Shapes and parameters",
        f"PyTorch's nn.RNN(input_size={d}, hidden_size={h}, bidirectional=True) keeps, per direction, "
        f"weight_ih ({h}×{d}), weight_hh ({h}×{h}) and two bias vectors, bias_ih and bias_hh ({h} each).",
        "How many parameters does that layer have in all?",
        NUMBER, float(total),
        f"Per direction {h}·{d} + {h}·{h} + {h} + {h} = {per_direction}; two directions: {total} "
        "(Keras keeps one bias per direction: see Shapes & parameters).")


def _step_sum_merge(model, X: np.ndarray, tokens: list[str]) -> LessonStep:
    summed = replace(model, layers=[replace(model.layers[0], merge="sum")], head=None)
    lt = run(summed, X, tokens=tokens).layers[0]
    f, b, m = lt.fwd.h[0, 0, 0], _bwd(lt).h[0, 0, 0], _merged(lt)[0, 0, 0]
    return LessonStep(
        "Other merges",
        "Keras' Bidirectional layer also merges by sum, mul or ave (same h in both directions), which "
        "keeps the output as wide as one direction. The forward and backward states do not change; only m_t does.",
        "With merge = sum, what is m_1[1], the first number of the merged vector at t = 1? (3 decimals)",
        NUMBER, float(m),
        f"m_1[1] = h_1 forward [1] + h_1 backward [1] = {num(float(f), 3)} + {num(float(b), 3)} = "
        f"{num(float(m), 3)}. That is the whole lesson: two chains, one per direction, merged at every t.")
