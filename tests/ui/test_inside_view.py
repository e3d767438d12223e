"""Look Inside in the window: it follows the selected digit, shows the network's own layers, and its maps open up."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from digitpad.ink.drawing import Drawing
from digitpad.ui.inside_view import InsideWindow
from digitpad.ui.main_window import MainWindow
from tests import numpy_convnet
from tests.onnx_models import linear_model
from tests.ui.helpers import ANSWER_TIMEOUT_S, answered, draw_digit, open_model

pytestmark = pytest.mark.gui

TIMEOUT_MS = round(ANSWER_TIMEOUT_S * 1000)
SEVEN = [[300.0, 60.0], [400.0, 60.0], [340.0, 220.0]]
ONE = [[600.0, 60.0], [600.0, 220.0]]


def opened(window: MainWindow, qtbot) -> InsideWindow:  # noqa: ANN001 (qtbot)
    window.look_inside_action.trigger()
    inside = window.inside
    assert inside is not None and inside.isVisible()
    qtbot.waitUntil(lambda: inside.idle, timeout=TIMEOUT_MS)
    return inside


def shown_after(inside: InsideWindow, qtbot) -> None:  # noqa: ANN001 (qtbot)
    qtbot.waitUntil(lambda: inside.idle and inside.explanation is not None, timeout=TIMEOUT_MS)


def test_it_is_in_the_view_menu_with_a_shortcut(window: MainWindow) -> None:
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert window.look_inside_action in view.actions()
    assert window.look_inside_action.shortcut().toString() == "Ctrl+I"
    assert window.inside is None  # nothing is computed until it is opened


def test_it_shows_the_drawn_digit_as_the_network_computes_it(window: MainWindow, qtbot,  # noqa: ANN001
                                                             shipped_model: Path) -> None:
    inside = opened(window, qtbot)
    assert inside.explanation is None and "Write a digit" in inside.status.text()
    draw_digit(window.canvas, 7)
    shown_after(inside, qtbot)
    explanation = inside.explanation
    assert explanation is not None
    assert window.model_input.pixels is not None and np.array_equal(explanation.model_input, window.model_input.pixels)
    expected = numpy_convnet.layers(shipped_model, explanation.model_input)
    for name, values in expected.items():
        assert np.abs(inside.explanation.layers[name] - values).max() <= 1e-4, name
    assert f"reads {explanation.digit}" in inside.status.text() or "not sure" in inside.status.text()
    assert inside.overview.tile_rect("layer.conv1", 31) is not None


def test_a_clicked_map_opens_beside_its_filter_and_the_pointer_picks_the_patch(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    inside = opened(window, qtbot)
    draw_digit(window.canvas, 7)
    shown_after(inside, qtbot)
    for layer in ("layer.conv1", "layer.conv2", "layer.pool1"):
        rect = inside.overview.tile_rect(layer, 4)
        assert rect is not None
        QTest.mouseClick(inside.overview, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
        picture = inside.details.picture
        assert picture is not None and inside.overview.selected == (layer, 4)
        left, top, right, bottom = picture.map_box
        rows, cols = picture.map_shape
        cell_x, cell_y = (right - left) / cols, (bottom - top) / rows
        where = QPointF(left + cell_x * 3.5, top + cell_y * 2.5)
        # (QTest.mouseMove moves no pointer on the offscreen platform: the event a pointer makes, sent directly)
        QApplication.sendEvent(inside.details, QMouseEvent(QEvent.Type.MouseMove, where, where.toPoint(),
                                                           Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                                                           Qt.KeyboardModifier.NoModifier))
        assert inside.pointed == (2, 3)
        assert inside.details.picture is not None and inside.details.picture is not picture  # drawn for (2, 3)


def test_it_follows_the_selected_digit_of_a_number(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    inside = opened(window, qtbot)
    window.controller.open_drawing(Drawing([SEVEN, ONE], 840, 280))
    answered(window.controller)
    shown_after(inside, qtbot)
    window.select_digit(0)
    shown_after(inside, qtbot)
    assert inside.explanation is not None and inside.explanation.digit == 7
    assert inside.status.text().startswith("Digit 1 of 2")
    window.select_digit(1)
    qtbot.waitUntil(lambda: inside.idle and inside.explanation is not None and inside.explanation.digit == 1,
                    timeout=TIMEOUT_MS)


def test_a_model_without_layers_gets_its_why_map_and_a_note_on_re_exporting(window: MainWindow, qtbot,  # noqa: ANN001
                                                                             tmp_path: Path) -> None:
    assert open_model(qtbot, window, linear_model(tmp_path / "linear.onnx"), remember=False)
    inside = opened(window, qtbot)
    draw_digit(window.canvas, 1)
    shown_after(inside, qtbot)
    assert inside.explanation is not None and inside.explanation.layers == {}
    assert "does not expose layer.conv1" in inside.status.text()
    assert "add-layer-outputs" in inside.status.text()
    assert np.abs(inside.explanation.why.values).max() > 0


def test_a_closed_window_computes_nothing(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    inside = opened(window, qtbot)
    inside.close()
    draw_digit(window.canvas, 1)
    assert inside.idle and inside.explanation is None


def test_closed_while_it_computes_and_opened_again_it_shows_the_digit(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    inside = opened(window, qtbot)
    draw_digit(window.canvas, 7)  # the answer is in; Look Inside's picture is on its way
    inside.close()
    assert inside.idle
    window.look_inside_action.trigger()
    shown_after(inside, qtbot)
    assert inside.explanation is not None and window.model_input.pixels is not None
    assert np.array_equal(inside.explanation.model_input, window.model_input.pixels)
