"""The controller's incremental raster equals a full rasterize, bit for bit (plain numpy, no Qt)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from digitpad.ink.drawing import Drawing
from digitpad.ink.raster import rasterize
from digitpad.ink.stroke_raster import StrokeRaster
from tests.drawings import DIGITS, densify, ellipse


def draw_live(raster: StrokeRaster, stroke: np.ndarray, every: int, check_every_look: bool = True) -> None:
    """Look at the growing stroke every `every` points, as the throttled live recognition does."""
    for look, end in enumerate(range(1, len(stroke) + 1, every)):
        drawing, live = raster.live(stroke[:end])
        if check_every_look or look == 2:
            assert np.array_equal(live, rasterize(drawing))
    raster.finish(stroke)


def test_strokes_drawn_live_give_exactly_the_full_raster() -> None:
    raster = StrokeRaster(Drawing())
    for every in (2, 7):
        for stroke in DIGITS[4] + DIGITS[0]:
            draw_live(raster, stroke, every)
            assert np.array_equal(raster.raster, rasterize(raster.drawing))
    assert len(raster.drawing.strokes) == 6


def test_a_stroke_finished_without_live_looks_is_stamped_whole() -> None:
    raster = StrokeRaster(Drawing())
    for stroke in DIGITS[7] + DIGITS[1]:
        raster.finish(stroke)
    assert np.array_equal(raster.raster, rasterize(Drawing(DIGITS[7] + DIGITS[1])))


def test_a_stroke_that_changes_what_looked_settled_is_stamped_again() -> None:
    raster = StrokeRaster(Drawing(DIGITS[1]))
    path = ellipse(140, 140, 60, 60)
    raster.live(path[:40])
    raster.live(path[:80])  # segments of the first half now count as settled and are stamped
    other = path[::-1]  # the stroke that finishes is not an extension of what was seen
    raster.finish(other)
    assert np.array_equal(raster.raster, rasterize(Drawing((*DIGITS[1], other))))


def test_cancel_forgets_the_stroke_in_progress() -> None:
    raster = StrokeRaster(Drawing(DIGITS[1]))
    before = raster.raster.copy()
    raster.live(DIGITS[7][0][:30])
    raster.live(DIGITS[7][0])
    raster.cancel()
    assert np.array_equal(raster.raster, before)
    assert raster.drawing == Drawing(DIGITS[1])


def test_set_drawing_stamps_added_strokes_and_redraws_anything_else() -> None:
    raster = StrokeRaster(Drawing())
    one = Drawing(DIGITS[1])
    raster.set_drawing(one)
    both = one.with_stroke(DIGITS[7][0])
    raster.set_drawing(both)  # an extension: only the new stroke is stamped
    assert np.array_equal(raster.raster, rasterize(both))
    raster.set_drawing(Drawing(DIGITS[0]))  # anything else: a full rasterize
    assert np.array_equal(raster.raster, rasterize(Drawing(DIGITS[0])))
    thick = Drawing(DIGITS[0], pen_width=30)
    raster.set_drawing(thick)
    assert np.array_equal(raster.raster, rasterize(thick))


coordinate = st.floats(-30, 310, allow_nan=False)
strokes = st.lists(
    st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=6).map(lambda ps: densify(ps, 2.5)),
    min_size=1,
    max_size=3,
)


@settings(max_examples=30, deadline=None)
@given(strokes=strokes, every=st.integers(1, 25), pen=st.sampled_from([4.0, 20.0, 33.0]))
def test_any_strokes_any_live_rhythm_give_exactly_the_full_raster(
    strokes: list[np.ndarray], every: int, pen: float
) -> None:
    raster = StrokeRaster(Drawing(pen_width=pen))
    for stroke in strokes:
        draw_live(raster, stroke, every, check_every_look=False)
    assert np.array_equal(raster.raster, rasterize(Drawing(strokes, pen_width=pen)))
