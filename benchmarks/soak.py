"""Long sessions: does memory grow or recognition slow down after hours of use?

    python benchmarks/soak.py [--classifications 100000] [--cycles 1000] [--model M]

Two soaks, each printing the resident set size (RSS) after a warm-up and at the end, its growth,
and the CPU and wall time per step in each block of work (targets: growth <= 10 MB, no slowdown):
- core: `Recognizer.recognize` on UNIPEN pen digits replayed as mouse strokes (rasterize,
  normalize, ONNX Runtime), in blocks of 10,000;
- GUI: draw / recognize / clear cycles through the real window (offscreen): each digit is drawn
  with simulated mouse events on the canvas, answered live and at the pen's lift, then cleared
  with the Clear action; in blocks of 100.
Wall-clock timings follow whatever else this machine is doing (the load average is printed per
block); CPU time per step shows a slowdown of digitpad's own work.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_core import mouse_drawings, rss_mib  # noqa: E402
from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.ink.drawing import Drawing  # noqa: E402
from digitpad.model.choice import resolve_model_path  # noqa: E402
from digitpad.model.classifier import Classifier  # noqa: E402
from digitpad.reading.recognizer import Recognizer  # noqa: E402
from digitpad.ui.app import create_application, create_window  # noqa: E402
from digitpad.ui.canvas import DrawingCanvas  # noqa: E402
from digitpad.ui.main_window import MainWindow  # noqa: E402
from digitpad.ui.settings import AppSettings  # noqa: E402

#: Work done before the first RSS reading: caches, arenas and ONNX Runtime's first calls settle.
WARM_UP_FRACTION = 0.05


def soak(name: str, total: int, block: int, unit: str, step: Callable[[int], None]) -> None:
    """Run step(i) for i < total; print RSS, and wall and CPU time per step for each block of `block`.

    CPU time (this process's, all its threads) is what the work itself costs; wall time adds the
    waiting for a CPU that other processes hold, so on a shared machine it follows their load.
    """
    warm_up = max(int(total * WARM_UP_FRACTION), 1)
    for i in range(warm_up):
        step(i)
    gc.collect()
    start_rss = rss_mib()
    wall, cpu, load = [], [], []
    for first in range(0, total, block):
        began, began_cpu = time.perf_counter(), time.process_time()
        count = min(first + block, total) - first
        for i in range(first, first + count):
            step(warm_up + i)
        wall.append(1000 * (time.perf_counter() - began) / count)
        cpu.append(1000 * (time.process_time() - began_cpu) / count)
        load.append(os.getloadavg()[0])
    gc.collect()
    end_rss = rss_mib()
    print(
        f"{name}: {total:,} {unit} after {warm_up:,} to warm up\n"
        f"  RSS {start_rss:.1f} MiB -> {end_rss:.1f} MiB: growth {end_rss - start_rss:+.1f} MiB (target <= 10 MB)\n"
        f"  CPU ms per {unit[:-1]}, first block {cpu[0]:.2f}, last {cpu[-1]:.2f} ({cpu[-1] / cpu[0] - 1:+.0%}); "
        f"wall ms first {wall[0]:.2f}, last {wall[-1]:.2f}\n"
        f"  per block of {block:,}: CPU ms {' '.join(f'{v:.2f}' for v in cpu)}\n"
        f"                      wall ms {' '.join(f'{v:.2f}' for v in wall)}\n"
        f"                 load average {' '.join(f'{v:.1f}' for v in load)}",
        flush=True,
    )


def core_step(recognizer: Recognizer, drawings: list[Drawing]) -> Callable[[int], None]:
    def step(i: int) -> None:
        prediction = recognizer.recognize(drawings[i % len(drawings)])
        assert prediction is not None and abs(float(prediction.probabilities.sum()) - 1) < 1e-5

    return step


def widget_point(canvas: DrawingCanvas, x: float, y: float) -> QPoint:
    rect, scale = canvas.paper_rect(), canvas.scale()
    return QPoint(round(rect.x() + x * scale), round(rect.y() + y * scale))


def gui_step(window: MainWindow, drawings: list[Drawing], app: QApplication) -> Callable[[int], None]:
    canvas = window.canvas
    left, no_key = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier

    def step(i: int) -> None:
        for stroke in drawings[i % len(drawings)].strokes:
            points = [widget_point(canvas, x, y) for x, y in stroke]
            QTest.mousePress(canvas, left, no_key, points[0])
            for n, point in enumerate(points[1:], 1):
                QTest.mouseMove(canvas, point)
                if n % 4 == 0:
                    app.processEvents()  # paint, and let the throttle's live answers come
            QTest.mouseRelease(canvas, left, no_key, points[-1])
        while not window.controller.idle:  # the answer comes from the recognition thread
            app.processEvents()
        assert window.controller.last is not None and window.controller.last.prediction is not None
        window.clear_action.trigger()
        app.processEvents()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="ONNX model (default: the shipped one)")
    parser.add_argument("--classifications", type=int, default=100_000, help="core recognitions (default 100,000)")
    parser.add_argument("--cycles", type=int, default=1_000, help="GUI draw/recognize/clear cycles (default 1,000)")
    parser.add_argument("--drawings", type=int, default=100, help="UNIPEN digits to cycle through")
    args = parser.parse_args()
    model = resolve_model_path(args.model)
    drawings = mouse_drawings(args.drawings)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"model: {model}; {len(drawings)} UNIPEN digits replayed as mouse strokes")
    print(f"machine: {os.cpu_count()} CPUs, load average {load} at the start (other work skews the timings)")
    if args.classifications:
        block = max(min(10_000, args.classifications // 10), 1)
        soak("core", args.classifications, block, "classifications", core_step(Recognizer(Classifier(model)), drawings))
    if args.cycles:
        app = create_application()
        with tempfile.TemporaryDirectory() as folder:
            settings = AppSettings(QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat))
            window = create_window(str(model), settings, profile=Path(folder) / "profile.sqlite3")
            window.resize(920, 620)
            window.show()
            QTest.qWaitForWindowExposed(window)
            block = max(min(100, args.cycles // 10), 1)
            soak("GUI", args.cycles, block, "cycles", gui_step(window, drawings, app))
            print(f"  undo stack: {window.controller.undo_stack.count()} steps kept", flush=True)
            window.controller.undo_stack.setClean()  # nothing to save: no 'unsaved changes' question
            window.close()
    print(f"load average at the end: {', '.join(f'{value:.1f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
