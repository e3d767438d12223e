"""Odd and hostile drawings through the whole core pipeline: each gets a specific, tested response."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from digitpad.errors import DrawingError, ImageFileError
from digitpad.ink.drawing import MAX_STROKES, Drawing
from digitpad.ink.model_input import drawing_input
from digitpad.ink.normalize import Normalization
from digitpad.ink.raster import MAX_SEGMENTS, MAX_STAMPED_PIXELS, check_complexity, rasterize, segments
from digitpad.model.classifier import Classifier
from digitpad.reading import number
from digitpad.reading.recognizer import Recognizer
from tests.hostile_files import nested_rings, stacked_spirals

STROKES = Normalization(pen=2.5)


@pytest.fixture(scope="module")
def recognizer(shipped_model: Path) -> Recognizer:
    return Recognizer(Classifier(shipped_model))


def scribble(points: int) -> np.ndarray:
    """A long smooth scribble all over the canvas, as a pen held down for minutes would give."""
    t = np.linspace(0, 200 * np.pi, points)
    return np.stack([140 + 90 * np.sin(0.37 * t), 140 + 90 * np.cos(0.23 * t)], axis=1)


def test_a_blank_canvas_gets_no_answer_never_a_guess(recognizer: Recognizer) -> None:
    assert recognizer.recognize(Drawing()) is None
    assert drawing_input(Drawing(), STROKES) is None


@pytest.mark.parametrize(
    "stroke",
    [[[140.0, 140.0]], [[140.0, 40.0], [140.0, 240.0]], [[40.0, 140.0], [240.0, 141.0]]],
    ids=["dot", "line", "flat line"],
)
def test_a_single_dot_or_line_is_read_like_any_drawing(recognizer: Recognizer, stroke: list[list[float]]) -> None:
    prediction = recognizer.recognize(Drawing([stroke]))
    assert prediction is not None and prediction.model_input.max() > 0.5
    assert np.isclose(prediction.probabilities.sum(), 1.0, atol=1e-5)
    assert drawing_input(Drawing([stroke]), STROKES) is not None


def test_100000_points_of_real_ink_are_read(recognizer: Recognizer) -> None:
    drawing = Drawing([scribble(100_000)])
    assert drawing.point_count == 100_000
    prediction = recognizer.recognize(drawing)
    assert prediction is not None and np.isfinite(prediction.probabilities).all()
    assert drawing_input(drawing, STROKES) is not None


def test_100000_random_points_are_refused_as_too_complex() -> None:
    """Each jump crosses the canvas: over a million pen segments, about a minute of rendering."""
    drawing = Drawing([np.random.default_rng(0).uniform(0, 280, (100_000, 2))])
    for spec in (Normalization(), STROKES):
        with pytest.raises(DrawingError, match=f"too complex: its strokes would take more than {MAX_SEGMENTS:,}"):
            drawing_input(drawing, spec)


def test_ink_far_outside_the_canvas_costs_nothing_and_is_clipped() -> None:
    far = Drawing([[[-1e6, 140.0], [1e6, 140.0]]])
    near = Drawing([[[-30.0, 140.0], [310.0, 140.0]]])
    assert len(segments(far)[0]) == len(segments(near)[0]) < 50
    np.testing.assert_allclose(rasterize(far), rasterize(near), atol=1e-4)
    assert drawing_input(Drawing([[[1e6, 1e6], [-1e6, 1e6]]])) is None  # nowhere near: blank


def test_a_stroke_that_leaves_the_canvas_and_comes_back_keeps_both_parts() -> None:
    stroke = np.array([[100.0, 100.0], [100.0, -5e5], [180.0, -5e5], [180.0, 100.0]])
    image = rasterize(Drawing([stroke]))
    assert image[50, 100] == 1.0 and image[50, 180] == 1.0 and image[50, 140] == 0.0


def test_a_million_one_point_strokes_are_refused_before_any_work() -> None:
    dots = [[[140.0, 140.0]]] * 1_000_000
    with pytest.raises(DrawingError, match="1,000,000 strokes; at most 10,000"):
        Drawing(dots)
    assert drawing_input(Drawing(dots[:MAX_STROKES]), STROKES) is not None  # the most allowed are read


def test_a_wide_pen_is_refused_by_the_pixels_it_would_stamp_not_only_its_segments() -> None:
    """200 crossings of a 4096 px canvas with a 256 px pen: 9,000 segments, 1.3 billion pixels."""
    zigzag = [[0.0, 0.0] if i % 2 else [4095.0, 4095.0] for i in range(200)]
    drawing = Drawing([zigzag], 4096, 4096, 256)
    with pytest.raises(DrawingError, match="too complex: its strokes would take more than 1,7"):
        check_complexity(drawing)
    narrow = Drawing([zigzag], 4096, 4096, 20)
    check_complexity(narrow)  # the same path with the app's pen is fine
    assert len(segments(narrow)[0]) * 32 * 32 <= MAX_STAMPED_PIXELS


def test_a_path_winding_inside_a_pixel_is_refused_before_smoothing() -> None:
    """Smoothing resamples by the ink's size: 200,000 steps inside one pixel would be 20 million points."""
    wiggle = np.tile([[140.0, 140.0], [141.0, 141.0]], (100_000, 1))
    with pytest.raises(DrawingError, match="smoothing its strokes would take more than"):
        drawing_input(Drawing([wiggle]), Normalization(pen=2.5, smoothing=0.02))


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Count the calls of `digitpad.reading.number.<name>` (the per-run rendering or normalization)."""
    calls: list[int] = []
    real = getattr(number, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(number, name, counted)
    return calls


def test_stacked_tiny_spirals_are_refused_as_too_complex_before_any_run_is_rendered(
    recognizer: Recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """80 stacked spirals, within every limit of one drawing, once took 250 s to read as a number:
    each of 300 runs was scaled up and rendered on its own. The budget counts all runs first."""
    renders = _counting(monkeypatch, "drawing_input")
    for count in (80, 20):
        with pytest.raises(DrawingError, match="too complex to read as a number"):
            recognizer.read_number(stacked_spirals(count))
        with pytest.raises(DrawingError, match="too complex to read as a number"):
            number.drawing_candidates(stacked_spirals(count), recognizer.normalization)
    assert renders == []
    assert recognizer.read_number(stacked_spirals(6)).digits  # within the budget: read (0.7 s, measured)
    assert len(renders) > 6


def test_nested_rings_in_an_image_are_refused_as_too_complex_before_any_run_is_read(
    recognizer: Recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 100 KB PNG of 80 nested rings once took 15-27 s: every run's box was nearly the whole image."""
    normalized = _counting(monkeypatch, "normalize")
    with pytest.raises(ImageFileError, match="too complex to read as a number"):
        recognizer.read_number_in_image(nested_rings(80))
    assert normalized == []
    assert recognizer.read_number_in_image(nested_rings(5, side=1000)).digits  # within the budget: read
