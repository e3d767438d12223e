"""Digits drawn the way a mouse draws them, and ways to draw them on the canvas in tests."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from digitpad.ui.canvas import DrawingCanvas
from tests.drawings import DIGITS, densify, digit_drawing, ellipse

__all__ = ["DIGITS", "densify", "digit_drawing", "drag", "draw_digit", "ellipse", "to_widget"]

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


def draw_digit(canvas: DrawingCanvas, digit: int) -> None:
    for stroke in DIGITS[digit]:
        drag(canvas, stroke)
