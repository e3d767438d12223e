"""The ONNX Runtime classifier: loads a model, checks it keeps the contract, runs it.

Widgets never touch onnxruntime: everything goes through `Classifier`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime as ort

from digitpad.contract import (
    EMBEDDING_NAME,
    IMAGE_SIZE,
    INPUT_NAME,
    LABELS,
    NUM_CLASSES,
    OUTPUT_NAME,
    MetadataKey,
    normalization_from_metadata,
)
from digitpad.errors import InferenceError, ModelContractError, ModelError, ModelNotFoundError
from digitpad.normalize import Normalization

#: ONNX Runtime threads per inference: a 28x28 image is too small to share among more, and
#: threads that spin while waiting for work steal the CPU from drawing on a busy machine.
INFERENCE_THREADS = 2

#: Refuse model files larger than this before parsing them (the shipped model is ~13 MB).
MAX_MODEL_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class ModelInfo:
    """What a model says about itself, for the status bar, the About dialog and the CLI."""

    path: Path
    name: str
    summary: str
    labels: tuple[str, ...]
    test_accuracy: float | None
    normalization: Normalization
    metadata: dict[str, str] = field(default_factory=dict)
    #: accuracy on pen drawings by writers the model was not trained on, if its makers measured it
    drawing_accuracy: float | None = None


def _float_or_none(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _labels(metadata: dict[str, str]) -> tuple[str, ...]:
    try:
        labels = json.loads(metadata[MetadataKey.LABELS])
    except (KeyError, ValueError):
        return LABELS
    if isinstance(labels, list) and len(labels) == NUM_CLASSES:
        return tuple(str(label) for label in labels)
    return LABELS


def _check_dims(kind: str, name: str, shape: list[object], expected: tuple[int | None, ...]) -> None:
    """Fixed dims must match; the batch dim (None) may be symbolic or any number."""
    if len(shape) != len(expected) or any(
        want is not None and isinstance(got, int) and got != want for got, want in zip(shape, expected)
    ):
        pretty = ["N" if e is None else e for e in expected]
        raise ModelContractError(f"the model's {kind} '{name}' has shape {shape}; digitpad needs {pretty}")


class Classifier:
    """A validated ONNX model that maps (N, 28, 28) images to (N, 10) probabilities."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._session = self._open_session(self.path)
        try:
            self._check_contract()
        except ModelContractError as exc:
            raise ModelContractError(f"{self.path} does not fit digitpad: {exc}") from None
        #: width of the optional `embedding` output (None: the model has none, so no adaptation)
        self.embedding_size = self._embedding_size()
        metadata = dict(self._session.get_modelmeta().custom_metadata_map)
        self.info = ModelInfo(
            path=self.path,
            name=metadata.get(MetadataKey.NAME) or self.path.stem,
            summary=metadata.get(MetadataKey.SUMMARY, ""),
            labels=_labels(metadata),
            test_accuracy=_float_or_none(metadata.get(MetadataKey.TEST_ACCURACY)),
            normalization=normalization_from_metadata(metadata),
            metadata=metadata,
            drawing_accuracy=_float_or_none(metadata.get(MetadataKey.DRAWING_ACCURACY)),
        )

    @staticmethod
    def _open_session(path: Path) -> ort.InferenceSession:
        if not path.is_file():
            raise ModelNotFoundError(f"no model file at {path}")
        size = path.stat().st_size
        if size > MAX_MODEL_BYTES:
            raise ModelError(f"{path}: {size:,} bytes is larger than the {MAX_MODEL_BYTES:,}-byte model limit")
        options = ort.SessionOptions()
        options.log_severity_level = 4  # fatal only: digitpad reports errors itself, once, in its own words
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = min(INFERENCE_THREADS, os.cpu_count() or 1)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises several unrelated types for a bad file
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{path} is not a usable ONNX model: {first_line}") from None

    def _check_contract(self) -> None:
        inputs = self._session.get_inputs()
        if [i.name for i in inputs] != [INPUT_NAME]:
            raise ModelContractError(
                f"the model's inputs are {[i.name for i in inputs]}; digitpad needs exactly ['{INPUT_NAME}']"
            )
        image = inputs[0]
        if image.type != "tensor(float)":
            raise ModelContractError(f"the model's input '{INPUT_NAME}' is {image.type}; digitpad needs tensor(float)")
        _check_dims("input", INPUT_NAME, list(image.shape), (None, 1, IMAGE_SIZE, IMAGE_SIZE))
        outputs = {o.name: o for o in self._session.get_outputs()}
        if OUTPUT_NAME not in outputs:
            raise ModelContractError(f"the model has no output '{OUTPUT_NAME}' (it has {sorted(outputs)})")
        output = outputs[OUTPUT_NAME]
        if output.type != "tensor(float)":
            raise ModelContractError(
                f"the model's output '{OUTPUT_NAME}' is {output.type}; digitpad needs tensor(float)"
            )
        _check_dims("output", OUTPUT_NAME, list(output.shape), (None, NUM_CLASSES))
        # Shapes in the graph can be symbolic or wrong: run it once to see what it really does.
        try:
            probe = self.predict(np.zeros((2, IMAGE_SIZE, IMAGE_SIZE), np.float32))
        except InferenceError as exc:
            raise ModelContractError(f"the model fails on a blank batch of two images: {exc}") from None
        if not np.allclose(probe.sum(axis=1), 1.0, atol=1e-3) or (probe < 0).any():
            raise ModelContractError(f"the model's '{OUTPUT_NAME}' are not probabilities: they do not sum to 1")

    def _embedding_size(self) -> int | None:
        """The embedding's width if the model has a usable `embedding` output, else None (ignored, not refused)."""
        output = {o.name: o for o in self._session.get_outputs()}.get(EMBEDDING_NAME)
        if output is None or output.type != "tensor(float)" or len(output.shape) != 2:
            return None
        try:
            _, embeddings = self._run_with_embeddings(np.zeros((2, IMAGE_SIZE, IMAGE_SIZE), np.float32))
        except InferenceError:
            return None
        return int(embeddings.shape[1]) if embeddings.shape[1] > 0 else None

    def predict_with_embeddings(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Probabilities (N, 10) and embeddings (N, D) in one run; embeddings None when the model has none."""
        if self.embedding_size is None:
            return self.predict(images), None
        return self._run_with_embeddings(images)

    def _run_with_embeddings(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch = np.ascontiguousarray(images, dtype=np.float32).reshape(-1, 1, IMAGE_SIZE, IMAGE_SIZE)
        try:
            probabilities, embeddings = self._session.run([OUTPUT_NAME, EMBEDDING_NAME], {INPUT_NAME: batch})
        except Exception as exc:  # onnxruntime's own exception types are not public
            raise InferenceError(f"the model failed while running: {str(exc).strip().splitlines()[0]}") from None
        probabilities = np.asarray(probabilities, dtype=np.float32)
        embeddings = np.asarray(embeddings, dtype=np.float32)
        shapes_ok = probabilities.shape == (len(batch), NUM_CLASSES) and embeddings.ndim == 2
        if not shapes_ok or len(embeddings) != len(batch) or not np.isfinite(probabilities).all() \
                or not np.isfinite(embeddings).all():
            raise InferenceError(f"the model returned {probabilities.shape} probabilities and {embeddings.shape} "
                                 f"embeddings for {len(batch)} images; expected finite values, one row per image")
        return probabilities, embeddings

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Probabilities (N, 10) for float32 images (N, 28, 28) or (N, 1, 28, 28) in [0, 1]."""
        batch = np.ascontiguousarray(images, dtype=np.float32).reshape(-1, 1, IMAGE_SIZE, IMAGE_SIZE)
        try:
            (probabilities,) = self._session.run([OUTPUT_NAME], {INPUT_NAME: batch})
        except Exception as exc:  # onnxruntime's own exception types are not public
            raise InferenceError(
                f"the model failed while running: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}"
            ) from None
        probabilities = np.asarray(probabilities, dtype=np.float32)
        if probabilities.shape != (len(batch), NUM_CLASSES) or not np.isfinite(probabilities).all():
            raise InferenceError(
                f"the model returned {probabilities.shape} values (finite: {bool(np.isfinite(probabilities).all())}) "
                f"for {len(batch)} images; expected {(len(batch), NUM_CLASSES)} finite probabilities"
            )
        return probabilities
