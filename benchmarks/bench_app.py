"""Figures for the app (issue 3's GUI targets), measured through the real controller and window.

    python benchmarks/bench_app.py [--model M] [--drawings 100] [--launches 5] [--compare REV] [--stroke-end-only]

Prints:
- stroke end -> probabilities: the time of `finish_stroke`, from the pen lifting to the answer
  having been sent to the views, for pen-drawn UNIPEN digits replayed the way a mouse draws
  them, with live answers while drawing as the throttle gives them (one every ~4 mouse events);
  once through the controller alone and once with the window's views attached (offscreen); each
  "as drawn" (the timing also holds what drawing left undone: live answers still in flight,
  repaints) and "settled" (the app caught up before the pen lifts, as its event loop does between
  mouse events); `--compare REV` prints the same figures for that git revision's code first;
- launch -> interactive window: a fresh `python` process from start to the window shown, its
  model loaded and its event loop running (median and worst of several launches);
- memory: the app process's resident set size after 1,000 recognitions (strokes ended and live
  answers), with the window updating.
Timings are wall-clock on whatever else this machine is doing: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
#: `--compare` runs this script again with the code of an older tree: its digitpad is imported.
CODE_TREE = os.environ.get("DIGITPAD_BENCH_TREE")
REPO = Path(CODE_TREE) if CODE_TREE else HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from PySide6.QtCore import QEventLoop, QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.ink.drawing import Drawing  # noqa: E402
from digitpad.model.choice import resolve_model_path  # noqa: E402
from digitpad.model.classifier import Classifier  # noqa: E402
from digitpad.reading.recognizer import Recognizer  # noqa: E402
from digitpad.ui.app import create_application, create_window  # noqa: E402
from digitpad.ui.canvas import DrawingCanvas  # noqa: E402
from digitpad.ui.controller import RecognitionController  # noqa: E402
from digitpad.ui.settings import AppSettings  # noqa: E402

# Only after digitpad: bench_core puts this tree first on sys.path, and with --compare digitpad is the old one.
_core = importlib.import_module("bench_core")
mouse_drawings, percentiles, rss_mib = _core.mouse_drawings, _core.percentiles, _core.rss_mib
old_tree = importlib.import_module("old_code").old_tree

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


def draw(
    controller: RecognitionController, drawing: Drawing, app: QApplication | None = None, settle: bool = False,
    canvas: DrawingCanvas | None = None,
) -> list[float]:
    """Replay a drawing stroke by stroke; the seconds each stroke's end took.

    `settle`: before the pen lifts, let the app catch up with what drawing asked for (the live
    answers still in flight, the repaints), as its event loop does in the ~8 ms between mouse
    events. Without it the stroke end's timing also holds whatever drawing left undone."""
    ends = []
    for stroke in drawing.strokes:
        for end in range(1, len(stroke) + 1):
            controller.update_stroke(stroke[:end])
            if end % EVENTS_PER_LIVE_ANSWER == 0:
                controller.recognize_live()
        if settle:
            wait_for_answer(controller)
            if app is not None:
                app.processEvents()
        start = time.perf_counter()
        if canvas is None:
            controller.finish_stroke(stroke)
        else:  # the pen lifts on the canvas, which hands the stroke to the controller, as in the app
            canvas._points = [(float(x), float(y)) for x, y in stroke]  # noqa: SLF001
            canvas._end()  # noqa: SLF001
        wait_for_answer(controller)
        ends.append(time.perf_counter() - start)
        if app is not None:
            app.processEvents()  # the window repaints between strokes, as it would
    return ends


def bench_stroke_end(model: Path, drawings: list[Drawing], warm_up: list[Drawing], app: QApplication,
                     settings: AppSettings) -> None:
    """Each pass on a controller (or window) of its own, warmed up on other drawings: the runs a
    recognizer has read are remembered, and a drawing replayed twice would only be looked up."""
    for settle, how in ((False, "as drawn"), (True, "settled")):
        controller = RecognitionController(Recognizer(Classifier(model)))
        for drawing in warm_up:  # ONNX Runtime's and numpy's first calls are slow
            controller.clear()
            draw(controller, drawing)
        alone = []
        for drawing in drawings:
            controller.clear()
            alone += draw(controller, drawing, settle=settle)
        print(f"stroke end -> probabilities, controller ({how}):  {percentiles(alone)}  "
              f"({len(alone)} strokes; target p50 <= 2, p99 <= 5 ms)")
        controller.shutdown()
    for settle, how in ((False, "as drawn"), (True, "settled")):
        window = create_window(str(model), settings, profile=PROFILE)
        window.show()
        app.processEvents()
        for drawing in warm_up:
            window.controller.clear()
            draw(window.controller, drawing, app)
        viewed = []
        for drawing in drawings:
            window.controller.clear()
            viewed += draw(window.controller, drawing, app, settle, window.canvas)
        print(f"stroke end -> probabilities, window ({how}):      {percentiles(viewed)}  "
              "(views updated; target p50 <= 2.5 ms)")
        window.controller.undo_stack.setClean()  # nothing to save: no 'unsaved changes' question
        window.close()


def compare_stroke_end(revision: str, drawings: int) -> None:
    """The stroke-end figures of `revision`'s code, measured by this script in a process of its own."""
    with old_tree(revision) as tree:
        result = subprocess.run(
            [sys.executable, __file__, "--stroke-end-only", "--drawings", str(drawings)],
            env={**os.environ, "DIGITPAD_BENCH_TREE": str(tree)}, capture_output=True, text=True,
        )
    lines = [line for line in result.stdout.splitlines() if line.startswith("stroke end")]
    for line in lines or [f"(no figures: {result.stderr.strip()[-300:]})"]:
        print(f"[{revision}] {line}")


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
    parser.add_argument("--compare", metavar="REV", help="also the stroke-end figures of this git revision's code")
    parser.add_argument("--stroke-end-only", action="store_true", help="skip the launch and memory figures")
    args = parser.parse_args()
    model = resolve_model_path(args.model)
    replayed = mouse_drawings(args.drawings + WARM_UP_DRAWINGS)
    drawings, warm_up = replayed[: args.drawings], replayed[args.drawings :]
    app = create_application()
    with tempfile.TemporaryDirectory() as folder:
        settings = AppSettings(QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat))
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"model: {model}; {len(drawings)} UNIPEN digits replayed as mouse strokes")
        print(f"machine: {os.cpu_count()} CPUs, load average {load} (other work skews every figure below)")
        if args.compare:
            compare_stroke_end(args.compare, args.drawings)
        if not args.stroke_end_only:
            bench_launch(model, args.launches)
        bench_stroke_end(model, drawings, warm_up, app, settings)
        if not args.stroke_end_only:
            bench_memory(model, drawings, app, settings)


if __name__ == "__main__":
    main()
