"""Every error class of the app lives in `digitpad/errors.py`, under `DigitpadError`, and none is raised bare."""

from __future__ import annotations

import ast
import inspect

import digitpad.errors as errors
from tests.conftest import REPO


def test_no_exception_class_outside_errors_module() -> None:
    """A class deriving from an exception anywhere else in `digitpad/` is a second home for errors."""
    strays = []
    for path in sorted((REPO / "digitpad").rglob("*.py")):
        if path.name == "errors.py" and path.parent.name == "digitpad":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(base) for base in node.bases}
                if any(base.endswith(("Error", "Exception", "Failure")) for base in bases):
                    strays.append(f"{path.relative_to(REPO)}: {node.name}")
    assert strays == []


def test_every_error_is_a_digitpad_error() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__]
    assert len(classes) > 10
    assert all(issubclass(c, errors.DigitpadError) for c in classes)


def test_no_bare_digitpad_error_raised() -> None:
    """A specific problem gets its own class, so that a caller can tell it from the others."""
    bare = []
    for path in sorted((REPO / "digitpad").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                    and ast.unparse(node.exc.func) in ("DigitpadError", "errors.DigitpadError")):
                bare.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert bare == []
