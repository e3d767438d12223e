"""Small pen-digit files and ONNX models made on the spot, for the drawing tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np


def ring(n: int = 24, width: float = 60.0, height: float = 100.0) -> list[list[float]]:
    t = np.linspace(0, 2 * np.pi, n)
    return np.stack([width / 2 * (1 + np.sin(t)), height / 2 * (1 - np.cos(t))], axis=1).tolist()


def bar(height: float = 100.0) -> list[list[float]]:
    return [[0.0, y] for y in np.linspace(0, height, 12)]


def seven(size: float = 100.0) -> list[list[float]]:
    return [[0.0, 0.0], [size * 0.6, 0.0], [size * 0.3, size]]


def write_digits(
    path: Path, writers: int = 6, per_writer: int = 3, donors: tuple[str, ...] = ("aaa", "bbb")
) -> list[dict[str, object]]:
    """A jsonl(.gz) file of 0s, 1s and 7s by `writers` writers per donor; returns the records."""
    shapes = {0: [ring()], 1: [bar()], 7: [seven()]}
    records = []
    for donor in donors:
        for w in range(writers):
            for i in range(per_writer):
                label = (0, 1, 7)[i % 3]
                records.append({"label": label, "donor": donor, "writer": f"w{w}", "strokes": shapes[label]})
    text = "".join(json.dumps(r) + "\n" for r in records)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return records


def constant_model(path: Path, digit: int) -> Path:
    """An ONNX model that keeps digitpad's contract and always answers `digit` (probability 0.9)."""
    from tests.onnx_models import constant_model as with_logits

    probabilities = np.full(10, 0.1 / 9)
    probabilities[digit] = 0.9
    return with_logits(path, np.log(probabilities).tolist(), name=None)
