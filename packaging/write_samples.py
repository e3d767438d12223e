"""Write a folder of labelled inputs for `digitpad classify`: drawing JSON files and images.

Run by the build's checks with the Python of an installed digitpad (a fresh wheel install), so
the files are made with the same code that reads them back:

    python write_samples.py OUT [--mnist DIR]

Each file is named `<digit>_<what>.<suffix>`; the checks compare that digit with the answer.
The images are the first MNIST test digits, saved as dark ink on white paper in every format
that Qt can write; without MNIST only the drawings are written.
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage

from digitpad.ink.drawing_file import save_drawing
from digitpad.selftest import BUILTIN_DRAWINGS

#: How many MNIST test digits to write, from the start of the test set.
MNIST_COUNT = 10
IMAGE_SUFFIXES = ("png", "jpg", "bmp", "webp")


def mnist_test_digits(folder: Path, count: int) -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz") as stream:
        images = np.frombuffer(stream.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:count]
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz") as stream:
        labels = np.frombuffer(stream.read(), np.uint8, offset=8)[:count]
    return images, labels


def save_gray(path: Path, gray: np.ndarray) -> None:
    gray = np.ascontiguousarray(gray)
    image = QImage(gray.data, gray.shape[1], gray.shape[0], gray.strides[0], QImage.Format.Format_Grayscale8)
    if not image.save(str(path)):
        raise SystemExit(f"write_samples: Qt could not write {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--mnist", type=Path, help="folder with MNIST's t10k IDX .gz files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for digit, make in BUILTIN_DRAWINGS:
        save_drawing(args.out / f"{digit}_drawn.json", make())
    if args.mnist and (args.mnist / "t10k-images-idx3-ubyte.gz").is_file():
        images, labels = mnist_test_digits(args.mnist, MNIST_COUNT)
        for index, (image, label) in enumerate(zip(images, labels)):
            suffix = IMAGE_SUFFIXES[index % len(IMAGE_SUFFIXES)]
            # Upscaled 4x and inverted: a scan of a digit written in dark ink on white paper.
            paper = 255 - np.kron(image, np.ones((4, 4), np.uint8))
            save_gray(args.out / f"{label}_mnist{index:02d}.{suffix}", paper)


if __name__ == "__main__":
    main()
