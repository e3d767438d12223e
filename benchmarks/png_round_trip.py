"""Does a drawing saved as PNG read the same when opened again? Measured, not assumed.

Saves each drawing as the app does (File > Save Drawing as PNG: the canvas painted black on white,
280 x 280), opens the file as the app does (`read_image`, `pixels_to_ink`, `recognize_image`) and
compares the model input and the answer with those for the strokes themselves. The two differ
by design when the model renders its input from the strokes (the shipped model's `pen` > 0): a
PNG has no strokes, so its ink is the canvas's 20-pixel pen shrunk with the drawing.

    QT_QPA_PLATFORM=offscreen python benchmarks/png_round_trip.py [--model M] [--count 400]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_core import mouse_drawings  # noqa: E402
from digitpad.ink.image_file import read_image  # noqa: E402
from digitpad.ink.image_ink import pixels_to_ink  # noqa: E402
from digitpad.model.choice import resolve_model_path  # noqa: E402
from digitpad.model.classifier import Classifier  # noqa: E402
from digitpad.reading.recognizer import Recognizer  # noqa: E402
from digitpad.ui.canvas import render_drawing  # noqa: E402
from digitpad.ui.image_writer import save_png  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="ONNX model (default: the shipped one)")
    parser.add_argument("--count", type=int, default=400, help="UNIPEN pen digits, replayed as mouse strokes")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])  # QPainter needs one
    recognizer = Recognizer(Classifier(resolve_model_path(args.model)))
    worst, mean, same = [], [], 0
    with tempfile.TemporaryDirectory() as folder:
        png = Path(folder) / "drawing.png"
        for drawing in mouse_drawings(args.count):
            drawn = recognizer.recognize(drawing)
            save_png(png, render_drawing(drawing))
            reopened = recognizer.recognize_image(pixels_to_ink(read_image(png)))
            assert drawn is not None and reopened is not None
            difference = np.abs(drawn.model_input - reopened.model_input) * 255
            worst.append(float(difference.max()))
            mean.append(float(difference.mean()))
            same += drawn.digit == reopened.digit
    del app
    print(f"model: {recognizer.classifier.info.name} (normalization pen {recognizer.normalization.pen})")
    print(f"{args.count} UNIPEN pen digits, each read from its strokes and from its saved PNG:")
    print(
        f"  28x28 input difference, gray levels of 255: mean per digit median {np.median(mean):.1f}, "
        f"worst {max(mean):.1f}; largest pixel difference per digit median {np.median(worst):.0f}, "
        f"worst {max(worst):.0f}"
    )
    print(f"  same answer: {same} of {args.count} ({same / args.count:.1%})")


if __name__ == "__main__":
    main()
