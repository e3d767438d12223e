"""Stroke-level augmentation: new writers made from old ones, one stroke at a time.

The whole-digit deformations of `training.drawing_data` (rotation, shear, stretch, warp) keep the
strokes' relations to each other; real writers differ in those too: a 4's two strokes meet higher
or lower, a 5's flag floats, a pen is lifted mid-stroke (one stroke becomes two), a stroke ends
early, the pen is heavier or lighter. Each function here maps a stroke list to a stroke list, in the
unit scale `drawing_data` works in (the ink spans [0, 1]); rendering stays the app's own pipeline.
Some of these can change what a digit is (a 7 whose stem is cut short): the distilled student
learns such renderings from the teacher's soft labels, never from the sample's hard label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Strokes = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class StrokeAugmentation:
    """How much each stroke varies on its own; zeros leave the strokes as written."""

    shift: float = 0.06  #: each stroke moved by up to this, fraction of the digit's size, per axis
    rotation: float = 10.0  #: each stroke rotated about its own center, degrees, uniform in +-rotation
    scale: float = 0.12  #: each stroke scaled about its own center by exp(+-scale)
    lift: float = 0.15  #: chance that a stroke is split in two where the pen was lifted (a small gap)
    truncate: float = 0.10  #: chance that a stroke ends early (or starts late), losing up to `cut` of it
    cut: float = 0.2  #: the most of a stroke's points that an early end removes
    pen: float = 0.2  #: the rendering pen scaled by exp(+-pen): lighter and heavier writers


def _around_center(stroke: np.ndarray, matrix: np.ndarray, shift: np.ndarray) -> np.ndarray:
    center = stroke.mean(axis=0)
    moved: np.ndarray = (stroke - center) @ matrix.T + center + shift
    return moved


def move_strokes(strokes: Strokes, rng: np.random.Generator, a: StrokeAugmentation) -> Strokes:
    """Every stroke shifted, rotated and scaled about its own center, independently of the others."""
    if len(strokes) == 1 and not (a.rotation or a.scale):  # one stroke: a shift only moves the digit
        return strokes
    moved = []
    for stroke in strokes:
        angle = np.deg2rad(rng.uniform(-a.rotation, a.rotation))
        zoom = np.exp(rng.uniform(-a.scale, a.scale))
        matrix = zoom * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        moved.append(_around_center(stroke, matrix, rng.uniform(-a.shift, a.shift, size=2)))
    return tuple(moved)


def lift_pen(strokes: Strokes, rng: np.random.Generator, chance: float) -> Strokes:
    """Some strokes split in two at a random point, with a gap of a point or two: the pen lifted."""
    out: list[np.ndarray] = []
    for stroke in strokes:
        if len(stroke) >= 6 and rng.random() < chance:
            at = int(rng.integers(2, len(stroke) - 3))
            gap = int(rng.integers(0, 2))
            out += [stroke[:at], stroke[at + gap:]]
        else:
            out.append(stroke)
    return tuple(out)


def truncate_strokes(strokes: Strokes, rng: np.random.Generator, chance: float, cut: float) -> Strokes:
    """Some strokes lose a piece of their end (or their start): a pen lifted early, put down late."""
    out = []
    for stroke in strokes:
        if len(stroke) >= 4 and cut > 0 and rng.random() < chance:
            lost = max(1, int(rng.uniform(0, cut) * len(stroke)))
            stroke = stroke[:-lost] if rng.random() < 0.5 else stroke[lost:]
        out.append(stroke)
    return tuple(out)


def vary_strokes(strokes: Strokes, rng: np.random.Generator, a: StrokeAugmentation) -> tuple[Strokes, float]:
    """The strokes varied stroke by stroke, and the factor for the rendering pen (see StrokeAugmentation)."""
    strokes = move_strokes(strokes, rng, a)
    strokes = lift_pen(strokes, rng, a.lift)
    strokes = truncate_strokes(strokes, rng, a.truncate, a.cut)
    return strokes, float(np.exp(rng.uniform(-a.pen, a.pen)))
