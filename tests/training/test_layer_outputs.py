"""Adding the layer outputs to an exported model: same probabilities, PyTorch's layers, the app sees them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from digitpad.model.classifier import Classifier
from digitpad.model.contract import FILTER_OUTPUTS, LAYER_OUTPUTS
from training.__main__ import main as training_main
from training.data import Mnist
from training.embedding_output import seednet_from_onnx
from training.errors import ExportError
from training.export import ExportReport
from training.layer_outputs import add_layer_outputs, add_layer_outputs_to_file, torch_layers

NAMES = {o.name for o in (*LAYER_OUTPUTS, *FILTER_OUTPUTS)}


def _without_layers(source: Path, target: Path) -> Path:
    """An exported model as exports wrote it before the layer outputs (as the shipped one was): the
    outputs and the filters' nodes gone, the layer tensors under names of no meaning."""
    model = onnx.load(str(source))
    kept = [o for o in model.graph.output if o.name not in NAMES]
    del model.graph.output[:]
    model.graph.output.extend(kept)
    nodes = [n for n in model.graph.node if not set(n.output) & {o.name for o in FILTER_OUTPUTS}]
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    plain = {o.name: o.name.replace(".", "_") + "_tensor" for o in LAYER_OUTPUTS}
    for node in model.graph.node:
        node.input[:] = [plain.get(name, name) for name in node.input]
        node.output[:] = [plain.get(name, name) for name in node.output]
    onnx.save(model, str(target))
    return target


def test_export_writes_the_layers_and_the_app_checks_them(exported: ExportReport, mnist: Mnist) -> None:
    classifier = Classifier(exported.path)
    assert set(classifier.layer_outputs) == {o.name for o in LAYER_OUTPUTS} and classifier.layer_problems == {}
    assert classifier.layer_outputs["layer.conv2"] == (36, 14, 14)
    images = mnist.test_images[:20].astype(np.float32) / 255
    expected = torch_layers(seednet_from_onnx(onnx.load(str(exported.path))), images)
    layers = classifier.predict_layers(images).layers
    assert max(float(np.abs(layers[name] - values).max()) for name, values in expected.items()) <= 1e-4


def test_surgery_leaves_the_probabilities_bit_identical(exported: ExportReport, mnist: Mnist, tmp_path: Path) -> None:
    old = _without_layers(exported.path, tmp_path / "old.onnx")
    assert Classifier(old).layer_outputs == {}  # such a model still loads; Look Inside says what it lacks
    images = mnist.test_images[:500].astype(np.float32) / 255
    report = add_layer_outputs_to_file(old, tmp_path / "new.onnx", images)
    assert report.shapes["layer.conv1"] == (32, 28, 28) and report.shapes["filter.conv2"] == (36, 32, 5, 5)
    assert report.max_layer_difference <= 1e-4
    new = Classifier(tmp_path / "new.onnx")
    assert np.array_equal(new.predict(images), Classifier(old).predict(images))
    assert np.array_equal(new.predict_layers(images).probabilities, Classifier(old).predict(images))
    assert set(new.layer_outputs) | set(new.filters) == NAMES
    assert new.info.metadata == Classifier(old).info.metadata


def test_the_command_replaces_the_file_and_refuses_a_second_time(exported: ExportReport, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = _without_layers(exported.path, tmp_path / "model.onnx")
    assert training_main(["add-layer-outputs", str(path)]) == 0
    assert "bit-identical on 10,000 MNIST test images" in capsys.readouterr().out
    assert set(Classifier(path).layer_outputs) == {o.name for o in LAYER_OUTPUTS}
    with pytest.raises(ExportError, match="already has"):
        add_layer_outputs(onnx.load(str(path)))


def test_a_graph_that_is_not_the_seed_convnet_is_refused(tmp_path: Path) -> None:
    from tests.onnx_models import linear_model

    with pytest.raises(ExportError, match="Conv"):
        add_layer_outputs(onnx.load(str(linear_model(tmp_path / "linear.onnx"))))


def test_the_shipped_model_has_them(shipped_model: Path) -> None:
    classifier = Classifier(shipped_model)
    assert set(classifier.layer_outputs) | set(classifier.filters) == NAMES and classifier.layer_problems == {}


def test_the_layers_are_the_graph_s_own_tensors_not_copies(exported: ExportReport) -> None:
    """ONNX Runtime runs every node whatever is asked for: a copy of each layer would slow every answer."""
    model = onnx.load(str(exported.path))
    made_by = {name: node.op_type for node in model.graph.node for name in node.output}
    assert [made_by[o.name] for o in LAYER_OUTPUTS] == ["Relu", "MaxPool", "Relu", "MaxPool"]
    filters = {o.name for o in FILTER_OUTPUTS}
    initializers = {i.name for i in model.graph.initializer}
    assert all(set(n.input) <= initializers for n in model.graph.node if set(n.output) & filters)
