"""Ink to the model's input: strokes or an image's ink -> the 28x28 (frame x frame) image.

One home for the step every reader shares (single digits, each digit of a number, personal samples,
training's drawing evaluation), so that they all see the same image for the same ink.
"""

from __future__ import annotations

import numpy as np

from digitpad.ink.drawing import Drawing
from digitpad.ink.image_ink import NOISE_LEVEL, pixels_to_ink
from digitpad.ink.normalize import MNIST, Normalization, ink_bounds, normalize, normalize_strokes
from digitpad.ink.raster import rasterize


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


def ink_to_input(ink: np.ndarray | None, spec: Normalization = MNIST) -> np.ndarray | None:
    """The model input (frame x frame) for an image's ink from `pixels_to_ink`, or None if it has none."""
    bounds = None if ink is None else ink_bounds(ink, NOISE_LEVEL)
    if ink is None or bounds is None:
        return None
    return normalize(ink, bounds, spec)


def image_input(pixels: np.ndarray, spec: Normalization = MNIST) -> np.ndarray | None:
    """The 28x28 model input for decoded image pixels, or None if the image has no ink."""
    return ink_to_input(pixels_to_ink(pixels), spec)
