"""Figures for the core pipeline and `digitpad classify` (issue 3's targets).

    python benchmarks/bench_core.py [--model M] [--files 3000] [--compare REV] [--classify-only]

Prints: ONNX Runtime batch-1 latency, stroke-end-to-probabilities latency through the core (the
finished strokes' raster cached, as the GUI does), a full-pipeline latency, and the throughput of
`digitpad classify` on drawing JSON files made from real pen strokes replayed as a mouse would
draw them. With `--compare REV`, `classify` of that revision's code too (`benchmarks/old_code.py`),
run alternately with today's on the same files and model. Timings are wall-clock on whatever else
this machine is doing: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digitpad.ink.drawing import Drawing  # noqa: E402
from digitpad.ink.drawing_file import save_drawing  # noqa: E402
from digitpad.ink.normalize import normalize, resample_stroke  # noqa: E402
from digitpad.ink.raster import rasterize, stamp_strokes  # noqa: E402
from digitpad.model.choice import resolve_model_path  # noqa: E402
from digitpad.model.classifier import Classifier  # noqa: E402
from digitpad.reading.recognizer import Recognizer  # noqa: E402
from training import unipen  # noqa: E402  (numpy only: no torch)
from training.unipen import Placement, place_samples  # noqa: E402

sys.path.insert(0, str(REPO / "benchmarks"))
from old_code import old_tree  # noqa: E402


def mouse_drawings(count: int, seed: int = 0) -> list[Drawing]:
    """The first `count` pen-drawn digits placed on the canvas as people draw them (35-85 % of its
    height, `training.unipen.place`), resampled every 2 px of path like mouse events."""
    samples = list(itertools.islice(unipen.iter_samples(), count))
    placed = place_samples(samples, seed, Placement(round_to_pixels=False))
    return [Drawing(tuple(resample_stroke(s, 2.0) for s in d.strokes), d.width, d.height, d.pen_width) for d in placed]


def rss_mib() -> float:
    """This process's resident set size now (Linux), MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def percentiles(seconds: list[float]) -> str:
    ms = np.array(seconds) * 1e3
    return f"p50 {np.percentile(ms, 50):.3f} ms, p99 {np.percentile(ms, 99):.3f} ms"


def bench_inference(classifier: Classifier) -> None:
    image = np.zeros((1, 28, 28), np.float32)
    image[0, 6:22, 12:16] = 1.0
    for _ in range(50):
        classifier.predict(image)
    times = []
    for _ in range(2000):
        start = time.perf_counter()
        classifier.predict(image)
        times.append(time.perf_counter() - start)
    print(f"ONNX Runtime batch 1:                       {percentiles(times)}  (target p50 <= 0.3 ms)")
    batch = np.random.default_rng(0).random((256, 28, 28), dtype=np.float32)
    start = time.perf_counter()
    for _ in range(10):
        classifier.predict(batch)
    print(f"ONNX Runtime batch 256:                     {2560 / (time.perf_counter() - start):,.0f} images/s")


def bench_stroke_end(recognizer: Recognizer, drawings: list[Drawing]) -> None:
    """At a stroke's end the GUI holds the raster of the earlier strokes and adds the last one.

    A model that renders from the strokes (pen > 0, the shipped one) needs no raster: the GUI
    keeps none, and neither does this measurement.
    """
    stroke_end, full = [], []
    reads_raster = recognizer.normalization.pen == 0
    for drawing in drawings:
        finished = np.zeros((drawing.height, drawing.width), np.float32)
        stamp_strokes(finished, Drawing(drawing.strokes[:-1]))
        start = time.perf_counter()
        raster = None
        if reads_raster:
            raster = finished.copy()
            stamp_strokes(raster, drawing, first_stroke=len(drawing.strokes) - 1)
        recognizer.recognize(drawing, raster=raster)
        stroke_end.append(time.perf_counter() - start)
        start = time.perf_counter()
        recognizer.recognize(drawing)
        full.append(time.perf_counter() - start)
    print(f"stroke end -> probabilities (core):         {percentiles(stroke_end)}  (target p50 <= 2, p99 <= 5 ms)")
    print(f"whole drawing -> probabilities, no cache:   {percentiles(full)}")
    parts = {"rasterize": [], "normalize": []}
    for drawing in drawings:
        start = time.perf_counter()
        raster = rasterize(drawing)
        parts["rasterize"].append(time.perf_counter() - start)
        start = time.perf_counter()
        normalize(raster, drawing.ink_bounds())
        parts["normalize"].append(time.perf_counter() - start)
    for name, times in parts.items():
        print(f"  {name + ':':42}{percentiles(times)}")


def bench_classify(model: Path, drawings: list[Drawing], files: int, old: tuple[str, Path] | None = None) -> None:
    """`digitpad classify --json` on `files` drawing files, -j 1 and -j 2; with `old` (a revision and
    its tree), that code's `classify` too, run alternately with today's on the same files."""
    trees = [("today", REPO)] + ([old] if old else [])
    with tempfile.TemporaryDirectory() as folder:
        for i in range(files):
            save_drawing(Path(folder) / f"{i:05d}.json", drawings[i % len(drawings)])
        for jobs in (1, 2):
            for name, tree in trees:
                command = [sys.executable, "-m", "digitpad", "classify", "--json", "-j", str(jobs),
                           "--model", str(model), folder]
                start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
                result = subprocess.run(command, capture_output=True, text=True, cwd=tree)
                elapsed, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime  # workers included
                lines = result.stdout.count("\n")
                print(
                    f"digitpad classify ({name}), {lines:,} drawings, -j {jobs}:  {lines / elapsed:,.0f} drawings/s "
                    f"({elapsed:.2f} s including start-up, {cpu:.2f} s of CPU; target >= 1,000/s)"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="ONNX model (default: the shipped one)")
    parser.add_argument("--files", type=int, default=3000, help="drawing files for the classify benchmark")
    parser.add_argument("--compare", metavar="REV", help="also time `classify` of this git revision's code")
    parser.add_argument("--classify-only", action="store_true", help="skip the latency figures")
    args = parser.parse_args()
    model = resolve_model_path(args.model)
    classifier = Classifier(model)
    recognizer = Recognizer(classifier)
    drawings = mouse_drawings(1000)
    points = np.mean([d.point_count for d in drawings])
    print(
        f"model: {model.name} ({classifier.info.name}); {len(drawings)} drawings, {points:.0f} points each on average"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (other work skews every figure)")
    if not args.classify_only:
        bench_inference(classifier)
        bench_stroke_end(recognizer, drawings)
    if args.compare:
        with old_tree(args.compare) as tree:
            bench_classify(model, drawings, args.files, (args.compare, tree))
    else:
        bench_classify(model, drawings, args.files)


if __name__ == "__main__":
    main()
