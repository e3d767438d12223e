"""The window from its minimum size up: nothing clipped, the selected digit in view, the canvas first."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from digitpad.ink.drawing import CANVAS_WIDTH, DEFAULT_CANVAS_SIZE, Drawing
from digitpad.reading.number import NumberReading
from digitpad.ui.main_window import SIDE_WIDTH, MainWindow
from tests.ui.helpers import answered, densify, open_model

pytestmark = pytest.mark.gui


def ones(count: int, unsure_at: tuple[int, ...] = ()) -> Drawing:
    """`count` upright strokes across the wide canvas: a number of `count` ones."""
    step = 840 / count
    strokes = [densify([(step * (k + 0.5), 50), (step * (k + 0.5), 230)]) for k in range(count)]
    return Drawing(strokes, CANVAS_WIDTH, DEFAULT_CANVAS_SIZE)


def show_number(window: MainWindow, count: int) -> NumberReading:
    window.controller.open_drawing(ones(count))
    answered(window.controller)
    number = window.number_view.number
    assert len(number.digits) == count, number.text
    return number


def inside(widget: QWidget, window: MainWindow) -> bool:
    """Whether the widget's whole rectangle lies within the window's (nothing cut off)."""
    top_left = widget.mapTo(window, QPoint(0, 0))
    return window.rect().contains(QRect(top_left, widget.size()))


def at_minimum_size(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    window.resize(window.minimumSizeHint())
    qtbot.waitUntil(lambda: window.size() == window.minimumSizeHint().expandedTo(window.minimumSize()))


def test_at_the_minimum_size_ten_digits_fit_and_the_selected_one_is_in_view(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    at_minimum_size(window, qtbot)
    show_number(window, 10)
    view = window.number_view
    for index in range(10):
        window.select_digit(index)
        assert view.is_visible(index), f"digit {index + 1} of 10 is cut off at {window.size().toTuple()}"
    assert all(view.is_visible(k) for k in range(10))  # they shrink to fit: no scrolling needed here
    for widget in (window.canvas, view, window.side_panel, window.model_input, window.chart,
                   window.undo_button, window.clear_button):
        assert inside(widget, window), f"{widget.accessibleName() or widget} is cut off"


def test_a_row_too_long_for_its_width_scrolls_to_the_selected_digit(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    show_number(window, 10)
    view = window.number_view
    view.setFixedWidth(150)  # narrower than ten digits at their smallest
    qtbot.waitUntil(lambda: view.width() == 150)
    assert not all(view.is_visible(k) for k in range(10))
    for index in (0, 4, 9, 2):
        window.select_digit(index)
        assert view.is_visible(index)
        assert view.digit_at(view.cell(index).center()) == index
    window.select_digit(9)
    visible = [k for k in range(10) if view.is_visible(k)]
    assert 9 in visible and len(visible) < 10
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     view.cell(visible[0]).center().toPoint())
    assert view.current == visible[0] and window.answer.caption.startswith(f"Digit {visible[0] + 1} of 10")
    assert view.is_visible(visible[0])


def test_the_canvas_gets_its_room_before_the_side_column(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    at_minimum_size(window, qtbot)
    assert window.canvas.paper_rect().width() >= 300  # the 3:1 paper stays writable (it was 212 x 70)
    assert window.model_input.height() <= window.canvas.height() + window.number_view.height()
    window.resize(800, 600)
    qtbot.waitUntil(lambda: window.width() == 800)
    assert window.canvas.width() >= 0.6 * window.width()
    window.resize(1600, 900)
    qtbot.waitUntil(lambda: window.width() == 1600)
    assert window.side_panel.width() == SIDE_WIDTH and window.canvas.width() > 1100


def test_the_status_bar_elides_rather_than_overlapping(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    at_minimum_size(window, qtbot)
    show_number(window, 10)
    model, timing = window.model_label, window.timing_label
    assert timing.text().startswith("read in")
    assert model.geometry().right() < timing.geometry().left()
    assert model.shown_text.endswith("…") and model.shown_text != model.text()
    assert model.fontMetrics().horizontalAdvance(model.shown_text) <= model.contentsRect().width()
    assert model.text() in model.toolTip()
    window.resize(1600, 900)
    qtbot.waitUntil(lambda: window.width() == 1600)
    assert model.shown_text == model.text()


def test_an_unsure_digit_has_a_legible_question_mark_beside_it(window: MainWindow, unsure_model, qtbot) -> None:  # noqa: ANN001
    assert open_model(qtbot, window, unsure_model, remember=False)
    at_minimum_size(window, qtbot)
    window.controller.open_drawing(ones(3))  # a model that reads every grouping alike may join two
    answered(window.controller)
    view = window.number_view
    count = len(view.number.digits)
    assert count >= 2 and view.text == " ".join(["4?"] * count)
    for index in range(count):
        digit, mark = view.glyph_rects(index)
        assert not digit.intersects(mark)
        assert view.cell(index).contains(mark) and view.cell(index).contains(digit)
        assert mark.height() >= view.fontMetrics().height()  # no smaller than the window's own text
    image = view.grab().toImage()
    _, mark = view.glyph_rects(0)
    ratio = view.devicePixelRatioF()
    pixels = [image.pixelColor(round(x * ratio), round(y * ratio)).lightness()
              for x in np.linspace(mark.left(), mark.right(), 12) for y in np.linspace(mark.top(), mark.bottom(), 12)]
    background = view.palette().color(view.backgroundRole()).lightness()
    assert any(abs(p - background) > 60 for p in pixels)  # the mark is painted where glyph_rects says


def test_the_number_row_sits_right_under_the_paper_in_a_tall_window(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    def gap() -> int:
        paper = window.canvas.paper_rect()
        paper_bottom = window.canvas.mapTo(window, paper.bottomLeft().toPoint()).y()
        return window.number_view.mapTo(window, QPoint(0, 0)).y() - paper_bottom

    for size in ((1200, 1000), (700, 900), (1600, 500)):
        window.resize(*size)
        qtbot.waitUntil(lambda size=size: window.size().toTuple() == size)
        qtbot.waitUntil(lambda: 0 <= gap() <= 40)  # once laid out (it was 200 px and more in a tall window)


def test_a_status_message_gets_room_beside_the_model_name(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    bar, model = window.statusBar(), window.model_label
    message = "Saved a-rather-long-name.json"

    def message_fits() -> bool:
        return model.geometry().left() > bar.fontMetrics().horizontalAdvance(message)

    for size in ((1280, 600), (window.minimumSizeHint().width(), 500)):
        window.resize(*size)
        qtbot.waitUntil(lambda size=size: window.width() == size[0])
        bar.showMessage(message, 60_000)
        qtbot.waitUntil(message_fits)
        bar.clearMessage()
        qtbot.waitUntil(lambda: model.maximumWidth() > 10_000)  # the name has its room back
