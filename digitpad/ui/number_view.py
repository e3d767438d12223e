"""The number read, one clickable digit after another; the selected digit is the one explained.

Under the canvas: "4 0 7 1", each digit a cell. Clicking a cell (or the arrow keys, through the
window's actions) selects that digit; the window then shows its bars and model input. A digit the
model is unsure of is grayed, with a question mark beside it, as the answer shows a single unsure
digit.

In a narrow window the digits first shrink (down to `MIN_SHRINK` of their size); past that the row
scrolls so that the selected digit is always in view, the cut-off side marked with a fade.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QLinearGradient,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.reading.number import NumberReading
from digitpad.ui.chart import mix

#: The digits' font size as a multiple of the app font's.
DIGIT_SCALE = 2.2
#: The question mark of an unsure digit, as a fraction of the digit's font size.
MARK_SCALE = 0.7
#: Room around a digit (and its mark) in its cell, as a fraction of the digit's width.
CELL_PADDING = 0.45
#: How small the digits may get to fit the row before it scrolls instead.
MIN_SHRINK = 0.6
#: Width of the fade that marks a side of the row cut off by scrolling, in pixels.
FADE = 18


@dataclass(frozen=True)
class RowLayout:
    """Where the cells go: their width, the digits' font scale, and the first cell's left edge."""

    cell_width: float
    scale: float
    left: float


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
        description = f"{number.text}" + (f", {unsure} digit{'s' if unsure != 1 else ''} not sure" if unsure else "")
        self.setAccessibleDescription(description if number.digits else "No digits yet")
        self.update()

    def _font(self, scale: float = 1.0) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * DIGIT_SCALE * scale)
        font.setBold(True)
        return font

    def _mark_font(self, scale: float = 1.0) -> QFont:
        font = self._font(scale)
        font.setPointSizeF(font.pointSizeF() * MARK_SCALE)
        return font

    def _natural_cell_width(self) -> float:
        """A cell at full size: a digit and the room for an unsure digit's mark, padded."""
        digit = QFontMetricsF(self._font()).horizontalAdvance("0")
        mark = QFontMetricsF(self._mark_font()).horizontalAdvance("?")
        return digit * (1 + CELL_PADDING) + mark

    def sizeHint(self) -> QSize:
        return QSize(400, round(QFontMetricsF(self._font()).height() * 1.4))

    def minimumSizeHint(self) -> QSize:
        return QSize(round(self._natural_cell_width() * 3), self.sizeHint().height())

    def row_layout(self) -> RowLayout:
        """Shrink the digits to fit the width; past `MIN_SHRINK`, scroll to keep the selected one in view."""
        count = len(self._number.digits)
        natural = self._natural_cell_width()
        if count == 0:
            return RowLayout(natural, 1.0, 0.0)
        scale = max(MIN_SHRINK, min(1.0, self.width() / (natural * count)))
        width = natural * scale
        total = width * count
        if total <= self.width():
            return RowLayout(width, scale, (self.width() - total) / 2)
        selected = self._current or 0
        # The selected cell in the middle where it can be, the row's ends never pulled inward.
        left = self.width() / 2 - (selected + 0.5) * width
        return RowLayout(width, scale, min(0.0, max(self.width() - total, left)))

    def cell(self, index: int) -> QRectF:
        """Where digit `index` is drawn: the digits centered (or scrolled) in a row of equal cells."""
        layout = self.row_layout()
        return QRectF(layout.left + index * layout.cell_width, 0, layout.cell_width, self.height())

    def glyph_rects(self, index: int) -> tuple[QRectF, QRectF]:
        """The digit's box and its question mark's box (beside it, never over it) in cell `index`."""
        layout = self.row_layout()
        cell = self.cell(index)
        digit_metrics = QFontMetricsF(self._font(layout.scale))
        mark_metrics = QFontMetricsF(self._mark_font(layout.scale))
        digit_width = digit_metrics.horizontalAdvance("0")
        mark_width = mark_metrics.horizontalAdvance("?")
        left = cell.center().x() - (digit_width + mark_width) / 2
        top = cell.center().y() - digit_metrics.height() / 2
        digit = QRectF(left, top, digit_width, digit_metrics.height())
        # The mark's top lines up with the digit's: a superscript, as in "7?".
        mark_top = top + (digit_metrics.ascent() - digit_metrics.capHeight()) - (
            mark_metrics.ascent() - mark_metrics.capHeight())
        mark = QRectF(digit.right(), mark_top, mark_width, mark_metrics.height())
        return digit, mark

    def is_visible(self, index: int) -> bool:
        """Whether cell `index` is wholly inside the row (not scrolled out of view)."""
        cell = self.cell(index)
        return cell.left() >= -0.5 and cell.right() <= self.width() + 0.5

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
        layout = self.row_layout()
        font, mark_font = self._font(layout.scale), self._mark_font(layout.scale)
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
            digit_box, mark_box = self.glyph_rects(index)
            painter.setFont(font)
            painter.setPen(text if sure else mix(background, text, 0.45))
            painter.drawText(digit_box, Qt.AlignmentFlag.AlignCenter, str(digit.digit))
            if not sure:
                painter.setFont(mark_font)
                painter.setPen(mix(background, text, 0.7))
                painter.drawText(mark_box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, "?")
        self._paint_fades(painter, background)
        painter.end()

    def _paint_fades(self, painter: QPainter, background: QColor) -> None:
        """A fade on each side where scrolling cut digits off: there is more that way."""
        count = len(self._number.digits)
        if not count:
            return
        clear = QColor(background)
        clear.setAlpha(0)
        if self.cell(0).left() < -0.5:
            fade = QLinearGradient(0, 0, FADE, 0)
            fade.setColorAt(0, background)
            fade.setColorAt(1, clear)
            painter.fillRect(QRectF(0, 0, FADE, self.height()), fade)
        if self.cell(count - 1).right() > self.width() + 0.5:
            fade = QLinearGradient(self.width() - FADE, 0, self.width(), 0)
            fade.setColorAt(0, clear)
            fade.setColorAt(1, background)
            painter.fillRect(QRectF(self.width() - FADE, 0, FADE, self.height()), fade)
