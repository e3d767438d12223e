"""The raster of a drawing kept up to date while a stroke is drawn, stamping only what is new.

A full `rasterize` of a dense drawing takes a few milliseconds; stamping a whole long stroke again
at its end takes one or two. To answer within about a millisecond of the pen lifting, the stroke's
segments are stamped as they settle while it is drawn, so that at its end only the last few remain.

Exactness does not depend on how the core thins points: a segment counts as settled once two
successive looks at the growing stroke agree on it, and at the stroke's end the settled segments
are checked against the final ones; if they differ, the stroke is stamped again from scratch.
Either way the result equals `rasterize(drawing)` bit for bit (the tests check it).

A model that renders its input from the strokes themselves (`Normalization.pen` > 0, the shipped
one) never needs the raster: `DrawingOnly` then keeps the drawing alone and makes the raster only
if someone asks for it, which spares every stroke its stamping.
"""

from __future__ import annotations

import numpy as np

from digitpad.ink.drawing import Drawing
from digitpad.ink.raster import rasterize, segments, stamp_segments

Segments = tuple[np.ndarray, np.ndarray]  # (starts, ends), each float32 (m, 2)
_NO_SEGMENTS: Segments = (np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32))


def _common_prefix(a: Segments, b: Segments) -> int:
    """How many leading segments `a` and `b` share exactly."""
    n = min(len(a[0]), len(b[0]))
    same = (a[0][:n] == b[0][:n]).all(axis=1) & (a[1][:n] == b[1][:n]).all(axis=1)
    differ = np.flatnonzero(~same)
    return int(differ[0]) if len(differ) else n


class StrokeRaster:
    """A drawing, its raster (float32, 0 = background), and the stroke in progress, if any."""

    def __init__(self, drawing: Drawing) -> None:
        self.reset(drawing)

    def reset(self, drawing: Drawing) -> None:
        """Start over from `drawing`: a full rasterize."""
        self._drawing = drawing
        self._raster = rasterize(drawing)
        self._end_stroke()

    def _end_stroke(self) -> None:
        self._before_stroke: np.ndarray | None = None  # raster of the finished strokes only
        self._seen: Segments = _NO_SEGMENTS  # the stroke's segments at the last look
        self._stamped = 0  # how many of them are in self._raster

    @property
    def drawing(self) -> Drawing:
        return self._drawing

    @property
    def raster(self) -> np.ndarray:
        """The raster of `drawing` (without the stroke in progress). Do not modify it."""
        return self._raster

    def set_drawing(self, drawing: Drawing) -> None:
        """Switch to `drawing`; when it only adds strokes to the current one, stamp just those."""
        old = self._drawing
        if self._before_stroke is not None or not drawing.extends(old):
            self.reset(drawing)
            return
        self._drawing = drawing
        if len(drawing.strokes) == len(old.strokes):
            return
        new = Drawing(drawing.strokes[len(old.strokes) :], drawing.width, drawing.height, drawing.pen_width)
        starts, ends = segments(new)
        stamp_segments(self._raster, starts, ends, drawing.pen_width)

    def _stroke_segments(self, points: np.ndarray) -> Segments:
        d = self._drawing
        return segments(Drawing((points,), d.width, d.height, d.pen_width))

    def live(self, points: np.ndarray) -> tuple[Drawing, np.ndarray | None]:
        """The drawing with the stroke in progress and a raster of it (a fresh array)."""
        pen = self._drawing.pen_width
        current = self._stroke_segments(points)
        if self._before_stroke is None:
            self._before_stroke = self._raster.copy()
        settled = _common_prefix(self._seen, current)
        if settled < self._stamped:  # a segment we took as settled changed: start the stroke over
            self._raster[...] = self._before_stroke
            self._stamped = 0
        if settled > self._stamped:
            stamp_segments(self._raster, current[0][self._stamped : settled], current[1][self._stamped : settled], pen)
            self._stamped = settled
        self._seen = current
        raster = self._raster.copy()
        stamp_segments(raster, current[0][settled:], current[1][settled:], pen)
        return self._drawing.with_stroke(points), raster

    def finish(self, points: np.ndarray) -> Drawing:
        """Make the stroke part of the drawing; `raster` is then exactly `rasterize(drawing)`."""
        starts, ends = self._stroke_segments(points)
        done = self._stamped
        if done and _common_prefix((self._seen[0][:done], self._seen[1][:done]), (starts, ends)) < done:
            assert self._before_stroke is not None
            self._raster[...] = self._before_stroke
            done = 0
        stamp_segments(self._raster, starts[done:], ends[done:], self._drawing.pen_width)
        self._drawing = self._drawing.with_stroke(points)
        self._end_stroke()
        return self._drawing

    def cancel(self) -> None:
        """Forget the stroke in progress."""
        if self._before_stroke is not None:
            self._raster[...] = self._before_stroke
        self._end_stroke()


class DrawingOnly:
    """StrokeRaster's interface without the upkeep: for models that read the strokes, not a raster."""

    def __init__(self, drawing: Drawing) -> None:
        self.reset(drawing)

    def reset(self, drawing: Drawing) -> None:
        self._drawing = drawing
        self._raster: np.ndarray | None = None

    @property
    def drawing(self) -> Drawing:
        return self._drawing

    @property
    def raster(self) -> np.ndarray:
        """`rasterize(drawing)`, made on first use. Do not modify it."""
        if self._raster is None:
            self._raster = rasterize(self._drawing)
        return self._raster

    def set_drawing(self, drawing: Drawing) -> None:
        self.reset(drawing)

    def live(self, points: np.ndarray) -> tuple[Drawing, np.ndarray | None]:
        """The drawing with the stroke in progress, and no raster (the model does not need one)."""
        return self._drawing.with_stroke(points), None

    def finish(self, points: np.ndarray) -> Drawing:
        self.reset(self._drawing.with_stroke(points))
        return self._drawing

    def cancel(self) -> None:
        """Nothing to undo: the stroke in progress never touched the drawing."""


def page_tracker(drawing: Drawing, reads_strokes: bool) -> StrokeRaster | DrawingOnly:
    """What the controller keeps for a page: the live raster only when the model reads a raster."""
    return DrawingOnly(drawing) if reads_strokes else StrokeRaster(drawing)
