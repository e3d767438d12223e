"""Guards against a Qt binding that would crash the app in the field."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtGui import QColor, QImage, QPainter

pytestmark = pytest.mark.gui


@pytest.mark.skipif(
    sys.version_info >= (3, 12),
    reason="None is immortal from Python 3.12 on: its reference count can neither show the bug nor crash",
)
def test_qt_binding_keeps_its_references_to_none(qapp) -> None:  # noqa: ANN001
    """PySide6 6.12.0 dropped a reference to None on every void call; before Python 3.12 made
    None immortal, that crashed a painting app within minutes (pyproject.toml excludes it)."""
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    black = QColor(0, 0, 0)
    before = sys.getrefcount(None)
    for _ in range(1000):
        painter.setPen(black)
    painter.end()
    assert sys.getrefcount(None) >= before - 50
