"""Evaluation: accuracy, per-class figures and confusion matrix as JSON, and the two PNG plots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from training.data import Mnist
from training.evaluate.mnist import evaluate_probabilities, probabilities_of, write_report
from training.export import ExportReport
from training.train import TrainResult

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_report_files_from_a_checkpoint_and_its_onnx_export_agree(smoke_run: TrainResult, exported: ExportReport,
                                                                  mnist: Mnist, tmp_path: Path) -> None:
    images, labels = mnist.test_images[:600], mnist.test_labels[:600]
    from_checkpoint = evaluate_probabilities(probabilities_of(smoke_run.best_path, images), labels)
    onnx_path = exported.path
    from_onnx = evaluate_probabilities(probabilities_of(onnx_path, images), labels)
    assert from_onnx.accuracy == from_checkpoint.accuracy > 0.8
    assert np.array_equal(from_onnx.confusion, from_checkpoint.confusion)

    paths = write_report(from_onnx, images, labels, tmp_path / "report", source=str(onnx_path))
    metrics = json.loads(paths["metrics"].read_text())
    assert metrics["accuracy"] == from_onnx.accuracy and metrics["test_images"] == 600
    confusion = np.array(metrics["confusion_matrix"])
    assert confusion.shape == (10, 10) and confusion.sum() == 600
    assert metrics["errors"] == 600 - np.trace(confusion) == int(round((1 - from_onnx.accuracy) * 600))
    assert [metrics["per_class"][str(d)]["support"] for d in range(10)] == np.bincount(labels, minlength=10).tolist()
    # rows are the true digits, columns the predictions
    assert metrics["per_class"]["3"]["recall"] == confusion[3, 3] / confusion[3].sum()
    assert metrics["per_class"]["3"]["precision"] == confusion[3, 3] / confusion[:, 3].sum()
    for key in ("confusion", "mistakes"):
        assert paths[key].read_bytes().startswith(PNG_SIGNATURE)
