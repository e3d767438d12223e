from __future__ import annotations

import numpy as np

from digitpad.ink.drawing import Drawing
from digitpad.ink.raster import rasterize, stamp_strokes
from tests.drawings import mouse_like, seven, zero


def test_a_horizontal_line_has_the_pen_width_and_soft_edges() -> None:
    image = rasterize(Drawing([[[40, 100.5], [240, 100.5]]], pen_width=10))
    column = image[:, 140]
    assert image.dtype == np.float32 and image.shape == (280, 280)
    assert column[100] == 1.0
    assert abs(column.sum() - 10.0) < 0.1  # total coverage across the line = pen width
    # The pen's edge (y = 95.5 and 105.5) runs through the centers of rows 95 and 105: half covered.
    assert column[95] == column[105] == 0.5 and (column[96:105] == 1.0).all()
    assert column[:90].max() == 0 and column[112:].max() == 0
    assert image[100, :30].max() == 0 and image[100, 40] > 0  # round cap reaches 5 px past the end


def test_a_single_point_is_a_round_dot() -> None:
    image = rasterize(Drawing([[[140, 140]]], pen_width=20))
    assert abs(image.sum() - np.pi * 10**2) < 3  # area of the disc
    assert image[140, 140] == 1.0 and image[140, 140 + 12] == 0.0


def test_a_hairline_pen_never_paints_full_pixels() -> None:
    image = rasterize(Drawing([[[10, 10.5], [200, 10.5]]], pen_width=0.5))
    assert 0 < image.max() <= 0.5


def test_stamping_stroke_by_stroke_equals_rasterizing_at_once() -> None:
    drawing = mouse_like(zero()).with_stroke(mouse_like(seven()).strokes[0])
    canvas = np.zeros((280, 280), np.float32)
    stamp_strokes(canvas, Drawing(drawing.strokes[:1]))
    stamp_strokes(canvas, drawing, first_stroke=1)
    np.testing.assert_array_equal(canvas, rasterize(drawing))


def test_ink_outside_the_canvas_is_clipped_not_an_error() -> None:
    image = rasterize(Drawing([[[-1e6, 140], [1e6, 140]], [[-50, -50]]]))
    assert image[140].min() == 1.0 and image[:100].max() == 0


def test_moving_a_drawing_by_whole_pixels_moves_its_raster_exactly() -> None:
    drawing = mouse_like(seven())
    moved = Drawing([s + (7, 3) for s in drawing.strokes])
    np.testing.assert_allclose(rasterize(moved)[3:, 7:], rasterize(drawing)[:-3, :-7], atol=1e-4)


def test_thinning_keeps_sharp_corners() -> None:
    corner = np.array([[100.0, 60.0], [160.0, 60.0], [160.0, 200.0]])
    dense = mouse_like(Drawing([corner]), spacing=1.0, jitter=0.0)
    exact = rasterize(Drawing([corner]))
    np.testing.assert_allclose(rasterize(dense), exact, atol=0.02)
