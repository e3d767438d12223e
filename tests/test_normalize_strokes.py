"""Stroke-width normalization: the model input rendered from the strokes with a fixed pen."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digitpad.ink.drawing import Drawing
from digitpad.ink.model_input import drawing_input
from digitpad.ink.normalize import MNIST, Normalization, normalize, normalize_strokes, smooth_stroke
from digitpad.ink.raster import rasterize
from digitpad.model.contract import MetadataKey, normalization_from_metadata, normalization_to_metadata

STROKE = Normalization(pen=2.5)


def zigzag(scale: float, left: float = 40.0, top: float = 30.0) -> Drawing:
    """A 2-like zigzag, `scale` canvas pixels tall."""
    shape = np.array([[0.0, 0.0], [0.6, 0.0], [0.6, 0.45], [0.0, 1.0], [0.7, 1.0]])
    return Drawing((shape * scale + [left, top],))


def test_default_spec_keeps_the_canvas_raster_pipeline() -> None:
    drawing = zigzag(150)
    expected = normalize(rasterize(drawing), drawing.ink_bounds(), MNIST)
    assert np.array_equal(drawing_input(drawing), expected)
    assert np.array_equal(drawing_input(drawing, Normalization()), expected)


def test_stroke_width_no_longer_depends_on_drawing_size() -> None:
    small, large = drawing_input(zigzag(90), STROKE), drawing_input(zigzag(230), STROKE)
    assert small is not None and large is not None
    assert abs(small.sum() - large.sum()) < 0.02 * large.sum()
    # The canvas raster's pen shrinks with the drawing: a small drawing gets much more ink.
    old_small, old_large = drawing_input(zigzag(90)), drawing_input(zigzag(230))
    assert old_small is not None and old_large is not None
    assert old_small.sum() > 1.5 * old_large.sum()


def test_box_and_center_of_mass_follow_the_spec() -> None:
    image = drawing_input(zigzag(180), STROKE)
    assert image is not None and image.shape == (28, 28) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0
    rows = np.flatnonzero(image.sum(axis=1) > 0.05)
    assert 19 <= rows[-1] - rows[0] + 1 <= 22  # the longer side (height) is about 20 px
    cells = np.arange(28) + 0.5
    mass = image.sum()
    assert abs(image.sum(axis=0) @ cells / mass - 14.5) < 0.15
    assert abs(image.sum(axis=1) @ cells / mass - 14.5) < 0.15


def test_moving_the_drawing_hardly_changes_the_input() -> None:
    a, b = drawing_input(zigzag(150, 20, 20), STROKE), drawing_input(zigzag(150, 97.3, 61.8), STROKE)
    assert a is not None and b is not None
    assert np.abs(a - b).max() < 0.05


def test_blank_and_off_canvas_drawings_give_none() -> None:
    assert drawing_input(Drawing(), STROKE) is None
    assert drawing_input(Drawing(([[-100.0, -100.0], [-60.0, -50.0]],)), STROKE) is None


def test_a_dot_becomes_a_centered_dot() -> None:
    image = drawing_input(Drawing(([[100.0, 100.0]],)), STROKE)
    assert image is not None
    y, x = np.unravel_index(image.argmax(), image.shape)
    assert abs(y - 14) <= 1 and abs(x - 14) <= 1


def test_smoothing_straightens_a_jagged_line_and_keeps_its_ends() -> None:
    x = np.linspace(0, 200, 101)
    jagged = np.stack([x, 100 + 3.0 * (-1) ** np.arange(101)], axis=1)
    smooth = smooth_stroke(jagged, sigma=4.0)
    assert np.array_equal(smooth[0], jagged[0]) and np.array_equal(smooth[-1], jagged[-1])
    assert np.abs(smooth[5:-5, 1] - 100).max() < 0.5
    assert np.array_equal(smooth_stroke(jagged, 0.0), jagged)
    drawing = Drawing((jagged,))
    assert drawing_input(drawing, Normalization(pen=2.5, smoothing=0.02)) is not None


def test_new_fields_travel_in_the_metadata_and_old_models_get_the_old_pipeline() -> None:
    spec = Normalization(pen=2.75, smoothing=0.01)
    metadata = {MetadataKey.PREPROCESSING: normalization_to_metadata(spec)}
    assert normalization_from_metadata(metadata) == spec
    old = {MetadataKey.PREPROCESSING: json.dumps({"frame": 28, "box": 20.0, "center": 14.5})}
    assert normalization_from_metadata(old) == MNIST
    assert MNIST.pen == 0.0 and MNIST.smoothing == 0.0


@pytest.mark.parametrize("pen", [1.5, 2.5, 3.5])
def test_pen_sets_the_stroke_width(pen: float) -> None:
    """A long vertical bar's cross-section holds about `pen` pixels of ink."""
    image = normalize_strokes(Drawing(([[140.0, 20.0], [140.0, 260.0]],)), Normalization(pen=pen))
    assert image is not None
    assert abs(image[14].sum() - pen) < 0.1


def test_images_ignore_the_stroke_settings() -> None:
    """An image file has no strokes to re-render: it gets the box and center of mass only."""
    image = rasterize(zigzag(150))
    assert np.array_equal(normalize(image, spec=Normalization(pen=2.5, smoothing=0.02)), normalize(image, spec=MNIST))
