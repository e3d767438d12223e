"""The 28x28 image the model actually sees, enlarged with crisp pixels.

Shown as MNIST shows it, white ink on black whatever the palette, so that a person can see what
the normalization made of their drawing: a digit cut off, squashed, or too thin.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.ui.chart import mix

#: Each of the 28x28 pixels is shown as a square of this many device-independent pixels (at most;
#: in a short window the view shrinks, down to MIN_CELL, so that the canvas keeps its room).
CELL = 6
MIN_CELL = 2


def gray_qimage(pixels: np.ndarray) -> QImage:
    """A float image in [0, 1] as an 8-bit grayscale QImage (a copy)."""
    gray = np.ascontiguousarray(np.round(np.clip(pixels, 0.0, 1.0) * 255), dtype=np.uint8)
    height, width = gray.shape
    return QImage(gray.data, width, height, width, QImage.Format.Format_Grayscale8).copy()


class ModelInputView(QWidget):
    """Paints the model's input; `set_image(None)` shows an empty frame."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixels: np.ndarray | None = None
        self._image = QImage()
        self._grid_pixmap: QPixmap | None = None  # drawn for the cell size and screen resolution below
        self.setMinimumSize(MIN_CELL * 28 + 2, MIN_CELL * 28 + 2)
        self.setMaximumSize(CELL * 28 + 2, CELL * 28 + 2)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setAccessibleName("What the model sees")
        self.setAccessibleDescription("The 28 by 28 pixel image given to the model, enlarged.")
        self.setToolTip("The 28×28 image the model reads: your drawing cropped, scaled to 20 pixels and centered")

    @property
    def pixels(self) -> np.ndarray | None:
        return self._pixels

    def set_image(self, pixels: np.ndarray | None) -> None:
        self._pixels = None if pixels is None else np.array(pixels, dtype=np.float32)
        self._image = QImage() if pixels is None else gray_qimage(pixels)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(CELL * 28 + 2, CELL * 28 + 2)

    @property
    def cell(self) -> int:
        """The side of one model pixel as shown: whole device-independent pixels, so the grid stays even."""
        return max(MIN_CELL, min(CELL, (min(self.width(), self.height()) - 2) // 28))

    def _grid(self) -> QPixmap:
        """A faint grid that shows where one model pixel ends and the next begins: drawn once per cell
        size and screen resolution and blitted, since 54 translucent lines cost milliseconds every paint."""
        ratio, cell = self.devicePixelRatioF(), self.cell
        side = cell * 28
        grid = self._grid_pixmap
        if grid is None or grid.devicePixelRatio() != ratio or grid.width() != round(side * ratio):
            grid = QPixmap(round(side * ratio), round(side * ratio))
            grid.setDevicePixelRatio(ratio)
            grid.fill(Qt.GlobalColor.transparent)
            painter = QPainter(grid)
            painter.setPen(QPen(QColor(128, 128, 128, 40), 0))
            for i in range(1, 28):
                offset = float(i * cell)
                painter.drawLine(QPointF(offset, 0.0), QPointF(offset, float(side)))
                painter.drawLine(QPointF(0.0, offset), QPointF(float(side), offset))
            painter.end()
            self._grid_pixmap = grid
        return grid

    def image_rect(self) -> QRectF:
        side = self.cell * 28
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        rect = self.image_rect()
        painter.fillRect(rect, QColor(Qt.GlobalColor.black))
        if not self._image.isNull():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # crisp pixels
            painter.drawImage(rect, self._image)
        painter.drawPixmap(rect.topLeft(), self._grid())
        palette = self.palette()
        frame = mix(palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.WindowText), 0.3)
        painter.setPen(QPen(frame, 1))
        painter.drawRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5))
        painter.end()
