from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto

from digitpad.classifier import Classifier
from digitpad.contract import MetadataKey
from digitpad.errors import ModelContractError, ModelError, ModelNotFoundError
from digitpad.normalize import MNIST, Normalization
from tests.onnx_models import linear_model


def test_a_contract_model_loads_and_reads_its_metadata(tmp_path: Path) -> None:
    path = linear_model(
        tmp_path / "m.onnx",
        metadata={
            MetadataKey.NAME: "tiny",
            MetadataKey.SUMMARY: "A test model.",
            MetadataKey.TEST_ACCURACY: "0.9123",
            MetadataKey.PREPROCESSING: '{"box": 18.0, "frame": 28, "center": 14.5}',
        },
    )
    classifier = Classifier(path)
    assert classifier.info.name == "tiny" and classifier.info.summary == "A test model."
    assert classifier.info.test_accuracy == pytest.approx(0.9123)
    assert classifier.info.normalization == Normalization(box=18.0)
    probabilities = classifier.predict(np.zeros((3, 28, 28), np.float32))
    assert probabilities.shape == (3, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)


def test_missing_metadata_falls_back_to_the_file_name_and_mnist(tmp_path: Path) -> None:
    info = Classifier(linear_model(tmp_path / "plain.onnx")).info
    assert (info.name, info.test_accuracy, info.normalization) == ("plain", None, MNIST)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_name": "x"}, "inputs are ['x']"),
        ({"input_shape": ("N", 784)}, "shape"),
        ({"input_shape": ("N", 1, 32, 32)}, "shape"),
        ({"input_type": TensorProto.DOUBLE}, "tensor(double)"),
        ({"output_name": "scores"}, "no output 'probabilities'"),
        ({"classes": 5}, "shape"),
        ({"softmax": False}, "not probabilities"),
    ],
)
def test_contract_breaches_are_named(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    path = linear_model(tmp_path / "bad.onnx", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ModelContractError) as caught:
        Classifier(path)
    assert message in str(caught.value)


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="no model file"):
        Classifier(tmp_path / "nope.onnx")
    text = tmp_path / "text.onnx"
    text.write_text("not a model")
    with pytest.raises(ModelError, match="not a usable ONNX model"):
        Classifier(text)
    good = linear_model(tmp_path / "good.onnx").read_bytes()
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(ModelError, match="truncated.onnx"):
        Classifier(truncated)


def test_shipped_model_keeps_the_contract_and_reads_mnist(
    shipped_model: Path, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = mnist_test
    predicted = Classifier(shipped_model).predict(images[:2000]).argmax(axis=1)
    assert float((predicted == labels[:2000]).mean()) > 0.98
