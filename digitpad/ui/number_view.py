"""The number read, one clickable digit after another; the selected digit is the one explained.

Under the canvas: "4 0 7 1", each digit a cell. Clicking a cell (or the arrow keys, through the
window's actions) selects that digit; the window then shows its bars and model input. A digit the
model is unsure of is grayed with a question mark, as the answer shows a single unsure digit.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetricsF, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.reading.number import NumberReading
from digitpad.ui.chart import mix

#: The digits' font size as a multiple of the app font's.
DIGIT_SCALE = 2.2
#: Each digit's cell is this many times the digit's width.
CELL_SCALE = 1.5


class NumberView(QWidget):
    """Paints the digits of a `NumberReading`; emits `selected(index)` when one is clicked."""

    selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._number = NumberReading(())
        self._current: int | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Number read")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click a digit (or press ← →) to see its probabilities and what the model saw")

    @property
    def number(self) -> NumberReading:
        return self._number

    @property
    def current(self) -> int | None:
        """The selected digit's index, or None when there are no digits."""
        return self._current

    @property
    def text(self) -> str:
        """The number as shown: unsure digits carry a question mark."""
        return " ".join(f"{d.digit}{'' if d.prediction.confident else '?'}" for d in self._number.digits)

    def set_number(self, number: NumberReading, current: int | None) -> None:
        self._number = number
        self._current = current if number.digits else None
        unsure = sum(not d.prediction.confident for d in number.digits)
        description = f"{number.text}" + (f", {unsure} digit(s) not sure" if unsure else "")
        self.setAccessibleDescription(description if number.digits else "No digits yet")
        self.update()

    def _font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * DIGIT_SCALE)
        font.setBold(True)
        return font

    def sizeHint(self) -> QSize:
        return QSize(400, round(QFontMetricsF(self._font()).height() * 1.4))

    def minimumSizeHint(self) -> QSize:
        return QSize(200, self.sizeHint().height())

    def cell(self, index: int) -> QRectF:
        """Where digit `index` is drawn: the digits centered in a row of equal cells."""
        metrics = QFontMetricsF(self._font())
        width = metrics.horizontalAdvance("0") * CELL_SCALE
        left = (self.width() - width * len(self._number.digits)) / 2
        return QRectF(left + index * width, 0, width, self.height())

    def digit_at(self, position: QPointF) -> int | None:
        for index in range(len(self._number.digits)):
            if self.cell(index).contains(position):
                return index
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        index = self.digit_at(event.position())
        if index is not None and event.button() == Qt.MouseButton.LeftButton:
            self._current = index
            self.update()
            self.selected.emit(index)
            event.accept()
            return
        super().mousePressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        background = palette.color(QPalette.ColorRole.Window)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = self._font()
        for index, digit in enumerate(self._number.digits):
            cell = self.cell(index)
            if index == self._current:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(mix(background, highlight, 0.18))
                painter.drawRoundedRect(cell.adjusted(2, 3, -2, -3), 5, 5)
                painter.setPen(QPen(highlight, 2))
                painter.drawLine(
                    QPointF(cell.left() + 6, cell.bottom() - 4), QPointF(cell.right() - 6, cell.bottom() - 4)
                )
            sure = digit.prediction.confident
            painter.setFont(font)
            painter.setPen(text if sure else mix(background, text, 0.45))
            painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, str(digit.digit))
            if not sure:
                small = QFont(self.font())
                small.setBold(True)
                painter.setFont(small)
                painter.drawText(
                    cell.adjusted(0, 4, -3, 0), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, "?"
                )
        painter.end()
