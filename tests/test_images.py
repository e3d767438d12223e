"""Image pixels to model input: pure numpy, no Qt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from digitpad.ink.image_ink import luminance, luminance_to_ink
from digitpad.ink.model_input import drawing_input, image_input
from digitpad.ink.raster import rasterize
from digitpad.model.classifier import Classifier
from tests.drawings import seven


def paper(ink: np.ndarray) -> np.ndarray:
    """Dark ink on white paper, as uint8 RGB."""
    gray = np.round(255 * (1 - ink)).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=2)


def test_dark_on_light_is_inverted_and_matches_the_drawing_path() -> None:
    drawing = seven()
    from_image = image_input(paper(rasterize(drawing)))
    from_strokes = drawing_input(drawing)
    assert from_image is not None and from_strokes is not None
    assert np.abs(from_image - from_strokes).mean() < 0.02


def test_light_on_dark_is_taken_as_is() -> None:
    ink = rasterize(seven())
    gray = np.round(255 * ink).astype(np.uint8)
    a, b = image_input(gray), image_input(paper(ink))
    assert a is not None and b is not None and np.abs(a - b).max() < 0.01


@pytest.mark.parametrize("ink_value", [0, 255])
def test_ink_in_the_alpha_channel_reads_either_way(ink_value: int) -> None:
    coverage = rasterize(seven())
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., :3] = ink_value  # black or white ink ...
    rgba[..., 3] = np.round(255 * coverage).astype(np.uint8)  # ... on a transparent background
    result, expected = image_input(rgba), image_input(paper(coverage))
    assert result is not None and expected is not None and np.abs(result - expected).max() < 0.02


def test_faint_pencil_is_stretched_to_full_ink() -> None:
    ink = rasterize(seven())
    faint = np.round(255 * (0.9 - 0.4 * ink)).astype(np.uint8)  # gray pencil on gray paper
    result = image_input(faint)
    assert result is not None and result.max() > 0.9


@pytest.mark.parametrize("value", [0, 128, 255])
def test_uniform_images_are_blank(value: int) -> None:
    assert image_input(np.full((50, 40), value, np.uint8)) is None


def test_sixteen_bit_and_float_pixels() -> None:
    ink = rasterize(seven())
    sixteen = np.round(65535 * ink).astype(np.uint16)
    assert np.allclose(luminance(sixteen), ink, atol=1e-4)
    assert luminance_to_ink(luminance(ink)) is not None


def test_mnist_digits_as_image_files_read_as_well_as_raw(
    shipped_model: Path, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    """An MNIST digit saved as an image goes through the image path and loses almost nothing.

    On the first 2,000 test digits (2026-12-02: 99.55 % read right as arrays, 99.35 % as image files);
    the shipped model's accuracy on all of MNIST is `tests/training/test_shipped_model.py`'s to check."""
    images, labels = mnist_test[0][:2000], mnist_test[1][:2000]
    classifier = Classifier(shipped_model)
    raw = classifier.predict(images).argmax(axis=1)
    as_files = np.stack([image_input(np.round(255 * (1 - x)).astype(np.uint8)) for x in images])
    via_images = classifier.predict(as_files).argmax(axis=1)
    assert (via_images == labels).mean() >= (raw == labels).mean() - 0.005
