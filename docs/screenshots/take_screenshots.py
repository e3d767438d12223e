"""Screenshots of the real window, in light and dark palettes, for the README.

    xvfb-run -s "-screen 0 1280x800x24" .venv/bin/python docs/screenshots/take_screenshots.py

Re-run it when the shipped model changes: the figures in the pictures are the model's.

Opens the app's window on the display (Xvfb for the committed pictures), draws the strokes of a
drawing JSON through the controller exactly as the canvas hands them over at each pen lift, and
grabs the window's pixels from the screen. Settings go to a temporary file, never the real ones.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.ink.drawing_file import load_drawing  # noqa: E402
from digitpad.ui.app import create_application, create_window  # noqa: E402
from digitpad.ui.settings import AppSettings  # noqa: E402


def dark_palette() -> QPalette:
    """A dark desktop's palette (Xvfb has no desktop theme to ask for one)."""
    palette = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    colors = {
        role.Window: "#2b2d30",
        role.WindowText: "#e3e3e3",
        role.Base: "#1e1f22",
        role.AlternateBase: "#2b2d30",
        role.ToolTipBase: "#3c3f41",
        role.ToolTipText: "#e3e3e3",
        role.PlaceholderText: "#8c8f94",
        role.Text: "#e8e8e8",
        role.Button: "#3c3f41",
        role.ButtonText: "#e3e3e3",
        role.BrightText: "#ffffff",
        role.Light: "#4a4d50",
        role.Midlight: "#3f4245",
        role.Mid: "#2f3134",
        role.Dark: "#1b1c1e",
        role.Shadow: "#000000",
        role.Highlight: "#4a90d9",
        role.HighlightedText: "#ffffff",
        role.Link: "#6aa7ea",
    }
    for color_role, color in colors.items():
        palette.setColor(color_role, QColor(color))
    for color_role in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, color_role, QColor("#6f7276"))
    return palette


def screenshot(app: QApplication, drawing_path: Path, out: Path, palette: QPalette, size: tuple[int, int]) -> None:
    app.setPalette(palette)
    with tempfile.TemporaryDirectory() as folder:
        settings = AppSettings(QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat))
        window = create_window(None, settings, profile=Path(folder) / "profile.sqlite3")
        window.resize(*size)
        window.show()
        QTest.qWaitForWindowExposed(window)
        drawing = load_drawing(drawing_path)
        page = window.controller.drawing  # the app's wide page: the square drawing goes in its middle
        shift = np.array([(page.width - drawing.width) / 2, (page.height - drawing.height) / 2])
        for stroke in drawing.strokes:
            window.controller.update_stroke(stroke + shift)
            window.controller.finish_stroke(stroke + shift)
        while not window.controller.idle:  # the answer comes from the recognition thread
            QTest.qWait(5)
        QTest.qWait(300)  # let the window repaint everything
        window.screen().grabWindow(window.winId()).save(str(out))
        print(f"wrote {out} ({window.answer.answer}, {window.answer.caption})")
        window.controller.undo_stack.setClean()  # nothing to save: no 'unsaved changes' question
        window.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--size", type=int, nargs=2, default=(1200, 560), metavar=("W", "H"))
    args = parser.parse_args()
    app = create_application(["-style", "fusion"])
    light, dark = app.style().standardPalette(), dark_palette()
    shots = (
        ("digitpad-light.png", "two.json", light),
        ("digitpad-dark.png", "two.json", dark),
        ("digitpad-not-sure.png", "one-or-seven.json", light),
    )
    for name, drawing, palette in shots:
        screenshot(app, HERE / drawing, args.out / name, palette, tuple(args.size))


if __name__ == "__main__":
    main()
