"""A bar chart of the ten probabilities, painted with QPainter in the palette's colors.

Custom-painted rather than QtCharts: QtCharts lives in PySide6-Addons, and the app depends on
PySide6-Essentials only. Bars grow from a 0-100 % axis labelled 0-9; the top digit's bar is in the
highlight color with its percentage; every bar has a tooltip, and screen readers get the figures.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from digitpad.model.contract import LABELS
from digitpad.reading.prediction import percent

#: Gridlines, as fractions of the axis.
GRID = (0.25, 0.5, 0.75, 1.0)
#: Bars take this share of their slot; the rest is the gap between them.
BAR_SHARE = 0.64
#: Bars below this probability get no percentage over them (they would only be noise).
LABEL_FLOOR = 0.01


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    """`a` moved `amount` (0..1) of the way to `b`: readable tints in light and dark palettes."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * amount,
        a.greenF() + (b.greenF() - a.greenF()) * amount,
        a.blueF() + (b.blueF() - a.blueF()) * amount,
    )


class ProbabilityChart(QWidget):
    """Ten bars; `set_probabilities(None)` shows an empty axis (a blank canvas is never a guess)."""

    digit_clicked = Signal(int)  #: the person clicked a digit's label under the bars: "it is this one"

    def __init__(self, labels: tuple[str, ...] = LABELS, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._labels = labels
        self._probabilities: np.ndarray | None = None
        self._confident = True
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 120)
        self.setAccessibleName("Probabilities of the digits 0 to 9")
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # screen-reader users can reach the figures
        self.setMouseTracking(True)  # the pointing hand over the digits' labels
        self._describe()

    def sizeHint(self) -> QSize:
        return QSize(340, 200)

    @property
    def probabilities(self) -> np.ndarray | None:
        return self._probabilities

    @property
    def top(self) -> int | None:
        return None if self._probabilities is None else int(np.argmax(self._probabilities))

    def set_probabilities(self, probabilities: np.ndarray | None, confident: bool = True) -> None:
        self._probabilities = None if probabilities is None else np.asarray(probabilities, dtype=np.float64).copy()
        self._confident = confident
        self._describe()
        self.update()

    def _describe(self) -> None:
        """Accessible description: the figures in order of probability."""
        if self._probabilities is None:
            self.setAccessibleDescription("No probabilities: nothing drawn yet.")
            return
        order = np.argsort(-self._probabilities)
        self.setAccessibleDescription(", ".join(f"{self._labels[i]}: {percent(self._probabilities[i])}" for i in order))

    # -- geometry ----------------------------------------------------------------------------

    def _plot_rect(self) -> QRectF:
        """The area the bars grow in: room for the axis labels left, percentages above, digits below."""
        metrics = QFontMetricsF(self.font())
        left = metrics.horizontalAdvance("100%") + 8
        top = metrics.height() + 6
        bottom = self._digit_font_metrics().height() + 8
        return QRectF(self.rect()).adjusted(left, top, -6, -bottom)

    def _digit_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        return font

    def _digit_font_metrics(self) -> QFontMetricsF:
        return QFontMetricsF(self._digit_font())

    def _slot(self, index: int, plot: QRectF) -> QRectF:
        width = plot.width() / len(self._labels)
        return QRectF(plot.left() + index * width, plot.top(), width, plot.height())

    def _caption_rect(self, caption: str, font: QFont, slot: QRectF, bar: QRectF, plot: QRectF) -> QRectF:
        """Where a bar's percentage goes: centred over the bar, but kept inside the plot's columns so
        that the last bar's label is not cut at the window's edge and the first one's never covers
        the axis labels."""
        metrics = QFontMetricsF(font)
        width = metrics.horizontalAdvance(caption) + 4
        left = min(max(slot.center().x() - width / 2, plot.left()), self.width() - 2 - width)
        return QRectF(left, bar.top() - metrics.height() - 2, width, metrics.height())

    def bar_at(self, position: QPointF) -> int | None:
        """The digit whose column contains `position`, if any."""
        plot = self._plot_rect()
        if not plot.left() <= position.x() < plot.right():
            return None
        return min(int((position.x() - plot.left()) / (plot.width() / len(self._labels))), len(self._labels) - 1)

    def _label_rect(self, index: int, plot: QRectF) -> QRectF:
        """The digit's label under its bar: the only part of the chart a click teaches with."""
        slot = self._slot(index, plot)
        return QRectF(slot.left(), plot.bottom() + 4, slot.width(), self._digit_font_metrics().height())

    def label_at(self, position: QPointF) -> int | None:
        """The digit whose label (under the bars) contains `position`, if any."""
        plot = self._plot_rect()
        index = self.bar_at(position)
        return index if index is not None and self._label_rect(index, plot).contains(position) else None

    # -- painting ----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        background = palette.color(QPalette.ColorRole.Window)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        plot = self._plot_rect()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)

        # Gridlines and their labels.
        metrics = QFontMetricsF(self.font())
        for fraction in GRID:
            y = plot.bottom() - fraction * plot.height()
            style = Qt.PenStyle.DotLine if fraction < 1 else Qt.PenStyle.SolidLine
            painter.setPen(QPen(mix(background, text, 0.15), 1, style))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            if fraction in (0.5, 1.0):
                painter.setPen(mix(background, text, 0.55))
                label_rect = QRectF(0, y - metrics.height() / 2, plot.left() - 6, metrics.height())
                painter.drawText(
                    label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{fraction:.0%}"
                )

        top = self.top
        for index, label in enumerate(self._labels):
            slot = self._slot(index, plot)
            is_top = index == top
            value = 0.0 if self._probabilities is None else float(self._probabilities[index])
            bar_width = slot.width() * BAR_SHARE
            height = value * plot.height()
            bar = QRectF(slot.center().x() - bar_width / 2, plot.bottom() - height, bar_width, height)
            if value > 0 and bar.height() < 1.5:
                bar.setTop(plot.bottom() - 1.5)  # a hairline shows that the digit was considered
            if is_top:
                color = highlight if self._confident else mix(highlight, background, 0.35)
            else:
                color = mix(background, text, 0.38)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            radius = min(3.0, bar.width() / 4, bar.height() / 2)
            painter.drawRoundedRect(bar, radius, radius)

            if self._probabilities is not None and (is_top or value >= LABEL_FLOOR):
                font = QFont(self.font())
                font.setBold(is_top)
                painter.setFont(font)
                painter.setPen(text if is_top else mix(background, text, 0.7))
                caption = percent(value) if is_top else f"{value:.0%}"
                painter.drawText(self._caption_rect(caption, font, slot, bar, plot), Qt.AlignmentFlag.AlignCenter,
                                 caption)

            digit_font = self._digit_font()
            digit_font.setBold(is_top)
            painter.setFont(digit_font)
            painter.setPen(highlight if is_top and self._confident else text)
            painter.drawText(self._label_rect(index, plot), Qt.AlignmentFlag.AlignCenter, label)

        # The baseline over everything, so tiny bars sit on it.
        painter.setPen(QPen(mix(background, text, 0.5), 1))
        painter.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        index = self.label_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and index is not None and self._probabilities is not None:
            self.digit_clicked.emit(index)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        """A pointing hand over a digit's label says that clicking it teaches; elsewhere the arrow."""
        teaches = self._probabilities is not None and self.label_at(event.position()) is not None
        self.setCursor(Qt.CursorShape.PointingHandCursor if teaches else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def event(self, event: QEvent) -> bool:  # Qt override
        if isinstance(event, QHelpEvent) and event.type() == QHelpEvent.Type.ToolTip:
            index = self.bar_at(QPointF(event.pos()))
            if index is None or self._probabilities is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), f"{self._labels[index]}: {self._probabilities[index]:.2%}", self)
            return True
        return super().event(event)
