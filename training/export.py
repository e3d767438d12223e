"""Export a checkpoint to the ONNX file the app loads, and prove it computes what PyTorch does.

Steps, any of which fails the export before the target file is touched:
1. rebuild the network from the checkpoint alone, calibrate its probabilities with one
   temperature fitted on the validation split (see `fit_temperature`), and export it (dynamic batch axis);
2. attach the metadata the app reads (labels, input convention, preprocessing, architecture,
   test accuracy, data checksums, recipe, creation time) and run `onnx.checker`'s full check;
3. load the bytes with the app's own `Classifier` (its contract validation) and run the whole
   MNIST test set through it: probabilities within `tolerance` of PyTorch's, identical argmax, and
   the `embedding` output (the dense layer's activations, for the app's adaptation) within
   `EMBEDDING_TOLERANCE` of PyTorch's `SeedNet.embed`, and the layer outputs that Look Inside shows
   (`training.layer_outputs`, added to the exported graph) within `LAYER_TOLERANCE` of PyTorch's;
4. only then replace the target, atomically (temp file + rename).
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
import torch.nn.functional as F

from digitpad.errors import ModelError
from digitpad.files import write_bytes_atomically
from digitpad.model.classifier import Classifier
from digitpad.model.contract import (
    EMBEDDING_NAME,
    INPUT_CONVENTION,
    INPUT_NAME,
    LABELS,
    LOGITS_NAME,
    OUTPUT_NAME,
    MetadataKey,
    normalization_to_metadata,
)
from training.checkpoint import load_checkpoint, model_from_checkpoint
from training.config import TrainConfig
from training.data import Mnist, split_train_val
from training.embedding_output import EMBEDDING_TOLERANCE
from training.errors import ExportError
from training.evaluate.mnist import predict_with_embeddings_in_batches
from training.layer_outputs import add_layer_outputs, check_layer_outputs
from training.model import ProbabilitiesAndLogits, SeedNet, count_parameters, predict_logits, to_tensor

OPSET = 18
#: IR version 8 (ONNX 1.13) is the oldest that carries opset 18: readable by onnxruntime >= 1.14.
IR_VERSION = 8
PARITY_TOLERANCE = 1e-5  #: largest allowed |p_onnx - p_torch| on any test image and class


@dataclass(frozen=True)
class ExportReport:
    path: Path
    bytes: int
    test_accuracy: float  #: on the MNIST test set, as run by the exported file
    max_abs_difference: float  #: largest |p_onnx - p_torch| over the test set
    temperature: float  #: the calibration folded into the last layer (1.0 = none)
    metadata: dict[str, str]

    @property
    def name(self) -> str:
        return self.metadata[MetadataKey.NAME]


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The exporter logs about optional packages (torchvision) and internals: not our concern."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=FutureWarning)
            warnings.simplefilter("ignore", category=DeprecationWarning)
            yield
    finally:
        logger.setLevel(level)


def build_onnx(model: SeedNet) -> onnx.ModelProto:
    """The graph image (N, 1, 28, 28) → probabilities (N, 10), logits (N, 10), embedding (N, 1764) and the
    layer outputs (`digitpad.model.contract.LAYER_OUTPUTS`, `FILTER_OUTPUTS`), N free."""
    wrapper = ProbabilitiesAndLogits(model.cpu().float().eval()).eval()
    example = torch.zeros(2, 1, model.config.image_size, model.config.image_size)
    with _quiet_exporter():
        program = torch.onnx.export(
            wrapper, (example,), dynamo=True, opset_version=OPSET, verbose=False,
            input_names=[INPUT_NAME], output_names=[OUTPUT_NAME, LOGITS_NAME, EMBEDDING_NAME],
            dynamic_shapes=({0: torch.export.Dim("N")},),
        )
    if program is None:  # only without dynamo=True
        raise ExportError("torch.onnx.export returned no program")
    proto = program.model_proto
    proto.ir_version = IR_VERSION
    return add_layer_outputs(proto)  # the layers and filters Look Inside shows


def architecture_text(model: SeedNet) -> str:
    c = model.config
    return (f"seed convnet of the TensorFlow MNIST tutorial: (x - {c.input_mean}) / {c.input_std} → "
            f"conv {c.kernel_size}x{c.kernel_size}x{c.conv1_filters} same, ReLU → max-pool 2x2 → "
            f"conv {c.kernel_size}x{c.kernel_size}x{c.conv2_filters} same, ReLU → max-pool 2x2 → "
            f"dense {c.dense_units}, ReLU → dropout {c.dropout} (training only) → dense {c.num_classes} → softmax; "
            f"{count_parameters(model):,} parameters")


def build_metadata(checkpoint: dict[str, Any], model: SeedNet, test_accuracy: float, test_images: int,
                   temperature: float, name: str, drawing_accuracy: float | None = None) -> dict[str, str]:
    """Every metadata entry the app reads; the drawing accuracy comes from `evaluate-drawings`."""
    config = TrainConfig.from_dict(checkpoint["config"])
    data = checkpoint["data"]
    checksums = dict(data["mnist_md5"]) | {extra["name"]: extra["md5"] for extra in data["extra"]}
    recipe = {
        "trainer": "python -m training train",
        "config": config.to_dict(),
        "selected_epoch": checkpoint.get("epoch"),
        "val_accuracy": checkpoint.get("val_accuracy"),
        "mnist_train_images": data["mnist_train_images"],
        "mnist_val_images": data["mnist_val_images"],
        "extra_data": data["extra"],
        "fine_tuned_from_md5": data.get("init_from_md5"),
        "interpolation": data.get("interpolation"),  # weights averaged with the base network's
        "temperature": temperature,  # softmax(logits / T), fitted on the validation split, folded in
    }
    augmentation = "augmentation (rotation, scale, shear, translation, elastic distortion, pen width)" \
        if config.augment.enabled else "no augmentation"
    extra = f" and {', '.join(e['name'] for e in data['extra'])}" if data["extra"] else ""
    history = ""
    if data.get("init_from_md5"):
        history = " Fine-tuned from a network trained the same way on MNIST alone"
        if data.get("interpolation"):
            share = data["interpolation"]["tuned_weight"]
            history += f", then averaged with it ({share:.0%} fine-tuned weights)"
        history += "."
    calibration = (f" Probabilities calibrated by temperature scaling (T = {temperature:.3f}, fitted on held-out "
                   f"training digits)." if temperature != 1.0 else "")
    summary = (f"The convnet of the classic TensorFlow MNIST tutorial, trained in PyTorch on MNIST{extra}, with "
               f"AdamW, a one-cycle schedule, {augmentation} and label smoothing {config.label_smoothing}.{history}"
               f"{calibration} {test_accuracy:.2%} of the {test_images:,} MNIST test digits right.")
    if drawing_accuracy is not None:
        summary += f" {drawing_accuracy:.2%} of pen-drawn digits by writers it was not trained on."
    drawing = {} if drawing_accuracy is None else {MetadataKey.DRAWING_ACCURACY: f"{drawing_accuracy:.4f}"}
    return drawing | {
        MetadataKey.NAME: name,
        MetadataKey.SUMMARY: summary,
        MetadataKey.LABELS: json.dumps(list(LABELS)),
        MetadataKey.INPUT_CONVENTION: INPUT_CONVENTION,
        MetadataKey.PREPROCESSING: normalization_to_metadata(config.normalization),
        MetadataKey.ARCHITECTURE: architecture_text(model),
        MetadataKey.TEST_ACCURACY: f"{test_accuracy:.4f}",
        MetadataKey.DATA_CHECKSUMS: json.dumps(checksums, sort_keys=True),
        MetadataKey.RECIPE: json.dumps(recipe, sort_keys=True),
        MetadataKey.CREATED: datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def read_drawing_accuracy(report: Path) -> float:
    """The app pipeline's accuracy in an `evaluate-drawings` report.json."""
    try:
        accuracy = json.loads(report.read_text())["app"]["accuracy"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ExportError(f"{report} is not a report of `python -m training evaluate-drawings` ({exc})") from None
    if not isinstance(accuracy, float) or not 0 <= accuracy <= 1:
        raise ExportError(f"{report}: the accuracy {accuracy!r} is not a fraction")
    return accuracy


def _check_parity(onnx_probabilities: np.ndarray, torch_probabilities: np.ndarray, tolerance: float) -> float:
    difference = float(np.abs(onnx_probabilities - torch_probabilities).max())
    disagreements = int((onnx_probabilities.argmax(1) != torch_probabilities.argmax(1)).sum())
    if difference > tolerance or disagreements:
        raise ExportError(f"the ONNX model does not match PyTorch on the MNIST test set: max |Δp| = {difference:.3g} "
                          f"(allowed {tolerance:g}), {disagreements} different predictions")
    return difference


def _embeddings(model: SeedNet, images: np.ndarray) -> np.ndarray:
    """PyTorch's embedding (the dense layer after its ReLU) of float32 images (N, 28, 28), in batches."""
    with torch.no_grad():
        return np.concatenate([model.cpu().float().eval().embed(torch.from_numpy(images[i : i + 1000]).unsqueeze(1))
                               .numpy() for i in range(0, len(images), 1000)])


def _check_embedding_parity(onnx_embeddings: np.ndarray | None, torch_embeddings: np.ndarray) -> None:
    if onnx_embeddings is None:
        raise ExportError(f"the app does not see the exported model's '{EMBEDDING_NAME}' output")
    difference = float(np.abs(onnx_embeddings - torch_embeddings).max())
    if difference > EMBEDDING_TOLERANCE:
        raise ExportError(f"the ONNX embedding does not match PyTorch's on the MNIST test set: max |Δ| = "
                          f"{difference:.3g} (allowed {EMBEDDING_TOLERANCE:g})")


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The T > 0 that minimizes the mean cross-entropy of softmax(logits / T) against `labels`.

    Temperature scaling (Guo et al. 2017, "On calibration of modern neural networks"): label
    smoothing leaves the network under-confident (a clear digit gets ~0.90, not ~0.99), and the app
    shows those numbers as bars and compares them with a confidence threshold. One temperature,
    fitted on the validation split, rescales the logits; folded into the last dense layer
    (`with_temperature`: W / T, b / T) it leaves the architecture and every argmax as they were.
    """
    log_temperature = torch.zeros((), requires_grad=True)
    optimizer = torch.optim.LBFGS([log_temperature], lr=0.5, max_iter=200, line_search_fn="strong_wolfe")
    logits = logits.detach().double()

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / log_temperature.double().exp(), labels)
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimizer.step(closure)  # type: ignore[no-untyped-call]
    return float(log_temperature.detach().exp())


def with_temperature(model: SeedNet, temperature: float) -> SeedNet:
    """A copy of `model` whose logits are divided by `temperature` (folded into its last layer)."""
    scaled = copy.deepcopy(model)
    with torch.no_grad():
        scaled.logits.weight.div_(temperature)
        scaled.logits.bias.div_(temperature)
    return scaled


def calibration_temperature(model: SeedNet, config: TrainConfig, mnist: Mnist) -> float:
    """The temperature fitted on the run's validation split (1.0 if the run held none out)."""
    val = split_train_val(mnist.train_labels, config.val_size, config.seed)[1]
    if not len(val):
        return 1.0
    logits = predict_logits(model, to_tensor(mnist.train_images[val]))
    return fit_temperature(logits, torch.from_numpy(mnist.train_labels[val]))


def default_name(checkpoint_path: str | os.PathLike[str]) -> str:
    """The model's name when none is given: its run folder's name (runs/NAME/best.pt → NAME)."""
    return Path(checkpoint_path).resolve().parent.name or Path(checkpoint_path).stem


def export_checkpoint(checkpoint_path: str | os.PathLike[str], out_path: str | os.PathLike[str], mnist: Mnist, *,
                      name: str | None = None, calibrate: bool = True, tolerance: float = PARITY_TOLERANCE,
                      drawing_accuracy: float | None = None) -> ExportReport:
    """Export `checkpoint_path` to `out_path`; see the module docstring. Raises ExportError.

    `name` is what the app shows for the model (default: the checkpoint's run folder's name).
    `drawing_accuracy`, if given, is the writer-disjoint accuracy on pen drawings measured for the
    checkpoint's recipe (`python -m training evaluate-drawings --fold-models ...`).
    """
    out_path = Path(out_path)
    name = name.strip() if name is not None else default_name(checkpoint_path)
    if not name:
        raise ExportError("the model's name is empty; give one with --name")
    checkpoint = load_checkpoint(checkpoint_path)
    model, config = model_from_checkpoint(checkpoint)
    temperature = calibration_temperature(model, config, mnist) if calibrate else 1.0
    model = with_temperature(model, temperature)
    images = mnist.test_images.astype(np.float32) / 255  # (10000, 28, 28)
    torch_probabilities = torch.softmax(predict_logits(model, to_tensor(images)), dim=1).numpy()
    torch_embeddings = _embeddings(model, images)
    test_accuracy = float((torch_probabilities.argmax(1) == mnist.test_labels).mean())

    try:
        proto = build_onnx(model)
    except Exception as exc:  # the exporter raises many types; none is a person's mistake to fix
        raise ExportError(f"torch.onnx.export failed: {str(exc).strip().splitlines()[0]}") from exc
    metadata = build_metadata(checkpoint, model, test_accuracy, len(images), temperature, name, drawing_accuracy)
    onnx.helper.set_model_props(proto, metadata)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except onnx.checker.ValidationError as exc:
        raise ExportError(f"onnx.checker rejects the exported model: {str(exc).strip().splitlines()[0]}") from None
    data = proto.SerializeToString()

    try:
        with tempfile.TemporaryDirectory(prefix="digitpad-export-") as folder:
            candidate = Path(folder) / out_path.name
            candidate.write_bytes(data)
            try:
                classifier = Classifier(candidate)  # the app's own contract validation
                onnx_probabilities, onnx_embeddings = predict_with_embeddings_in_batches(classifier, images)
                check_layer_outputs(classifier, model, images)
            except ModelError as exc:
                raise ExportError(f"the app rejects the exported model: {exc}") from None
    except OSError as exc:
        raise ExportError(f"cannot write a temporary copy of the model to check it: {exc.strerror or exc}") from None
    difference = _check_parity(onnx_probabilities, torch_probabilities, tolerance)
    _check_embedding_parity(onnx_embeddings, torch_embeddings)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomically(out_path, data)
    except OSError as exc:
        unchanged = "the previous model is unchanged" if out_path.exists() else "nothing was written"
        raise ExportError(f"cannot write {out_path}: {exc.strerror or exc}; {unchanged}") from None
    return ExportReport(out_path, len(data), test_accuracy, difference, temperature, metadata)
