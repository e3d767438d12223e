"""MNIST-style normalization: any ink image in, the 28x28 image the model was trained on out.

As the MNIST authors did: take the ink's bounding box, scale it so its longer side is 20 pixels
(keeping the aspect ratio, anti-aliased), and place it in a 28x28 frame so that its center of
mass lands on pixel (14, 14), where MNIST digits have theirs. Unlike MNIST, the scale and the shift
are applied in one sub-pixel resampling step, so that moving a drawing by a fraction of a pixel
changes the result by a fraction of a gray level rather than jumping a whole pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitpad.errors import DrawingError
from digitpad.ink.drawing import Drawing
from digitpad.ink.raster import segments, stamp_segments

#: (left, top, right, bottom) in continuous pixel coordinates: pixel (x, y) spans [x, x+1] x [y, y+1].
Bounds = tuple[float, float, float, float]


@dataclass(frozen=True)
class Normalization:
    """Where the ink goes in the model's frame; the defaults are MNIST's own convention.

    Images (files, MNIST) use `frame`, `box` and `center` only: their strokes are already drawn.
    Drawings also use `pen` and `smoothing`, which need the strokes.
    """

    frame: int = 28  #: side of the model's square input, pixels
    box: float = 20.0  #: the ink's longer side after scaling, pixels
    center: float = 14.5  #: continuous coordinate of the center of mass: the middle of pixel 14
    #: Stroke width in frame pixels when a drawing is rendered from its strokes, so that every
    #: drawing gets MNIST-like strokes whatever its size; 0 = shrink the canvas raster, whose pen
    #: then thickens small drawings and thins big ones (the first models' way).
    pen: float = 0.0
    #: Smoothing of jagged paths before rendering from strokes: Gaussian sigma along each stroke,
    #: as a fraction of the ink's longer side (0 = none). Only used with `pen`.
    smoothing: float = 0.0


MNIST = Normalization()


def ink_bounds(image: np.ndarray, threshold: float) -> Bounds | None:
    """Bounding box of the pixels above `threshold`, or None if there are none."""
    rows = np.flatnonzero((image > threshold).any(axis=1))
    if not len(rows):
        return None
    cols = np.flatnonzero((image > threshold).any(axis=0))
    return float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1)


def resampling_matrix(n_out: int, n_in: int, scale: float, shift: float) -> np.ndarray:
    """Weights (n_out, n_in) that resample a line of n_in pixels so that x maps to scale * x + shift.

    Each output pixel averages the input over its footprint, at least one input pixel wide: an
    area average when shrinking (anti-aliased), a linear interpolation when enlarging.
    """
    footprint = max(1.0 / scale, 1.0)
    centers = (np.arange(n_out) + 0.5 - shift) / scale  # output pixel centers in input coordinates
    lo = centers[:, None] - footprint / 2
    hi = centers[:, None] + footprint / 2
    pixel = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, pixel + 1) - np.maximum(lo, pixel), 0.0, None)
    weights: np.ndarray = (overlap / footprint).astype(np.float32)
    return weights


def normalize(image: np.ndarray, bounds: Bounds | None = None, spec: Normalization = MNIST) -> np.ndarray:
    """A float32 (frame, frame) image in [0, 1] from an ink image (0 = background, 1 = full ink).

    `bounds` is the ink's bounding box; when None it is taken from the pixels with any ink. A
    blank image gives a blank frame.
    """
    image = np.asarray(image, dtype=np.float32)
    blank = np.zeros((spec.frame, spec.frame), np.float32)
    if bounds is None:
        bounds = ink_bounds(image, 0.0)
    if bounds is None:
        return blank
    left, top, right, bottom = bounds
    # Only the pixels inside the box take part: less work, and stray ink elsewhere is ignored.
    x0, y0 = max(int(np.floor(left)), 0), max(int(np.floor(top)), 0)
    x1, y1 = min(int(np.ceil(right)), image.shape[1]), min(int(np.ceil(bottom)), image.shape[0])
    crop = image[y0:y1, x0:x1]
    mass = float(crop.sum(dtype=np.float64))
    if mass <= 0 or right <= left or bottom <= top:
        return blank
    scale = spec.box / max(right - left, bottom - top)
    com_x = float(crop.sum(axis=0, dtype=np.float64) @ (np.arange(x0, x1) + 0.5)) / mass
    com_y = float(crop.sum(axis=1, dtype=np.float64) @ (np.arange(y0, y1) + 0.5)) / mass
    columns = resampling_matrix(spec.frame, crop.shape[1], scale, spec.center - scale * (com_x - x0))
    rows = resampling_matrix(spec.frame, crop.shape[0], scale, spec.center - scale * (com_y - y0))
    resampled: np.ndarray = np.clip(rows @ crop @ columns.T, 0.0, 1.0)
    return resampled


#: Strokes are rendered at this many times the frame's resolution and then area-averaged, so
#: that a 2-3 px pen gets smooth antialiased edges like MNIST's scanned strokes.
SUPERSAMPLING = 4
#: Most points smoothing may resample a drawing's strokes into (about 16 bytes each): a path
#: that winds back and forth inside a pixel would otherwise become hundreds of millions.
MAX_SMOOTHED_POINTS = 2_000_000


def resample_stroke(points: np.ndarray, spacing: float, *, even: bool = False) -> np.ndarray:
    """The stroke (n, 2) resampled by path length: a point every `spacing`, from the first point.

    The last point is always kept. With `even`, the points are spread evenly instead: the fewest
    equal steps no longer than `spacing`. A stroke of one point or of no length comes back as it is.
    """
    length = np.concatenate(([0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))))
    if len(points) < 2 or length[-1] <= 0:
        return points
    if even:
        along = np.linspace(0.0, length[-1], max(int(np.ceil(length[-1] / spacing)) + 1, 2))
    else:
        along = np.append(np.arange(0.0, length[-1], spacing), length[-1])
    return np.stack([np.interp(along, length, points[:, 0]), np.interp(along, length, points[:, 1])], axis=1)


def smooth_stroke(points: np.ndarray, sigma: float) -> np.ndarray:
    """The stroke resampled every sigma/2 of path length and Gaussian-smoothed with `sigma`.

    Evens out tablet and mouse jaggedness (steps of whole pixels, uneven event spacing) while
    keeping the shape; the ends stay where they were.
    """
    if sigma <= 0 or len(points) < 3:
        return points
    even = resample_stroke(points, sigma / 2, even=True)
    if even is points:  # no length to resample
        return points
    reach = int(np.ceil(3 * 2))  # three sigmas, in steps of sigma/2
    kernel = np.exp(-0.5 * (np.arange(-reach, reach + 1) / 2.0) ** 2)
    kernel /= kernel.sum()
    padded = np.concatenate([np.repeat(even[:1], reach, 0), even, np.repeat(even[-1:], reach, 0)])
    smooth = np.stack([np.convolve(padded[:, 0], kernel, "valid"), np.convolve(padded[:, 1], kernel, "valid")], axis=1)
    smooth[0], smooth[-1] = points[0], points[-1]
    return smooth


def _render(starts: np.ndarray, ends: np.ndarray, side: int, pen: float) -> np.ndarray:
    canvas = np.zeros((side, side), np.float32)
    if len(starts):
        stamp_segments(canvas, starts, ends, pen)
    return canvas


def normalize_strokes(drawing: Drawing, spec: Normalization) -> np.ndarray | None:
    """The model input rendered from the strokes themselves with a pen of `spec.pen` frame pixels.

    The ink (points plus pen) is scaled so its longer side is `spec.box`, rendered once to find
    its center of mass, then rendered again shifted so that the center of mass lands on
    `spec.center`. Drawing size no longer changes the stroke width the model sees. Ink outside
    the canvas is clipped away first, as the canvas shows it. None if there is no ink.
    """
    if drawing.ink_bounds() is None:
        return None
    limit = np.array([drawing.width, drawing.height], np.float64)
    strokes = [np.clip(stroke, 0.0, limit) for stroke in drawing.strokes]
    low = np.min([s.min(axis=0) for s in strokes], axis=0)
    high = np.max([s.max(axis=0) for s in strokes], axis=0)
    longer = float((high - low).max())
    if spec.smoothing > 0 and longer > 0:
        sigma = spec.smoothing * longer
        path = sum(float(np.hypot(*np.diff(s, axis=0).T).sum()) for s in strokes)
        if path / (sigma / 2) + 2 * len(strokes) > MAX_SMOOTHED_POINTS:
            raise DrawingError(
                f"the drawing is too complex: smoothing its strokes would take more than {MAX_SMOOTHED_POINTS:,} points"
            )
        strokes = [smooth_stroke(s, sigma) for s in strokes]
    k = SUPERSAMPLING
    side, pen = spec.frame * k, spec.pen * k
    scale = (spec.box - spec.pen) * k / longer if longer > 0 else 1.0
    middle = (low + high) / 2
    placed = [(s - middle) * scale + side / 2 for s in strokes]  # ink box centered in the frame
    # The pen segments are cut once; moving them moves the rendering (the segments keep clear of
    # the frame's edge, so the canvas-edge clipping in `segments` never differs).
    starts, ends = segments(Drawing(tuple(placed), side, side, pen))
    image = _render(starts, ends, side, pen)
    mass = float(image.sum(dtype=np.float64))
    if mass <= 0:
        return None
    cells = np.arange(side) + 0.5
    com = np.array([image.sum(axis=0) @ cells, image.sum(axis=1) @ cells]) / mass
    shift = (spec.center * k - com).astype(np.float32)
    image = _render(starts + shift, ends + shift, side, pen)
    averaged: np.ndarray = image.reshape(spec.frame, k, spec.frame, k).mean(axis=(1, 3))
    return averaged
