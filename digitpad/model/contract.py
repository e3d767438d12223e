"""The ONNX contract that the app, the CLI, training's export and outside tools all rely on.

- One input ``image``: float32 [N, 1, 28, 28], MNIST convention: 0.0 background, 1.0 full ink.
  Any mean/std normalization happens inside the graph.
- Output ``probabilities``: float32 [N, 10], softmax over the digits 0-9 (a ``logits`` output may
  sit beside it).
- Optional output ``embedding``: float32 [N, D], the network's features for an image (the seed
  convnet's dense-layer activations); with it the app adapts to its user's hand (`digitpad.reading.adapt`).
- Optional layer outputs (`LAYER_OUTPUTS`): float32 feature maps, e.g. ``layer.conv1`` [N, C, 28, 28]
  after its ReLU, and the convolution filters as constant outputs (`FILTER_OUTPUTS`), e.g.
  ``filter.conv1`` [C, 1, 5, 5]; with them Look Inside shows the network's own layers
  (`digitpad.reading.explain`). A model without them still reads and still gets its why-map.
- ``metadata_props`` describe the model; the keys below are the ones digitpad reads or writes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from digitpad.errors import ModelContractError
from digitpad.ink.normalize import MNIST, Normalization

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
    PERSONALIZED = "digitpad.personalized"  #: JSON: fine-tuned on a person's samples (how many, from what)


@dataclass(frozen=True)
class LayerOutput:
    """One optional output that shows a layer: its name in the graph and the shape digitpad accepts.

    `shape` has None for the batch axis (layers only) and for the channel counts, which a model may
    choose up to MAX_CHANNELS; the spatial sides are fixed by the seed network's 28 -> 14 -> 7.
    """

    name: str
    title: str  #: what the layer view calls it
    shape: tuple[int | None, ...]
    #: one plain sentence, in the tutorial's words, of what the layer does
    sentence: str


#: Largest channel count of a layer output: 128 maps of 28x28 floats are 400 KB an image, the
#: same order as the model's own activations; anything larger is not a seed-style convnet.
MAX_CHANNELS = 128
#: Side of both convolution kernels (the tutorial's 5x5).
KERNEL_SIZE = 5

LAYER_OUTPUTS = (
    LayerOutput("layer.conv1", "conv1 + ReLU", (None, None, 28, 28),
                "Convolution: each of these maps slides one 5x5 filter over the input and adds up the "
                "products; ReLU then keeps the positive sums and sets the rest to zero, so a map lights up "
                "where the ink looks like its filter (an edge, a stroke direction)."),
    LayerOutput("layer.pool1", "pool1 (2x2 max)", (None, None, 14, 14),
                "Max-pooling: each 2x2 block of a conv1 map is replaced by its largest value, halving the "
                "size to 14x14 and keeping only whether a feature is there, not exactly where."),
    LayerOutput("layer.conv2", "conv2 + ReLU", (None, None, 14, 14),
                "Second convolution: each map adds up 5x5 filters over all the pooled conv1 maps, so it "
                "responds to combinations of the first features (corners, loops, crossings)."),
    LayerOutput("layer.pool2", "pool2 (2x2 max)", (None, None, 7, 7),
                "Max-pooling again, down to 7x7: these maps, flattened into one long list, are all the "
                "dense layer gets to see."),
)
#: The convolution weights, as outputs that do not depend on the input: [out, in, 5, 5].
FILTER_OUTPUTS = (
    LayerOutput("filter.conv1", "conv1 filters", (None, 1, KERNEL_SIZE, KERNEL_SIZE),
                "conv1's filters: 5x5 weights each, applied to the normalized input."),
    LayerOutput("filter.conv2", "conv2 filters", (None, None, KERNEL_SIZE, KERNEL_SIZE),
                "conv2's filters: one 5x5 kernel for each pool1 map, summed."),
)
#: Which filter made which layer's maps, and which layer it read.
FILTER_OF = {"layer.conv1": "filter.conv1", "layer.conv2": "filter.conv2"}
SOURCE_OF = {"layer.conv2": "layer.pool1", "layer.pool1": "layer.conv1", "layer.pool2": "layer.conv2"}


INPUT_CONVENTION = (
    "float32 [N, 1, 28, 28], MNIST convention: 0.0 = background, 1.0 = full ink; digit scaled so its "
    "longer side is 20 px and centered by center of mass at pixel (14, 14)"
)


#: Ranges digitpad accepts in `digitpad.preprocessing`: beyond them the preprocessing divides by
#: zero, cannot fit the model's input, or asks for gigabytes (a tiny smoothing resamples a stroke
#: into billions of points).
MAX_PEN = 8.0
SMOOTHING_RANGE = (0.005, 0.5)


def _preprocessing_number(fields: Mapping[str, object], key: str, low: float, high: float) -> float:
    default = float(getattr(MNIST, key))
    value = fields.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ModelContractError(f'{MetadataKey.PREPROCESSING}: "{key}" must be a number, got {json.dumps(value)[:40]}')
    if not low <= value <= high:
        raise ModelContractError(f'{MetadataKey.PREPROCESSING}: "{key}" must lie in [{low:g}, {high:g}], got {value!r}')
    return float(value)


def normalization_from_metadata(metadata: Mapping[str, str]) -> Normalization:
    """The preprocessing a model asks for, or MNIST's when it says nothing.

    Anything out of range is a ModelContractError: a model must never be used with preprocessing
    that fails or runs away on the first stroke. Unknown keys are ignored (a newer exporter's).
    """
    raw = metadata.get(MetadataKey.PREPROCESSING)
    if not raw:
        return MNIST
    try:
        fields = json.loads(raw)
    except (ValueError, RecursionError):
        raise ModelContractError(f"{MetadataKey.PREPROCESSING} is not valid JSON") from None
    if not isinstance(fields, dict):
        raise ModelContractError(f"{MetadataKey.PREPROCESSING} must be a JSON object")
    frame = fields.get("frame", IMAGE_SIZE)
    if isinstance(frame, bool) or frame != IMAGE_SIZE:
        got = json.dumps(frame)[:40]
        raise ModelContractError(f'{MetadataKey.PREPROCESSING}: "frame" must be {IMAGE_SIZE}, got {got}')
    box = _preprocessing_number(fields, "box", 1.0, IMAGE_SIZE)
    center = _preprocessing_number(fields, "center", 0.0, IMAGE_SIZE)
    pen = _preprocessing_number(fields, "pen", 0.0, min(MAX_PEN, box / 2))
    smoothing = _preprocessing_number(fields, "smoothing", 0.0, SMOOTHING_RANGE[1])
    if 0 < smoothing < SMOOTHING_RANGE[0]:
        raise ModelContractError(
            f'{MetadataKey.PREPROCESSING}: "smoothing" must be 0 or at least {SMOOTHING_RANGE[0]:g}, got {smoothing!r}'
        )
    return Normalization(frame=IMAGE_SIZE, box=box, center=center, pen=pen, smoothing=smoothing)


def normalization_to_metadata(spec: Normalization) -> str:
    return json.dumps(spec.__dict__, sort_keys=True)
