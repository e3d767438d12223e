"""Screenshots of Look Inside for the README, drawn with real mouse events (xdotool) under Xvfb.

    Xvfb :14 -screen 0 2600x1100x24 &  DISPLAY=:14 openbox &
    DISPLAY=:14 .venv/bin/python docs/screenshots/take_inside_screenshots.py

Re-run it when the shipped model changes: the figures in the pictures are the model's.

Opens the app's window on the display, moves the X pointer with `xdotool` (press, moves with the
button held, release: the events a person's mouse makes) to write a 7, opens Look Inside with its
shortcut, clicks a conv1 map and points at a pixel of it, then writes 1s with a longer and longer
flag until the network is unsure between 1 and 7, and grabs the why-maps. Settings and profile go to a temporary folder.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import numpy as np  # noqa: E402
from PySide6.QtCore import QPoint, QRect, QSettings  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from digitpad.ui.app import create_application, create_window  # noqa: E402
from digitpad.ui.main_window import MainWindow  # noqa: E402

#: A 7 in the wide canvas's coordinates (840 x 280): the bar, then the stem.
SEVEN = [(330.0, 70.0), (440.0, 68.0), (442.0, 76.0), (365.0, 235.0)]


def xdotool(app: QApplication, *commands: str) -> None:
    """Run one xdotool command line while the app keeps handling the events it makes."""
    child = subprocess.Popen(["xdotool", *commands])
    while child.poll() is None:
        app.processEvents()
        time.sleep(0.002)
    app.processEvents()


def settle(app: QApplication, window: MainWindow) -> None:
    """Until the answer and Look Inside's picture are on screen, and painted."""
    inside = window.inside
    while not window.controller.idle or (inside is not None and not inside.idle):
        QTest.qWait(5)
    QTest.qWait(300)


def on_screen(widget: QWidget, x: float, y: float) -> QPoint:
    return widget.mapToGlobal(QPoint(round(x), round(y)))


def write(app: QApplication, window: MainWindow, strokes: list[np.ndarray]) -> None:
    """Each stroke as a person's mouse draws it: press, a move every 4 px of path (10 ms apart), release."""
    canvas = window.canvas
    rect, scale = canvas.paper_rect(), canvas.scale()
    for stroke in strokes:
        path = [on_screen(canvas, rect.x() + x * scale, rect.y() + y * scale) for x, y in stroke]
        commands = ["mousemove", str(path[0].x()), str(path[0].y()), "mousedown", "1"]
        for point in path[1:]:
            commands += ["mousemove", str(point.x()), str(point.y()), "sleep", "0.01"]
        xdotool(app, *commands, "mouseup", "1")
    settle(app, window)


def densify(corners: list[tuple[float, float]], step: float = 4.0) -> np.ndarray:
    points = [np.array(corners[0])]
    for start, end in zip(corners, corners[1:]):
        count = max(1, int(np.hypot(end[0] - start[0], end[1] - start[1]) / step))
        points += [np.array(start) + (np.array(end) - np.array(start)) * k / count for k in range(1, count + 1)]
    return np.array(points)


def grab(widget: QWidget, out: Path, rect: QRect | None = None) -> None:
    picture = widget.screen().grabWindow(widget.winId())
    (picture.copy(rect) if rect is not None else picture).save(str(out))
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    app = create_application(["-style", "fusion"])
    with tempfile.TemporaryDirectory() as folder:
        from digitpad.ui.settings import AppSettings

        settings = AppSettings(QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat))
        window = create_window(None, settings, profile=Path(folder) / "profile.sqlite3")
        window.setGeometry(10, 40, 1000, 560)
        window.show()
        QTest.qWaitForWindowExposed(window)
        answer = on_screen(window.answer, 10, 10)
        xdotool(app, "mousemove", str(answer.x()), str(answer.y()), "click", "1")  # focus the window (not the canvas)
        write(app, window, [densify(SEVEN)])
        xdotool(app, "key", "ctrl+i")
        inside = window.inside
        assert inside is not None, "Ctrl+I did not open Look Inside"
        inside.setGeometry(1020, 40, 1570, 1040)
        QTest.qWaitForWindowExposed(inside)
        settle(app, window)
        grab(inside, args.out / "inside-seven.png")

        tile = inside.overview.tile_rect("layer.conv1", 6)
        assert tile is not None
        centre = on_screen(inside.overview, tile.center().x(), tile.center().y())
        xdotool(app, "mousemove", str(centre.x()), str(centre.y()), "click", "1")
        picture = inside.details.picture
        assert picture is not None
        left, top, right, bottom = picture.map_box
        rows, cols = picture.map_shape
        explanation = inside.explanation
        assert explanation is not None
        row, col = (int(v) for v in np.unravel_index(np.argmax(explanation.layers["layer.conv1"][6]), (rows, cols)))
        point = on_screen(inside.details, left + (col + 0.5) * (right - left) / cols,
                          top + (row + 0.5) * (bottom - top) / rows)
        xdotool(app, "mousemove", str(point.x()), str(point.y()))
        QTest.qWait(300)
        grab(inside, args.out / "inside-feature-map.png")

        # An unsure 1-or-7: a 1 whose flag grows until the network hesitates between the two.
        for flag in range(20, 120, 8):
            xdotool(app, "mousemove", str(answer.x()), str(answer.y()), "click", "1", "key", "Escape")  # Clear
            settle(app, window)
            write(app, window, [densify([(420.0 - flag, 60.0 + 0.55 * flag), (420.0, 60.0), (420.0, 235.0)])])
            explanation = inside.explanation
            assert explanation is not None
            if not explanation.confident and {explanation.digit, explanation.runner_up} == {1, 7}:
                break
        else:
            raise SystemExit("no flag made the network unsure between 1 and 7")
        print(f"one-or-seven: {inside.status.text()}")
        grab(inside, args.out / "inside-why-one-or-seven.png", QRect(0, 0, 1000, 300))
        window.controller.undo_stack.setClean()  # nothing to save: no 'unsaved changes' question
        window.close()


if __name__ == "__main__":
    main()
