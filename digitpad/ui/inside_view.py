"""Look Inside: a window that shows the selected digit going through the network, live.

The pictures come from the core (`digitpad.reading.explain`, `digitpad.reading.inside_picture`);
they are computed and drawn on a worker thread of their own, the latest request winning, so the
canvas and the answer never wait for them. The GUI thread only shows the finished image and,
when a feature map is clicked, its small detail picture (the map, its filter, the patch under
the pointer).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image
from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from digitpad.model.classifier import Classifier
from digitpad.reading.explain import Explanation, explain
from digitpad.reading.inside_picture import Detail, Overview, Tile, answer_line, detail, missing_line, overview
from digitpad.reading.prediction import Prediction
from digitpad.ui.worker import Outcome, Worker

#: Longest a Look Inside stage waits for an answer being computed to finish (a slow model's answer
#: may take seconds: the picture then goes ahead).
ANSWER_FIRST_SECONDS = 0.1
HINT = "Click a feature map to see it beside its filter; move the pointer over it to see the patch it read."


def to_qimage(image: Image.Image) -> QImage:
    """A Pillow RGB image as a QImage that owns its pixels (safe to make on any thread), in the format
    Qt paints without converting (32-bit RGB): the conversion is done once, here, not at every paint."""
    rgb = image.convert("RGB")
    data = rgb.tobytes()
    packed = QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888)
    return packed.convertToFormat(QImage.Format.Format_RGB32)


@dataclass(frozen=True, eq=False)
class Shown:
    """One finished request: the explanation, its overview picture, and how long they took."""

    number: int
    explanation: Explanation | None
    overview: Overview | None
    image: QImage
    error: str | None
    seconds: float  #: from the request to the finished picture
    cpu_seconds: float = 0.0  #: of that, the worker thread's own CPU time (the rest is waiting for a core)


def _wait_while(busy: Callable[[], bool]) -> None:
    """Let an answer being computed finish first (a few milliseconds), up to ANSWER_FIRST_SECONDS."""
    deadline = time.perf_counter() + ANSWER_FIRST_SECONDS
    while busy() and time.perf_counter() < deadline:
        time.sleep(0.002)


def _look(number: int, classifier: Classifier, prediction: Prediction, start: float,
          superseded: Callable[[], bool], busy: Callable[[], bool]) -> Shown:
    """The worker's job (its exceptions become the Outcome's error).

    Each of its two stages (the model runs, the picture) starts only when no answer is being
    computed, so that a pen lifted meanwhile gets its answer first; a job that a newer request
    replaced is not drawn at all (a Shown without an explanation)."""
    cpu = time.thread_time()
    _wait_while(busy)
    explanation = explain(classifier, prediction.model_input)
    if superseded():
        return Shown(number, None, None, QImage(), None, time.perf_counter() - start, time.thread_time() - cpu)
    _wait_while(busy)
    picture = overview(explanation)
    image = to_qimage(picture.image)
    return Shown(number, explanation, picture, image, None, time.perf_counter() - start, time.thread_time() - cpu)


class OverviewWidget(QWidget):
    """Paints the overview picture; a click on a feature-map tile emits `clicked(Tile)`."""

    clicked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = QImage()
        self._overview: Overview | None = None
        self.selected: tuple[str, int] | None = None
        self.setMouseTracking(True)
        self.setAccessibleName("The network's layers")

    def show_picture(self, picture: Overview | None, image: QImage) -> None:
        self._overview, self._image = picture, image
        self.setFixedSize(image.size() if not image.isNull() else QSize(1, 1))
        self.update()

    def tile_rect(self, layer: str, channel: int) -> QRect | None:
        """Where a map's tile is, in widget coordinates (for tests and a person's pointer alike)."""
        tile = next((t for t in self._overview.tiles if (t.layer, t.channel) == (layer, channel)), None) \
            if self._overview else None
        if tile is None:
            return None
        left, top, right, bottom = tile.box
        return QRect(left, top, right - left, bottom - top)

    def _tile(self, point: QPoint) -> Tile | None:
        return self._overview.tile_at(point.x(), point.y()) if self._overview else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        over = self._tile(event.position().toPoint())
        self.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor)
        self.setToolTip(f"{over.layer.removeprefix('layer.')} map {over.channel + 1}: click to enlarge" if over else "")

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        tile = self._tile(event.position().toPoint())
        if tile is not None:
            self.selected = (tile.layer, tile.channel)
            self.update()
            self.clicked.emit(tile)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        if not self._image.isNull():
            exposed = event.rect()  # only what the scroll area shows: the picture is taller than the window
            painter.drawImage(exposed, self._image, exposed)
        rect = self.tile_rect(*self.selected) if self.selected else None
        if rect is not None:
            painter.setPen(QPen(QColor(0, 200, 255), 3))
            painter.drawRect(rect.adjusted(-2, -2, 1, 1))
        painter.end()


class DetailWidget(QWidget):
    """Paints the clicked map's detail; the pointer over the enlarged map picks the pixel explained."""

    pointed = Signal(int, int)  # (row, column) of the layer pixel under the pointer

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = QImage()
        self.picture: Detail | None = None
        self.setMouseTracking(True)
        self.setFixedWidth(560)
        self.setMinimumHeight(200)
        self.setAccessibleName("The selected feature map, its filter and the patch it read")

    def show_picture(self, picture: Detail | None) -> None:
        self.picture = picture
        self._image = QImage() if picture is None else to_qimage(picture.image)
        self.setMinimumHeight(max(200, self._image.height()))
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if self.picture is not None:
            pixel = self.picture.pixel_at(event.position().x(), event.position().y())
            if pixel is not None:
                self.pointed.emit(*pixel)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        if not self._image.isNull():
            painter.drawImage(0, 0, self._image)
        painter.end()


class InsideWindow(QWidget):
    """Look Inside: follows the digit the main window explains (`follow`), computed off the GUI thread."""

    shown = Signal(object)  # Shown: a picture is on screen (for the benchmark and the tests)

    def __init__(self, parent: QWidget | None = None, busy: Callable[[], bool] = lambda: False) -> None:
        """`busy` says, from any thread, whether an answer is being computed: Look Inside lets it go first."""
        super().__init__(parent, Qt.WindowType.Window)
        self._busy = busy
        self.setWindowTitle("Look Inside — digitpad")
        self.status = QLabel("Write a digit to look inside the network.")
        self.status.setWordWrap(True)
        self.overview = OverviewWidget()
        self.overview.clicked.connect(self._select)
        self.details = DetailWidget()
        self.details.pointed.connect(self._point)
        self.hint = QLabel(HINT)
        self.hint.setWordWrap(True)
        scroll = QScrollArea()
        scroll.setWidget(self.overview)
        scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        side = QVBoxLayout()
        side.addWidget(self.hint)
        side.addWidget(self.details)
        side.addStretch()
        body = QHBoxLayout()
        body.addWidget(scroll, 1)
        body.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addLayout(body, 1)
        self.resize(1600, 900)
        self._worker = Worker("digitpad-look-inside", latest_wins=True, parent=self)
        self._worker.finished.connect(self._deliver)
        self._requests = 0
        self._answered = 0
        self._wanted: tuple[Classifier, Prediction, str] | None = None
        self.explanation: Explanation | None = None
        self._selected: tuple[str, int] | None = None
        self._point_at: tuple[int, int] | None = None
        self._scheduled = False  # a request waits for the next turn of the event loop

    @property
    def pointed(self) -> tuple[int, int] | None:
        """The pixel (row, column) of the enlarged map that the pointer picked (None: the map's strongest)."""
        return self._point_at

    @property
    def idle(self) -> bool:
        """True when the picture for the latest request is on screen (or none was asked for)."""
        return not self._scheduled and self._answered == self._requests

    def follow(self, classifier: Classifier | None, prediction: Prediction | None, where: str = "") -> None:
        """Show `prediction`'s input going through `classifier` (None: nothing to show; `where`: which digit).

        The work starts at the next turn of the event loop, once every view of the window shows the
        answer: the answer comes first, and several calls in one turn cost one picture."""
        self._wanted = None if classifier is None or prediction is None else (classifier, prediction, where)
        if self.isVisible() and not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self._request)

    def showEvent(self, event: object) -> None:  # noqa: N802 (Qt override)
        self._request()

    def closeEvent(self, event: object) -> None:  # noqa: N802 (Qt override)
        self._worker.discard()  # what waits is not wanted any more, and what runs is dropped when it ends
        self._scheduled = False  # (the turn of the event loop it waited for finds the window closed)
        self._requests += 1
        self._answered = self._requests

    def shutdown(self) -> None:
        self._worker.stop()

    def _request(self) -> None:
        self._scheduled = False
        if not self.isVisible():  # closed since: nothing is computed for a window nobody sees
            return
        if self._wanted is None:
            self._requests += 1
            self._answered = self._requests
            self.explanation = None
            self.status.setText("Write a digit to look inside the network.")
            self.overview.show_picture(None, QImage())
            self.details.show_picture(None)
            return
        classifier, prediction, _ = self._wanted
        self._requests += 1
        number, start = self._requests, time.perf_counter()
        worker, busy = self._worker, self._busy
        self._worker.submit(lambda: _look(number, classifier, prediction, start, lambda: worker.has_waiting, busy),
                            tag=(number, start))

    @Slot(object)
    def _deliver(self, outcome: Outcome) -> None:
        tag = outcome.job.tag
        assert isinstance(tag, tuple)
        number, start = int(tag[0]), float(tag[1])  # set by _request
        if outcome.error is not None:
            shown = Shown(number, None, None, QImage(), outcome.message, outcome.finished_at - start)
        else:
            assert isinstance(outcome.result, Shown)
            shown = outcome.result
        self._answered = max(self._answered, shown.number)
        if shown.number != self._requests:
            return  # an older digit's: a newer one is on its way
        where = self._wanted[2] if self._wanted else ""
        if shown.error is None and shown.explanation is None:
            return  # dropped by the worker for a newer request
        if shown.error is not None or shown.explanation is None:
            self.status.setText(f"Cannot look inside: {shown.error}")
            self.shown.emit(shown)
            return
        self.explanation = shown.explanation
        self.status.setText(f"{where}{self._headline(shown.explanation)}   (computed in {shown.seconds * 1000:.0f} ms)")
        self.overview.show_picture(shown.overview, shown.image)
        self._show_detail()
        self.shown.emit(shown)

    @staticmethod
    def _headline(explanation: Explanation) -> str:
        return answer_line(explanation) + (f" {missing_line(explanation)}" if explanation.missing else "")

    @Slot(object)
    def _select(self, tile: Tile) -> None:
        self._selected, self._point_at = (tile.layer, tile.channel), None
        self._show_detail()

    @Slot(int, int)
    def _point(self, row: int, column: int) -> None:
        if self._point_at != (row, column):
            self._point_at = (row, column)
            self._show_detail()

    def select_map(self, layer: str, channel: int, point: tuple[int, int] | None = None) -> None:
        """Enlarge one map, as a click on its tile does (`point`: as the pointer over it)."""
        self._selected, self._point_at = (layer, channel), point
        self.overview.selected = self._selected
        self.overview.update()
        self._show_detail()

    def _show_detail(self) -> None:
        explanation = self.explanation
        if explanation is None or self._selected is None or self._selected[0] not in explanation.layers:
            self.details.show_picture(None)
            return
        layer, channel = self._selected
        self.details.show_picture(detail(explanation, layer, channel, self._point_at))
