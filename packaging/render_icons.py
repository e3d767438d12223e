"""Render digitpad.svg to the PNG sizes desktops look for (hicolor theme), with Qt's SVG renderer.

    python packaging/render_icons.py      (any python with PySide6, e.g. the project's .venv)

The PNGs are committed, so building needs no SVG support; run this again after editing the SVG.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "digitpad" / "ui" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    app = QGuiApplication(["render_icons", "-platform", "offscreen"])  # noqa: F841 (QPainter needs it)
    renderer = QSvgRenderer(str(ICONS / "digitpad.svg"))
    if not renderer.isValid():
        print("render_icons: digitpad.svg is not a valid SVG", file=sys.stderr)
        return 1
    for size in SIZES:
        path = ICONS / f"digitpad-{size}.png"
        if not render(renderer, size).save(str(path)):
            print(f"render_icons: cannot write {path}", file=sys.stderr)
            return 1
        print(path.relative_to(ICONS.parent.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
