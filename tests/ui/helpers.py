"""Digits drawn the way a mouse draws them, and ways to draw them on the canvas in tests."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from digitpad.ink import Drawing
from digitpad.ui.canvas import DrawingCanvas
from digitpad.ui.controller import RecognitionController

#: Longest wait for an answer from the recognition thread: far above any real answer, below the
#: test timeout, so that a lost answer fails the test instead of hanging it.
ANSWER_TIMEOUT_S = 20.0

#: Mouse events come a few canvas pixels apart when a person draws at an ordinary speed.
STEP = 3.0


def densify(corners: Sequence[tuple[float, float]], step: float = STEP) -> np.ndarray:
    """A polyline through `corners` with points about `step` apart, as a mouse reports them."""
    corners_array = np.asarray(corners, dtype=np.float64)
    points = [corners_array[:1]]
    for a, b in zip(corners_array[:-1], corners_array[1:]):
        count = max(int(np.ceil(np.hypot(*(b - a)) / step)), 1)
        t = np.arange(1, count + 1)[:, None] / count
        points.append(a + (b - a) * t)
    return np.concatenate(points)


def ellipse(cx: float, cy: float, rx: float, ry: float, turns: float = 1.05, count: int = 120) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi * turns, count)
    return np.stack([cx + rx * np.sin(t), cy - ry * np.cos(t)], axis=1)


#: Strokes of digits the shipped model reads with confidence.
DIGITS: dict[int, list[np.ndarray]] = {
    0: [ellipse(140, 140, 55, 90)],
    1: [densify([(140, 50), (140, 230)])],
    4: [densify([(150, 50), (80, 170), (200, 170)]), densify([(165, 110), (165, 240)])],
    7: [densify([(80, 60), (200, 60), (120, 230)])],
}


def digit_drawing(digit: int) -> Drawing:
    return Drawing(DIGITS[digit])


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
