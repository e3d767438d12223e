"""One pipeline for everything: strokes or images -> 28x28 model input -> probabilities.

The GUI, the CLI, the tests, the benchmarks and training's drawing evaluation all call these
functions, so that they all see the same 28x28 image for the same ink.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from digitpad.classifier import Classifier
from digitpad.ink import Drawing
from digitpad.normalize import MNIST, Normalization, normalize, normalize_strokes
from digitpad.raster import rasterize

if TYPE_CHECKING:
    from digitpad.adapt import Adapter

#: An answer whose top probability is below this is shown as "not sure" (and `confident: false`).
#: On held-out drawings almost all right answers are above it and most wrong ones below.
CONFIDENCE_THRESHOLD = 0.80


@dataclass(frozen=True, eq=False)
class Prediction:
    """The model's answer for one input."""

    probabilities: np.ndarray  #: float32 (10,), sums to 1
    model_input: np.ndarray  #: float32 (28, 28): exactly what the model saw
    #: the network's own probabilities when the person's profile adjusted them (else None)
    network_probabilities: np.ndarray | None = None

    @property
    def digit(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def confidence(self) -> float:
        return float(self.probabilities.max())

    @property
    def confident(self) -> bool:
        return self.confidence >= CONFIDENCE_THRESHOLD


def drawing_input(drawing: Drawing, spec: Normalization = MNIST, raster: np.ndarray | None = None) -> np.ndarray | None:
    """The 28x28 model input for a drawing, or None if it has no ink on the canvas.

    `raster` may pass in `rasterize(drawing)` when the caller already has it (the GUI does); a
    model that asks for stroke-width normalization (`spec.pen`) is fed from the strokes instead.
    """
    if spec.pen > 0:
        return normalize_strokes(drawing, spec)
    bounds = drawing.ink_bounds()
    if bounds is None:
        return None
    image = normalize(rasterize(drawing) if raster is None else raster, bounds, spec)
    return image if image.any() else None


class Recognizer:
    """A classifier plus the preprocessing its model asks for."""

    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier
        self.normalization = classifier.info.normalization
        #: the person's samples (`digitpad.adapt`), or None for the network alone; replaced whole, never
        #: changed in place, so a reader on another thread sees the old adapter or the new one
        self.adapter: Adapter | None = None

    def predict_inputs(self, inputs: np.ndarray) -> list[Prediction]:
        """Predictions for a batch of model inputs (N, 28, 28), in one inference call."""
        inputs = np.asarray(inputs, dtype=np.float32).reshape(-1, 28, 28)
        if not len(inputs):
            return []
        adapter = self.adapter
        if adapter is None or not len(adapter) or self.classifier.embedding_size is None:
            return [Prediction(p, x) for p, x in zip(self.classifier.predict(inputs), inputs)]
        network, embeddings = self.classifier.predict_with_embeddings(inputs)
        assert embeddings is not None
        adjusted = adapter.adjust(network, embeddings)
        return [Prediction(a, x, p) for a, p, x in zip(adjusted, network, inputs)]

    def recognize(self, drawing: Drawing, raster: np.ndarray | None = None) -> Prediction | None:
        """The answer for a drawing, or None for a blank one: never a guess without ink."""
        model_input = drawing_input(drawing, self.normalization, raster)
        if model_input is None:
            return None
        return self.predict_inputs(model_input[None])[0]
