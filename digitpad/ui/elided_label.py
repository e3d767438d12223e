"""A one-line label that shortens its text with "…" when there is no room, instead of overlapping.

For the status bar, whose permanent widgets would otherwise push into one another in a narrow
window. The whole text stays in the tooltip and the accessible name.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

#: The narrowest the label gets: a few letters and the "…".
MIN_CHARACTERS = 6


class ElidedLabel(QLabel):
    """Paints `text()` elided on the right to fit its width; the tooltip keeps the whole text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._tooltip_extra = ""

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        super().setText(text)
        self.setAccessibleName(text)
        self._refresh_tooltip()

    def set_tooltip_extra(self, extra: str) -> None:
        """A line shown in the tooltip under the whole text (e.g. the model's path)."""
        self._tooltip_extra = extra
        self._refresh_tooltip()

    def _refresh_tooltip(self) -> None:
        self.setToolTip("\n".join(part for part in (self.text(), self._tooltip_extra) if part))

    @property
    def shown_text(self) -> str:
        """The text as painted at the label's present width."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.contentsRect().width())

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(self.fontMetrics().horizontalAdvance("M" * MIN_CHARACTERS), hint.height())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance(self.text()) + 4, hint.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment()), self.shown_text)
        painter.end()
