"""Digits drawn the way a mouse draws them, and ways to draw them on the canvas in tests."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from digitpad.ui.canvas import DrawingCanvas
from digitpad.ui.controller import RecognitionController
from digitpad.ui.main_window import MainWindow
from tests.drawings import DIGITS, densify, digit_drawing, ellipse

#: Longest wait for an answer from the recognition thread: far above any real answer, below the
#: test timeout, so that a lost answer fails the test instead of hanging it.
ANSWER_TIMEOUT_S = 20.0
ANSWER_TIMEOUT_MS = round(ANSWER_TIMEOUT_S * 1000)  #: the same, for pytest-qt's waits

__all__ = ["DIGITS", "answered", "densify", "digit_drawing", "drag", "draw_digit", "ellipse", "learnt", "open_model",
           "to_widget", "use_shipped_model"]


def to_widget(canvas: DrawingCanvas, x: float, y: float) -> QPoint:
    rect, scale = canvas.paper_rect(), canvas.scale()
    return QPoint(round(rect.x() + x * scale), round(rect.y() + y * scale))


def drag(canvas: DrawingCanvas, stroke: np.ndarray, release: bool = True) -> None:
    """Draw one stroke with simulated mouse events: press, moves with the button held, release."""
    points = [to_widget(canvas, x, y) for x, y in stroke]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    for point in points[1:]:
        QTest.mouseMove(canvas, point)
    if release:
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])


def answered(controller: RecognitionController) -> None:
    """Process events until the answer to the latest request has come from the recognition thread."""
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while not controller.idle:
        assert time.monotonic() < deadline, "no answer came from the recognition thread"
        QTest.qWait(2)


def learnt(window: MainWindow) -> None:
    """Process events until the window's profile has read its new samples (on its worker thread) and
    the answer that uses them has come back."""
    personal, controller = window.personal, window.controller
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while not (personal is None or personal.idle) or not controller.idle:
        assert time.monotonic() < deadline, "the samples were not read, or no answer came"
        QTest.qWait(2)


def draw_digit(canvas: DrawingCanvas, digit: int) -> None:
    """Draw the digit's strokes, then wait for the answer (when the canvas is in a window)."""
    for stroke in DIGITS[digit]:
        drag(canvas, stroke)
    controller = getattr(canvas.window(), "controller", None)
    if isinstance(controller, RecognitionController):
        answered(controller)


def open_model(qtbot, window: MainWindow, path: Path, remember: bool = True) -> bool:  # noqa: ANN001 (qtbot)
    """File > Open Model with `path`: wait until the model thread has checked it; True if it is in use."""
    with qtbot.waitSignal(window.model_opened, timeout=ANSWER_TIMEOUT_MS) as opened:
        window.open_model(path, remember)
    return bool(opened.args[0])


def use_shipped_model(qtbot, window: MainWindow) -> None:  # noqa: ANN001 (qtbot)
    """File > Use Built-in Model, and wait until it is in use and has read the page."""
    with qtbot.waitSignal(window.model_opened, timeout=ANSWER_TIMEOUT_MS) as opened:
        window.use_shipped_model()
    assert opened.args[0]
    answered(window.controller)
