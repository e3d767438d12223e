"""Screenshots of a correction teaching digitpad a writer's hand, made with real X mouse events.

    python docs/screenshots/take_profile_screenshots.py [--display :57]

Needs Xvfb, xdotool and ImageMagick's `import`. Starts Xvfb and the app (`python -m digitpad`)
with a throwaway settings folder and profile, and draws with xdotool, as a person with a mouse:
1. one of UNIPEN writer uqb/re_3828's flagged 1s, which the shipped model reads as a 7;
2. presses the 1 key: the drawing is stored in the profile as a 1 and read again;
3. clears, and draws another of that writer's 1s: read as a 1 now, not sure (the model alone says 7:
   one sample is evidence, not certainty);
4. presses 1 on it too, then draws the writer's first 0, 2, 3, ... 9, pressing each one's key;
then opens Profile ▸ Your Samples. Writes profile-corrected.png and profile-samples.png here.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from training import unipen  # noqa: E402

#: Line numbers (0-based) in the UNIPEN dev file of two of uqb/re_3828's 1s that the model reads as 7.
TAUGHT, ASKED = 6908, 6914


def xdotool(*args: object) -> str:
    return subprocess.run(["xdotool", *map(str, args)], check=True, capture_output=True, text=True).stdout


def wait_for_window(name: str, seconds: float = 30.0) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name], capture_output=True, text=True)
        if found.stdout.split():
            return found.stdout.split()[0]
        time.sleep(0.3)
    raise SystemExit(f"no window named {name!r} appeared")


def grab(path: Path, display: str, size: str = "1000x640+0+0") -> np.ndarray:
    """The screen's top-left `size` (the window: Xvfb has no window manager, so no frame)."""
    subprocess.run(["import", "-display", display, "-window", "root", "-crop", size, "+repage", str(path)],
                   check=True)
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_Grayscale8)
    width, height = image.width(), image.height()
    return np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())[:, :width].copy()


def paper_rect(gray: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, side, side): a square at the left of the canvas's white paper (the wide canvas's
    first third), found as the rows that are mostly white across the left two thirds of the window."""
    white = gray[:, : gray.shape[1] * 2 // 3] >= 250
    rows = np.flatnonzero(white.sum(axis=1) > 0.5 * white.shape[1])
    columns = np.flatnonzero(white[rows].sum(axis=0) > 0.8 * len(rows))
    side = min(rows[-1] - rows[0], columns[-1] - columns[0])
    return int(columns[0]), int(rows[0]), int(side), int(side)


def draw(sample: unipen.PenSample, rect: tuple[int, int, int, int]) -> None:
    """The sample's strokes at 60 % of the canvas height, centered, drawn with the mouse."""
    points = np.concatenate(sample.strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = 0.6 * rect[3] / max(high[1] - low[1], 1.0)
    center = (low + high) / 2
    for stroke in sample.strokes:
        screen = (stroke - center) * scale + np.array([rect[0] + rect[2] / 2, rect[1] + rect[3] / 2])
        xdotool("mousemove", *np.round(screen[0]).astype(int))
        xdotool("mousedown", 1)
        for x, y in np.round(screen[1:]).astype(int)[::2]:
            xdotool("mousemove", x, y)
        xdotool("mousemove", *np.round(screen[-1]).astype(int))
        xdotool("mouseup", 1)
    time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--display", default=":57")
    args = parser.parse_args()
    samples = unipen.load_samples(unipen.DEFAULT_PATH)
    taught, asked = samples[TAUGHT], samples[ASKED]
    assert taught.group == asked.group == "uqb/re_3828" and taught.label == asked.label == 1
    home = Path(tempfile.mkdtemp(prefix="digitpad-screenshots-"))
    env = dict(os.environ, DISPLAY=args.display, XDG_DATA_HOME=str(home / "data"),
               XDG_CONFIG_HOME=str(home / "config"), QT_QPA_PLATFORM="xcb")
    server = subprocess.Popen(["Xvfb", args.display, "-screen", "0", "1100x720x24"])
    app = None
    try:
        time.sleep(1.5)
        app = subprocess.Popen([sys.executable, "-m", "digitpad"], cwd=REPO, env=env)
        os.environ["DISPLAY"] = args.display
        window = wait_for_window("— digitpad$")  # "Untitled — digitpad"
        xdotool("windowmove", window, 0, 0)
        xdotool("windowsize", window, 1000, 640)
        time.sleep(1.5)
        rect = paper_rect(grab(home / "first.png", args.display))
        draw(taught, rect)
        grab(home / "misread.png", args.display)
        xdotool("key", "1")  # "it is a 1": the digit key (a click under the bars does the same)
        time.sleep(1.5)  # read on the worker thread, then the page again
        xdotool("key", "Escape")  # clear
        draw(asked, rect)
        time.sleep(1.0)
        grab(HERE / "profile-corrected.png", args.display)
        xdotool("key", "1")
        for digit in (0, 2, 3, 4, 5, 6, 7, 8, 9):
            xdotool("key", "Escape")
            draw(next(s for s in samples if s.group == taught.group and s.label == digit), rect)
            xdotool("key", str(digit))
            time.sleep(0.3)
        xdotool("key", "alt+p")
        time.sleep(0.5)
        xdotool("key", "s")
        time.sleep(1.5)
        grab(HERE / "profile-samples.png", args.display)
        print(f"wrote {HERE / 'profile-corrected.png'} and {HERE / 'profile-samples.png'} (misread: {home})")
    finally:
        if app is not None:
            app.terminate()
            app.wait(10)
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
