"""Figures for the app (issue 3's GUI targets), measured through the real controller and window.

    python benchmarks/bench_app.py [--model M] [--drawings 100] [--launches 5]

Prints:
- stroke end -> probabilities: the time of `finish_stroke`, from the pen lifting to the answer
  having been sent to the views, for pen-drawn UNIPEN digits replayed the way a mouse draws
  them, with live answers while drawing as the throttle gives them (one every ~4 mouse events);
  once through the controller alone and once with the window's views attached (offscreen);
- launch -> interactive window: a fresh `python` process from start to the window shown, its
  model loaded and its event loop running (median and worst of several launches);
- memory: the app process's resident set size after 1,000 recognitions (strokes ended and live
  answers), with the window updating.
Timings are wall-clock on whatever else this machine is doing: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_core import mouse_drawings, percentiles, rss_mib  # noqa: E402
from PySide6.QtCore import QEventLoop, QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.ink.drawing import Drawing  # noqa: E402
from digitpad.model.choice import resolve_model_path  # noqa: E402
from digitpad.model.classifier import Classifier  # noqa: E402
from digitpad.reading.recognizer import Recognizer  # noqa: E402
from digitpad.ui.app import create_application, create_window  # noqa: E402
from digitpad.ui.controller import RecognitionController  # noqa: E402
from digitpad.ui.settings import AppSettings  # noqa: E402

#: Drawings replayed untimed first: the first few hundred inferences of a session are slower.
WARM_UP_DRAWINGS = 30
#: Mouse events per live answer: events come every ~8 ms, the throttle answers every ~30 ms.
EVENTS_PER_LIVE_ANSWER = 4

#: An empty profile of the benchmark's own: a person's samples must not change the figures.
PROFILE = Path(tempfile.mkdtemp(prefix="digitpad-bench-")) / "profile.sqlite3"

LAUNCH_SCRIPT = """
import sys, tempfile
from pathlib import Path
from PySide6.QtCore import QSettings
from PySide6.QtTest import QTest
for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
    QSettings.setPath(kind, QSettings.Scope.UserScope, tempfile.mkdtemp())
from digitpad.ui.app import create_application, create_window
from digitpad.ui.settings import AppSettings
app = create_application()
window = create_window(sys.argv[1], AppSettings(), profile=Path(tempfile.mkdtemp()) / "profile.sqlite3")
window.show()
QTest.qWaitForWindowExposed(window)
app.processEvents()
print("ready", flush=True)
"""


def wait_for_answer(controller: RecognitionController) -> None:
    """Block in Qt's event loop (the GIL released, as in the app) until the worker's answer is in."""
    while not controller.idle:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)


def draw(controller: RecognitionController, drawing: Drawing, app: QApplication | None = None) -> list[float]:
    """Replay a drawing stroke by stroke; the seconds each stroke's end took."""
    ends = []
    for stroke in drawing.strokes:
        for end in range(1, len(stroke) + 1):
            controller.update_stroke(stroke[:end])
            if end % EVENTS_PER_LIVE_ANSWER == 0:
                controller.recognize_live()
        start = time.perf_counter()
        controller.finish_stroke(stroke)
        wait_for_answer(controller)
        ends.append(time.perf_counter() - start)
        if app is not None:
            app.processEvents()  # the window repaints between strokes, as it would
    return ends


def bench_stroke_end(recognizer: Recognizer, drawings: list[Drawing], app: QApplication, settings: AppSettings) -> None:
    controller = RecognitionController(recognizer)
    for drawing in drawings[:WARM_UP_DRAWINGS]:  # ONNX Runtime's and numpy's first calls are slow
        controller.clear()
        draw(controller, drawing)
    alone = []
    for drawing in drawings:
        controller.clear()
        alone += draw(controller, drawing)
    print(
        f"stroke end -> probabilities, controller:    {percentiles(alone)}  "
        f"({len(alone)} strokes; target p50 <= 2, p99 <= 5 ms)"
    )

    window = create_window(str(recognizer.classifier.path), settings, profile=PROFILE)
    window.show()
    app.processEvents()
    viewed = []
    for drawing in drawings:
        window.controller.clear()
        viewed += draw(window.controller, drawing, app)
    print(f"stroke end -> probabilities, with window:   {percentiles(viewed)}  (views updated; painting follows)")
    window.controller.undo_stack.setClean()  # nothing to save: no 'unsaved changes' question
    window.close()


def bench_launch(model: Path, launches: int) -> None:
    times = []
    for _ in range(launches):
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-c", LAUNCH_SCRIPT, str(model)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert child.stdout is not None
        line = child.stdout.readline()
        elapsed = time.perf_counter() - start
        child.wait()
        if line.strip() != "ready":
            raise SystemExit(f"the app did not start (exit code {child.returncode})")
        times.append(elapsed)
    platform = os.environ.get("QT_QPA_PLATFORM", "default")
    print(
        f"launch -> interactive window ({platform}):     median {np.median(times):.2f} s, worst {max(times):.2f} s "
        f"of {launches}  (target <= 1.5 s)"
    )


def bench_memory(model: Path, drawings: list[Drawing], app: QApplication, settings: AppSettings) -> None:
    window = create_window(str(model), settings, profile=PROFILE)
    window.show()
    app.processEvents()
    before = rss_mib()
    answers = 0
    window.controller.recognized.connect(lambda _: None)
    strokes = (stroke for _ in iter(int, 1) for drawing in drawings for stroke in drawing.strokes)
    while answers < 1000:
        stroke = next(strokes)
        for end in range(EVENTS_PER_LIVE_ANSWER, len(stroke), EVENTS_PER_LIVE_ANSWER * 3):
            window.controller.update_stroke(stroke[:end])
            window.controller.recognize_live()
            answers += 1
        window.controller.finish_stroke(stroke)
        wait_for_answer(window.controller)
        answers += 1
        if len(window.controller.drawing.strokes) >= 3:
            window.controller.clear()
        app.processEvents()
    print(
        f"memory after {answers:,} recognitions:         {rss_mib():.0f} MiB RSS "
        f"(window shown: {before:.0f} MiB; target <= 250 MB)"
    )
    window.controller.undo_stack.setClean()  # nothing to save: no 'unsaved changes' question
    window.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="ONNX model (default: the shipped one)")
    parser.add_argument("--drawings", type=int, default=100, help="UNIPEN digits to replay")
    parser.add_argument("--launches", type=int, default=5)
    args = parser.parse_args()
    model = resolve_model_path(args.model)
    drawings = mouse_drawings(args.drawings)
    app = create_application()
    with tempfile.TemporaryDirectory() as folder:
        settings = AppSettings(QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat))
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"model: {model}; {len(drawings)} UNIPEN digits replayed as mouse strokes")
        print(f"machine: {os.cpu_count()} CPUs, load average {load} (other work skews every figure below)")
        bench_launch(model, args.launches)
        bench_stroke_end(Recognizer(Classifier(model)), drawings, app, settings)
        bench_memory(model, drawings, app, settings)


if __name__ == "__main__":
    main()
