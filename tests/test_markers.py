"""Every test that needs Qt carries the `gui` marker, so `-m "not gui"` runs where Qt cannot."""

from __future__ import annotations

import re

from tests.conftest import REPO

#: An import of Qt, of the Qt shell or of the GUI test helpers, or a pytest-qt fixture.
NEEDS_QT = re.compile(
    r"^\s*(from|import) (PySide6|digitpad\.ui|tests\.ui)|def \w+\([^)]*\b(qtbot|qapp)\b", re.MULTILINE
)


def test_every_test_file_that_needs_qt_is_marked_gui() -> None:
    unmarked = [
        path.relative_to(REPO).as_posix()
        for path in sorted((REPO / "tests").rglob("test_*.py"))
        if NEEDS_QT.search(path.read_text(encoding="utf-8"))
        and "pytestmark = pytest.mark.gui" not in path.read_text(encoding="utf-8")
    ]
    assert unmarked == []
