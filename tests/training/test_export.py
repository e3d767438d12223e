"""ONNX export: the contract, the metadata, parity with PyTorch, and no damage when it fails."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

import training.export
from digitpad.classifier import Classifier
from digitpad.contract import INPUT_NAME, LABELS, LOGITS_NAME, OUTPUT_NAME, MetadataKey, normalization_to_metadata
from digitpad.normalize import MNIST
from training.calibrate import with_temperature
from training.checkpoint import load_checkpoint, model_from_checkpoint
from training.data import MNIST_MD5, Mnist
from training.errors import ExportError
from training.export import IR_VERSION, OPSET, ExportReport, export_checkpoint
from training.model import SeedNet
from training.train import TrainResult


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
    assert list(outputs) == [OUTPUT_NAME, LOGITS_NAME]
    assert outputs[OUTPUT_NAME] == [batch, 10] and outputs[LOGITS_NAME] == [batch, 10]


def test_metadata_describes_model_data_and_recipe(exported: ExportReport, smoke_run: TrainResult) -> None:
    metadata = {p.key: p.value for p in onnx.load(exported.path).metadata_props}
    expected = {v for k, v in vars(MetadataKey).items() if k.isupper()} - {MetadataKey.DRAWING_ACCURACY}
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
    for size in (1, 7, 256):
        got = classifier.predict(images[:size])
        assert got.shape == (size, 10)
        assert np.abs(got - expected[:size]).max() <= 1e-5
    assert exported.max_abs_difference <= 1e-5


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
