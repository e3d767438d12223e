"""Two networks in one graph: the app's contract kept, the logits their mean."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from digitpad.model.choice import shipped_model_path
from digitpad.model.classifier import Classifier
from training.ensemble import combine, main
from training.errors import ExportError


def _scaled_logits_model(factor: float) -> onnx.ModelProto:
    """The shipped model with its last layer's weights and bias times `factor`: other logits, same input."""
    model = onnx.load(str(shipped_model_path()))
    last = next(n for n in model.graph.node if "logits" in n.output)
    for tensor in model.graph.initializer:
        if tensor.name in last.input[1:]:
            values = onnx.numpy_helper.to_array(tensor) * np.float32(factor)
            tensor.CopyFrom(onnx.numpy_helper.from_array(values.astype(np.float32), tensor.name))
    return model


def test_the_ensemble_averages_its_members_logits(tmp_path: Path) -> None:
    members = [_scaled_logits_model(1.0), _scaled_logits_model(0.5)]
    paths = []
    for k, member in enumerate(members):
        paths.append(tmp_path / f"m{k}.onnx")
        paths[-1].write_bytes(member.SerializeToString())
    assert main([*map(str, paths), "--out", str(tmp_path / "ensemble.onnx"), "--name", "pair"]) == 0
    ensemble = Classifier(tmp_path / "ensemble.onnx")  # the app's contract validation accepts it
    assert ensemble.info.name == "pair"
    images = np.random.default_rng(0).random((20, 28, 28), dtype=np.float32)
    single = Classifier(paths[0])
    logits = ort.InferenceSession(str(paths[0])).run(["logits"], {"image": images[:, None]})[0]
    expected = np.exp(0.75 * logits) / np.exp(0.75 * logits).sum(axis=1, keepdims=True)  # mean of 1x and 0.5x
    np.testing.assert_allclose(ensemble.predict(images), expected, atol=1e-5)
    probabilities, embeddings = ensemble.predict_with_embeddings(images)
    assert embeddings is not None and embeddings.shape == (20, 1764)  # the first member's embedding
    np.testing.assert_allclose(embeddings, single.predict_with_embeddings(images)[1], atol=1e-6)


def test_one_model_is_no_ensemble() -> None:
    with pytest.raises(ExportError, match="at least two"):
        combine([_scaled_logits_model(1.0)])
