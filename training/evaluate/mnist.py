"""Evaluate a model on the MNIST test set: accuracy, per-class figures, confusion matrix, mistakes.

Works on a training checkpoint (PyTorch) or on an exported ONNX file (through the app's own
`Classifier`), so the shipped model is judged exactly as the app runs it. Writes, atomically:
`metrics.json`, `confusion_matrix.png` and `misclassified.png` (every wrong test digit, labelled).
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure  # the object API draws off screen: no pyplot, no window
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, classification_report, confusion_matrix, log_loss

from digitpad.files import write_bytes_atomically, write_text_atomically
from digitpad.model.classifier import Classifier
from digitpad.model.contract import LABELS
from digitpad.reading.prediction import CONFIDENCE_THRESHOLD
from training.checkpoint import load_checkpoint, model_from_checkpoint
from training.onnx_predict import predict_in_batches
from training.tensors import predict_logits, to_tensor

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


def probabilities_of(model_path: str | os.PathLike[str], images: np.ndarray) -> np.ndarray:
    """(N, 10) probabilities from a .onnx file (via the app's Classifier) or a training checkpoint."""
    path = Path(model_path)
    float_images = images.astype(np.float32) / 255 if images.dtype == np.uint8 else images.astype(np.float32)
    if path.suffix == ".onnx":
        return predict_in_batches(Classifier(path), float_images)
    model, _ = model_from_checkpoint(load_checkpoint(path))
    return torch.softmax(predict_logits(model, to_tensor(float_images)), dim=1).numpy()


def evaluate_probabilities(probabilities: np.ndarray, labels: np.ndarray) -> Evaluation:
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


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def confusion_png(evaluation: Evaluation, title: str) -> bytes:
    figure = Figure(figsize=(7, 6))
    axes = figure.subplots()
    ConfusionMatrixDisplay(evaluation.confusion, display_labels=list(LABELS)).plot(
        ax=axes, cmap="Blues", values_format="d", colorbar=False)
    axes.set_title(title)
    return _png(figure)


def mistakes_png(images: np.ndarray, labels: np.ndarray, evaluation: Evaluation, columns: int = 12,
                 limit: int = MAX_MISTAKES_SHOWN) -> bytes:
    """The misclassified digits (all of them, up to `limit`), titled 'true→predicted probability'."""
    everything = np.flatnonzero(evaluation.predictions != labels)
    wrong = everything[:limit]
    rows = max(1, -(-len(wrong) // columns))
    figure = Figure(figsize=(columns * 1.1, rows * 1.25))
    axes = figure.subplots(rows, columns, squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    for axis, index in zip(axes.flat, wrong, strict=False):
        predicted = evaluation.predictions[index]
        axis.imshow(images[index], cmap="gray_r", vmin=0, vmax=255 if images.dtype == np.uint8 else 1)
        axis.set_title(f"{labels[index]}→{predicted} {evaluation.probabilities[index, predicted]:.2f}", fontsize=8)
    shown = f"{len(everything)}" if len(wrong) == len(everything) else f"the first {len(wrong)} of {len(everything)}"
    figure.suptitle(f"{shown} misclassified test digits (true→predicted, probability)", fontsize=10)
    return _png(figure)


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
