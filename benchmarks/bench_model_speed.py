"""Single-input ONNX Runtime time of two models, side by side in one run, and their ratio.

    python benchmarks/bench_model_speed.py NEW.onnx [--baseline models/digitpad.onnx] [--blocks 20]

A new model must not be slower than the one it replaces (issue 15), and on a shared, noisy machine
two runs minutes apart differ by more than the effect: so the two models are timed in interleaved
blocks (A B, B A, A B, ...) through digitpad's own `Classifier`, on the same MNIST test digits, and
the figure that counts is the median over blocks of the per-block ratio of medians, printed with
its spread. A ratio <= 1.0 within that spread means "no slower".
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digitpad.model.choice import shipped_model_path  # noqa: E402
from digitpad.model.classifier import Classifier  # noqa: E402

MNIST_TEST_IMAGES = REPO / "data" / "mnist-test" / "t10k-images-idx3-ubyte.gz"


def mnist_test_digits(count: int) -> np.ndarray:
    """The first `count` MNIST test images as float32 (count, 28, 28) in [0, 1]."""
    with gzip.open(MNIST_TEST_IMAGES) as stream:
        pixels = np.frombuffer(stream.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:count]
    return pixels.astype(np.float32) / 255


def time_block(classifier: Classifier, inputs: np.ndarray) -> float:
    """Median seconds of one batch-1 prediction over `inputs`, one at a time."""
    times = []
    for image in inputs:
        start = time.perf_counter()
        classifier.predict(image[None])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="the new model")
    parser.add_argument("--baseline", type=Path, default=shipped_model_path(), help="default: the shipped model")
    parser.add_argument("--blocks", type=int, default=20, help="interleaved blocks per model (default 20)")
    parser.add_argument("--per-block", type=int, default=200, help="single-input runs per block (default 200)")
    args = parser.parse_args()

    models = {"baseline": Classifier(args.baseline), "new": Classifier(args.model)}
    inputs = mnist_test_digits(args.per_block)
    for classifier in models.values():
        time_block(classifier, inputs[:50])  # warm-up: allocations, caches
    medians: dict[str, list[float]] = {name: [] for name in models}
    for block in range(args.blocks):
        order = list(models) if block % 2 == 0 else list(reversed(models))
        for name in order:
            medians[name].append(time_block(models[name], inputs))
    ratios = sorted(new / base for new, base in zip(medians["new"], medians["baseline"]))
    low, high = ratios[len(ratios) // 4], ratios[(3 * len(ratios)) // 4]
    print(f"{args.blocks} interleaved blocks of {args.per_block} single-input runs each")
    for name, path in (("baseline", args.baseline), ("new", args.model)):
        print(f"  {name:<8} p50 {statistics.median(medians[name]) * 1e3:.3f} ms   {path}")
    print(f"  ratio new/baseline: {statistics.median(ratios):.3f} (interquartile {low:.3f}-{high:.3f})")


if __name__ == "__main__":
    main()
