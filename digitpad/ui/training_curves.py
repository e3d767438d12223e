"""Live training curves, drawn with QPainter: training loss per step, validation accuracy per epoch.

PySide6-Essentials has no QtCharts; two small line plots need no more than a painter. The x axis is
the recipe's step count over all stages, so the stages follow one another as they do in the run.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

Point = tuple[float, float]


class TrainingCurves(QWidget):
    """Two plots side by side; `add_loss` and `add_accuracy` append points and repaint."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loss: list[Point] = []
        self.accuracy: dict[tuple[str, int], Point] = {}  # (stage, epoch) -> point: a resumed run retells epochs
        self.steps = 1
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Training curves")

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(640, 220)

    def clear(self) -> None:
        self.loss, self.accuracy, self.steps = [], {}, 1
        self.update()

    def add_loss(self, step: int, loss: float, steps: int) -> None:
        self.steps = max(steps, 1)
        if self.loss and step <= self.loss[-1][0]:  # a resumed run starts again from its checkpoint
            self.loss = [p for p in self.loss if p[0] < step]
        self.loss.append((float(step), loss))
        self.update()

    def add_accuracy(self, stage: str, epoch: int, step: int, accuracy: float, steps: int) -> None:
        self.steps = max(steps, 1)
        self.accuracy[(stage, epoch)] = (float(step), accuracy)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        half = self.width() / 2
        self._plot(painter, QRectF(0, 0, half - 6, self.height()), "training loss", self.loss, False)
        points = sorted(self.accuracy.values())
        self._plot(painter, QRectF(half + 6, 0, half - 6, self.height()), "validation accuracy", points, True)
        painter.end()

    def _plot(self, painter: QPainter, area: QRectF, title: str, points: list[Point], dots: bool) -> None:
        text = self.palette().color(QPalette.ColorRole.WindowText)
        metrics = painter.fontMetrics()
        line = metrics.height()
        painter.setPen(text)
        latest = f": {points[-1][1]:.4f}" if points else ": waiting for the first figures"
        painter.drawText(QRectF(area.left(), area.top(), area.width(), line), Qt.AlignmentFlag.AlignLeft,
                         title + latest)
        label_width = metrics.horizontalAdvance("0.0000") + 6
        box = QRectF(area.left() + label_width, area.top() + line + 4, area.width() - label_width - 4,
                     area.height() - 2 * line - 10)
        grid = QColor(text)
        grid.setAlpha(60)
        painter.setPen(QPen(grid, 1))
        painter.drawRect(box)
        painter.setPen(text)
        painter.drawText(QRectF(box.left(), box.bottom() + 2, box.width(), line), Qt.AlignmentFlag.AlignLeft, "0")
        if not points:
            return
        painter.drawText(QRectF(box.left(), box.bottom() + 2, box.width(), line), Qt.AlignmentFlag.AlignRight,
                         f"{self.steps:,} steps")
        low, high = min(p[1] for p in points), max(p[1] for p in points)
        if high - low < 1e-6:
            low, high = low - 0.01, high + 0.01
        for value, y in ((high, box.top()), (low, box.bottom() - line)):
            painter.drawText(QRectF(area.left(), y, label_width - 4, line), Qt.AlignmentFlag.AlignRight,
                             f"{value:.4f}" if dots else f"{value:.3f}")

        def at(point: Point) -> QPointF:
            x = box.left() + box.width() * min(point[0] / self.steps, 1.0)
            y = box.bottom() - box.height() * (point[1] - low) / (high - low)
            return QPointF(x, y)

        color = self.palette().color(QPalette.ColorRole.Highlight)
        painter.setPen(QPen(color, 2))
        painter.drawPolyline(QPolygonF([at(p) for p in points]))
        if dots:
            painter.setBrush(color)
            for point in points:
                painter.drawEllipse(at(point), 3.5, 3.5)
