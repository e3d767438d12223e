"""The canvas: what it records, what it paints, and that it paints what the model reads."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QInputDevice, QPalette, QPointingDevice, QTabletEvent, QTouchEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from digitpad.ink.drawing import Drawing
from digitpad.ink.model_input import drawing_input
from digitpad.ink.normalize import normalize
from digitpad.ink.raster import rasterize
from digitpad.reading.number import NumberReading
from digitpad.ui.canvas import DrawingCanvas, render_drawing
from digitpad.ui.controller import Page
from tests.ui.helpers import ANSWER_TIMEOUT_MS, DIGITS, drag, ellipse, to_widget

pytestmark = pytest.mark.gui

#: Largest difference, in gray levels of 255, allowed between a pixel of the 28x28 input made
#: from the canvas's painting and the one made by the core. Measured on 400 UNIPEN pen digits
#: scaled onto the canvas: median of the per-digit maximum 3.4, 99th percentile 10.6, worst 14.9.
#: The two antialias edges differently (Qt's scanline coverage vs the core's distance ramp, and
#: Qt's flattened round joins); averaging 10x10 canvas pixels into one input pixel hides most of it.
MAX_GRAY_LEVELS = 20
#: ...and the mean difference over the 28x28 input is far smaller (measured: under 1 level).
MEAN_GRAY_LEVELS = 1.5


def qimage_ink(image: QImage) -> np.ndarray:
    """Ink coverage (1 = black) of a black-on-white QImage."""
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    height, width, stride = gray.height(), gray.width(), gray.bytesPerLine()
    pixels = np.frombuffer(gray.constBits(), np.uint8, count=height * stride).reshape(height, stride)[:, :width]
    return 1.0 - pixels.astype(np.float32) / 255


def jagged(seed: int) -> list[np.ndarray]:
    """A scribble with the jitter of a cheap tablet, to test more than smooth curves."""
    rng = np.random.default_rng(seed)
    base = ellipse(140, 150, 50, 80, turns=0.8, count=90)
    return [base + rng.normal(0, 1.5, base.shape), np.array([[130.0, 40.0]])]


@pytest.mark.parametrize(
    "strokes",
    [DIGITS[0], DIGITS[1], DIGITS[4], DIGITS[7], jagged(1), jagged(2)],
    ids=["0", "1", "4", "7", "jagged-1", "jagged-2"],
)
def test_canvas_painting_and_core_give_the_same_28x28_input(qapp, strokes: list[np.ndarray]) -> None:  # noqa: ANN001
    drawing = Drawing(strokes)
    painted = qimage_ink(render_drawing(drawing))  # the canvas's QPainter code at scale 1
    from_canvas = normalize(painted, drawing.ink_bounds())
    from_core = drawing_input(drawing)
    difference = np.abs(from_canvas - from_core) * 255
    assert difference.max() <= MAX_GRAY_LEVELS
    assert difference.mean() <= MEAN_GRAY_LEVELS
    # The full-size pictures agree too, apart from single edge pixels.
    assert (np.abs(painted - rasterize(drawing)) > 0.25).mean() < 0.002


@pytest.fixture
def canvas(qtbot) -> DrawingCanvas:  # noqa: ANN001
    made = DrawingCanvas()
    qtbot.addWidget(made)
    made.resize(500, 400)
    made.show()
    qtbot.waitExposed(made)
    return made


def record(canvas: DrawingCanvas) -> list[np.ndarray]:
    finished: list[np.ndarray] = []
    canvas.stroke_finished.connect(finished.append)
    return finished


def test_strokes_are_recorded_in_canvas_pixels_whatever_the_widget_size(canvas: DrawingCanvas) -> None:
    finished = record(canvas)
    stroke = DIGITS[7][0]
    drag(canvas, stroke)
    canvas.resize(900, 700)
    drag(canvas, stroke)
    assert len(finished) == 2
    for points in finished:
        assert points.shape == stroke.shape
        assert np.abs(points - stroke).max() <= 1.0 / canvas.scale() + 1e-9  # mouse positions are whole widget pixels
    assert np.abs(finished[0] - finished[1]).max() <= 2.0


def test_live_points_are_sent_while_drawing(canvas: DrawingCanvas) -> None:
    live: list[np.ndarray] = []
    canvas.stroke_changed.connect(live.append)
    drag(canvas, DIGITS[1][0], release=False)
    assert canvas.is_drawing
    assert len(live) > 10 and len(live[-1]) == len(live)


def test_a_click_is_a_dot(canvas: DrawingCanvas) -> None:
    finished = record(canvas)
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to_widget(canvas, 140, 140))
    assert len(finished) == 1 and finished[0].shape == (1, 2)


def test_touch_draws_with_the_first_finger(canvas: DrawingCanvas) -> None:
    finished = record(canvas)
    device = QTest.createTouchDevice()
    stroke = DIGITS[1][0][::6]
    QTest.touchEvent(canvas, device).press(0, to_widget(canvas, *stroke[0])).commit()
    for x, y in stroke[1:]:
        QTest.touchEvent(canvas, device).move(0, to_widget(canvas, x, y)).commit()
    QTest.touchEvent(canvas, device).release(0, to_widget(canvas, *stroke[-1])).commit()
    assert len(finished) == 1 and finished[0].shape == stroke.shape
    # Offscreen, QTest's touch points land shifted by the window's frame offset (2 px): compare
    # the strokes' shapes, and allow that shift.
    shift = finished[0][0] - stroke[0]
    assert np.abs(shift).max() <= 2.5 / canvas.scale()
    assert np.abs(finished[0] - stroke - shift).max() <= 1.0 / canvas.scale() + 1e-9


def test_a_pen_draws_with_sub_pixel_positions(canvas: DrawingCanvas) -> None:
    finished = record(canvas)
    stylus = QPointingDevice(
        "test stylus",
        1,
        QInputDevice.DeviceType.Stylus,
        QPointingDevice.PointerType.Pen,
        QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
        1,
        1,
    )
    stroke = [(100.25, 90.5), (130.75, 150.5), (140.5, 200.25)]
    kinds = [QTabletEvent.Type.TabletPress, QTabletEvent.Type.TabletMove, QTabletEvent.Type.TabletRelease]
    for kind, (x, y) in zip(kinds, stroke):
        held = Qt.MouseButton.NoButton if kind == QTabletEvent.Type.TabletRelease else Qt.MouseButton.LeftButton
        event = QTabletEvent(
            kind,
            stylus,
            QPointF(x, y),
            canvas.mapToGlobal(QPointF(x, y)),
            0.5,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            Qt.KeyboardModifier.NoModifier,
            Qt.MouseButton.LeftButton,
            held,
        )
        QApplication.sendEvent(canvas, event)
        assert event.isAccepted()  # so Qt makes no mouse events out of it
    assert len(finished) == 1
    rect, scale = canvas.paper_rect(), canvas.scale()
    expected = [((x - rect.x()) / scale, (y - rect.y()) / scale) for x, y in stroke]
    assert np.allclose(finished[0], expected)


def test_a_cancelled_touch_leaves_no_stroke_and_brings_back_an_opened_image(canvas: DrawingCanvas) -> None:
    finished, cancelled = record(canvas), []
    canvas.stroke_cancelled.connect(lambda: cancelled.append(True))
    image_page = Page(Drawing(), is_image=True, image_ink=np.eye(10, dtype=np.float32))
    canvas.set_page(image_page)
    device = QTest.createTouchDevice()
    QTest.touchEvent(canvas, device).press(0, to_widget(canvas, 100, 100)).commit()
    QTest.touchEvent(canvas, device).move(0, to_widget(canvas, 120, 150)).commit()
    assert canvas.is_drawing and not canvas.page.is_image  # drawing on an image starts a new drawing
    QApplication.sendEvent(canvas, QTouchEvent(QTouchEvent.Type.TouchCancel, device))
    assert cancelled and finished == [] and not canvas.is_drawing
    assert canvas.page is image_page


def pixel_at(canvas: DrawingCanvas, x: float, y: float) -> QColor:
    image = canvas.grab().toImage()
    ratio = image.devicePixelRatio()
    point = to_widget(canvas, x, y)
    return image.pixelColor(QPoint(round(point.x() * ratio), round(point.y() * ratio)))


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_ink_and_paper_follow_the_palette(canvas: DrawingCanvas, dark: bool) -> None:
    palette = canvas.palette()
    paper, ink = (QColor("#202124"), QColor("#e8eaed")) if dark else (QColor("#ffffff"), QColor("#000000"))
    palette.setColor(QPalette.ColorRole.Base, paper)
    palette.setColor(QPalette.ColorRole.Text, ink)
    canvas.setPalette(palette)
    canvas.set_page(Page(Drawing(DIGITS[1])))
    assert pixel_at(canvas, 140, 140) == ink  # on the stroke
    assert pixel_at(canvas, 60, 140) == paper  # beside it


def test_a_new_page_drops_the_stroke_in_progress(canvas: DrawingCanvas) -> None:
    finished = record(canvas)
    drag(canvas, DIGITS[1][0], release=False)
    canvas.set_page(Page(Drawing()))
    assert not canvas.is_drawing
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to_widget(canvas, 140, 230))
    assert finished == []


def test_a_wide_drawing_keeps_its_aspect(canvas: DrawingCanvas) -> None:
    canvas.set_page(Page(Drawing(width=560, height=280)))
    rect = canvas.paper_rect()
    assert rect.width() == pytest.approx(2 * rect.height())


class PaintCounter(QObject):
    """Counts the paint events a widget gets."""

    def __init__(self, widget: DrawingCanvas) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        self.count += event.type() == QEvent.Type.Paint
        return False


def test_a_finished_stroke_is_repainted_with_the_answer_or_soon_without_one(qtbot, canvas: DrawingCanvas) -> None:  # noqa: ANN001
    """When the pen lifts the screen already shows the stroke: its repaint waits for the answer's
    (one paint for both, the answer not held up behind a paint), and comes anyway when none does."""
    pages: list[Page] = []
    canvas.stroke_finished.connect(lambda points: pages.append(Page(Drawing([points]))) or canvas.set_page(pages[-1]))
    paints = PaintCounter(canvas)
    drag(canvas, DIGITS[1][0])
    assert canvas.page is pages[-1]
    qtbot.waitUntil(lambda: paints.count > 0, timeout=ANSWER_TIMEOUT_MS)  # no answer comes: painted all the same
    painted = paints.count
    drag(canvas, DIGITS[7][0])
    canvas.set_number(NumberReading(()), None)  # the answer: it is painted now
    qtbot.waitUntil(lambda: paints.count > painted, timeout=ANSWER_TIMEOUT_MS)
