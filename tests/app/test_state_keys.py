"""One state table: every session key is declared once in app.state, and the app names keys only
through it (no string literal as a session-state key or a widget key anywhere in app/)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from app import state

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
# Being rewritten on its own branch (issue 14, shape_calculator); to switch to app.state names there.
PENDING: set[str] = set()


def _is_session_state(node) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "session_state"


def _literal(node) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def literal_keys(source: str) -> list[str]:
    """Every place a session key or widget key is written as a string literal: 'line: code'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        hit = None
        if isinstance(node, ast.Subscript) and _is_session_state(node.value) and _literal(node.slice):
            hit = node.slice
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is_session_state(node.func.value)
              and node.args and _literal(node.args[0])):
            hit = node.args[0]
        elif isinstance(node, ast.Compare) and any(_is_session_state(c) for c in node.comparators) and _literal(node.left):
            hit = node.left
        elif isinstance(node, ast.keyword) and node.arg == "key" and _literal(node.value):
            hit = node.value
        if hit is not None:
            found.append(f"{hit.lineno}: {ast.unparse(hit)}")
    return found


def app_files() -> dict[str, str]:
    return {p.relative_to(APP).as_posix(): p.read_text(encoding="utf-8") for p in sorted(APP.rglob("*.py"))}


def test_no_key_is_a_string_literal_outside_the_table():
    offenders = {name: hits for name, src in app_files().items()
                 if name not in PENDING | {"state.py"} and (hits := literal_keys(src))}
    assert not offenders, f"declare these keys in app/state.py and use their names: {offenders}"


def test_the_check_finds_literal_keys():
    src = ('st.session_state["a"] = 1\nst.session_state.get("b")\nif "c" in st.session_state: pass\n'
           'st.toggle("x", key=f"d_{gen}")\nst.session_state[A] = st.session_state.get(B)\nst.toggle("y", key=C.at(1))')
    assert [h.split(": ")[1] for h in literal_keys(src)] == ["'a'", "'b'", "'c'", "f'd_{gen}'"]


def test_every_key_is_declared_once_with_its_meaning():
    keys = [str(k) for k in state.KEYS]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    assert all(k.meaning.strip() for k in state.KEYS)
    for shared in (state.INSPECT, state.STEP_SOURCE, state.DIAGRAM_SOURCE, state.MODEL_PARAMS):
        assert shared.shared
    families = [k for k in keys if k.endswith("_")]
    plain = [k for k in keys if not k.endswith("_")]
    # no plain key can be mistaken for a member of a family (e.g. "inspect" and "inspect_t")
    assert not [(f, p) for f in families for p in plain if p.startswith(f)]


def test_a_key_is_its_string_wherever_streamlit_takes_one():
    import copy
    import pickle
    for k in (state.INSPECT, copy.deepcopy(state.INSPECT), pickle.loads(pickle.dumps(state.INSPECT))):
        assert k == "inspect" and hash(k) == hash("inspect") and {"inspect": 1}[k] == 1
        assert k.meaning == state.INSPECT.meaning and k.shared


def test_a_family_names_its_members_and_a_plain_key_has_none():
    assert state.DIRECTION_EDITOR.at("f", "0_1") == "dir_f_0_1"
    assert state.SIZES["h_f"].at(1) == "h_f_1"
    try:
        state.WORKSPACE.at(1)
    except ValueError:
        pass
    else:
        raise AssertionError("a plain key has no members")


def test_every_declared_key_is_used():
    sources = app_files()
    names = [n for n, v in vars(state).items() if isinstance(v, state.Key)]
    unused = [n for n in names if sum(len(re.findall(rf"\b{n}\b", src)) for src in sources.values()) < 2]
    assert not unused, f"keys declared in app/state.py that nothing uses: {unused}"
