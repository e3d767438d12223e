from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, external_data_helper

from digitpad.errors import InferenceError, ModelContractError, ModelError, ModelNotFoundError, ModelTimeoutError
from digitpad.ink.normalize import MNIST, Normalization
from digitpad.model.classifier import MAX_MODEL_BYTES, Classifier, probe_images
from digitpad.model.contract import MetadataKey
from tests.onnx_models import linear_model, looping_model, unnormalized_on_ink_model

#: A gray (antialiased) stroke, as every real drawing has: the "gray" test models misbehave on it.
GRAY_INK = probe_images()[1:] * 0.5


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
        # Another convention is tried on MNIST digits (tests/test_adapter.py): this one's random weights read none.
        ({"input_name": "x"}, "does not look like a digit classifier"),
        ({"input_shape": ("N", 784)}, "does not look like a digit classifier"),
        ({"input_shape": ("N", 1, 32, 32)}, "shape"),
        ({"input_type": TensorProto.DOUBLE}, "tensor(double)"),
        ({"output_name": "scores"}, "does not look like a digit classifier"),
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


def test_shipped_model_keeps_the_contract(shipped_model: Path, mnist_test: tuple[np.ndarray, np.ndarray]) -> None:
    """It loads (the contract is checked then) and answers; its MNIST accuracy is checked once, by
    `tests/training/test_shipped_model.py`."""
    classifier = Classifier(shipped_model)
    probabilities = classifier.predict(mnist_test[0][:10])
    assert probabilities.shape == (10, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-3)
    assert classifier.embedding_size == 1764 and classifier.info.test_accuracy is not None


@pytest.mark.parametrize("trigger", ["ink", "always"])
def test_a_model_that_hangs_is_stopped_and_refused_when_it_loads(tmp_path: Path, trigger: str) -> None:
    """A Loop of sum(ink) * 1e9 trips passes a blank-only check; a 10^12-trip loop hangs any check."""
    with pytest.raises(ModelContractError, match="was stopped"):
        Classifier(looping_model(tmp_path / "loops.onnx", trigger), run_seconds=0.5)


def test_a_model_that_hangs_at_run_time_is_stopped_with_a_timeout_error(tmp_path: Path) -> None:
    classifier = Classifier(looping_model(tmp_path / "loops.onnx", "gray"), run_seconds=0.5)
    assert classifier.predict(probe_images()).shape == (2, 10)
    with pytest.raises(ModelTimeoutError, match=r"ran for more than 0\.55 s on 1 image\(s\) and was stopped"):
        classifier.predict(GRAY_INK)
    assert classifier.predict(probe_images()).shape == (2, 10)  # the session is still usable


def test_a_model_that_breaks_softmax_on_ink_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelContractError, match="not probabilities"):
        Classifier(unnormalized_on_ink_model(tmp_path / "ink.onnx"))
    classifier = Classifier(unnormalized_on_ink_model(tmp_path / "gray.onnx", "gray"))
    with pytest.raises(InferenceError, match="not probabilities: they sum to 2 "):
        classifier.predict(GRAY_INK)  # never shown as a confident answer


@pytest.mark.parametrize(
    ("preprocessing", "message"),
    [
        ('{"box": 0}', '"box" must lie in [1, 28], got 0'),
        ('{"frame": 10}', '"frame" must be 28, got 10'),
        ('{"frame": "28"}', '"frame" must be 28, got "28"'),
        ('{"pen": 2.5, "smoothing": 1e-9}', '"smoothing" must be 0 or at least 0.005'),
        ('{"pen": 64}', '"pen" must lie in [0, 8]'),
        ('{"center": NaN}', '"center" must be a number, got NaN'),
        ('{"box": true}', '"box" must be a number, got true'),
        ("[1, 2]", "must be a JSON object"),
        ("{", "not valid JSON"),
    ],
)
def test_preprocessing_metadata_is_validated_when_the_model_loads(
    tmp_path: Path, preprocessing: str, message: str
) -> None:
    path = linear_model(tmp_path / "m.onnx", metadata={MetadataKey.PREPROCESSING: preprocessing})
    with pytest.raises(ModelContractError, match="does not fit digitpad") as caught:
        Classifier(path)
    assert message in str(caught.value)


def test_external_data_counts_against_the_size_limit(tmp_path: Path) -> None:
    """A tiny .onnx beside a 3 GB (sparse) weights file is refused before ONNX Runtime reads it."""
    model = onnx.load(linear_model(tmp_path / "m.onnx"))
    onnx.save_model(model, tmp_path / "ext.onnx", save_as_external_data=True, location="weights.bin", size_threshold=0)
    assert Classifier(tmp_path / "ext.onnx").predict(probe_images()).shape == (2, 10)  # small external data is fine
    model = onnx.load(tmp_path / "m.onnx")
    for tensor in model.graph.initializer:
        if tensor.name == "weight":
            external_data_helper.set_external_data(tensor, "huge.bin", length=3 << 30)
            tensor.data_location = TensorProto.EXTERNAL
            tensor.ClearField("raw_data")
    with open(tmp_path / "huge.bin", "wb") as stream:
        stream.truncate(3 << 30)  # sparse: no disk space, no memory
    onnx.save_model(model, tmp_path / "tiny.onnx")
    assert (tmp_path / "tiny.onnx").stat().st_size < 1000
    with pytest.raises(ModelError, match=f"larger than the {MAX_MODEL_BYTES:,}-byte model limit"):
        Classifier(tmp_path / "tiny.onnx")


def test_external_data_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    model = onnx.load(linear_model(tmp_path / "m.onnx"))
    for tensor in model.graph.initializer:
        external_data_helper.set_external_data(tensor, "zero.bin")
        tensor.data_location = TensorProto.EXTERNAL
        tensor.ClearField("raw_data")
    onnx.save_model(model, tmp_path / "zero.onnx")
    (tmp_path / "zero.bin").symlink_to("/dev/zero")
    with pytest.raises(ModelError, match="'zero.bin' is not a regular file"):
        Classifier(tmp_path / "zero.onnx")
