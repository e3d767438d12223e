"""Digits drawn the way a mouse draws them, and ways to draw them on the canvas in tests."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from digitpad.ui.canvas import DrawingCanvas
from digitpad.ui.controller import RecognitionController
from tests.drawings import DIGITS, densify, digit_drawing, ellipse

#: Longest wait for an answer from the recognition thread: far above any real answer, below the
#: test timeout, so that a lost answer fails the test instead of hanging it.
ANSWER_TIMEOUT_S = 20.0

__all__ = ["DIGITS", "answered", "densify", "digit_drawing", "drag", "draw_digit", "ellipse", "to_widget"]


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


def draw_digit(canvas: DrawingCanvas, digit: int) -> None:
    """Draw the digit's strokes, then wait for the answer (when the canvas is in a window)."""
    for stroke in DIGITS[digit]:
        drag(canvas, stroke)
    controller = getattr(canvas.window(), "controller", None)
    if isinstance(controller, RecognitionController):
        answered(controller)
