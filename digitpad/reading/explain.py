"""Look inside the convnet: a model input's layer activations, and which ink made the answer.

Pure core (no Qt): the app's Look Inside window and `digitpad explain` both call `explain`.

The why-map is occlusion sensitivity: every PATCH x PATCH square of the input (every STRIDE
pixels) that holds ink is blanked in turn, all of them in one batched ONNX Runtime call, and the
drop of the chosen digit's probability is spread over the pixels of the square. A square without
ink is not run: blanking it leaves the input as it is, so its drop is exactly zero. It needs only
`probabilities`, so it works for any model that keeps the contract; the layers need the model's
layer outputs (`digitpad.model.contract.LAYER_OUTPUTS`), and the view says which are missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from digitpad.model.classifier import Classifier
from digitpad.model.contract import IMAGE_SIZE, LAYER_OUTPUTS
from digitpad.reading.prediction import CONFIDENCE_THRESHOLD

#: Side of the blanked square, in model-input pixels (the digit's box is 20).
PATCH = 5
#: Step between blanked squares: 9 x 9 positions cover the 28 x 28 input.
STRIDE = 3
#: How to give a model the layers it lacks, for the view and the CLI to say.
REEXPORT_HINT = ("re-export it with `python -m training export`, or add them to this file with "
                 "`python -m training add-layer-outputs MODEL.onnx`")


def patch_starts(size: int = IMAGE_SIZE, patch: int = PATCH, stride: int = STRIDE) -> list[int]:
    """Top (or left) edges of the squares: every `stride` pixels, the last one flush with the edge."""
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return starts


@dataclass(frozen=True, eq=False)
class WhyMap:
    """How much the ink at each input pixel supports one digit.

    `values[y, x]` is the mean drop of the digit's probability over the blanked squares that cover
    (y, x): positive where the ink speaks for the digit, negative where blanking it helps the digit.
    """

    digit: int
    values: np.ndarray  #: float32 (28, 28), probability units (-1 to 1)

    def strongest(self, count: int) -> np.ndarray:
        """A (28, 28) mask of the `count` pixels that support the digit most (ties broken by position)."""
        order = np.argsort(-self.values, axis=None, kind="stable")[:count]
        mask = np.zeros(self.values.size, bool)
        mask[order] = True
        return mask.reshape(self.values.shape)


@dataclass(frozen=True, eq=False)
class Explanation:
    """Everything the layer view and `digitpad explain` show for one model input."""

    model_input: np.ndarray  #: float32 (28, 28): what the model saw
    probabilities: np.ndarray  #: float32 (10,): the network's own (before any profile's adjustment)
    logits: np.ndarray | None  #: float32 (10,), when the model exports them
    layers: dict[str, np.ndarray]  #: layer output name -> float32 (C, H, W), those the model has
    dense: np.ndarray | None  #: float32 (D,): the dense layer's activations (the `embedding` output)
    filters: dict[str, np.ndarray]  #: filter output name -> float32 (out, in, 5, 5)
    why: WhyMap  #: for the network's answer
    why_not: WhyMap | None  #: for the runner-up, when the answer is not sure
    positions: int  #: blanked squares run (those with ink)
    #: layer outputs of the contract this model does not expose (or exposes unusably)
    missing: tuple[str, ...] = field(default=())

    @property
    def digit(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def runner_up(self) -> int:
        return int(np.argsort(-self.probabilities, kind="stable")[1])

    @property
    def confident(self) -> bool:
        return float(self.probabilities.max()) >= CONFIDENCE_THRESHOLD


def occluded_inputs(model_input: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The input with each inked square blanked (K, 28, 28), and each square's top-left corner."""
    starts = patch_starts()
    corners = [(y, x) for y in starts for x in starts if model_input[y : y + PATCH, x : x + PATCH].any()]
    batch = np.repeat(model_input[None], len(corners), axis=0)
    for k, (y, x) in enumerate(corners):
        batch[k, y : y + PATCH, x : x + PATCH] = 0.0
    return batch, corners


def spread(drops: np.ndarray, corners: list[tuple[int, int]]) -> np.ndarray:
    """Each square's drop spread over its pixels, averaged over all squares (uninked ones: 0) covering a pixel."""
    total = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float64)
    for drop, (y, x) in zip(drops, corners):
        total[y : y + PATCH, x : x + PATCH] += drop
    cover = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float64)
    starts = patch_starts()
    for y in starts:
        for x in starts:
            cover[y : y + PATCH, x : x + PATCH] += 1
    return (total / cover).astype(np.float32)


def why_maps(classifier: Classifier, model_input: np.ndarray, probabilities: np.ndarray,
             digits: list[int]) -> tuple[list[WhyMap], int]:
    """The why-map of each of `digits`, from one batched run over the blanked inputs; and the run's size."""
    batch, corners = occluded_inputs(model_input)
    if not corners:
        return [WhyMap(d, np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)) for d in digits], 0
    blanked = classifier.predict(batch)
    return [WhyMap(d, spread(probabilities[d] - blanked[:, d], corners)) for d in digits], len(corners)


def explain(classifier: Classifier, model_input: np.ndarray) -> Explanation:
    """The layers and why-maps of one (28, 28) model input: two model runs, one image and one batch.

    Raises what `Classifier` raises (InferenceError, ModelTimeoutError)."""
    image = np.ascontiguousarray(model_input, dtype=np.float32).reshape(IMAGE_SIZE, IMAGE_SIZE)
    run = classifier.predict_layers(image[None])
    probabilities = run.probabilities[0]
    ranked = [int(d) for d in np.argsort(-probabilities, kind="stable")]
    confident = float(probabilities[ranked[0]]) >= CONFIDENCE_THRESHOLD
    maps, positions = why_maps(classifier, image, probabilities, ranked[:1] if confident else ranked[:2])
    missing = tuple(o.name for o in LAYER_OUTPUTS if o.name not in run.layers)
    return Explanation(
        model_input=image,
        probabilities=probabilities,
        logits=None if run.logits is None else run.logits[0],
        layers={name: value[0] for name, value in run.layers.items()},
        dense=None if run.embedding is None else run.embedding[0],
        filters=classifier.filters,
        why=maps[0],
        why_not=None if confident else maps[1],
        positions=positions,
        missing=missing,
    )


def patch_around(values: np.ndarray, y: int, x: int, size: int) -> np.ndarray:
    """The size x size window of a (H, W) map centred on (y, x), zeros outside it ("same" padding)."""
    half = size // 2
    padded = np.pad(values, half)
    return padded[y : y + size, x : x + size]


def contributions(explanation: Explanation, channel: int, y: int, x: int) -> np.ndarray | None:
    """For conv2's map `channel` at (y, x): what each pool1 map adds to the sum (its 5x5 patch times its
    kernel), before the bias and the ReLU; None without the pool1 maps or conv2's filters."""
    pool1, weights = explanation.layers.get("layer.pool1"), explanation.filters.get("filter.conv2")
    if pool1 is None or weights is None:
        return None
    size = weights.shape[-1]
    patches = np.stack([patch_around(m, y, x, size) for m in pool1])  # (32, 5, 5)
    return np.asarray((patches * weights[channel]).sum(axis=(1, 2)), dtype=np.float32)
