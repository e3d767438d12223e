"""Figures for reading whole numbers (issue 13's target: a 10-digit number, stroke end to the whole
answer, p50 <= 10 ms).

    python benchmarks/bench_numbers.py [--model M] [--numbers 40]

Writes 10-digit numbers composed from UNIPEN writers' pen digits (as `python -m training
evaluate-numbers` composes them) stroke by stroke into the app's controller (offscreen), and
times each pen lift until the whole number is answered: the undo step, segmentation, rendering
the new runs, one ONNX Runtime call, the choice of digits and the signal. Also times a cold read
of a whole 10-digit drawing (nothing remembered: what `digitpad classify` does per file).
Wall-clock on whatever else this machine is doing: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402

from digitpad.model.choice import resolve_model_path  # noqa: E402
from digitpad.model.classifier import Classifier  # noqa: E402
from digitpad.reading.recognizer import Recognizer  # noqa: E402
from digitpad.ui.controller import Recognition, RecognitionController  # noqa: E402
from training import unipen  # noqa: E402
from training.evaluate.numbers import writer_numbers  # noqa: E402


def percentiles(seconds: list[float]) -> str:
    ms = np.array(seconds) * 1000
    return f"p50 {np.percentile(ms, 50):.2f} ms, p90 {np.percentile(ms, 90):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="ONNX model (default: the shipped one)")
    parser.add_argument("--numbers", type=int, default=40, help="10-digit numbers to write (default 40)")
    args = parser.parse_args()
    app = QGuiApplication.instance() or QGuiApplication([])
    recognizer = Recognizer(Classifier(resolve_model_path(args.model, None)))
    numbers = writer_numbers(unipen.load_samples(unipen.DEFAULT_PATH), args.numbers, seed=0, lengths=(10, 10))
    controller = RecognitionController(recognizer)
    answers: list[Recognition] = []
    controller.recognized.connect(answers.append)

    answered = QEventLoop()
    controller.recognized.connect(answered.quit)

    def wait_for_the_answer() -> None:
        """The answer comes from the recognition thread: wait for its signal (or none if it is in)."""
        if not controller.idle:
            answered.exec()

    every, last, cpu, right = [], [], [], 0
    for truth, drawing in numbers:
        controller.clear()
        wait_for_the_answer()
        for stroke in drawing.strokes:
            start, start_cpu = time.perf_counter(), time.process_time()
            controller.finish_stroke(stroke)
            wait_for_the_answer()  # until the answer has reached the GUI thread
            every.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        last.append(every[-1])
        right += answers[-1].number.text == truth
    strokes = sum(len(d.strokes) for _, d in numbers)
    print(
        f"{len(numbers)} numbers of 10 digits ({strokes} strokes), read right: {right}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"stroke end to the whole answer, every stroke: {percentiles(every)}")
    print(f"stroke end to the whole answer, the number's last stroke: {percentiles(last)}")
    print(f"  CPU time of this process (all its threads) per stroke: {percentiles(cpu)}")

    cold = []
    for _, drawing in numbers:
        fresh = Recognizer(recognizer.classifier)  # nothing remembered
        start = time.perf_counter()
        fresh.read_number(drawing)
        cold.append(time.perf_counter() - start)
    print(f"a whole 10-digit drawing read cold (as classify reads a file): {percentiles(cold)}")
    del app


if __name__ == "__main__":
    main()
