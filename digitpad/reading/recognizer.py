"""One pipeline for everything: strokes or images -> 28x28 model input -> probabilities.

The GUI, the CLI, the tests, the benchmarks and training's drawing evaluation all call these
functions, so that they all see the same 28x28 image for the same ink.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from digitpad.ink.drawing import Drawing
from digitpad.ink.image_ink import pixels_to_ink
from digitpad.ink.model_input import drawing_input, ink_to_input
from digitpad.model.classifier import Classifier
from digitpad.reading.number import NumberReader, NumberReading
from digitpad.reading.prediction import Prediction

if TYPE_CHECKING:
    from digitpad.reading.adapt import Adapter


class Recognizer:
    """A classifier plus the preprocessing its model asks for."""

    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier
        self.normalization = classifier.info.normalization
        self._numbers: NumberReader | None = None
        self._adapter: Adapter | None = None

    @property
    def adapter(self) -> Adapter | None:
        """The person's samples (`digitpad.reading.adapt`), or None for the network alone.

        Replaced whole, never changed in place, so a reader on another thread sees the old adapter
        or the new one; a new one also forgets the digits the number reader remembered, which the
        old samples had read."""
        return self._adapter

    @adapter.setter
    def adapter(self, adapter: Adapter | None) -> None:
        self._adapter = adapter
        self._numbers = None

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

    def recognize_image(self, ink: np.ndarray | None) -> Prediction | None:
        """The answer for an image's ink (`digitpad.ink.image_ink.pixels_to_ink`), or None when it has none.

        The ink is found once when the image is opened: the app shows it and reads it from there.
        """
        model_input = ink_to_input(ink, self.normalization)
        if model_input is None:
            return None
        return self.predict_inputs(model_input[None])[0]

    # -- whole numbers (digitpad.reading.number) ------------------------------------------------------

    @property
    def numbers(self) -> NumberReader:
        if self._numbers is None:
            self._numbers = NumberReader(self.predict_inputs, self.normalization)
        return self._numbers

    def read_number(self, drawing: Drawing, raster: np.ndarray | None = None) -> NumberReading:
        """The digits of a drawing, left to right; one digit reads exactly as `recognize` does
        (`raster`: as for `recognize`)."""
        return self.numbers.read_drawing(drawing, raster)

    def read_number_in_ink(self, ink: np.ndarray | None) -> NumberReading:
        """The digits of an image's ink (`digitpad.ink.image_ink.pixels_to_ink`, found once when it is opened)."""
        return NumberReading(()) if ink is None else self.numbers.read_ink(ink)

    def read_number_in_image(self, pixels: np.ndarray) -> NumberReading:
        """The digits of decoded image pixels (any layout `digitpad.ink.image_ink.luminance` takes)."""
        return self.read_number_in_ink(pixels_to_ink(pixels))
