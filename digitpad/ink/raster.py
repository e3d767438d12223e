"""Rasterize strokes at canvas resolution: antialiased round-capped pen, the way Qt paints it.

Pure numpy, so the GUI, the CLI, the tests and training all see the very same pixels. Each
segment is a capsule (a line with round ends); a pixel's coverage is how far its center lies
inside the capsule's edge, clamped to [0, 1]. QPainter antialiases edges a little differently: the
28x28 inputs made from the two differ by under 1 gray level of 255 on average, by at most 20 in
any pixel (measured on 400 UNIPEN digits: worst 14.9; tests/ui/test_canvas.py checks both).
"""

from __future__ import annotations

import numpy as np

from digitpad.errors import DrawingError
from digitpad.ink.drawing import Drawing

#: Along a stroke, keep about one point per this fraction of the pen width (but at least one per
#: canvas pixel): mouse and tablet events come a pixel or two apart, and every segment costs time,
#: while dropping points on a smooth curve moves the path by well under a tenth of a pixel.
THIN_SPACING_PER_PEN = 1 / 8
#: Points where the path turns by more than this angle are always kept, so corners stay sharp.
CORNER_DEGREES = 20.0
#: Stamp at most this many window pixels at once (about 2048 segments of the app's pen), to bound
#: memory for huge drawings and huge pens.
_PIXELS_PER_CHUNK = 2048 * 32 * 32
#: Most pen segments a drawing may need: about two seconds of stamping on a slow machine. A person
#: scribbling for many minutes stays far below; 100,000 random points all over the canvas do not.
MAX_SEGMENTS = 250_000
#: Most pixels the pen segments of a drawing may stamp (segments times the window each covers):
#: the real cost, which grows with the pen's square. With the app's 20 px pen MAX_SEGMENTS is
#: reached first; with a 256 px pen, about 1,700 segments are.
MAX_STAMPED_PIXELS = MAX_SEGMENTS * 32 * 32


def _window_pixels(pen_width: float) -> int:
    """Pixels `stamp_segments` computes for each segment of `segments(drawing)` with this pen."""
    side = int(np.ceil(max(pen_width / 2, 2.0) + pen_width + 2))
    return side * side


def _thin(points: np.ndarray, spacing: float) -> np.ndarray:
    """The stroke's ends, its corners, and the points where its length passes a new `spacing`."""
    if len(points) <= 2:
        return points
    steps = np.diff(points, axis=0)
    lengths = np.hypot(steps[:, 0], steps[:, 1])
    along = np.concatenate(([0.0], np.cumsum(lengths)))
    bucket = np.floor(along / spacing)
    keep = np.ones(len(points), bool)
    product = lengths[:-1] * lengths[1:]
    cosine = np.where(product > 0, (steps[:-1] * steps[1:]).sum(axis=1) / np.maximum(product, 1e-300), 1.0)
    keep[1:-1] = (bucket[1:-1] != bucket[:-2]) | (cosine < np.cos(np.radians(CORNER_DEGREES)))
    return points[keep]


def _clip(a: np.ndarray, b: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The parts of segments a -> b inside the box [low, high] (Liang-Barsky); misses are dropped.

    Segments inside the box are returned unchanged, bit for bit.
    """
    delta = b - a
    t0, t1 = np.zeros(len(a)), np.ones(len(a))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for axis in (0, 1):
            d = delta[:, axis]
            ta, tb = (low[axis] - a[:, axis]) / d, (high[axis] - a[:, axis]) / d
            enter, leave = np.minimum(ta, tb), np.maximum(ta, tb)
            parallel = d == 0
            outside = parallel & ((a[:, axis] < low[axis]) | (a[:, axis] > high[axis]))
            t0 = np.where(parallel, t0, np.maximum(t0, enter))
            t1 = np.where(parallel, t1, np.minimum(t1, leave))
            t1 = np.where(outside, -1.0, t1)
    keep = t0 <= t1
    inside = keep & (t0 == 0) & (t1 == 1)
    clipped_a = np.where(inside[:, None], a, a + delta * t0[:, None])
    clipped_b = np.where(inside[:, None], b, a + delta * t1[:, None])
    return clipped_a[keep], clipped_b[keep]


def check_complexity(drawing: Drawing) -> None:
    """Raise DrawingError if the drawing needs more than MAX_SEGMENTS pen segments to render.

    A cheap upper bound (every point a segment end, every stretch split at the pen radius) lets
    ordinary drawings through without cutting them into segments; only a suspect one is counted.
    """
    max_length = max(drawing.pen_width / 2, 2.0)
    bound = 0.0
    for stroke in drawing.strokes:
        steps = np.diff(stroke, axis=0)
        bound += len(stroke) + float(np.hypot(steps[:, 0], steps[:, 1]).sum()) / max_length
    if not (bound <= MAX_SEGMENTS and bound * _window_pixels(drawing.pen_width) <= MAX_STAMPED_PIXELS):
        segments(drawing)  # counts exactly; also catches an overflow to inf or nan


def segments(drawing: Drawing) -> tuple[np.ndarray, np.ndarray]:
    """All pen segments as float32 (starts, ends), each of shape (m, 2); a one-point stroke is a dot.

    Only what can reach the canvas is kept: segments are cut at the canvas edge plus the pen, so a
    line to a point far away costs no more than one across the canvas. Segments longer than the pen
    radius are split, so that every segment fits a small window. Raises DrawingError when the
    drawing needs more than MAX_SEGMENTS segments or MAX_STAMPED_PIXELS stamped pixels.
    """
    starts, ends = [], []
    max_length = max(drawing.pen_width / 2, 2.0)
    spacing = max(1.0, drawing.pen_width * THIN_SPACING_PER_PEN)
    margin = drawing.pen_width / 2 + 2.0
    low, high = np.array([-margin, -margin]), np.array([drawing.width + margin, drawing.height + margin])
    total = 0
    most = min(MAX_SEGMENTS, MAX_STAMPED_PIXELS // _window_pixels(drawing.pen_width))
    for stroke in drawing.strokes:
        points = _thin(stroke, spacing)
        inside = bool(((points >= low) & (points <= high)).all())
        if len(points) == 1:
            if inside:
                starts.append(points)
                ends.append(points)
            continue
        a, b = points[:-1], points[1:]
        if not inside:  # the usual stroke is inside: nothing to cut
            a, b = _clip(a, b, low, high)
        pieces = np.ceil(np.hypot(*(b - a).T) / max_length).clip(min=1).astype(np.int64)
        total += int(pieces.sum())
        if total > most:
            raise DrawingError(
                f"the drawing is too complex: its strokes would take more than {most:,} pen segments "
                f"of {drawing.pen_width:g} px to render (a handwritten digit takes a few hundred)"
            )
        if not len(a):
            continue
        if pieces.max() > 1:
            owner = np.repeat(np.arange(len(a)), pieces)
            first = np.repeat(np.cumsum(pieces) - pieces, pieces)
            step = (np.arange(len(owner)) - first) / pieces[owner]
            delta = (b - a)[owner]
            a = a[owner] + delta * step[:, None]
            b = a + delta / pieces[owner][:, None]
        starts.append(a)
        ends.append(b)
    if not starts:
        empty = np.zeros((0, 2), np.float32)
        return empty, empty
    return np.concatenate(starts).astype(np.float32), np.concatenate(ends).astype(np.float32)


def stamp_segments(canvas: np.ndarray, starts: np.ndarray, ends: np.ndarray, pen_width: float) -> None:
    """Draw round-capped segments into the float32 `canvas` (H, W) in place.

    Coverage combines by maximum, as opaque paint does, so drawing segments one by one or all at
    once gives the same pixels. Every segment gets the same square window of side `window`
    (broadcasting instead of gathering keeps this fast in numpy); the canvas is padded by one
    window so that windows never need clipping. Coverage falls as the distance to the pen's path
    grows, so the windows keep each pixel's least squared distance, and the square root and the
    clipping are done once per pixel instead of once per pixel of every window over it: the same
    float32 numbers, bit for bit.
    """
    height, width = canvas.shape
    radius = np.float32(pen_width / 2)
    peak = np.float32(min(1.0, pen_width))  # a hairline pen never fully covers a pixel
    extent = np.abs(ends - starts).max(initial=0.0)
    window = int(np.ceil(extent + 2 * radius + 2))
    pad = window + 1
    nearest = np.full((height + 2 * pad, width + 2 * pad), np.inf, np.float32)  # squared distances
    # Indices into the padded canvas in 32 bits where they fit: half the memory traffic of 64.
    index_type = np.int32 if nearest.size < 2**31 else np.intp
    grid = np.arange(window, dtype=index_type)
    cells = grid.astype(np.float32)
    offsets = grid[:, None] * nearest.shape[1] + grid[None, :]  # (window, window)
    chunk = max(1, _PIXELS_PER_CHUNK // (window * window))
    edge = radius + np.float32(0.5)
    flat = nearest.reshape(-1)
    for first in range(0, len(starts), chunk):
        a = starts[first : first + chunk]
        b = ends[first : first + chunk]
        corner = np.floor(np.minimum(a, b) - radius - 0.5).astype(index_type)
        corner = np.clip(corner, -pad, (width, height))  # off-canvas windows land in the padding
        ab = b - a
        inv_len2 = np.float32(1.0) / np.maximum((ab * ab).sum(axis=1), np.float32(1e-12))
        # Pixel-center offsets from each segment's start: x varies along the last axis, y the middle.
        centers = corner.astype(np.float32) + np.float32(0.5) - a  # window corner's pixel center
        ox = centers[:, 0, None, None] + cells[None, None, :]
        oy = centers[:, 1, None, None] + cells[None, :, None]
        abx, aby = ab[:, 0, None, None], ab[:, 1, None, None]
        # The same float32 steps as clip((ox*abx + oy*aby) * inv_len2, 0, 1), then the squared
        # distance (ox - t*abx)**2 + (oy - t*aby)**2, done in place: a window's arrays are the cost.
        t = ox * abx + oy * aby
        t *= inv_len2[:, None, None]
        np.maximum(t, 0.0, out=t)
        np.minimum(t, 1.0, out=t)
        dx = t * abx
        np.subtract(ox, dx, out=dx)
        dy = np.multiply(t, aby, out=t)
        np.subtract(oy, dy, out=dy)
        dx *= dx
        dy *= dy
        dx += dy
        base = (corner[:, 1] + pad) * nearest.shape[1] + (corner[:, 0] + pad)
        index = base[:, None, None] + offsets[None]
        np.minimum.at(flat, index.reshape(-1), dx.reshape(-1))
    # Coverage never grows as the distance does: each pixel's least distance gives its most coverage.
    coverage = np.sqrt(nearest[pad : pad + height, pad : pad + width])
    np.subtract(edge, coverage, out=coverage)
    np.maximum(coverage, 0.0, out=coverage)
    np.minimum(coverage, peak, out=coverage)
    np.maximum(canvas, coverage, out=canvas)


def stamp_strokes(canvas: np.ndarray, drawing: Drawing, first_stroke: int = 0) -> None:
    """Draw the drawing's strokes from `first_stroke` on into `canvas`, in place.

    Lets the GUI keep the raster of finished strokes and draw only the stroke in progress: the
    result is the same as rasterizing the whole drawing at once.
    """
    part = Drawing(drawing.strokes[first_stroke:], drawing.width, drawing.height, drawing.pen_width)
    starts, ends = segments(part)
    if len(starts):
        stamp_segments(canvas, starts, ends, drawing.pen_width)


def rasterize(drawing: Drawing) -> np.ndarray:
    """The drawing as a float32 (height, width) coverage image: 0.0 background, 1.0 full ink."""
    canvas = np.zeros((drawing.height, drawing.width), np.float32)
    stamp_strokes(canvas, drawing)
    return canvas
