"""Every control on every page has a real-browser test: the inventory makes a control without one visible.

The controls are found by reading app/views/**/*.py (every st.<widget>(...) call, labelled by its
label's text up to the first placeholder, by the labels of the table it loops over (TABLE_LABELS), or by its key: a key declared in app.state, or one
member of a key family, ``FAMILY.at(...)``, is labelled by the key's string); the inventory is the
union of the CONTROLS lists in tests/browser/test_browser_*.py, rows of (view file relative to app/,
control label, browser test name).
A new widget without a row, a row whose control is gone, or a row naming a test that does not
exist fails here.
"""
from __future__ import annotations

import ast
from pathlib import Path

from app import exports, state

ROOT = Path(__file__).resolve().parents[2]
VIEWS = ROOT / "app" / "views"
WIDGETS = {"button", "download_button", "file_uploader", "text_input", "text_area", "number_input",
           "selectbox", "multiselect", "radio", "toggle", "checkbox", "slider", "select_slider",
           "data_editor", "tabs", "expander", "page_link", "popover", "color_picker", "date_input",
           "segmented_control", "pills", "form_submit_button", "chat_input"}
# labels that come from a table the view loops over: the label expression -> the table's labels
TABLE_LABELS = {"export.label": [e.label for e in exports.EXPORTS]}


def _label(call: ast.Call, constants: dict) -> list[str]:
    """The control's label(s): a string constant, an f-string's text before its first placeholder,
    each name of a constant list (tabs), the key, else the label's expression."""
    arg = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "label"), None)
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.JoinedStr):
        head = arg.values[0] if arg.values else None
        if isinstance(head, ast.Constant) and head.value.strip():
            return [head.value]
    if isinstance(arg, ast.Name) and arg.id in constants:
        return list(constants[arg.id])
    if arg is not None and ast.unparse(arg) in TABLE_LABELS:
        return TABLE_LABELS[ast.unparse(arg)]
    key = next((k.value for k in call.keywords if k.arg == "key"), None)
    declared = _declared_key(key)
    if declared is not None:
        return [f"key={declared}"]
    if isinstance(key, ast.Constant):
        return [f"key={key.value}"]
    if isinstance(key, ast.JoinedStr) and isinstance(key.values[0], ast.Constant):
        return [f"key={key.values[0].value}"]
    return [f"{ast.unparse(call.func).rsplit('.', 1)[-1]}({ast.unparse(arg)})"]  # a computed label: the expression itself


def _declared_key(node) -> str | None:
    """The string of a key named from app.state: KEY, state.KEY, or a family's FAMILY.at(...)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "at":
        node = node.func.value
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    key = getattr(state, name, None) if name else None
    return key if isinstance(key, state.Key) else None


def _components(tree: ast.Module) -> set[str]:
    """Names bound to a custom component's mounting command (``name = st.components.v2.component(...)``):
    each call of one is a control too."""
    return {t.id for node in tree.body if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "component"
            for t in node.targets if isinstance(t, ast.Name)}


def scanned_controls() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(VIEWS.rglob("*.py")):
        tree = ast.parse(path.read_text())
        constants = {t.id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                     for t in node.targets if isinstance(t, ast.Name)
                     and isinstance(node.value, (ast.List, ast.Tuple))
                     and all(isinstance(e, ast.Constant) for e in node.value.elts)}
        components = _components(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (
                    (isinstance(node.func, ast.Attribute) and node.func.attr in WIDGETS)
                    or (isinstance(node.func, ast.Name) and node.func.id in components)):
                for label in _label(node, constants):
                    found.add((path.relative_to(VIEWS.parent).as_posix(), label))
    return found


def inventory() -> dict[tuple[str, str], tuple[str, str]]:
    """(view, label) -> (browser test file, test name), from every CONTROLS list."""
    rows = {}
    for path in sorted((ROOT / "tests" / "browser").glob("test_browser_*.py")):
        tree = ast.parse(path.read_text())
        strings = {t.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                   and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                   for t in node.targets if isinstance(t, ast.Name)}  # e.g. V = "views/step_by_step.py"
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and any(
                    getattr(t, "id", "") == "CONTROLS" for t in getattr(node, "targets", [getattr(node, "target", None)])):
                value = eval(compile(ast.Expression(node.value), str(path), "eval"), {"__builtins__": {}}, strings)
                for view, label, test in value:
                    rows[(view, label)] = (path.name, test)
    return rows


def browser_tests() -> dict[str, set[str]]:
    return {p.name: {n.name for n in ast.walk(ast.parse(p.read_text()))
                     if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}
            for p in (ROOT / "tests" / "browser").glob("test_browser_*.py")}


def test_every_control_has_a_browser_test():
    missing = sorted(scanned_controls() - set(inventory()))
    assert not missing, ("controls with no browser test (add a row to CONTROLS in a "
                         f"tests/browser/test_browser_*.py file): {missing}")


def test_every_inventory_row_names_a_control_that_exists():
    stale = sorted(set(inventory()) - scanned_controls())
    assert not stale, f"CONTROLS rows for controls no page has any more: {stale}"


def test_every_inventory_row_names_a_real_browser_test():
    tests = browser_tests()
    absent = sorted((f, t) for f, t in inventory().values() if t not in tests.get(f, set()))
    assert not absent, f"CONTROLS rows naming tests that do not exist: {absent}"


def test_the_scan_finds_the_controls_it_should():
    found = scanned_controls()
    assert ("views/compare.py", "Examples where right context decides") in found
    assert ("views/step/editors.py", "key=X_") in found  # a widget group of a page, labelled by its key family
    assert ("views/compare.py", "key=hand_over_") in found
    assert len(found) > 30
