"""Two models' figures side by side, each measured the same way: what the Train window compares.

MNIST test accuracy and the pen digits in `data/` come from the training commands themselves
(`python -m training evaluate` and `evaluate-drawings`, run by the window as subprocesses: they need
the [train] extra), read back from the files they write; the person's own samples are read here,
by each model alone (the profile's adaptation left out, so that the two networks are compared).
The pen-digit figure is writer-disjoint only in the model's metadata (measured by the recipe's
--cv); the replay of all pen digits includes the writers a run trained on, and says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.ink.drawing import Drawing
from digitpad.ink.model_input import drawing_input
from digitpad.model.classifier import Classifier
from digitpad.model.runs import read_json

MNIST_DIR = "mnist"  #: `evaluate --out` folder, inside a model's figures folder
DRAWINGS_DIR = "drawings"  #: `evaluate-drawings --out` folder


@dataclass(frozen=True)
class Measured:
    """An accuracy and its confusion matrix (rows: true digit, columns: read as)."""

    accuracy: float
    count: int
    confusion: np.ndarray  #: (10, 10) counts

    def error_rates(self) -> np.ndarray:
        """Per true digit, the share read as another digit (nan for a digit with no example)."""
        totals = self.confusion.sum(axis=1).astype(float)
        wrong = totals - np.diag(self.confusion)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(totals > 0, wrong / totals, np.nan)


@dataclass(frozen=True)
class ModelFigures:
    """One model's figures; None where not measured (e.g. a person with no samples)."""

    model: Path
    mnist: Measured | None
    pen: Measured | None  #: all pen digits in data/, replayed on the canvas
    unseen_writers: float | None  #: writer-disjoint pen-digit accuracy from the model's metadata (--cv)
    samples: Measured | None  #: the person's own samples, by the model alone
    trained_on_samples: bool = False  #: fine-tuned on a person's samples (its metadata says): no measure of new ones


def figures_folder(model: Path, root: Path, pen_digits: Path | None = None) -> Path:
    """Where the figures of this model file go: one folder per file (path, size, time of change) and pen file."""
    resolved = model.resolve()
    status = resolved.stat()
    identity = f"{resolved}\0{status.st_size}\0{status.st_mtime_ns}\0{pen_digits or ''}"
    key = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return root / f"{resolved.stem}-{key}"


def measurement_commands(model: Path, folder: Path, pen_digits: Path | None = None) -> list[list[str]]:
    """The `python -m training` arguments that measure `model` into `folder` (skipped once measured).

    `pen_digits`: another pen-digit file than the repository's (data/unipen-dev), e.g. a test's small one.
    """
    commands = []
    if read_mnist(folder) is None:
        commands.append(["evaluate", str(model), "--out", str(folder / MNIST_DIR), "--quiet"])
    if read_pen(folder) is None:
        pen = [str(pen_digits)] if pen_digits is not None else []
        commands.append(["evaluate-drawings", *pen, "--model", str(model), "--out", str(folder / DRAWINGS_DIR)])
    return commands


def _confusion(value: object) -> np.ndarray | None:
    """A 10x10 matrix of counts from a JSON file, or None for anything else (ragged, text, NaN)."""
    try:
        matrix = np.asarray(value, dtype=np.float64) if isinstance(value, list) else None
    except (ValueError, TypeError):  # ragged rows, or not numbers
        return None
    if matrix is None or matrix.shape != (10, 10) or not np.isfinite(matrix).all() or (matrix < 0).any():
        return None
    return matrix.astype(np.int64)


def _measured(accuracy: object, confusion: object) -> Measured | None:
    """A report's accuracy and confusion matrix, or None when either is missing or malformed."""
    matrix = _confusion(confusion)
    if matrix is None or not isinstance(accuracy, float):
        return None
    return Measured(accuracy, int(matrix.sum()), matrix)


def read_mnist(folder: Path) -> Measured | None:
    """`evaluate`'s metrics.json: MNIST test accuracy and confusion matrix."""
    metrics = read_json(folder / MNIST_DIR / "metrics.json")
    if not isinstance(metrics, dict):
        return None
    return _measured(metrics.get("accuracy"), metrics.get("confusion_matrix"))


def read_pen(folder: Path) -> Measured | None:
    """`evaluate-drawings`'s report.json: the app pipeline's accuracy on the pen digits."""
    report = read_json(folder / DRAWINGS_DIR / "report.json")
    app = report.get("app") if isinstance(report, dict) else None
    if not isinstance(app, dict):
        return None
    return _measured(app.get("accuracy"), app.get("confusion"))


def measure_samples(classifier: Classifier, samples: Sequence[tuple[Drawing, int]]) -> Measured | None:
    """The model alone on the person's samples (drawn as they were taught), None without any with ink."""
    inputs, labels = [], []
    spec = classifier.info.normalization
    for drawing, label in samples:
        model_input = drawing_input(drawing, spec)
        if model_input is not None:
            inputs.append(model_input)
            labels.append(label)
    if not inputs:
        return None
    batch = np.stack(inputs).astype(np.float32)
    predicted = np.concatenate([classifier.predict(batch[i : i + 256]).argmax(axis=1)
                                for i in range(0, len(batch), 256)])
    confusion = np.zeros((10, 10), np.int64)
    np.add.at(confusion, (np.asarray(labels), predicted), 1)
    return Measured(float((predicted == np.asarray(labels)).mean()), len(labels), confusion)


def worse_digits(mine: ModelFigures, other: ModelFigures, margin: float = 0.002) -> list[tuple[int, float, float]]:
    """The digits `mine` gets wrong more often than `other` (MNIST and pen digits together):
    (digit, my error rate, the other's), worst difference first."""
    def combined(figures: ModelFigures) -> np.ndarray | None:
        parts = [m.confusion for m in (figures.mnist, figures.pen) if m is not None]
        return np.sum(parts, axis=0) if parts else None

    a, b = combined(mine), combined(other)
    if a is None or b is None:
        return []
    rates_a = Measured(0.0, 0, a).error_rates()
    rates_b = Measured(0.0, 0, b).error_rates()
    worse = [(d, float(rates_a[d]), float(rates_b[d])) for d in range(10) if rates_a[d] > rates_b[d] + margin]
    return sorted(worse, key=lambda row: row[2] - row[1])
