"""Hand-made drawings that any decent model reads right, for tests across the suite."""

from __future__ import annotations

import numpy as np

from digitpad.ink import Drawing


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
        along = np.concatenate(([0.0], np.cumsum(np.hypot(*np.diff(stroke, axis=0).T))))
        t = np.arange(0.0, along[-1] + 1e-9, spacing) if along[-1] > 0 else np.zeros(1)
        points = np.stack([np.interp(t, along, stroke[:, 0]), np.interp(t, along, stroke[:, 1])], axis=1)
        strokes.append(points + rng.normal(0, jitter, points.shape))
    return Drawing(strokes, drawing.width, drawing.height, drawing.pen_width)
