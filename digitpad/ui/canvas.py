"""The drawing canvas: mouse, pen and touch in, round antialiased strokes out.

The canvas works in a fixed space of canvas pixels (the drawing's width x height: the app's page
is 840 x 280, `CANVAS_WIDTH` x `DEFAULT_CANVAS_SIZE`) and scales it to fit the widget, so the
recorded strokes, and hence the 28x28 model input, do not depend on the window size or the
screen's DPI. Finished strokes are painted once into a
pixmap at device resolution; `paintEvent` blits it and adds the stroke in progress.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QCursor,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
    QResizeEvent,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.ink.drawing import Drawing
from digitpad.ink.raster import segments
from digitpad.reading.number import NumberReading
from digitpad.ui.controller import Page

#: Space between the paper and the widget's edge, in device-independent pixels.
MARGIN = 8
PROMPT = "Write a digit or a number here"
#: When the pen lifts, the screen already shows the stroke as drawn: the repaint that moves it
#: into the finished strokes waits up to this long for the answer's (boxes, readings), so that
#: one paint serves both and the answer is not held up behind a paint.
STROKE_END_REPAINT_MS = 16


def ink_pen(color: QColor, width: float) -> QPen:
    """The app's pen: round caps and joins, as the core's rasterizer draws."""
    return QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)


def blended(color: QColor, alpha: float, background: QColor) -> QColor:
    """`color` at `alpha` over `background`, as one opaque color.

    Lines that lie on a plain background look the same either way, and Qt's raster engine strokes
    an opaque pen about ten times faster than a translucent one (an antialiased rectangle round the
    paper: 0.1 against 0.6 ms on this project's 2-core machine; it was a third of a canvas repaint)."""
    front, back = (color.red(), color.green(), color.blue()), (background.red(), background.green(), background.blue())
    return QColor(*(round(alpha * a + (1 - alpha) * b) for a, b in zip(front, back, strict=True)))


def rendered_paths(points: np.ndarray, drawing: Drawing) -> list[np.ndarray]:
    """The polylines the core rasterizes for a stroke of `drawing`: its points after thinning.

    Painting these rather than every raw point makes the canvas show exactly the path the model
    gets, even for jagged input where thinning moves the path by more than a hair. A stroke that
    leaves the canvas and comes back gives one polyline per visit (the core drops what is far off).
    """
    starts, ends = segments(Drawing((points,), drawing.width, drawing.height, drawing.pen_width))
    breaks = np.flatnonzero(np.abs(starts[1:] - ends[:-1]).max(axis=1, initial=0.0) > 0.01) + 1
    return [
        _without_straight_points(np.concatenate((run_starts[:1], run_ends)).astype(np.float64))
        for run_starts, run_ends in zip(np.split(starts, breaks), np.split(ends, breaks))
        if len(run_starts)
    ]


def _without_straight_points(path: np.ndarray) -> np.ndarray:
    """The core splits long segments into collinear pieces; Qt's stroker joins such pieces less
    cleanly than one straight segment, so drop points that lie straight on the line."""
    if len(path) < 3:
        return path
    before, after = path[1:-1] - path[:-2], path[2:] - path[1:-1]
    cross = before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0]
    dot = (before * after).sum(axis=1)
    straight = (np.abs(cross) <= 1e-6 * np.maximum(dot, 1e-12)) & (dot > 0)
    return path[np.concatenate(([True], ~straight, [True]))]


def paint_stroke(painter: QPainter, points: np.ndarray, drawing: Drawing) -> None:
    """One stroke of `drawing` with the painter's pen; a single point is a round dot."""
    for path in rendered_paths(points, drawing):
        if (path == path[0]).all():
            painter.drawPoint(QPointF(float(path[0, 0]), float(path[0, 1])))
        else:
            painter.drawPolyline(QPolygonF([QPointF(float(x), float(y)) for x, y in path]))


def paint_strokes(painter: QPainter, drawing: Drawing, ink: QColor, first_stroke: int = 0) -> None:
    """The drawing's strokes from `first_stroke` on, in canvas pixels (set the transform first)."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(ink_pen(ink, drawing.pen_width))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for stroke in drawing.strokes[first_stroke:]:
        paint_stroke(painter, stroke, drawing)


def render_drawing(drawing: Drawing, ink: QColor | None = None, paper: QColor | None = None) -> QImage:
    """The drawing as the canvas paints it, at one image pixel per canvas pixel (black on white)."""
    image = QImage(drawing.width, drawing.height, QImage.Format.Format_RGB32)
    image.fill(paper or QColor(Qt.GlobalColor.white))
    painter = QPainter(image)
    paint_strokes(painter, drawing, ink or QColor(Qt.GlobalColor.black))
    painter.end()
    return image


def pen_cursor(diameter: float, ratio: float) -> QCursor:
    """A ring the size of the pen's tip, so a person sees where the ink will go.

    Drawn twice, dark inside light, to stay visible on light and dark paper alike.
    """
    if diameter < 6:
        return QCursor(Qt.CursorShape.CrossCursor)
    side = int(np.ceil(diameter)) + 4
    pixmap = QPixmap(round(side * ratio), round(side * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    center = QPointF(side / 2, side / 2)
    for color, width, radius in (
        (QColor(255, 255, 255, 200), 3.0, diameter / 2),
        (QColor(0, 0, 0, 220), 1.0, diameter / 2),
    ):
        painter.setPen(QPen(color, width))
        painter.drawEllipse(center, radius, radius)
    painter.end()
    return QCursor(pixmap, side // 2, side // 2)


def ink_qimage(ink: np.ndarray, color: QColor) -> QImage:
    """An ink array (H, W) in [0, 1] as a QImage of `color` with the ink as its alpha."""
    alpha = np.clip(ink, 0.0, 1.0).astype(np.float32)
    height, width = alpha.shape
    rgba = np.empty((height, width, 4), np.uint8)  # premultiplied RGBA
    for channel, value in enumerate((color.red(), color.green(), color.blue())):
        rgba[..., channel] = np.round(alpha * value)
    rgba[..., 3] = np.round(alpha * 255)
    image = QImage(rgba.data, width, height, width * 4, QImage.Format.Format_RGBA8888_Premultiplied)
    return image.copy()  # own the pixels: `rgba` goes away when this returns


class DrawingCanvas(QWidget):
    """Records strokes in canvas pixels and shows the page; it never reads the drawing itself."""

    stroke_changed = Signal(object)  # np.ndarray (n, 2): the stroke in progress, canvas pixels
    stroke_finished = Signal(object)  # np.ndarray (n, 2): the whole stroke, pen lifted
    stroke_cancelled = Signal()  # the system took the touch away: forget the stroke

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._page = Page(Drawing())
        self._points: list[tuple[float, float]] | None = None  # the stroke in progress
        self._touch_id: int | None = None
        self._pixmap = QPixmap()
        self._pixmap_strokes = -1  # strokes already in the pixmap; -1: it must be repainted
        self._page_before_stroke = self._page  # what to show again if the system cancels a touch
        self._cursor_diameter = -1.0  # pen size, in widget pixels, that the cursor shows
        self._number = NumberReading(())  # the digits found, boxed on the paper
        self._selected: int | None = None
        self._stroke_ending = False  # between the pen lifting and the page that holds its stroke
        self._repaint_timer = QTimer(self)
        self._repaint_timer.setSingleShot(True)
        self._repaint_timer.setInterval(STROKE_END_REPAINT_MS)
        self._repaint_timer.timeout.connect(self.update)
        self.prompt = PROMPT  #: what a blank canvas says (Teach Me Your Hand asks for one digit)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 200)
        self.setAccessibleName("Drawing canvas")
        self.setAccessibleDescription("Write a digit or a number with the mouse, a pen or a finger.")

    def sizeHint(self) -> QSize:
        return QSize(900, 320)

    # -- what is shown ---------------------------------------------------------------------

    @property
    def page(self) -> Page:
        return self._page

    @property
    def is_drawing(self) -> bool:
        return self._points is not None

    def set_page(self, page: Page) -> None:
        """Show `page`; a stroke in progress is dropped (the page changed under it)."""
        grows = not self._page.is_image and not page.is_image and page.drawing.extends(self._page.drawing)
        if not grows:
            self._pixmap_strokes = -1
        self._page = page
        self._points = None
        self._update_cursor()
        if grows and self._stroke_ending:  # the stroke just drawn: on screen already
            self._repaint_timer.start()
        else:
            self.update()

    # -- the digits found (digitpad.reading.number) ---------------------------------------------------

    def set_number(self, number: NumberReading, selected: int | None) -> None:
        """Box each digit found, with its reading; the selected one stands out."""
        self._number, self._selected = number, selected
        self._repaint_timer.stop()
        self.update()

    def digit_rect(self, index: int) -> QRectF:
        """Digit `index`'s box in widget coordinates (an opened image's boxes are in its pixels)."""
        x0, y0, x1, y1 = self._number.digits[index].box
        drawing, ink = self._page.drawing, self._page.image_ink
        fit, left, top = 1.0, 0.0, 0.0
        if ink is not None:  # the image is fitted into the paper, centered (as _paint_image does)
            fit = min(drawing.width / ink.shape[1], drawing.height / ink.shape[0])
            left, top = (drawing.width - ink.shape[1] * fit) / 2, (drawing.height - ink.shape[0] * fit) / 2
        rect, scale = self.paper_rect(), self.scale()
        return QRectF(
            rect.x() + (left + x0 * fit) * scale,
            rect.y() + (top + y0 * fit) * scale,
            (x1 - x0) * fit * scale,
            (y1 - y0) * fit * scale,
        )

    def _paint_digit_boxes(self, painter: QPainter) -> None:
        palette = self.palette()
        paper = palette.color(QPalette.ColorRole.Base)
        highlight = blended(palette.color(QPalette.ColorRole.Highlight), 0.9, paper)
        muted = blended(palette.color(QPalette.ColorRole.PlaceholderText), 0.45, paper)
        font = painter.font()
        for index, digit in enumerate(self._number.digits):
            box = self.digit_rect(index).adjusted(-3, -3, 3, 3)
            chosen = index == self._selected
            color = highlight if chosen else muted
            painter.setPen(QPen(color, 2.0 if chosen else 1.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(box, 4, 4)
            font.setBold(chosen)
            painter.setFont(font)
            label = f"{digit.digit}" if digit.prediction.confident else f"{digit.digit}?"
            painter.drawText(QPointF(box.left() + 2, box.top() - 3), label)

    def paper_rect(self) -> QRectF:
        """Where the canvas's paper lies in the widget: the drawing's aspect, as large as fits."""
        drawing = self._page.drawing
        area = QRectF(self.contentsRect()).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        scale = max(min(area.width() / drawing.width, area.height() / drawing.height), 1e-3)
        width, height = drawing.width * scale, drawing.height * scale
        return QRectF(area.center().x() - width / 2, area.center().y() - height / 2, width, height)

    def scale(self) -> float:
        """Widget pixels per canvas pixel."""
        return self.paper_rect().width() / self._page.drawing.width

    def to_canvas(self, position: QPointF) -> tuple[float, float]:
        rect, scale = self.paper_rect(), self.scale()
        return (position.x() - rect.x()) / scale, (position.y() - rect.y()) / scale

    def _colors(self) -> tuple[QColor, QColor]:
        """(paper, ink) from the palette: dark ink on light paper, or light ink on dark paper."""
        palette = self.palette()
        return palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)

    # -- painting ----------------------------------------------------------------------------

    def _update_pixmap(self) -> None:
        rect = self.paper_rect()
        ratio = self.devicePixelRatioF()
        size = QSize(max(round(rect.width() * ratio), 1), max(round(rect.height() * ratio), 1))
        paper, ink = self._colors()
        drawing = self._page.drawing
        if self._pixmap.size() != size:
            self._pixmap_strokes = -1
        if self._pixmap_strokes == len(drawing.strokes):
            return
        if self._pixmap_strokes < 0:
            self._pixmap = QPixmap(size)
            self._pixmap.fill(paper)
            self._pixmap_strokes = 0
        self._pixmap.setDevicePixelRatio(ratio)
        painter = QPainter(self._pixmap)
        painter.scale(rect.width() / drawing.width, rect.height() / drawing.height)
        if self._page.image_ink is not None:
            self._paint_image(painter, self._page.image_ink, ink)
        paint_strokes(painter, drawing, ink, self._pixmap_strokes)
        painter.end()
        self._pixmap_strokes = len(drawing.strokes)

    def _paint_image(self, painter: QPainter, ink_array: np.ndarray, ink: QColor) -> None:
        """An opened image's ink, fitted into the paper with its aspect kept."""
        drawing = self._page.drawing
        height, width = ink_array.shape
        fit = min(drawing.width / width, drawing.height / height)
        size_x, size_y = width * fit, height * fit
        target = QRectF((drawing.width - size_x) / 2, (drawing.height - size_y) / 2, size_x, size_y)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, ink_qimage(ink_array, ink))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        self._update_pixmap()
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.Window))
        rect = self.paper_rect()
        painter.drawPixmap(rect.topLeft(), self._pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        frame = blended(palette.color(QPalette.ColorRole.Text), 0.3, palette.color(QPalette.ColorRole.Window))
        painter.setPen(QPen(frame, 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5))
        if self._number.digits and not self._page.is_blank:
            self._paint_digit_boxes(painter)
        if self._points:
            painter.translate(rect.topLeft())
            painter.scale(self.scale(), self.scale())
            painter.setPen(ink_pen(self._colors()[1], self._page.drawing.pen_width))
            paint_stroke(painter, np.asarray(self._points), self._page.drawing)
        elif self._page.is_blank:
            self._paint_prompt(painter, rect)
        painter.end()

    def _paint_prompt(self, painter: QPainter, rect: QRectF) -> None:
        font = painter.font()
        font.setPointSizeF(max(font.pointSizeF() * 1.4, 11.0))
        painter.setFont(font)
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.prompt)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        self._pixmap_strokes = -1
        self._update_cursor()
        super().resizeEvent(event)

    def _update_cursor(self) -> None:
        diameter = self._page.drawing.pen_width * self.scale()
        if diameter != self._cursor_diameter:
            self._cursor_diameter = diameter
            self.setCursor(pen_cursor(diameter, self.devicePixelRatioF()))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() in (event.Type.PaletteChange, event.Type.StyleChange):
            self._pixmap_strokes = -1
            self.update()
        super().changeEvent(event)

    # -- input -------------------------------------------------------------------------------

    def _begin(self, position: QPointF) -> None:
        self._points = [self.to_canvas(position)]
        self._page_before_stroke = self._page
        if self._page.is_image:  # a stroke on an opened image starts a new drawing
            self._page = Page(self._page.drawing.cleared())
            self._pixmap_strokes = -1
            self.update()
        self.stroke_changed.emit(np.asarray(self._points))
        self._update_around(len(self._points) - 1)

    def _extend(self, position: QPointF) -> None:
        if self._points is None:
            return
        point = self.to_canvas(position)
        if point == self._points[-1]:
            return
        self._points.append(point)
        self.stroke_changed.emit(np.asarray(self._points))
        self._update_around(len(self._points) - 2)

    def _end(self, position: QPointF | None = None) -> None:
        if self._points is None:
            return
        if position is not None:
            self._extend(position)
        points, self._points = np.asarray(self._points), None
        self._stroke_ending = True
        try:
            self.stroke_finished.emit(points)  # the controller answers with set_page()
        finally:
            self._stroke_ending = False
        self._repaint_timer.start()  # refused, or no answer to come: the repaint still comes soon

    def _update_around(self, first: int) -> None:
        """Repaint only the part of the widget that the newest segment touches."""
        assert self._points is not None
        xs, ys = zip(*self._points[max(first, 0) :])
        rect, scale = self.paper_rect(), self.scale()
        pad = self._page.drawing.pen_width / 2 + 2
        area = QRectF(
            rect.x() + (min(xs) - pad) * scale,
            rect.y() + (min(ys) - pad) * scale,
            (max(xs) - min(xs) + 2 * pad) * scale,
            (max(ys) - min(ys) + 2 * pad) * scale,
        )
        self.update(area.toAlignedRect().adjusted(-1, -1, 1, 1))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if self._points is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._extend(event.position())
            event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() == Qt.MouseButton.LeftButton:
            self._end(event.position())
            event.accept()

    def tabletEvent(self, event: QTabletEvent) -> None:  # noqa: N802 (Qt override)
        """Pen input with sub-pixel positions; accepted, so Qt sends no mouse events for it."""
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress:
            self._begin(event.position())
        elif kind == QTabletEvent.Type.TabletMove:
            self._extend(event.position())
        elif kind == QTabletEvent.Type.TabletRelease:
            self._end(event.position())
        event.accept()

    def event(self, event: QEvent) -> bool:  # Qt override
        """Touch: the first finger draws; more fingers are ignored."""
        if isinstance(event, QTouchEvent):
            kind = event.type()
            points = event.points()
            if kind == QTouchEvent.Type.TouchBegin and points:
                self._touch_id = points[0].id()
                self._begin(points[0].position())
            elif kind in (QTouchEvent.Type.TouchUpdate, QTouchEvent.Type.TouchEnd):
                for point in points:
                    if point.id() == self._touch_id:
                        (self._extend if kind == QTouchEvent.Type.TouchUpdate else self._end)(point.position())
                if kind == QTouchEvent.Type.TouchEnd:
                    self._end()
                    self._touch_id = None
            elif kind == QTouchEvent.Type.TouchCancel and self._points is not None:
                self._touch_id = None
                self.set_page(self._page_before_stroke)  # an opened image comes back
                self.stroke_cancelled.emit()
            event.accept()
            return True
        return super().event(event)
