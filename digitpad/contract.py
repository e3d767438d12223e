"""The ONNX contract that the app, the CLI, training's export and outside tools all rely on.

- One input ``image``: float32 [N, 1, 28, 28], MNIST convention: 0.0 background, 1.0 full ink.
  Any mean/std normalization happens inside the graph.
- Output ``probabilities``: float32 [N, 10], softmax over the digits 0-9 (a ``logits`` output may
  sit beside it).
- Optional output ``embedding``: float32 [N, D], the network's features for an image (the seed
  convnet's dense-layer activations); with it the app adapts to its user's hand (`digitpad.adapt`).
- ``metadata_props`` describe the model; the keys below are the ones digitpad reads or writes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from digitpad.normalize import MNIST, Normalization

INPUT_NAME = "image"
OUTPUT_NAME = "probabilities"
LOGITS_NAME = "logits"
EMBEDDING_NAME = "embedding"
IMAGE_SIZE = 28
NUM_CLASSES = 10
LABELS = tuple(str(digit) for digit in range(NUM_CLASSES))


class MetadataKey:
    """Names of the ONNX ``metadata_props`` entries (all values are strings)."""

    NAME = "digitpad.name"  #: short model name shown in the status bar
    SUMMARY = "digitpad.summary"  #: one paragraph for the About dialog
    LABELS = "digitpad.labels"  #: JSON list of the class labels, "0" to "9"
    INPUT_CONVENTION = "digitpad.input_convention"  #: prose: what the input pixels mean
    PREPROCESSING = "digitpad.preprocessing"  #: JSON of Normalization's fields the model expects
    ARCHITECTURE = "digitpad.architecture"  #: prose or JSON naming the network
    TEST_ACCURACY = "digitpad.mnist_test_accuracy"  #: fraction in [0, 1], as text
    DRAWING_ACCURACY = "digitpad.drawing_accuracy"  #: fraction on held-out pen drawings, if measured
    DATA_CHECKSUMS = "digitpad.training_data_md5"  #: JSON {file name: md5 of decompressed content}
    RECIPE = "digitpad.recipe"  #: JSON of the training configuration
    CREATED = "digitpad.created"  #: ISO 8601 UTC time of export


INPUT_CONVENTION = (
    "float32 [N, 1, 28, 28], MNIST convention: 0.0 = background, 1.0 = full ink; digit scaled so its "
    "longer side is 20 px and centered by center of mass at pixel (14, 14)"
)


def normalization_from_metadata(metadata: Mapping[str, str]) -> Normalization:
    """The preprocessing a model asks for, or MNIST's when it says nothing (or nonsense)."""
    raw = metadata.get(MetadataKey.PREPROCESSING)
    if not raw:
        return MNIST
    try:
        fields = json.loads(raw)
        known = {k: v for k, v in fields.items() if k in Normalization.__dataclass_fields__}
        return Normalization(**known)
    except (ValueError, TypeError, AttributeError):
        return MNIST


def normalization_to_metadata(spec: Normalization) -> str:
    return json.dumps(spec.__dict__, sort_keys=True)
