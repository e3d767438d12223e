"""Properties of the one pipeline for any strokes (hypothesis), not just the drawings we thought of.

What holds when a drawing moves (docs/robustness.md has the measured figures):
- by whole canvas pixels: the 28x28 input changes by at most one gray level, on both paths;
- by any amount, on the stroke-rendered path (a model asking for `pen` > 0, as the shipped one
  does): at most one gray level;
- by a fraction of a pixel, on the canvas-raster path (`pen` = 0, MNIST-only models): the canvas
  raster is sampled at pixel centers, so a digit-sized drawing (ink box of 100 px or more) changes
  by up to SUBPIXEL_GRAY_LEVELS; a tiny one, whose few pixels are enlarged, by much more.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from digitpad.ink.drawing import DEFAULT_CANVAS_SIZE, DEFAULT_PEN_WIDTH, Drawing
from digitpad.ink.model_input import drawing_input
from digitpad.ink.normalize import MNIST, Normalization
from digitpad.model.classifier import Classifier
from digitpad.reading.recognizer import Recognizer

GRAY_LEVEL = 1 / 255
#: Largest change of any pixel, in gray levels, when a digit-sized drawing moves by a fraction of a
#: canvas pixel on the canvas-raster path (measured: up to 6.9; see docs/robustness.md).
SUBPIXEL_GRAY_LEVELS = 10
SPECS = {
    "canvas raster": MNIST,
    "strokes": Normalization(pen=2.5),
    "smoothed strokes": Normalization(pen=2.5, smoothing=0.02),
}
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def strokes(low: float, high: float, max_strokes: int = 3, max_points: int = 30) -> st.SearchStrategy[list[np.ndarray]]:
    """1 to max_strokes strokes of 1 to max_points points in [low, high]^2, whole or fractional."""
    coordinate = st.one_of(
        st.floats(low, high, allow_nan=False, allow_infinity=False), st.integers(int(low), int(high)).map(float)
    )
    stroke = st.integers(1, max_points).flatmap(lambda n: arrays(np.float64, (n, 2), elements=coordinate))
    return st.lists(stroke, min_size=1, max_size=max_strokes)


def moved(drawing: Drawing, shift: np.ndarray) -> Drawing:
    return Drawing([s + shift for s in drawing.strokes], drawing.width, drawing.height, drawing.pen_width)


@PROPERTY_SETTINGS
@given(
    points=strokes(-1e6, 1e6) | strokes(-50, 330),
    size=st.integers(1, 600),
    pen=st.floats(0.05, 256),
    spec=st.sampled_from(list(SPECS.values())),
)
def test_any_strokes_give_a_finite_float32_28x28_in_0_1_or_none(
    points: list[np.ndarray], size: int, pen: float, spec: Normalization
) -> None:
    drawing = Drawing(points, size, size, min(pen, size))
    image = drawing_input(drawing, spec)
    if image is None:
        assert drawing.ink_bounds() is None or spec.pen == 0
        return
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert np.isfinite(image).all() and image.min() >= 0.0 and image.max() <= 1.0


@pytest.fixture(scope="module")
def recognizer(shipped_model: Path) -> Recognizer:
    return Recognizer(Classifier(shipped_model))


@PROPERTY_SETTINGS
@given(points=strokes(-50, 330))
def test_probabilities_sum_to_one(recognizer: Recognizer, points: list[np.ndarray]) -> None:
    prediction = recognizer.recognize(Drawing(points))
    if prediction is not None:
        assert prediction.probabilities.dtype == np.float32 and (prediction.probabilities >= 0).all()
        assert abs(float(prediction.probabilities.sum(dtype=np.float64)) - 1.0) <= 1e-5


def two_places(data: st.DataObject, pen: float, whole_pixels: bool, min_size: float = 0.0) -> tuple[Drawing, Drawing]:
    """A drawing and the same drawing moved, both with all their ink inside the canvas."""
    margin = pen / 2 + 1
    points = data.draw(strokes(0, 150))
    low = np.min([s.min(axis=0) for s in points], axis=0)
    high = np.max([s.max(axis=0) for s in points], axis=0)
    assume(float((high - low).max()) + pen >= min_size)
    room = DEFAULT_CANVAS_SIZE - 2 * margin - (high - low)  # how far the ink can move, per axis
    place = st.integers(0, int(room.min())) if whole_pixels else st.floats(0, float(room.min()))
    first = np.array([data.draw(place), data.draw(place)], float)
    second = np.array([data.draw(place), data.draw(place)], float)
    drawing = Drawing([s - low + margin for s in points], pen_width=pen)
    return moved(drawing, first), moved(drawing, second)


@PROPERTY_SETTINGS
@given(data=st.data(), spec=st.sampled_from(list(SPECS.values())))
def test_moving_by_whole_pixels_changes_at_most_one_gray_level(data: st.DataObject, spec: Normalization) -> None:
    a, b = two_places(data, DEFAULT_PEN_WIDTH, whole_pixels=True)
    assert np.abs(drawing_input(a, spec) - drawing_input(b, spec)).max() <= GRAY_LEVEL


@PROPERTY_SETTINGS
@given(data=st.data(), spec=st.sampled_from([SPECS["strokes"], SPECS["smoothed strokes"]]))
def test_moving_by_any_amount_changes_at_most_one_gray_level_when_rendered_from_strokes(
    data: st.DataObject, spec: Normalization
) -> None:
    a, b = two_places(data, DEFAULT_PEN_WIDTH, whole_pixels=False)
    assert np.abs(drawing_input(a, spec) - drawing_input(b, spec)).max() <= GRAY_LEVEL


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(data=st.data())
def test_moving_a_digit_sized_drawing_by_a_fraction_of_a_pixel_on_the_canvas_raster(data: st.DataObject) -> None:
    a, b = two_places(data, DEFAULT_PEN_WIDTH, whole_pixels=False, min_size=100)
    assert np.abs(drawing_input(a, MNIST) - drawing_input(b, MNIST)).max() <= SUBPIXEL_GRAY_LEVELS * GRAY_LEVEL
