"""Hand-made drawings that any decent model reads right, for tests across the suite."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from digitpad.ink.drawing import Drawing
from digitpad.ink.normalize import resample_stroke


def one(x: float = 140.0, top: float = 50.0, bottom: float = 230.0) -> Drawing:
    """A plain vertical stroke."""
    return Drawing([np.array([[x, top], [x, bottom]])])


def zero(cx: float = 140.0, cy: float = 140.0, rx: float = 55.0, ry: float = 85.0, points: int = 80) -> Drawing:
    """An upright ellipse drawn as one closed stroke."""
    t = np.linspace(0, 2 * np.pi, points)
    return Drawing([np.stack([cx + rx * np.sin(t), cy - ry * np.cos(t)], axis=1)])


def seven() -> Drawing:
    """A top bar and a long diagonal, as one stroke."""
    return Drawing([np.array([[80.0, 60.0], [200.0, 60.0], [120.0, 230.0]])])


def mouse_like(drawing: Drawing, spacing: float = 1.5, jitter: float = 0.4, seed: int = 0) -> Drawing:
    """The same drawing sampled every `spacing` pixels with a little hand jitter, as a mouse gives."""
    rng = np.random.default_rng(seed)
    strokes = []
    for stroke in drawing.strokes:
        points = resample_stroke(stroke, spacing)
        strokes.append(points + rng.normal(0, jitter, points.shape))
    return Drawing(strokes, drawing.width, drawing.height, drawing.pen_width)


#: Mouse events come a few canvas pixels apart when a person draws at an ordinary speed.
STEP = 3.0


def densify(corners: Sequence[tuple[float, float]], step: float = STEP) -> np.ndarray:
    """A polyline through `corners` with points about `step` apart, as a mouse reports them."""
    corners_array = np.asarray(corners, dtype=np.float64)
    points = [corners_array[:1]]
    for a, b in zip(corners_array[:-1], corners_array[1:]):
        count = max(int(np.ceil(np.hypot(*(b - a)) / step)), 1)
        t = np.arange(1, count + 1)[:, None] / count
        points.append(a + (b - a) * t)
    return np.concatenate(points)


def ellipse(cx: float, cy: float, rx: float, ry: float, turns: float = 1.05, count: int = 120) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi * turns, count)
    return np.stack([cx + rx * np.sin(t), cy - ry * np.cos(t)], axis=1)


#: Strokes of digits the shipped model reads with confidence.
DIGITS: dict[int, list[np.ndarray]] = {
    0: [ellipse(140, 140, 55, 90)],
    1: [densify([(140, 50), (140, 230)])],
    4: [densify([(150, 50), (80, 170), (200, 170)]), densify([(165, 110), (165, 240)])],
    7: [densify([(80, 60), (200, 60), (120, 230)])],
}


def digit_drawing(digit: int) -> Drawing:
    return Drawing(DIGITS[digit])
