"""Replay pen-written digits onto the app's canvas, placed and sized as a person draws them.

A person fills a good part of the canvas, though not always the middle: the digit's height is
drawn uniformly from 35-85 % of the canvas and its position uniformly from where it fits.
Points are rounded to whole canvas pixels, as mouse events arrive. The result is a
`digitpad.ink.drawing.Drawing`, so it goes through the app's own rasterizer and normalization.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from digitpad.ink.drawing import DEFAULT_CANVAS_SIZE, DEFAULT_PEN_WIDTH, Drawing
from training.unipen import PenSample


@dataclass(frozen=True)
class Placement:
    """How digits are put on the canvas."""

    canvas: int = DEFAULT_CANVAS_SIZE  #: canvas side, pixels
    pen_width: float = DEFAULT_PEN_WIDTH  #: the app's pen, canvas pixels
    min_height: float = 0.35  #: smallest digit height, fraction of the canvas
    max_height: float = 0.85  #: largest digit height, fraction of the canvas
    max_width: float = 0.90  #: a wide digit is shrunk so its width stays within this fraction
    round_to_pixels: bool = True  #: snap points to whole pixels, as mouse events do


#: As people draw on the app's canvas (the issue's protocol: height 35-85 % of the canvas).
CANVAS_PLACEMENT = Placement()


def place(
    strokes: tuple[np.ndarray, ...], rng: np.random.Generator, placement: Placement = CANVAS_PLACEMENT
) -> Drawing:
    """The strokes scaled and moved to a random spot on the canvas, keeping the aspect ratio.

    A flat fragment (a dash, a dot) has no height to size by, so its width is sized instead.
    """
    points = np.concatenate(strokes)
    low = points.min(axis=0)
    width, height = points.max(axis=0) - low
    size = rng.uniform(placement.min_height, placement.max_height) * placement.canvas
    scale = min(size / max(height, 1e-9), placement.max_width * placement.canvas / max(width, 1e-9))
    margin = placement.pen_width / 2
    room = placement.canvas - 2 * margin - np.array([width, height]) * scale
    offset = margin + rng.uniform(0.0, 1.0, size=2) * np.maximum(room, 0.0)
    placed = []
    for stroke in strokes:
        xy = (stroke - low) * scale + offset
        if placement.round_to_pixels:
            xy = np.round(xy)
            keep = np.concatenate(([True], (np.diff(xy, axis=0) != 0).any(axis=1)))  # mouse sends no repeats
            xy = xy[keep]
        placed.append(xy)
    return Drawing(tuple(placed), placement.canvas, placement.canvas, placement.pen_width)


def place_samples(
    samples: Iterable[PenSample], seed: int = 0, placement: Placement = CANVAS_PLACEMENT
) -> list[Drawing]:
    """Every sample placed with one generator from `seed`: the same drawings on every run."""
    rng = np.random.default_rng(seed)
    return [place(sample.strokes, rng, placement) for sample in samples]
