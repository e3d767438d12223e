"""Evaluate a model on the MNIST test set: accuracy, per-class figures, confusion matrix, mistakes.

Works on a training checkpoint (PyTorch) or on an exported ONNX file (through the app's own
`Classifier`), so the shipped model is judged exactly as the app runs it. Writes, atomically:
`metrics.json`, `confusion_matrix.png` and `misclassified.png` (every wrong test digit, labelled).

Every evaluation, and the checks of export and graph surgery, runs an ONNX model the app's way through
`predict_in_batches`. torch, scikit-learn and matplotlib are imported by the functions that use them,
so that this module, and `python -m training ... --help`, load without the [train] extra.
"""

from __future__ import annotations

import argparse
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from digitpad.files import write_bytes_atomically, write_text_atomically
from digitpad.model.classifier import Classifier
from digitpad.model.contract import LABELS
from digitpad.reading.prediction import CONFIDENCE_THRESHOLD
from training.download import add_data_options, obtain_mnist

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DEFAULT_MODEL = Path("models") / "digitpad.onnx"
BATCH = 1000  #: images per Classifier call, to bound memory
METRICS_FILE = "metrics.json"
CONFUSION_FILE = "confusion_matrix.png"
MISTAKES_FILE = "misclassified.png"
MAX_MISTAKES_SHOWN = 240  #: a bad model's thousands of mistakes would make a huge, slow image


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    log_loss: float  #: mean cross-entropy of the probabilities: low when confident and right
    report: dict[str, Any]  #: scikit-learn's classification_report, per class and averaged
    confusion: np.ndarray  #: (10, 10) counts, rows = true digit, columns = predicted digit
    predictions: np.ndarray  #: (N,) predicted digits
    probabilities: np.ndarray  #: (N, 10)

    def to_json(self, source: str) -> dict[str, Any]:
        confidence = self.probabilities.max(axis=1)
        return {
            "model": source,
            "test_images": int(len(self.predictions)),
            "accuracy": self.accuracy,
            "errors": int(self.confusion.sum() - np.trace(self.confusion)),
            "log_loss": self.log_loss,
            "mean_confidence": float(confidence.mean()),
            "below_app_confidence_threshold": {"threshold": CONFIDENCE_THRESHOLD,
                                               "fraction": float((confidence < CONFIDENCE_THRESHOLD).mean())},
            "per_class": {label: {k: self.report[label][k] for k in ("precision", "recall", "f1-score", "support")}
                          for label in LABELS},
            "confusion_matrix": self.confusion.tolist(),
            "confusion_matrix_axes": "rows: true digit 0-9, columns: predicted digit 0-9",
        }


def predict_in_batches(classifier: Classifier, images: np.ndarray, batch: int = BATCH) -> np.ndarray:
    """(N, 10) probabilities for float32 images (N, 28, 28) in [0, 1], through the app's Classifier."""
    if not len(images):
        return np.zeros((0, 10), np.float32)
    return np.concatenate([classifier.predict(images[i : i + batch]) for i in range(0, len(images), batch)])


def predict_with_embeddings_in_batches(
    classifier: Classifier, images: np.ndarray, batch: int = BATCH
) -> tuple[np.ndarray, np.ndarray | None]:
    """(N, 10) probabilities and (N, D) embeddings, None when the model has no `embedding` output."""
    runs = [classifier.predict_with_embeddings(images[i : i + batch]) for i in range(0, len(images), batch)]
    probabilities = np.concatenate([p for p, _ in runs]) if runs else np.zeros((0, 10), np.float32)
    if not runs or classifier.embedding_size is None:
        return probabilities, None
    return probabilities, np.concatenate([e for _, e in runs if e is not None])


def probabilities_of(model_path: str | os.PathLike[str], images: np.ndarray) -> np.ndarray:
    """(N, 10) probabilities from a .onnx file (via the app's Classifier) or a training checkpoint."""
    path = Path(model_path)
    float_images = images.astype(np.float32) / 255 if images.dtype == np.uint8 else images.astype(np.float32)
    if path.suffix == ".onnx":
        return predict_in_batches(Classifier(path), float_images)
    import torch

    from training.checkpoint import load_checkpoint, model_from_checkpoint
    from training.model import predict_logits, to_tensor

    model, _ = model_from_checkpoint(load_checkpoint(path))
    return torch.softmax(predict_logits(model, to_tensor(float_images)), dim=1).numpy()


def evaluate_probabilities(probabilities: np.ndarray, labels: np.ndarray) -> Evaluation:
    from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, log_loss

    predictions = probabilities.argmax(axis=1)
    digits = list(range(len(LABELS)))
    return Evaluation(
        accuracy=float(accuracy_score(labels, predictions)),
        log_loss=float(log_loss(labels, probabilities, labels=digits)),
        report=classification_report(labels, predictions, labels=digits, target_names=list(LABELS),
                                     output_dict=True, zero_division=0),
        confusion=confusion_matrix(labels, predictions, labels=digits),
        predictions=predictions,
        probabilities=probabilities,
    )


def _png(figure: Figure, tight: bool = True) -> bytes:
    """The figure as PNG bytes; `tight` trims it to what is drawn (one more drawing pass)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight" if tight else None)
    return buffer.getvalue()


def confusion_png(evaluation: Evaluation, title: str) -> bytes:
    from matplotlib.figure import Figure  # the object API draws off screen: no pyplot, no window
    from sklearn.metrics import ConfusionMatrixDisplay

    figure = Figure(figsize=(7, 6))
    axes = figure.subplots()
    ConfusionMatrixDisplay(evaluation.confusion, display_labels=list(LABELS)).plot(
        ax=axes, cmap="Blues", values_format="d", colorbar=False)
    axes.set_title(title)
    return _png(figure)


def mistakes_png(images: np.ndarray, labels: np.ndarray, evaluation: Evaluation, columns: int = 12,
                 limit: int = MAX_MISTAKES_SHOWN) -> bytes:
    """The misclassified digits (all of them, up to `limit`), titled 'true→predicted probability'.

    The digits are tiled into one picture drawn in one axes: a bad model's 240 mistakes as 240 axes
    took matplotlib 7 s (a recipe's evaluation stage, and every comparison the Train window measures).
    """
    from matplotlib.figure import Figure

    everything = np.flatnonzero(evaluation.predictions != labels)
    wrong = everything[:limit]
    rows = max(1, -(-len(wrong) // columns))
    side, gap, caption = 28, 4, 12  # pixels: a digit, the space around it, its caption above
    cell_w, cell_h = side + 2 * gap, side + gap + caption
    scale = 1.0 if images.dtype != np.uint8 else 1 / 255
    sheet = np.zeros((rows * cell_h, columns * cell_w), dtype=np.float32)
    for n, index in enumerate(wrong):
        top, left = (n // columns) * cell_h + caption, (n % columns) * cell_w + gap
        sheet[top:top + side, left:left + side] = np.asarray(images[index], dtype=np.float32) * scale
    height = rows * cell_h / 32 + 0.4  # inches: the sheet at 100 dpi over 32 px an inch, and the title
    figure = Figure(figsize=(columns * cell_w / 32, height))
    axes = figure.add_axes((0, 0, 1, 1 - 0.4 / height))
    axes.imshow(sheet, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    axes.axis("off")
    for n, index in enumerate(wrong):
        predicted = evaluation.predictions[index]
        axes.text((n % columns) * cell_w + cell_w / 2, (n // columns) * cell_h + caption - 2,
                  f"{labels[index]}→{predicted} {evaluation.probabilities[index, predicted]:.2f}",
                  fontsize=7, ha="center", va="bottom")
    shown = f"{len(everything)}" if len(wrong) == len(everything) else f"the first {len(wrong)} of {len(everything)}"
    figure.suptitle(f"{shown} misclassified test digits (true→predicted, probability)", fontsize=10,
                    y=1 - 0.1 / height, va="top")
    return _png(figure, tight=False)  # laid out to fit already


def write_report(evaluation: Evaluation, images: np.ndarray, labels: np.ndarray, out_dir: str | os.PathLike[str],
                 source: str) -> dict[str, Path]:
    """metrics.json, confusion_matrix.png and misclassified.png in `out_dir`; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"metrics": out / METRICS_FILE, "confusion": out / CONFUSION_FILE, "mistakes": out / MISTAKES_FILE}
    write_text_atomically(paths["metrics"], json.dumps(evaluation.to_json(source), indent=2) + "\n")
    title = f"MNIST test: {evaluation.accuracy:.2%} of {len(labels):,} digits"
    write_bytes_atomically(paths["confusion"], confusion_png(evaluation, title))
    write_bytes_atomically(paths["mistakes"], mistakes_png(images, labels, evaluation))
    return paths


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`python -m training evaluate`."""
    parser.description = ("Evaluate a checkpoint (.pt) or an ONNX model (.onnx, run by the app's classifier) on "
                          "the MNIST test set.")
    parser.add_argument("model", type=Path, nargs="?", default=DEFAULT_MODEL,
                        help=f"checkpoint or ONNX file (default {DEFAULT_MODEL})")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="folder for metrics.json, confusion_matrix.png and misclassified.png "
                             "(default: the model's folder)")
    add_data_options(parser)


def run(args: argparse.Namespace) -> int:
    mnist = obtain_mnist(args.data_dir, args.mirror, progress=not args.quiet)
    evaluation = evaluate_probabilities(probabilities_of(args.model, mnist.test_images), mnist.test_labels)
    paths = write_report(evaluation, mnist.test_images, mnist.test_labels, args.out or args.model.parent,
                         source=str(args.model))
    print(f"{args.model}: MNIST test accuracy {evaluation.accuracy:.4f} "
          f"({int(len(mnist.test_labels) - round(evaluation.accuracy * len(mnist.test_labels)))} errors)")
    for label in evaluation.report:
        if label in ("accuracy",):
            continue
        row = evaluation.report[label]
        print(f"  {label:>12}: precision {row['precision']:.4f}  recall {row['recall']:.4f}  "
              f"support {row['support']:.0f}")
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0
