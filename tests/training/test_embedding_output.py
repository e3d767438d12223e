"""Adding the `embedding` output to an exported model: same probabilities, PyTorch's embedding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from digitpad.model.classifier import Classifier
from digitpad.model.contract import EMBEDDING_NAME
from training.data import Mnist
from training.embedding_output import add_embedding_output, add_embedding_to_file
from training.errors import ExportError
from training.export import ExportReport


def _without_embedding(source: Path, target: Path) -> Path:
    """An exported model as it was before exports wrote the embedding (as the shipped one was)."""
    model = onnx.load(str(source))
    kept = [o for o in model.graph.output if o.name != EMBEDDING_NAME]
    del model.graph.output[:]
    model.graph.output.extend(kept)
    onnx.save(model, str(target))
    return target


def test_the_added_output_leaves_the_probabilities_bit_identical(exported: ExportReport, mnist: Mnist,
                                                                  tmp_path: Path) -> None:
    old = _without_embedding(exported.path, tmp_path / "old.onnx")
    assert Classifier(old).embedding_size is None  # such a model still loads; it only lacks the embedding
    images = mnist.test_images[:500].astype(np.float32) / 255
    report = add_embedding_to_file(old, tmp_path / "new.onnx", images)
    assert report.width == 1764 and report.max_embedding_difference <= 1e-4
    new = Classifier(tmp_path / "new.onnx")
    probabilities, embeddings = new.predict_with_embeddings(images)
    assert np.array_equal(probabilities, Classifier(old).predict(images))
    _, exported_embeddings = Classifier(exported.path).predict_with_embeddings(images)
    assert embeddings is not None and exported_embeddings is not None
    assert np.abs(embeddings - exported_embeddings).max() <= 1e-4
    assert new.info.metadata == Classifier(old).info.metadata


def test_a_model_that_has_one_already_is_refused(exported: ExportReport) -> None:
    with pytest.raises(ExportError, match="already has"):
        add_embedding_output(onnx.load(str(exported.path)))
