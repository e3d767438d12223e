"""Qt's own start-up messages are held while the window opens, then passed on (`digitpad.qt_check`)."""

from __future__ import annotations

import pytest

from digitpad import qt_check

pytestmark = pytest.mark.gui


def test_qt_messages_before_the_window_are_held_then_passed_on(capfd: pytest.CaptureFixture[str]) -> None:
    from PySide6.QtCore import qWarning

    fatal: list[str] = []
    release = qt_check.catch_qt_fatal(fatal.append)
    qWarning("a warning while Qt starts")
    assert "a warning while Qt starts" not in capfd.readouterr().err  # held: Qt's start-up warnings mislead
    release()
    assert "a warning while Qt starts" in capfd.readouterr().err and fatal == []
