from __future__ import annotations

import math
import re

import numpy as np
import pytest

from digitpad.errors import DrawingError
from digitpad.ink.drawing import DEFAULT_CANVAS_SIZE, DEFAULT_PEN_WIDTH, MAX_POINTS, Drawing


def test_defaults_and_blank() -> None:
    drawing = Drawing()
    assert (drawing.width, drawing.height, drawing.pen_width) == (
        DEFAULT_CANVAS_SIZE,
        DEFAULT_CANVAS_SIZE,
        DEFAULT_PEN_WIDTH,
    )
    assert drawing.is_blank and drawing.point_count == 0 and drawing.ink_bounds() is None


def test_strokes_become_read_only_float_arrays() -> None:
    drawing = Drawing([[[1, 2], [3, 4]]])
    (stroke,) = drawing.strokes
    assert stroke.dtype == np.float64 and stroke.shape == (2, 2)
    with pytest.raises(ValueError):
        stroke[0, 0] = 9


def test_undo_and_redo_values_share_nothing_mutable() -> None:
    first = Drawing().with_stroke([[10, 10], [20, 20]])
    second = first.with_stroke([[30, 30]])
    assert second.without_last_stroke() == first
    assert second.cleared() == Drawing()
    assert len(second.strokes) == 2 and second.point_count == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 0}, "width"),
        ({"width": -5}, "width"),
        ({"height": 10**9}, "height"),
        ({"width": 12.5}, "width"),
        ({"width": math.nan}, "width"),
        ({"width": True}, "width"),
        ({"pen_width": 0}, "pen width"),
        ({"pen_width": math.inf}, "pen width"),
        ({"pen_width": 1000}, "pen width"),
        ({"width": 1000, "pen_width": 300}, "at most the canvas size and 256 px"),
        ({"width": 4097}, "canvas width must be a whole number from 1 to 4096"),
        ({"strokes": [[[0, 1e300]]]}, "coordinates must lie within ±1,000,000"),
        ({"strokes": [[[0, math.nan]]]}, "NaN or infinite"),
        ({"strokes": [[[0, math.inf]]]}, "NaN or infinite"),
        ({"strokes": [[]]}, "no points"),
        ({"strokes": [[[1, 2, 3]]]}, "[x, y] pairs"),
        ({"strokes": [[["a", "b"]]]}, "numbers"),
        ({"strokes": "abc"}, "list of strokes"),
    ],
)
def test_bad_values_are_refused_with_a_specific_message(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DrawingError, match=re.escape(message)):
        Drawing(**kwargs)  # type: ignore[arg-type]


def test_too_many_points_are_refused() -> None:
    with pytest.raises(DrawingError, match="points"):
        Drawing([np.zeros((MAX_POINTS + 1, 2))])


def test_ink_bounds_include_the_pen_and_stop_at_the_canvas() -> None:
    drawing = Drawing([[[50, 60], [100, 200]]], pen_width=20)
    assert drawing.ink_bounds() == (40.0, 50.0, 110.0, 210.0)
    clipped = Drawing([[[-500, 140], [140, 140]]], pen_width=20)
    assert clipped.ink_bounds() == (0.0, 130.0, 150.0, 150.0)
    assert Drawing([[[-500, -500]]]).ink_bounds() is None  # all of it off the canvas
