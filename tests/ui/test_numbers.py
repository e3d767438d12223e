"""Writing a number in the window: the number under the canvas, a box per digit, a selected digit."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from digitpad.ui.main_window import MainWindow
from tests.ui.helpers import answered, densify, drag, ellipse

pytestmark = pytest.mark.gui

#: "701" across the wide canvas, each digit in the strokes the shipped model reads with confidence.
SEVEN = [densify([(80, 60), (200, 60), (120, 230)])]
ZERO = [ellipse(330, 140, 55, 90)]
ONE = [densify([(520, 50), (520, 230)])]
FOUR = [densify([(710, 50), (640, 170), (760, 170)]), densify([(725, 110), (725, 240)])]


def write(window: MainWindow, strokes: list[np.ndarray]) -> None:
    """Draw the strokes, then wait for the answer from the recognition thread."""
    for stroke in strokes:
        drag(window.canvas, stroke)
    answered(window.controller)


def test_a_number_is_read_after_each_stroke_with_the_newest_digit_explained(window: MainWindow) -> None:
    write(window, SEVEN)
    assert window.number_view.number.text == "7" and window.answer.answer == "7"
    write(window, ZERO + ONE)
    assert window.number_view.number.text == "701"
    assert window.number_view.current == 2  # the digit just written
    assert window.answer.answer == "1" and window.answer.caption.startswith("Digit 3 of 3: ")
    assert window.chart.top == 1
    write(window, FOUR)  # two strokes: the 4 stays one digit
    assert window.number_view.number.text == "7014" and window.number_view.current == 3


def test_click_a_digit_or_step_with_the_arrow_keys(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    write(window, SEVEN + ZERO + ONE)
    view = window.number_view
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view.cell(0).center().toPoint())
    assert view.current == 0 and window.answer.answer == "7" and window.chart.top == 7
    seven_input = window.model_input.pixels
    QTest.keyClick(window.canvas, Qt.Key.Key_Right)
    assert view.current == 1 and window.answer.answer == "0" and window.chart.top == 0
    assert seven_input is not None and not np.array_equal(window.model_input.pixels, seven_input)
    QTest.keyClick(window.canvas, Qt.Key.Key_Right)
    QTest.keyClick(window.canvas, Qt.Key.Key_Right)  # past the last digit: stays on it
    assert view.current == 2
    QTest.keyClick(window.canvas, Qt.Key.Key_Left)
    assert view.current == 1 and window.answer.caption.startswith("Digit 2 of 3: ")


def test_each_digit_gets_a_box_on_the_canvas_around_its_ink(window: MainWindow) -> None:
    write(window, SEVEN + ONE)
    canvas = window.canvas
    boxes = [canvas.digit_rect(k) for k in range(2)]
    seven_left = canvas.paper_rect().x() + (80 - 10) * canvas.scale()
    assert boxes[0].left() == pytest.approx(seven_left, abs=1.5)
    assert boxes[0].right() < boxes[1].left()
    # The box is painted: along its left edge the canvas is no longer plain paper.
    image = canvas.grab().toImage()
    edge = boxes[0].adjusted(-3, -3, 3, 3)
    paper = image.pixelColor(QPoint(round(edge.left()) - 6, round(edge.center().y())))
    line = [image.pixelColor(QPoint(round(edge.left()) + dx, round(edge.center().y()))) for dx in (-1, 0, 1)]
    assert any(color != paper for color in line)


def test_undo_and_clear_take_the_digits_away(window: MainWindow) -> None:
    write(window, SEVEN + ONE)
    window.undo_action.trigger()
    answered(window.controller)
    assert window.number_view.number.text == "7"
    window.clear_action.trigger()
    answered(window.controller)
    assert window.number_view.number.digits == () and window.answer.answer == "–"
