"""The self-test's window check: the app's main window opens offscreen, paints, and closes.

Kept in the Qt shell so that `digitpad.selftest` itself loads no Qt; Qt's log messages are held
back and shown only if the check fails (the offscreen platform warns about size hints).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QSettings, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QWidget

from digitpad.errors import SelfTestFailure
from digitpad.model.choice import resolve_model_path
from digitpad.ui.app import create_window
from digitpad.ui.settings import AppSettings


def window_for_check(model: str | None, folder: Path) -> tuple[QWidget, str]:
    """The app's main window, with settings and profile in throwaway files: the check must neither
    read nor change the person's own."""
    settings = AppSettings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    window = create_window(str(resolve_model_path(model)), settings, profile=folder / "profile.sqlite3")
    return window, "the main window"


@contextlib.contextmanager
def qt_messages() -> Iterator[list[str]]:
    """Collect Qt's log messages instead of letting them reach stderr."""
    messages: list[str] = []

    def handler(kind: QtMsgType, _context: object, message: str) -> None:
        messages.append(f"{kind.name}: {message}")

    previous = qInstallMessageHandler(handler)
    try:
        yield messages
    finally:
        qInstallMessageHandler(previous)


def show_and_close_window(model: str | None, folder: Path) -> str:
    with qt_messages() as messages:
        try:
            return _show_and_close(model, folder)
        except SelfTestFailure as exc:
            raise SelfTestFailure("; ".join([str(exc), *messages])) from None


def _show_and_close(model: str | None, folder: Path) -> str:
    app = QApplication.instance() or QApplication(["digitpad", "-platform", "offscreen"])
    window, what = window_for_check(model, folder)
    window.show()
    app.processEvents()
    if not window.isVisible() or window.width() <= 0 or window.height() <= 0:
        raise SelfTestFailure(f"{what} did not show")
    if window.grab().toImage().isNull():
        raise SelfTestFailure(f"{what} could not be painted")
    size = f"{window.width()}x{window.height()}"
    if not window.close():
        raise SelfTestFailure(f"{what} refused to close")
    app.processEvents()
    if window.isVisible():
        raise SelfTestFailure(f"{what} is still visible after closing")
    window.deleteLater()
    app.processEvents()
    return f"{what} showed at {size} px on the '{QApplication.platformName()}' platform and closed"
