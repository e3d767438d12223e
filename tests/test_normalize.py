from __future__ import annotations

import numpy as np
import pytest

from digitpad.ink.drawing import Drawing
from digitpad.ink.model_input import drawing_input
from digitpad.ink.normalize import MNIST, ink_bounds, normalize, resampling_matrix
from digitpad.ink.raster import rasterize
from tests.drawings import mouse_like, seven, zero


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    ys, xs = np.mgrid[: image.shape[0], : image.shape[1]]
    return float((image * ys).sum() / image.sum()), float((image * xs).sum() / image.sum())


def test_blank_in_blank_out() -> None:
    assert not normalize(np.zeros((280, 280))).any()
    assert drawing_input(Drawing()) is None


def test_mnist_convention_box_20_and_center_of_mass_at_pixel_14() -> None:
    image = drawing_input(zero(rx=40, ry=100))
    assert image is not None and image.shape == (28, 28) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0
    cy, cx = center_of_mass(image)
    assert cy == pytest.approx(14.0, abs=0.05) and cx == pytest.approx(14.0, abs=0.05)
    left, top, right, bottom = ink_bounds(image, 0.05) or (0, 0, 0, 0)
    assert bottom - top == pytest.approx(MNIST.box, abs=1.0)  # the taller side becomes 20 px
    assert right - left < 14  # and the aspect ratio is kept


def test_size_and_place_on_the_canvas_do_not_matter() -> None:
    small = Drawing([s * 0.5 + 20 for s in zero().strokes], pen_width=10)
    large = zero()
    a, b = drawing_input(small), drawing_input(large)
    assert a is not None and b is not None
    assert np.abs(a - b).max() < 0.02


def test_moving_a_drawing_by_a_fraction_of_a_pixel_changes_little() -> None:
    """Scale and shift are sub-pixel, so no jump of a whole pixel; what is left is sampling noise."""
    drawing = mouse_like(seven())
    base = drawing_input(drawing)
    for dx, dy in [(0.25, 0.0), (0.5, 0.5), (13.37, -21.6)]:
        moved = drawing_input(Drawing([s + (dx, dy) for s in drawing.strokes]))
        assert base is not None and moved is not None
        assert np.abs(moved - base).max() <= 3 / 255


def test_resampling_keeps_mass_and_interpolates_when_enlarging() -> None:
    weights = resampling_matrix(28, 280, 0.1, 0.0)
    assert np.allclose(weights.sum(axis=1), 1.0)
    enlarge = resampling_matrix(4, 2, 2.0, 0.0)  # two pixels to four: linear in between,
    np.testing.assert_allclose(enlarge @ np.array([0.0, 1.0]), [0.0, 0.25, 0.75, 0.75])  # background beyond


def test_stray_ink_outside_the_given_bounds_is_ignored() -> None:
    image = rasterize(zero())
    clean = normalize(image, (60, 30, 220, 250))
    image[0:5, 0:5] = 1.0
    np.testing.assert_array_equal(normalize(image, (60, 30, 220, 250)), clean)
