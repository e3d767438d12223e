"""Placing pen digits on the canvas as people draw them."""

from __future__ import annotations

import numpy as np

from tests.training.drawing_fixtures import bar, ring
from training.unipen import PenSample, Placement, place, place_samples


def _samples(strokes: list[tuple[np.ndarray, ...]]) -> list[PenSample]:
    return [PenSample(0, "test", str(i), s) for i, s in enumerate(strokes)]


def _extent(drawing):  # type: ignore[no-untyped-def]
    points = np.concatenate(drawing.strokes)
    return points.min(axis=0), points.max(axis=0)


def test_digits_are_sized_like_people_draw_and_stay_on_the_canvas() -> None:
    strokes = (np.array(ring(width=60, height=100)),)
    heights, lefts = [], []
    for drawing in place_samples(_samples([strokes] * 300), seed=3):
        low, high = _extent(drawing)
        heights.append((high[1] - low[1]) / 280)
        lefts.append(low[0])
        assert drawing.width == drawing.height == 280 and drawing.pen_width == 20
        assert (low >= 10).all() and (high <= 270).all()  # the pen's round end stays on the canvas
    assert 0.34 <= min(heights) < 0.40 and 0.80 < max(heights) <= 0.86
    assert max(lefts) - min(lefts) > 100  # not always in the middle


def test_aspect_ratio_is_kept_and_points_are_whole_pixels() -> None:
    drawing = place((np.array(ring(width=60, height=100)),), np.random.default_rng(0))
    low, high = _extent(drawing)
    assert abs((high[0] - low[0]) / (high[1] - low[1]) - 0.6) < 0.02
    assert all(np.array_equal(s, np.round(s)) for s in drawing.strokes)
    assert all((np.diff(s, axis=0) != 0).any(axis=1).all() for s in drawing.strokes)  # no repeated events


def test_flat_and_wide_strokes_are_sized_by_width() -> None:
    dash = (np.array([[0.0, 0.0], [50.0, 1.0]]),)
    drawing = place(dash, np.random.default_rng(0), Placement(round_to_pixels=False))
    low, high = _extent(drawing)
    assert high[0] - low[0] <= 0.9 * 280 + 1e-9
    assert (low >= 10).all() and (high <= 270).all()
    dot = place((np.array([[5.0, 5.0]]),), np.random.default_rng(0))
    assert dot.point_count == 1


def test_same_seed_same_drawings() -> None:
    strokes = [(np.array(bar()),), (np.array(ring()),)]
    samples = _samples(strokes)
    assert place_samples(samples, seed=7) == place_samples(samples, seed=7)
    assert place_samples(samples, seed=7) != place_samples(samples, seed=8)
