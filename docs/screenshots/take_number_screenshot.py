"""A screenshot of the window reading a number, written with real mouse events, for the README.

    xvfb-run -s "-screen 0 1280x720x24" .venv/bin/python docs/screenshots/take_number_screenshot.py

Needs `xdotool` and ImageMagick's `import` (Debian: apt-get install xdotool imagemagick). Opens the
app's window on the display, then writes the strokes of `number.json` (a 7-digit number composed
from one UNIPEN writer's pen digits) on its canvas with xdotool: button down, a mouse move every
few pixels, button up, as a person's mouse does. It then clicks the second digit under the canvas
to explain it, and photographs the screen with `import -window root`. Settings go to a temporary
file, never the real ones. Re-run it when the shipped model changes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from PySide6.QtCore import QPoint, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.ink.drawing_file import load_drawing  # noqa: E402
from digitpad.ui.app import create_application, create_window  # noqa: E402
from digitpad.ui.main_window import MainWindow  # noqa: E402
from digitpad.ui.settings import AppSettings  # noqa: E402

#: Mouse events every this many canvas pixels along a stroke.
STEP = 4.0


def xdotool_strokes(window: MainWindow, path: Path) -> list[list[str]]:
    """One xdotool command line per stroke, in screen coordinates."""
    import numpy as np

    canvas = window.canvas
    rect, scale = canvas.paper_rect(), canvas.scale()
    commands = []
    for stroke in load_drawing(path).strokes:
        along = np.concatenate(([0.0], np.cumsum(np.hypot(*np.diff(stroke, axis=0).T))))
        t = np.arange(0.0, along[-1] + 1e-9, STEP) if along[-1] > 0 else np.zeros(1)
        xs, ys = np.interp(t, along, stroke[:, 0]), np.interp(t, along, stroke[:, 1])
        points = [
            canvas.mapToGlobal(QPoint(round(rect.x() + x * scale), round(rect.y() + y * scale))) for x, y in zip(xs, ys)
        ]
        command = ["xdotool", "mousemove", str(points[0].x()), str(points[0].y()), "mousedown", "1"]
        for point in points[1:]:
            command += ["mousemove", str(point.x()), str(point.y()), "sleep", "0.004"]
        commands.append([*command, "mouseup", "1", "sleep", "0.25"])
    return commands


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drawing", type=Path, default=HERE / "number.json")
    parser.add_argument("--out", type=Path, default=HERE / "digitpad-number.png")
    parser.add_argument("--select", type=int, default=1, help="the digit to click under the canvas (0 = first)")
    args = parser.parse_args()
    app: QApplication = create_application([])
    with tempfile.TemporaryDirectory() as folder:
        settings = AppSettings(QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat))
        window = create_window(None, settings)
        window.move(0, 0)
        window.resize(1280, 560)
        window.show()
        done: list[str] = []

        def run_in_background(commands: list[list[str]], then: str) -> None:
            """xdotool in a thread, so that the window keeps handling the events it sends."""

            def work() -> None:
                for command in commands:
                    subprocess.run(command, check=True)
                done.append(then)

            threading.Thread(target=work).start()

        def step() -> None:
            if "strokes" in done and "click" not in done and "clicking" not in done:
                done.append("clicking")
                point = window.number_view.mapToGlobal(window.number_view.cell(args.select).center().toPoint())
                click = ["xdotool", "mousemove", str(point.x()), str(point.y()), "click", "1"]
                run_in_background([click, ["xdotool", "mousemove", "1270", "710"]], "click")
            if "click" in done:
                QTimer.singleShot(600, shoot)
                return
            QTimer.singleShot(100, step)

        def shoot() -> None:
            frame = window.frameGeometry()
            crop = f"{frame.width()}x{frame.height()}+{frame.x()}+{frame.y()}"
            subprocess.run(["import", "-window", "root", "-crop", crop, str(args.out)], check=True)
            print(f"wrote {args.out}: {window.number_view.text} ({window.answer.caption})")
            app.quit()

        QTimer.singleShot(800, lambda: run_in_background(xdotool_strokes(window, args.drawing), "strokes"))
        QTimer.singleShot(1000, step)
        code = app.exec()
        window.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
