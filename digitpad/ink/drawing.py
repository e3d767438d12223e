"""Ink: the strokes a person drew, as a plain immutable value.

A drawing is what the canvas records, what a drawing JSON file holds and what the recognizer
reads. It is immutable so that undo/redo can keep old drawings without copying.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from digitpad.errors import DrawingError

#: The canvas's height in canvas pixels (10x MNIST's 28), and a `Drawing`'s default width and
#: height: the square a single digit is drawn in. The app's page is CANVAS_WIDTH wide (below).
DEFAULT_CANVAS_SIZE = 280
#: Pen diameter in canvas pixels: after MNIST normalization a digit drawn at about half the canvas
#: height gets strokes of about 2.5-3 px, as MNIST's own strokes are.
DEFAULT_PEN_WIDTH = 20.0
#: Largest accepted canvas side, in pixels (a 4K screen fits): keeps a malicious file from asking
#: for a huge raster (4096 x 4096 float32 is 64 MiB).
MAX_CANVAS_SIZE = 4096
#: Widest accepted pen, in pixels: the rasterizer's work and memory per segment grow with its square.
MAX_PEN_WIDTH = 256.0
#: Largest accepted |x| or |y|, in pixels: ink far off the canvas is clipped, but a coordinate such
#: as 1e300 is nonsense whose arithmetic would overflow.
MAX_COORDINATE = 1_000_000.0
#: Most points a drawing may hold in all its strokes.
MAX_POINTS = 1_000_000
#: Most strokes a drawing may hold: each stroke costs its own small numpy calls everywhere, so a
#: million one-point strokes would take a minute; a digit has a handful.
MAX_STROKES = 10_000


def _as_points(stroke: object, index: int) -> np.ndarray:
    """One stroke as a float64 array of shape (n, 2), or a DrawingError that names the stroke."""
    try:
        points = np.asarray(stroke, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DrawingError(f"stroke {index}: points must be [x, y] pairs of numbers ({exc})") from None
    except OverflowError:
        raise DrawingError(
            f"stroke {index} has a coordinate too large for a number; coordinates must lie within "
            f"±{MAX_COORDINATE:,.0f}"
        ) from None
    if points.size == 0:
        raise DrawingError(f"stroke {index} has no points")
    if points.ndim != 2 or points.shape[1] != 2:
        raise DrawingError(f"stroke {index}: points must be [x, y] pairs, got shape {points.shape}")
    if not np.isfinite(points).all():
        raise DrawingError(f"stroke {index} has a coordinate that is NaN or infinite")
    if np.abs(points).max() > MAX_COORDINATE:
        raise DrawingError(
            f"stroke {index} has a coordinate of {np.abs(points).max():.3g} pixels; "
            f"coordinates must lie within ±{MAX_COORDINATE:,.0f}"
        )
    points.setflags(write=False)
    return points


def _check_size(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DrawingError(f"canvas {name} must be a number of pixels, got {value!r}")
    if value != int(value) or not 1 <= value <= MAX_CANVAS_SIZE:
        raise DrawingError(f"canvas {name} must be a whole number from 1 to {MAX_CANVAS_SIZE}, got {value!r}")
    return int(value)


#: What a stroke may be given as: an (n, 2) array or a list of [x, y] pairs. A Drawing keeps each as
#: a read-only float64 array.
StrokeLike = np.ndarray | Sequence[Sequence[float]]


@dataclass(frozen=True, eq=False, init=False)
class Drawing:
    """Pen-down strokes on a canvas: canvas pixels, origin top-left, y growing downward.

    Each stroke is a read-only float64 array of shape (n, 2), whatever it was given as.
    Construction validates everything, so any Drawing that exists can be rendered.
    """

    strokes: tuple[np.ndarray, ...]
    width: int
    height: int
    pen_width: float
    _point_count: int = field(repr=False)

    def __init__(
        self,
        strokes: Iterable[StrokeLike] = (),
        width: int = DEFAULT_CANVAS_SIZE,
        height: int = DEFAULT_CANVAS_SIZE,
        pen_width: float = DEFAULT_PEN_WIDTH,
    ) -> None:
        object.__setattr__(self, "width", _check_size("width", width))
        object.__setattr__(self, "height", _check_size("height", height))
        pen = pen_width
        if isinstance(pen, bool) or not isinstance(pen, (int, float)) or not math.isfinite(pen):
            raise DrawingError(f"pen width must be a number of pixels, got {pen!r}")
        if not 0 < pen <= min(max(self.width, self.height), MAX_PEN_WIDTH):
            raise DrawingError(
                f"pen width must be above 0 and at most the canvas size and {MAX_PEN_WIDTH:g} px, got {pen!r}"
            )
        object.__setattr__(self, "pen_width", float(pen))
        if isinstance(strokes, (str, bytes)) or not isinstance(strokes, Iterable):
            raise DrawingError("strokes must be a list of strokes")
        given = tuple(strokes)
        if len(given) > MAX_STROKES:
            raise DrawingError(f"the drawing has {len(given):,} strokes; at most {MAX_STROKES:,} are accepted")
        arrays = tuple(_as_points(stroke, i) for i, stroke in enumerate(given))
        count = sum(len(s) for s in arrays)
        if count > MAX_POINTS:
            raise DrawingError(f"the drawing has {count:,} points; at most {MAX_POINTS:,} are accepted")
        object.__setattr__(self, "strokes", arrays)
        object.__setattr__(self, "_point_count", count)

    @property
    def is_blank(self) -> bool:
        """True when nothing has been drawn."""
        return not self.strokes

    @property
    def point_count(self) -> int:
        return self._point_count

    def with_stroke(self, stroke: StrokeLike) -> Drawing:
        """A new drawing with one more stroke at the end."""
        return Drawing((*self.strokes, stroke), self.width, self.height, self.pen_width)

    def extends(self, earlier: Drawing) -> bool:
        """Whether this drawing is `earlier` with strokes added at the end (the very same stroke
        arrays, same canvas and pen): then whatever shows `earlier` need only draw the new strokes."""
        return (
            (self.width, self.height, self.pen_width) == (earlier.width, earlier.height, earlier.pen_width)
            and len(self.strokes) >= len(earlier.strokes)
            and all(a is b for a, b in zip(self.strokes, earlier.strokes))
        )

    def without_last_stroke(self) -> Drawing:
        return Drawing(self.strokes[:-1], self.width, self.height, self.pen_width)

    def cleared(self) -> Drawing:
        return Drawing((), self.width, self.height, self.pen_width)

    def ink_bounds(self) -> tuple[float, float, float, float] | None:
        """(left, top, right, bottom) of the ink, pen included, clipped to the canvas; None if none.

        Computed from the geometry rather than from pixels, so that it moves exactly with the
        drawing: a shifted drawing normalizes to the same 28x28 image.
        """
        if not self.strokes:
            return None
        points = np.concatenate(self.strokes)
        radius = self.pen_width / 2
        left, top = points.min(axis=0) - radius
        right, bottom = points.max(axis=0) + radius
        left, right = max(left, 0.0), min(right, float(self.width))
        top, bottom = max(top, 0.0), min(bottom, float(self.height))
        if left >= right or top >= bottom:
            return None
        return float(left), float(top), float(right), float(bottom)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Drawing):
            return NotImplemented
        return (
            (self.width, self.height, self.pen_width) == (other.width, other.height, other.pen_width)
            and len(self.strokes) == len(other.strokes)
            and all(np.array_equal(a, b) for a, b in zip(self.strokes, other.strokes))
        )

    __hash__ = None  # type: ignore[assignment]

#: The app's canvas is three squares wide, so a number of up to 10 digits fits at a natural size;
#: its height, and so the pen and a single digit's model input, stay as on the square canvas.
CANVAS_WIDTH = 3 * DEFAULT_CANVAS_SIZE
