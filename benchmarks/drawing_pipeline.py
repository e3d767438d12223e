"""Stroke end to probabilities: how long the app's pipeline takes for real pen drawings.

Replays UNIPEN digits onto the canvas (as the drawing evaluation does) and times, for each, what
the GUI does when a stroke ends: `drawing_input` (rasterize + normalize, or the stroke renderer
when the model asks for stroke-width normalization) and one ONNX Runtime call. Prints p50/p90/p99
per normalization. Target: p50 <= 2 ms with the shipped model's normalization.

    python benchmarks/drawing_pipeline.py [--model M] [--count 500]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from digitpad.ink.model_input import drawing_input
from digitpad.model.choice import shipped_model_path
from digitpad.model.classifier import Classifier
from training import unipen
from training.unipen import place_samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="ONNX model (default: the shipped one)")
    parser.add_argument("--count", type=int, default=500, help="drawings to time")
    args = parser.parse_args()
    classifier = Classifier(args.model or shipped_model_path())
    samples = unipen.load_samples()
    picked = [samples[i] for i in np.random.default_rng(0).choice(len(samples), args.count, replace=False)]
    drawings = place_samples(picked, seed=0)
    shipped = classifier.info.normalization
    variants = {
        "model's own": shipped,
        "canvas raster (pen 0)": replace(shipped, pen=0.0),
        "stroke pen 2.5": replace(shipped, pen=2.5 if shipped.pen == 0 else shipped.pen),
    }
    print(f"model: {classifier.path} ({classifier.info.name}); normalization {shipped}")
    for name, spec in variants.items():
        timings = []
        for drawing in drawings:
            start = time.perf_counter()
            image = drawing_input(drawing, spec)
            if image is not None:
                classifier.predict(image[None])
            timings.append(time.perf_counter() - start)
        p50, p90, p99 = np.percentile(np.array(timings) * 1e3, [50, 90, 99])
        print(
            f"{name:24s} stroke end -> probabilities: "
            f"p50 {p50:.2f} ms  p90 {p90:.2f} ms  p99 {p99:.2f} ms  (n={len(timings)})"
        )


if __name__ == "__main__":
    main()
