"""The ways an MNIST classifier may want its input and give its answer, and how to convert between them.

digitpad's own pipeline makes a (N, 28, 28) image in MNIST's convention: 0.0 background, 1.0 full
ink (`digitpad.model.contract`). A model trained elsewhere may want the same digit

- laid out as [N, 1, 28, 28] (PyTorch), [N, 28, 28, 1] (Keras), [N, 28, 28] or [N, 784] (`Layout`);
- with ink bright on black, as MNIST is, or dark on white;
- in 0-1, in 0-255, with MNIST's mean and std already applied, or in -1 to 1 (`Pixels`);

and it may answer with probabilities, log-probabilities (PyTorch's log_softmax) or logits
(`Output`). A `Convention` is one choice of each; `digitpad.model.probe` finds the one a model
was trained with. Pure numpy: nothing here runs a model.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from digitpad.model.contract import IMAGE_SIZE

#: MNIST's pixel mean and standard deviation in 0-1 (the figures PyTorch's MNIST example normalizes with).
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
#: Tolerance on probabilities summing to 1 (as `digitpad.model.classifier` checks them).
SUM_TOLERANCE = 1e-3


class Layout(enum.Enum):
    """How the 784 pixels of a digit are arranged in the model's input (the first axis is the batch)."""

    NCHW = "PyTorch layout"  #: [N, 1, 28, 28]
    NHWC = "Keras layout"  #: [N, 28, 28, 1]
    NHW = "28x28 layout"  #: [N, 28, 28] (a model that starts with Flatten)
    FLAT = "flat layout"  #: [N, 784]

    @property
    def shape(self) -> tuple[int, ...]:
        """The input's shape without the batch axis."""
        return {
            Layout.NCHW: (1, IMAGE_SIZE, IMAGE_SIZE),
            Layout.NHWC: (IMAGE_SIZE, IMAGE_SIZE, 1),
            Layout.NHW: (IMAGE_SIZE, IMAGE_SIZE),
            Layout.FLAT: (IMAGE_SIZE * IMAGE_SIZE,),
        }[self]


class Scale(enum.Enum):
    """What the pixel values are, from a value p in 0-1 (0 background, 1 ink for bright ink)."""

    UNIT = "0-1"
    BYTE = "0-255"
    STANDARDIZED = "MNIST mean/std"  #: (p - 0.1307) / 0.3081
    SYMMETRIC = "-1 to 1"  #: 2p - 1, as Normalize((0.5,), (0.5,)) makes it

    def apply(self, pixels: np.ndarray) -> np.ndarray:
        values: np.ndarray = pixels
        if self is Scale.BYTE:
            values = pixels * np.float32(255)
        elif self is Scale.STANDARDIZED:
            values = (pixels - np.float32(MNIST_MEAN)) / np.float32(MNIST_STD)
        elif self is Scale.SYMMETRIC:
            values = pixels * np.float32(2) - np.float32(1)
        return values


@dataclass(frozen=True)
class Pixels:
    """The value convention of a model's input pixels."""

    scale: Scale = Scale.UNIT
    dark_ink: bool = False  #: dark ink on a light background: the image is inverted before scaling

    def apply(self, images: np.ndarray) -> np.ndarray:
        """The model's values for images in digitpad's convention (0 background, 1 ink)."""
        images = np.asarray(images, dtype=np.float32)
        return self.scale.apply(np.float32(1) - images if self.dark_ink else images)

    def describe(self) -> str:
        return f"{self.scale.value}{', dark ink on white' if self.dark_ink else ''}"


#: Every pixel convention digitpad tries, MNIST's own (bright ink, 0-1) first.
PIXEL_CANDIDATES = tuple(Pixels(scale, dark) for dark in (False, True) for scale in Scale)


class Output(enum.Enum):
    """What a model's 10 scores are."""

    PROBABILITIES = "probabilities"
    LOG_PROBABILITIES = "log-probabilities"
    LOGITS = "logits"

    def to_probabilities(self, scores: np.ndarray) -> np.ndarray:
        """Probabilities (N, 10) from the scores: a softmax unless they already are probabilities.

        A softmax of log-probabilities gives back the probabilities, so both take the same path.
        """
        scores = np.asarray(scores, dtype=np.float32)
        if self is Output.PROBABILITIES or scores.ndim != 2:  # a wrong shape is the classifier's to report
            return scores
        shifted = scores.astype(np.float64) - scores.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        probabilities: np.ndarray = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
        return probabilities


def output_kind(scores: np.ndarray) -> Output:
    """What finite scores (N, 10) look like: probabilities, log-probabilities, or else logits."""
    scores = np.asarray(scores, dtype=np.float64)
    if (scores >= 0).all() and np.allclose(scores.sum(axis=1), 1.0, atol=SUM_TOLERANCE):
        return Output.PROBABILITIES
    if (scores <= 0).all() and np.allclose(np.exp(scores).sum(axis=1), 1.0, atol=SUM_TOLERANCE):
        return Output.LOG_PROBABILITIES
    return Output.LOGITS


@dataclass(frozen=True)
class Convention:
    """How to feed one model and read its answer."""

    layout: Layout = Layout.NCHW
    pixels: Pixels = Pixels()
    output: Output = Output.PROBABILITIES

    def model_input(self, images: np.ndarray) -> np.ndarray:
        """The model's input for images (N, 28, 28) in digitpad's convention, contiguous float32."""
        values = self.pixels.apply(np.asarray(images, dtype=np.float32).reshape(-1, IMAGE_SIZE, IMAGE_SIZE))
        return np.ascontiguousarray(values.reshape(-1, *self.layout.shape), dtype=np.float32)

    def describe(self) -> str:
        """'Keras layout, 0-255, logits': what a person is shown."""
        return f"{self.layout.value}, {self.pixels.describe()}, {self.output.value}"

    def to_json(self) -> dict[str, object]:
        return {
            "layout": self.layout.name,
            "scale": self.pixels.scale.name,
            "dark_ink": self.pixels.dark_ink,
            "output": self.output.name,
        }

    @staticmethod
    def from_json(fields: object) -> Convention | None:
        """The convention `to_json` wrote, or None for anything else (a damaged or older cache)."""
        if not isinstance(fields, dict):
            return None
        try:
            dark = fields["dark_ink"]
            if not isinstance(dark, bool):
                return None
            return Convention(
                Layout[str(fields["layout"])], Pixels(Scale[str(fields["scale"])], dark), Output[str(fields["output"])]
            )
        except KeyError:
            return None


#: digitpad's own contract (`digitpad.model.contract`): what a model it exported wants and gives.
CONTRACT = Convention()
