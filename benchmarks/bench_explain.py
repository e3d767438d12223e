"""Figures for Look Inside (issue 18), measured through the real window and the real command.

    python benchmarks/bench_explain.py [--model M] [--drawings 60] [--files 100]

Prints:
- stroke end -> probabilities with Look Inside closed and with it open, side by side: the same
  pen-drawn UNIPEN digits replayed as mouse strokes (live answers while drawing, as in
  bench_app), in alternating blocks so that both see the same machine; target: open <= 1.1x closed
  at the median;
- stroke end -> Look Inside shown: from the pen lifting to the window showing that stroke's
  layers and why-map (answer, layers, occlusion batch and picture all included); target p50 <= 30 ms;
- the same at a person's pace (`--paced N`): mouse events 8 ms apart with the event loop running,
  so live answers come from the app's own throttle and Look Inside follows them while drawing;
- `digitpad explain`: drawings per second for FILES drawing files, model load and PNG writing
  included (not the Python start-up); target >= 20 / s.
Timings are wall-clock on whatever else this machine is doing: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_app import EVENTS_PER_LIVE_ANSWER, PROFILE, WARM_UP_DRAWINGS, wait_for_answer  # noqa: E402
from bench_core import mouse_drawings, percentiles  # noqa: E402
from PySide6.QtCore import QEventLoop, QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.cli import build_parser  # noqa: E402
from digitpad.explain_cli import run_explain  # noqa: E402
from digitpad.ink.drawing import Drawing  # noqa: E402
from digitpad.ink.drawing_file import save_drawing  # noqa: E402
from digitpad.model.choice import resolve_model_path  # noqa: E402
from digitpad.ui.app import create_application, create_window  # noqa: E402
from digitpad.ui.inside_view import InsideWindow, Shown  # noqa: E402
from digitpad.ui.main_window import MainWindow  # noqa: E402
from digitpad.ui.settings import AppSettings  # noqa: E402

#: Drawings per block; the blocks alternate between Look Inside closed and open.
BLOCK = 10
#: Milliseconds between mouse events in the paced replay (a mouse reports every 8 ms or so).
EVENT_MS = 8
#: The Look Inside worker's CPU time for each picture (explain, occlusion batch, picture).
CPU: list[float] = []
#: The whole process's CPU time (all threads) from each stroke's end to its answer, by condition.
END_CPU: dict[str, list[float]] = {"closed": [], "open": []}


def replay(window: MainWindow, drawing: Drawing, app: QApplication, condition: str,
           after_answer: Callable[[float], None] | None = None) -> list[float]:
    """bench_app's `draw`, recording the process's CPU time across each stroke's end too (into
    END_CPU[condition]); `after_answer(start)` runs once each answer has reached the window."""
    ends = []
    controller = window.controller
    for stroke in drawing.strokes:
        for end in range(1, len(stroke) + 1):
            controller.update_stroke(stroke[:end])
            if end % EVENTS_PER_LIVE_ANSWER == 0:
                controller.recognize_live()
        start, cpu = time.perf_counter(), time.process_time()
        controller.finish_stroke(stroke)
        wait_for_answer(controller)
        ends.append(time.perf_counter() - start)
        END_CPU[condition].append(time.process_time() - cpu)
        app.processEvents()  # the answer reaches the window (which asks Look Inside for it, if open)
        if after_answer is not None:
            after_answer(start)
    return ends


def draw_closed(window: MainWindow, drawing: Drawing, app: QApplication) -> list[float]:
    """Replay a drawing with Look Inside closed; the stroke-end times."""
    return replay(window, drawing, app, "closed")


def draw_and_follow(window: MainWindow, inside: InsideWindow, drawing: Drawing, app: QApplication,
                    follows: list[float]) -> list[float]:
    """Replay a drawing with Look Inside open; the stroke-end times, and (into `follows`) the time
    from each stroke's end to Look Inside showing it."""
    shown_at: list[float] = []

    def record(shown: Shown) -> None:
        shown_at.append(time.perf_counter())
        CPU.append(shown.cpu_seconds)

    def follow(start: float) -> None:
        while not inside.idle:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        follows.append(shown_at[-1] - start)
        app.processEvents()  # Look Inside repaints between strokes, as it would

    inside.shown.connect(record)
    try:
        return replay(window, drawing, app, "open", follow)
    finally:
        inside.shown.disconnect()


def bench_window(model: Path, drawings: list[Drawing], app: QApplication, settings: AppSettings) -> None:
    window = create_window(str(model), settings, profile=PROFILE)
    window.show()
    app.processEvents()
    window.look_inside_action.trigger()
    inside = window.inside
    assert inside is not None
    follows: list[float] = []
    for drawing in drawings[:WARM_UP_DRAWINGS]:  # ONNX Runtime's, numpy's and Pillow's first calls are slow
        window.controller.clear()
        draw_and_follow(window, inside, drawing, app, follows)
    follows.clear()
    CPU.clear()
    END_CPU["open"].clear()
    drawings = drawings[WARM_UP_DRAWINGS:]
    closed, opened = [], []
    for first in range(0, len(drawings), BLOCK):
        block = drawings[first : first + BLOCK]
        inside.close()
        app.processEvents()
        for drawing in block:
            window.controller.clear()
            closed += draw_closed(window, drawing, app)
        window.look_inside_action.trigger()
        app.processEvents()
        for drawing in block:
            window.controller.clear()
            opened += draw_and_follow(window, inside, drawing, app, follows)
    ratio = np.median(opened) / np.median(closed)
    print(f"stroke end -> probabilities, Look Inside closed: {percentiles(closed)}  ({len(closed)} strokes)")
    print(f"stroke end -> probabilities, Look Inside open:   {percentiles(opened)}  "
          f"(p50 {ratio:.2f}x closed; target <= 1.1x)")
    print(f"  CPU time of the whole process across the stroke end: closed {percentiles(END_CPU['closed'])}, "
          f"open {percentiles(END_CPU['open'])}  (on a busy machine the wall time is mostly waiting for a core)")
    print(f"stroke end -> Look Inside shown (layers, why-map): {percentiles(follows)}  (target p50 <= 30 ms); "
          f"its worker's CPU time a picture: {percentiles(CPU)}")
    window.controller.undo_stack.setClean()
    window.close()


def paced(window: MainWindow, drawing: Drawing, app: QApplication) -> list[float]:
    """Replay a drawing at a person's pace: a mouse event every EVENT_MS, the event loop running in
    between (the live answers come from the controller's own throttle, and Look Inside, when open,
    follows them); the stroke-end times."""
    controller, ends = window.controller, []
    for stroke in drawing.strokes:
        for end in range(1, len(stroke) + 1):
            controller.update_stroke(stroke[:end])
            due = time.perf_counter() + EVENT_MS / 1000
            while time.perf_counter() < due:
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 2)
        start = time.perf_counter()
        controller.finish_stroke(stroke)
        wait_for_answer(controller)
        ends.append(time.perf_counter() - start)
        app.processEvents()
    return ends


def bench_paced(model: Path, drawings: list[Drawing], app: QApplication, settings: AppSettings) -> None:
    window = create_window(str(model), settings, profile=PROFILE)
    window.show()
    window.look_inside_action.trigger()
    inside = window.inside
    assert inside is not None
    closed, opened = [], []
    for first in range(0, len(drawings), BLOCK // 2):
        block = drawings[first : first + BLOCK // 2]
        inside.close()
        for drawing in block:
            window.controller.clear()
            closed += paced(window, drawing, app)
        window.look_inside_action.trigger()
        for drawing in block:
            window.controller.clear()
            opened += paced(window, drawing, app)
    print(f"at a person's pace (a mouse event every {EVENT_MS} ms, live answers and pictures while drawing):")
    print(f"  stroke end -> probabilities, Look Inside closed: {percentiles(closed)}  ({len(closed)} strokes)")
    print(f"  stroke end -> probabilities, Look Inside open:   {percentiles(opened)}  "
          f"(p50 {np.median(opened) / np.median(closed):.2f}x closed; target <= 1.1x)")
    window.controller.undo_stack.setClean()
    window.close()


def bench_command(model: Path, drawings: list[Drawing]) -> None:
    with tempfile.TemporaryDirectory(prefix="digitpad-bench-explain-") as folder:
        inputs, pictures = Path(folder) / "in", Path(folder) / "out"
        inputs.mkdir()
        for k, drawing in enumerate(drawings):
            save_drawing(inputs / f"{k:04d}.json", drawing)
        args = build_parser().parse_args(["explain", "--model", str(model), str(inputs), "--out", str(pictures)])
        with open(os.devnull, "w") as quiet:
            start, cpu = time.perf_counter(), time.process_time()
            code = run_explain(args, quiet, sys.stderr)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        written = len(list(pictures.glob("*.png")))
    if code != 0:
        raise SystemExit(f"digitpad explain failed (exit code {code})")
    print(f"digitpad explain: {len(drawings)} drawings ({written} pictures) in {seconds:.2f} s = "
          f"{len(drawings) / seconds:.1f} drawings/s  (target >= 20 / s); CPU time {cpu:.2f} s, all threads")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="ONNX model (default: the shipped one)")
    parser.add_argument("--drawings", type=int, default=60, help="UNIPEN digits replayed in the window")
    parser.add_argument("--files", type=int, default=100, help="drawing files given to digitpad explain")
    parser.add_argument("--paced", type=int, default=20, metavar="N",
                        help="UNIPEN digits replayed at a person's pace, Look Inside closed and open (0: none)")
    args = parser.parse_args()
    model = resolve_model_path(args.model)
    app = create_application()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"model: {model}; machine: {os.cpu_count()} CPUs, load average {load} (other work skews every figure)")
    drawings = mouse_drawings(max(args.drawings + WARM_UP_DRAWINGS, args.files))
    with tempfile.TemporaryDirectory() as folder:
        settings = AppSettings(QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat))
        bench_window(model, drawings[: args.drawings + WARM_UP_DRAWINGS], app, settings)
        if args.paced:
            bench_paced(model, drawings[WARM_UP_DRAWINGS : WARM_UP_DRAWINGS + args.paced], app, settings)
    bench_command(model, drawings[: args.files])


if __name__ == "__main__":
    main()
