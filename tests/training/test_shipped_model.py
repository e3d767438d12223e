"""The shipped model, judged as the app runs it: contract, metadata, and MNIST test accuracy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx

from digitpad.model.classifier import Classifier
from digitpad.model.contract import MetadataKey
from training.data import Mnist


def test_shipped_model_reaches_its_target_on_mnist_test(shipped_model: Path, mnist: Mnist) -> None:
    classifier = Classifier(shipped_model)
    images = mnist.test_images.astype(np.float32) / 255
    probabilities = np.concatenate([classifier.predict(images[i : i + 1000]) for i in range(0, 10000, 1000)])
    accuracy = float((probabilities.argmax(1) == mnist.test_labels).mean())
    assert accuracy >= 0.996
    assert classifier.info.test_accuracy is not None and abs(classifier.info.test_accuracy - accuracy) < 5e-5


def test_shipped_model_carries_its_metadata(shipped_model: Path, real_mnist_md5: dict[str, str]) -> None:
    metadata = {p.key: p.value for p in onnx.load(shipped_model, load_external_data=False).metadata_props}
    optional = (MetadataKey.DRAWING_ACCURACY, MetadataKey.PERSONALIZED)  # the shipped model is no personal one
    for key in (v for k, v in vars(MetadataKey).items() if k.isupper() and v not in optional):
        assert metadata.get(key), f"the shipped model lacks {key}"
    assert real_mnist_md5.items() <= json.loads(metadata[MetadataKey.DATA_CHECKSUMS]).items()
    assert json.loads(metadata[MetadataKey.RECIPE])["config"]["model"]["dense_units"] == 1764


def test_shipped_model_reads_replayed_pen_drawings(shipped_model: Path) -> None:
    """Through the app's pipeline with the preprocessing the model asks for; the MNIST-only model
    read 95.5 % of these drawings, the shipped one was trained on their writers (model card)."""
    import itertools

    from digitpad.reading.recognizer import Recognizer
    from training import unipen
    from training.unipen import place_samples

    samples = list(itertools.islice(unipen.iter_samples(), 0, None, 20))  # every 20th: 561 drawings
    recognizer = Recognizer(Classifier(shipped_model))
    predictions = [recognizer.recognize(drawing) for drawing in place_samples(samples, seed=0)]
    accuracy = np.mean([p is not None and p.digit == s.label for p, s in zip(predictions, samples)])
    assert accuracy >= 0.98
    info = Classifier(shipped_model).info
    assert float(info.metadata[MetadataKey.DRAWING_ACCURACY]) > 0.97  # writer-disjoint cross-validation
    assert info.normalization.pen > 0  # rendered from the strokes: moving a drawing changes nothing
