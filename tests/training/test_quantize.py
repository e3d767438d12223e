"""The int8 model: it keeps the contract and answers like its float model, or nothing is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from digitpad.model.choice import shipped_model_path
from digitpad.model.classifier import Classifier
from training.data import Mnist
from training.errors import ExportError
from training.quantize import CALIBRATION_IMAGES, QuantizationLimits, calibration_images, quantize_file

pytestmark = pytest.mark.slow  # a quantization and two passes over the MNIST test set: about 15 s


def test_calibration_reads_training_digits_only(mnist: Mnist) -> None:
    images = calibration_images(mnist.train_images, mnist.train_labels, val_size=500, seed=0)
    assert images.shape == (CALIBRATION_IMAGES, 28, 28) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0


def test_the_int8_model_answers_like_the_float_one(mnist: Mnist, tmp_path: Path) -> None:
    out = tmp_path / "int8.onnx"
    calibration = calibration_images(mnist.train_images, mnist.train_labels, val_size=500, seed=0)
    test = mnist.test_images.astype(np.float32) / 255
    drawings = test[:300]  # any model inputs: the check compares the two models' answers on them
    report = quantize_file(shipped_model_path(), out, calibration, test, mnist.test_labels, drawings)
    assert report.agreement >= 0.998 and report.drawing_agreement is not None and report.drawing_agreement >= 0.998
    assert report.embedding_cosine > 0.99
    assert out.stat().st_size < shipped_model_path().stat().st_size / 3  # int8 weights: a quarter, and some graph
    ops = {node.op_type for node in onnx.load(str(out)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Softmax"} <= ops
    float_model, int8_model = Classifier(shipped_model_path()), Classifier(out)
    assert int8_model.info.name == float_model.info.name  # the float model's metadata came along
    assert int8_model.info.metadata["digitpad.mnist_test_accuracy"] == f"{report.int8_accuracy:.4f}"  # its own
    assert "int8" in int8_model.info.metadata["digitpad.architecture"]
    probabilities = int8_model.predict(test[:50])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)  # softmax left in float
    assert int8_model.embedding_size == float_model.embedding_size


def test_an_int8_model_that_strays_is_not_written(mnist: Mnist, tmp_path: Path) -> None:
    out = tmp_path / "int8.onnx"
    calibration = calibration_images(mnist.train_images, mnist.train_labels, val_size=500, seed=0)
    test = mnist.test_images[:500].astype(np.float32) / 255
    impossible = QuantizationLimits(min_embedding_cosine=1.0 + 1e-9)
    with pytest.raises(ExportError, match="strays from the float model"):
        quantize_file(shipped_model_path(), out, calibration, test, mnist.test_labels[:500], limits=impossible)
    assert not out.exists()
