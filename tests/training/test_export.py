"""ONNX export: the contract, the metadata, parity with PyTorch, and no damage when it fails."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

import digitpad.files
import training.export
from digitpad.ink.normalize import MNIST
from digitpad.model.classifier import Classifier
from digitpad.model.contract import (
    EMBEDDING_NAME,
    INPUT_NAME,
    LABELS,
    LOGITS_NAME,
    OUTPUT_NAME,
    MetadataKey,
    normalization_to_metadata,
)
from training.checkpoint import load_checkpoint, model_from_checkpoint
from training.data import MNIST_MD5, Mnist
from training.errors import ExportError
from training.export import IR_VERSION, OPSET, ExportReport, export_checkpoint, with_temperature
from training.model import SeedNet
from training.train import TrainResult

REPO = Path(__file__).resolve().parents[2]


def _dims(value_info: onnx.ValueInfoProto) -> list[int | str]:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_graph_keeps_the_contract(exported: ExportReport) -> None:
    model = onnx.load(exported.path)
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version == IR_VERSION and model.opset_import[0].version == OPSET
    (image,) = model.graph.input
    assert image.name == INPUT_NAME and image.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    batch, *rest = _dims(image)
    assert isinstance(batch, str) and rest == [1, 28, 28]  # a symbolic, dynamic batch axis
    outputs = {o.name: _dims(o) for o in model.graph.output}
    assert list(outputs) == [OUTPUT_NAME, LOGITS_NAME, EMBEDDING_NAME, "layer.conv1", "layer.pool1", "layer.conv2",
                             "layer.pool2", "filter.conv1", "filter.conv2"]
    assert outputs[OUTPUT_NAME] == [batch, 10] and outputs[LOGITS_NAME] == [batch, 10]
    assert outputs[EMBEDDING_NAME] == [batch, 1764]
    assert outputs["layer.conv1"] == [batch, 32, 28, 28] and outputs["layer.pool2"] == [batch, 36, 7, 7]
    assert outputs["filter.conv2"] == [36, 32, 5, 5]


def test_metadata_describes_model_data_and_recipe(exported: ExportReport, smoke_run: TrainResult) -> None:
    metadata = {p.key: p.value for p in onnx.load(exported.path).metadata_props}
    # only a measured drawing accuracy and a personal fine-tuning add their keys
    expected = {v for k, v in vars(MetadataKey).items() if k.isupper()} - {MetadataKey.DRAWING_ACCURACY,
                                                                           MetadataKey.PERSONALIZED}
    assert set(metadata) == expected
    assert json.loads(metadata[MetadataKey.LABELS]) == list(LABELS)
    assert metadata[MetadataKey.PREPROCESSING] == normalization_to_metadata(MNIST)
    assert float(metadata[MetadataKey.TEST_ACCURACY]) == pytest.approx(exported.test_accuracy, abs=5e-5)
    assert json.loads(metadata[MetadataKey.DATA_CHECKSUMS]) == MNIST_MD5
    recipe = json.loads(metadata[MetadataKey.RECIPE])
    assert recipe["config"] == load_checkpoint(smoke_run.best_path)["config"]
    assert recipe["temperature"] == exported.temperature
    assert datetime.fromisoformat(metadata[MetadataKey.CREATED]).tzinfo is not None
    assert "conv 5x5x32" in metadata[MetadataKey.ARCHITECTURE]


def test_app_loads_it_and_it_matches_pytorch_at_any_batch_size(exported: ExportReport, smoke_run: TrainResult,
                                                              mnist: Mnist) -> None:
    classifier = Classifier(exported.path)
    assert classifier.info.test_accuracy == pytest.approx(exported.test_accuracy, abs=5e-5)
    model, _ = model_from_checkpoint(load_checkpoint(smoke_run.best_path))
    model = with_temperature(model, exported.temperature)
    images = mnist.test_images[:300].astype(np.float32) / 255
    with torch.no_grad():
        expected = torch.softmax(model(torch.from_numpy(images).unsqueeze(1)), 1).numpy()
    with torch.no_grad():
        expected_embeddings = model.embed(torch.from_numpy(images).unsqueeze(1)).numpy()
    assert classifier.embedding_size == 1764
    for size in (1, 7, 256):
        got, embeddings = classifier.predict_with_embeddings(images[:size])
        assert got.shape == (size, 10)
        assert np.abs(got - expected[:size]).max() <= 1e-5
        assert embeddings is not None and np.abs(embeddings - expected_embeddings[:size]).max() <= 1e-4
    assert exported.max_abs_difference <= 1e-5


@pytest.mark.slow
def test_failed_parity_leaves_the_previous_model(smoke_run: TrainResult, mnist: Mnist, exported: ExportReport,
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "digitpad.onnx"
    target.write_bytes(exported.path.read_bytes())
    build = training.export.build_onnx

    def build_drifted(model: SeedNet) -> onnx.ModelProto:
        """An exporter bug in miniature: the graph's weights are not quite the checkpoint's."""
        drifted = SeedNet(model.config)
        drifted.load_state_dict(model.state_dict())
        with torch.no_grad():
            drifted.logits.bias[3] += 0.01  # (adding to every logit would not change the softmax)
        return build(drifted)

    monkeypatch.setattr(training.export, "build_onnx", build_drifted)
    with pytest.raises(ExportError, match="does not match PyTorch"):
        export_checkpoint(smoke_run.best_path, target, mnist)
    assert target.read_bytes() == exported.path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digitpad.onnx"]  # no temporary files left


def test_a_bad_checkpoint_is_refused_before_anything_is_written(mnist: Mnist, tmp_path: Path) -> None:
    (tmp_path / "broken.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(Exception, match="not a readable checkpoint"):
        export_checkpoint(tmp_path / "broken.pt", tmp_path / "model.onnx", mnist)
    assert not (tmp_path / "model.onnx").exists()


# -- faults while writing: the previous model stays whole ---------------------------------------


@pytest.fixture(scope="module")
def quick_mnist(mnist: Mnist) -> Mnist:
    """MNIST with 500 test images: the parity check of an export takes a second instead of ten."""
    return dataclasses.replace(mnist, test_images=mnist.test_images[:500], test_labels=mnist.test_labels[:500])


@pytest.fixture
def previous_model(exported: ExportReport, tmp_path: Path) -> Path:
    target = tmp_path / "models" / "digitpad.onnx"
    target.parent.mkdir()
    target.write_bytes(exported.path.read_bytes())
    return target


#: Runs an export whose final write stops halfway with SIGKILL, as a power cut or `kill -9` would.
KILLED_WHILE_WRITING = """
import dataclasses, os, signal, sys
import training.export
from digitpad.files import atomic_writer
from training.data import load_mnist

def write_half_then_die(path, data):
    with atomic_writer(path) as stream:
        stream.write(data[: len(data) // 2])
        stream.flush()
        os.kill(os.getpid(), signal.SIGKILL)

training.export.write_bytes_atomically = write_half_then_die
mnist = load_mnist(sys.argv[3])
mnist = dataclasses.replace(mnist, test_images=mnist.test_images[:500], test_labels=mnist.test_labels[:500])
training.export.export_checkpoint(sys.argv[1], sys.argv[2], mnist, calibrate=False)
"""


@pytest.mark.slow
def test_an_export_killed_while_writing_leaves_the_previous_model(smoke_run: TrainResult, previous_model: Path,
                                                                 mnist_dir: Path, subprocess_prelude: str) -> None:
    before = previous_model.read_bytes()
    result = subprocess.run([sys.executable, "-c", subprocess_prelude + KILLED_WHILE_WRITING, str(smoke_run.best_path),
                             str(previous_model), str(mnist_dir)], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert previous_model.read_bytes() == before
    Classifier(previous_model)  # still the app's model
    # SIGKILL leaves no chance to clean up: the half-written file stays, under a name no one loads.
    leftovers = sorted(p.name for p in previous_model.parent.iterdir() if p != previous_model)
    assert len(leftovers) == 1 and leftovers[0].startswith(".digitpad.onnx.") and leftovers[0].endswith(".tmp")


def _disk_full(*args: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _no_permission(*args: object, **kwargs: object) -> None:
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))


@pytest.mark.parametrize(("patch", "message"), [
    pytest.param(("os", "fsync", _disk_full), "No space left on device", id="disk full"),
    pytest.param(("tempfile", "mkstemp", _no_permission), "Permission denied", id="read-only folder"),
])
@pytest.mark.slow
def test_a_failed_write_is_a_clear_error_and_the_previous_model_stays(
        smoke_run: TrainResult, quick_mnist: Mnist, previous_model: Path, monkeypatch: pytest.MonkeyPatch,
        patch: tuple[str, str, object], message: str) -> None:
    before = previous_model.read_bytes()
    module, name, replacement = patch
    monkeypatch.setattr(getattr(digitpad.files, module), name, replacement)
    with pytest.raises(ExportError) as caught:
        export_checkpoint(smoke_run.best_path, previous_model, quick_mnist, calibrate=False)
    assert str(caught.value) == f"cannot write {previous_model}: {message}; the previous model is unchanged"
    assert previous_model.read_bytes() == before
    assert [p.name for p in previous_model.parent.iterdir()] == ["digitpad.onnx"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders anyway")
def test_a_chmod_read_only_folder_is_a_clear_error(smoke_run: TrainResult, quick_mnist: Mnist,
                                                   previous_model: Path) -> None:
    previous_model.parent.chmod(0o555)
    try:
        with pytest.raises(ExportError, match="Permission denied; the previous model is unchanged"):
            export_checkpoint(smoke_run.best_path, previous_model, quick_mnist, calibrate=False)
    finally:
        previous_model.parent.chmod(0o755)
