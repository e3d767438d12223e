"""An exported model in int8: static QDQ quantization of its convolutions and dense layers, checked against it.

Why static and why only Conv and Gemm: the seed network spends most of a single input's time reading
the 1764 x 1764 float32 dense weights (12.4 MB); int8 weights are a quarter of that, and ONNX
Runtime's QDQ kernels for Conv and Gemm run on them directly. Dynamic quantization (activations
quantized at run time) was slower here than float. The softmax stays in float, so the probabilities
still sum to 1 and the app's contract check holds; the metadata, the inputs and the outputs
(`probabilities`, `logits`, `embedding`, any layer outputs) are those of the float model.

Calibration reads training images only (never the test set), and the result must agree with the
float model it came from within `QuantizationLimits` on the whole MNIST test set and on any
drawings' inputs given, before anything is written.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)

from digitpad.errors import ModelError
from digitpad.files import write_bytes_atomically
from digitpad.model.classifier import Classifier
from digitpad.model.contract import EMBEDDING_NAME, INPUT_NAME, MetadataKey
from training.config import TrainConfig
from training.data import Mnist, split_train_val
from training.errors import ExportError
from training.evaluate.mnist import predict_with_embeddings_in_batches

#: Training images the activation ranges are measured on.
CALIBRATION_IMAGES = 200
QUANTIZED_OPS = ("Conv", "Gemm")


@dataclass(frozen=True)
class QuantizationLimits:
    """How far the int8 model may stray from its float model."""

    min_agreement: float = 0.998  #: share of inputs with the same answer (MNIST test; drawings alike)
    max_accuracy_drop: float = 0.0005  #: MNIST test accuracy may fall by at most this (5 of 10,000)
    min_embedding_cosine: float = 0.99  #: mean cosine between the two models' embeddings


@dataclass(frozen=True)
class QuantizationReport:
    path: Path
    bytes: int
    float_accuracy: float  #: MNIST test accuracy of the float model
    int8_accuracy: float
    agreement: float  #: share of MNIST test images both models answer alike
    max_probability_difference: float
    embedding_cosine: float  #: mean over the test set; nan without an embedding output
    drawing_agreement: float | None  #: share of the drawings' inputs both answer alike (None: none given)

    def summary(self) -> str:
        drawings = "" if self.drawing_agreement is None else f" and {self.drawing_agreement:.2%} of the pen drawings"
        return (f"wrote {self.path} ({self.bytes / 1e6:.1f} MB): MNIST test {self.int8_accuracy:.2%} (float "
                f"{self.float_accuracy:.2%}); the same answer as the float model on {self.agreement:.2%} of the "
                f"MNIST test set{drawings}; embedding cosine {self.embedding_cosine:.4f}")

    def as_dict(self) -> dict[str, object]:
        return {**dataclasses.asdict(self), "path": str(self.path)}


class _Images(CalibrationDataReader):  # type: ignore[misc]  # onnxruntime ships no type hints
    """Feeds the calibration one image at a time, as the app runs the model."""

    def __init__(self, images: np.ndarray) -> None:
        self._batches: Iterator[np.ndarray] = iter(images[:, None, :, :].astype(np.float32))

    def get_next(self) -> dict[str, np.ndarray] | None:
        image = next(self._batches, None)
        return None if image is None else {INPUT_NAME: image[None]}


def quantized_bytes(float_model: bytes, calibration: np.ndarray) -> bytes:
    """The int8 QDQ model for a float model's bytes, calibrated on float32 images (N, 28, 28) in [0, 1]."""
    source = onnx.load_from_string(float_model)
    with tempfile.TemporaryDirectory(prefix="digitpad-quantize-") as folder:
        float_path, int8_path = Path(folder) / "float.onnx", Path(folder) / "int8.onnx"
        float_path.write_bytes(float_model)
        quantize_static(
            str(float_path), str(int8_path), _Images(calibration),
            quant_format=QuantFormat.QDQ, per_channel=True,
            weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8,
            op_types_to_quantize=list(QUANTIZED_OPS), calibrate_method=CalibrationMethod.MinMax,
        )
        quantized = onnx.load(str(int8_path))
    del quantized.metadata_props[:]
    quantized.metadata_props.extend(source.metadata_props)  # the float model's name, figures and recipe
    onnx.checker.check_model(quantized)
    data: bytes = quantized.SerializeToString()
    return data


def _with_int8_metadata(data: bytes, accuracy: float) -> bytes:
    """The model's own MNIST figure is the int8 model's, and its architecture says how it was quantized."""
    model = onnx.load_from_string(data)
    props = {p.key: p.value for p in model.metadata_props}
    props[MetadataKey.TEST_ACCURACY] = f"{accuracy:.4f}"
    props[MetadataKey.SUMMARY] = (props.get(MetadataKey.SUMMARY, "")
                                  + f" Weights in int8: {accuracy:.2%} of the MNIST test digits right.").strip()
    how = f"; int8 weights ({', '.join(QUANTIZED_OPS)} quantized per channel, static QDQ)"
    props[MetadataKey.ARCHITECTURE] = props.get(MetadataKey.ARCHITECTURE, "") + how
    onnx.helper.set_model_props(model, props)
    serialized: bytes = model.SerializeToString()
    return serialized


def _mean_cosine(a: np.ndarray, b: np.ndarray) -> float:
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    both = norms > 0  # an all-zero embedding on both sides is the same embedding
    cosines = np.ones(len(a))
    cosines[both] = (a[both] * b[both]).sum(axis=1) / norms[both]
    return float(cosines.mean())


def _classifier(data: bytes, folder: Path, name: str) -> Classifier:
    path = folder / name
    path.write_bytes(data)
    try:
        return Classifier(path)  # the app's own contract validation
    except ModelError as exc:
        raise ExportError(f"the app rejects the {name} model: {exc}") from None


def quantize_file(float_path: str | Path, out_path: str | Path, calibration: np.ndarray, test_images: np.ndarray,
                  test_labels: np.ndarray, drawing_inputs: np.ndarray | None = None,
                  limits: QuantizationLimits = QuantizationLimits()) -> QuantizationReport:
    """Write the int8 model of `float_path` to `out_path` once it passes `limits`; raises ExportError."""
    out_path = Path(out_path)
    float_bytes = Path(float_path).read_bytes()
    data = quantized_bytes(float_bytes, calibration)
    with tempfile.TemporaryDirectory(prefix="digitpad-quantize-check-") as name:
        folder = Path(name)
        reference, candidate = _classifier(float_bytes, folder, "float.onnx"), _classifier(data, folder, "int8.onnx")
        float_p, float_e = predict_with_embeddings_in_batches(reference, test_images)
        int8_p, int8_e = predict_with_embeddings_in_batches(candidate, test_images)
        drawing_agreement = None
        if drawing_inputs is not None and len(drawing_inputs):
            drawing_agreement = float((reference.predict(drawing_inputs).argmax(1)
                                       == candidate.predict(drawing_inputs).argmax(1)).mean())
    float_accuracy = float((float_p.argmax(1) == test_labels).mean())
    int8_accuracy = float((int8_p.argmax(1) == test_labels).mean())
    agreement = float((float_p.argmax(1) == int8_p.argmax(1)).mean())
    cosine = float("nan") if float_e is None or int8_e is None else _mean_cosine(float_e, int8_e)
    report = QuantizationReport(out_path, len(data), float_accuracy, int8_accuracy, agreement,
                                float(np.abs(float_p - int8_p).max()), cosine, drawing_agreement)
    problems = []
    if agreement < limits.min_agreement:
        problems.append(f"answers agree on {agreement:.2%} of the MNIST test set (at least {limits.min_agreement:.2%})")
    if float_accuracy - int8_accuracy > limits.max_accuracy_drop:
        problems.append(f"MNIST test accuracy falls from {float_accuracy:.2%} to {int8_accuracy:.2%}")
    if drawing_agreement is not None and drawing_agreement < limits.min_agreement:
        problems.append(f"answers agree on {drawing_agreement:.2%} of the drawings")
    if float_e is not None and cosine < limits.min_embedding_cosine:
        problems.append(f"the '{EMBEDDING_NAME}' output's mean cosine to the float model's is {cosine:.4f} "
                        f"(at least {limits.min_embedding_cosine})")
    if problems:
        raise ExportError("the int8 model strays from the float model: " + "; ".join(problems))
    data = _with_int8_metadata(data, int8_accuracy)
    report = dataclasses.replace(report, bytes=len(data))
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomically(out_path, data)
    except OSError as exc:
        raise ExportError(f"cannot write {out_path}: {exc.strerror or exc}") from None
    return report


def calibration_images(train_images: np.ndarray, train_labels: np.ndarray, val_size: int, seed: int) -> np.ndarray:
    """The first CALIBRATION_IMAGES of the training split (the validation digits left out), float32 in [0, 1]."""
    train = split_train_val(train_labels, val_size, seed)[0]
    images: np.ndarray = train_images[np.sort(train)[:CALIBRATION_IMAGES]].astype(np.float32) / 255
    return images


def pen_inputs(drawings_file: str | Path, float_model: str | Path) -> np.ndarray:
    """The app's model inputs (N, 28, 28) for every pen drawing in `drawings_file`, as the float model reads them."""
    from training import unipen
    from training.evaluate.drawings import model_inputs
    from training.unipen import place_samples

    samples = unipen.load_samples(drawings_file)
    spec = Classifier(Path(float_model)).info.normalization
    inputs: np.ndarray = model_inputs(place_samples(samples, 0), spec)
    return inputs


def quantize_checked(float_path: str | Path, out_path: str | Path, mnist: Mnist, config: TrainConfig,
                     drawings_file: str | Path | None) -> QuantizationReport:
    """`quantize_file` as the recipe and `python -m training quantize` run it: calibrated on the first
    training digits of `config`'s split, checked on MNIST's test set and, when `drawings_file` is given,
    on the app's inputs for all of its pen drawings."""
    drawings = pen_inputs(drawings_file, float_path) if drawings_file is not None else None
    calibration = calibration_images(mnist.train_images, mnist.train_labels, config.val_size, config.seed)
    return quantize_file(float_path, out_path, calibration, mnist.test_images.astype(np.float32) / 255,
                         mnist.test_labels, drawings)
