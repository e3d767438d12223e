"""Training images from pen strokes, made the way the app makes its model input.

MNIST's scans are not canvas drawings: strokes on a canvas have the app's pen, the digit sits
anywhere on the canvas at any size, mouse paths are jagged, and Europeans cross their 7s and
zeros and give their 1s a long flag. So each pen sample is deformed a little (rotation, shear,
stretch, a smooth elastic warp), sometimes given a European mark, placed on the canvas as a person
would, sampled like mouse events, and turned into a 28x28 image by the app's own
`digitpad.ink.model_input.drawing_input`. The images join the MNIST stream of the trainer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digitpad.ink.drawing import Drawing
from digitpad.ink.model_input import drawing_input
from digitpad.ink.normalize import Normalization, resample_stroke
from training import unipen
from training.config import PenDrawings
from training.strokes import StrokeAugmentation, vary_strokes
from training.unipen import CANVAS_PLACEMENT, PenSample, Placement, place

Strokes = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Augmentation:
    """How much each training copy of a pen sample is changed; zeros give the sample as written."""

    rotation: float = 8.0  #: degrees, uniform in +-rotation
    shear: float = 0.25  #: x += shear * y, uniform in +-shear (slant)
    stretch: float = 0.15  #: width scaled by exp(+-stretch): narrow and wide writers
    elastic: float = 0.03  #: smooth warp amplitude, fraction of the digit's height
    spacing: tuple[float, float] = (1.0, 10.0)  #: canvas pixels between mouse events, uniform range
    jitter: float = 0.7  #: canvas pixels of noise on each event (hand tremor, mouse quantization)
    european: float = 0.4  #: chance that a 0, 1 or 7 gets its European mark (cross, flag, bar)
    min_height: float = 0.30  #: digit height on the canvas, fraction: a little wider than people use
    max_height: float = 0.90


def _unit(strokes: Strokes) -> Strokes:
    """The strokes moved and scaled so that the ink spans [0, 1] in its longer dimension."""
    points = np.concatenate(strokes)
    low = points.min(axis=0)
    size = max(float((points.max(axis=0) - low).max()), 1e-9)
    return tuple((s - low) / size for s in strokes)


def _extent(strokes: Strokes) -> tuple[np.ndarray, np.ndarray]:
    points = np.concatenate(strokes)
    return points.min(axis=0), points.max(axis=0)


def crossed_zero(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """A 0 crossed through, a little past the ring: mostly a slash (Ø), else a bar (θ) or a stem (ф)."""
    low, high = _extent(strokes)
    middle, half = (low + high) / 2, (high - low) / 2 * (1 + rng.uniform(0.0, 0.25, size=2))
    kind = rng.choice(3, p=[0.6, 0.2, 0.2])
    if kind == 0:  # lower left to upper right
        start, end = middle + [-half[0], half[1]], middle + [half[0], -half[1]]
    elif kind == 1:  # left to right, near the middle
        y = middle[1] + rng.uniform(-0.15, 0.15) * (high[1] - low[1])
        start, end = np.array([middle[0] - half[0], y]), np.array([middle[0] + half[0], y])
    else:  # top to bottom
        start, end = np.array([middle[0], middle[1] - half[1]]), np.array([middle[0], middle[1] + half[1]])
    tilt = rng.uniform(-0.08, 0.08, size=2) * (high - low)
    return (*strokes, np.linspace(start + tilt, end - tilt, 12))


def barred_seven(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """A 7 with a short horizontal bar through the middle of its stem."""
    low, high = _extent(strokes)
    height, width = high[1] - low[1], high[0] - low[0]
    y = low[1] + rng.uniform(0.45, 0.62) * height
    points = np.concatenate(strokes)
    near = points[np.abs(points[:, 1] - y) < 0.08 * height]
    x = float(near[:, 0].mean()) if len(near) else (low[0] + high[0]) / 2
    half = rng.uniform(0.2, 0.35) * max(width, 0.5 * height)
    tilt = rng.uniform(-0.06, 0.06) * height
    return (*strokes, np.linspace([x - half, y + tilt], [x + half, y - tilt], 10))


def flagged_one(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """A 1 with a long flag: an up-stroke from the left into the top of the stem, drawn first."""
    low, high = _extent(strokes)
    height = high[1] - low[1]
    points = np.concatenate(strokes)
    top = points[np.argmin(points[:, 1])]
    foot = top + np.array([-rng.uniform(0.25, 0.5), rng.uniform(0.2, 0.45)]) * height
    flag = np.linspace(foot, top, 10)
    first = strokes[0]
    if np.hypot(*(first[0] - top)) < 0.1 * height:  # the stem starts at the top: one continuous stroke
        return (np.concatenate([flag, first[1:]]), *strokes[1:])
    return (flag, *strokes)


EUROPEAN_FORMS = {0: crossed_zero, 1: flagged_one, 7: barred_seven}


def _elastic(points: np.ndarray, amplitude: float, rng: np.random.Generator,
             waves: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """A smooth random warp: a few low-frequency sine waves displacing x and y."""
    frequency, phase, weight = waves
    shift = np.zeros_like(points)
    for axis in range(2):
        angle = points @ frequency[axis].T + phase[axis]  # (n, waves)
        shift[:, axis] = (np.sin(angle) * weight[axis]).sum(axis=1)
    return points + amplitude * shift


def deform(strokes: Strokes, rng: np.random.Generator, augmentation: Augmentation) -> Strokes:
    """Rotation, shear, stretch and an elastic warp of strokes in unit scale (see `_unit`)."""
    a = augmentation
    angle = np.deg2rad(rng.uniform(-a.rotation, a.rotation))
    cos, sin = np.cos(angle), np.sin(angle)
    matrix = np.array([[cos, -sin], [sin, cos]]) @ np.array(
        [[np.exp(rng.uniform(-a.stretch, a.stretch)), 0.0], [0.0, 1.0]]
    )
    matrix = matrix @ np.array([[1.0, -rng.uniform(-a.shear, a.shear)], [0.0, 1.0]])  # y grows down: -shear leans right
    waves = 3
    frequency = rng.uniform(-2 * np.pi, 2 * np.pi, size=(2, waves, 2))  # about one wave across the digit
    warp = (frequency, rng.uniform(0, 2 * np.pi, size=(2, waves)), rng.normal(0, 1 / np.sqrt(waves), size=(2, waves)))
    return tuple(_elastic(s @ matrix.T, a.elastic, rng, warp) for s in strokes)


def mouse_events(stroke: np.ndarray, spacing: float, jitter: float, rng: np.random.Generator) -> np.ndarray:
    """The stroke as mouse events: points every `spacing` canvas pixels of path, with noise."""
    events = resample_stroke(stroke, spacing)
    return events + rng.normal(0, jitter, size=events.shape)


def drawing_events(
    sample: PenSample,
    rng: np.random.Generator,
    augmentation: Augmentation = Augmentation(),
    placement: Placement = CANVAS_PLACEMENT,
    strokes: StrokeAugmentation | None = None,
) -> tuple[Drawing, float]:
    """One augmented drawing of a pen sample as mouse events on the canvas, and its pen factor.

    `strokes` adds stroke-level variation (`training.strokes`); the pen factor (1.0 without it)
    scales the pen the drawing is rendered with.
    """
    a = augmentation
    lines = _unit(sample.strokes)
    form = EUROPEAN_FORMS.get(sample.label)
    if form is not None and rng.random() < a.european:
        lines = form(lines, rng)
    pen = 1.0
    if strokes is not None:
        lines, pen = vary_strokes(lines, rng, strokes)
    lines = deform(lines, rng, a)
    spot = Placement(placement.canvas, placement.pen_width, a.min_height, a.max_height, placement.max_width, False)
    drawing = place(lines, rng, spot)
    spacing = rng.uniform(*a.spacing)
    events = tuple(np.round(mouse_events(s, spacing, a.jitter, rng)) for s in drawing.strokes)
    return Drawing(events, drawing.width, drawing.height, drawing.pen_width), pen


def render(drawing: Drawing, spec: Normalization, pen: float = 1.0) -> np.ndarray | None:
    """The model input of `drawing` for `spec`, with its pen scaled by `pen` (the app's pipeline)."""
    if pen == 1.0:
        return drawing_input(drawing, spec)
    if spec.pen > 0:
        return drawing_input(drawing, dataclasses.replace(spec, pen=spec.pen * pen))
    return drawing_input(Drawing(drawing.strokes, drawing.width, drawing.height, drawing.pen_width * pen), spec)


def _render_copy(sample: PenSample, rng: np.random.Generator, specs: Sequence[Normalization],
                 augmentation: Augmentation, placement: Placement,
                 strokes: StrokeAugmentation | None) -> list[np.ndarray | None]:
    drawing, pen = drawing_events(sample, rng, augmentation, placement, strokes)
    return [render(drawing, spec, pen) for spec in specs]


def drawing_views(
    samples: Sequence[PenSample],
    specs: Sequence[Normalization],
    copies: int,
    seed: int = 0,
    augmentation: Augmentation = Augmentation(),
    strokes: StrokeAugmentation | None = None,
) -> tuple[list[np.ndarray], np.ndarray]:
    """`copies` augmented drawings per sample, each rendered once per normalization in `specs`.

    ([images (N, 28, 28) float32 in [0, 1] per spec], labels (N,) int64): the same drawings, as
    models with different preprocessing see them (a distilled student and its teachers).
    Deterministic for a seed. A copy whose ink ends up off the canvas (for any spec) is skipped.
    """
    rng = np.random.default_rng(seed)
    views: list[list[np.ndarray]] = [[] for _ in specs]
    labels = []
    for _ in range(copies):
        for sample in samples:
            images = _render_copy(sample, rng, specs, augmentation, CANVAS_PLACEMENT, strokes)
            if all(image is not None for image in images):
                for view, image in zip(views, images, strict=True):
                    view.append(image)  # type: ignore[arg-type]
                labels.append(sample.label)
    if not labels:
        empty = [np.zeros((0, spec.frame, spec.frame), np.float32) for spec in specs]
        return empty, np.zeros(0, np.int64)
    return [np.stack(view).astype(np.float32) for view in views], np.array(labels, dtype=np.int64)


def drawing_dataset(
    samples: Sequence[PenSample],
    spec: Normalization,
    copies: int,
    seed: int = 0,
    augmentation: Augmentation = Augmentation(),
    strokes: StrokeAugmentation | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, 28, 28) float32 in [0, 1], labels (N,) int64): `copies` augmented copies per sample.

    Deterministic for a seed. A copy whose ink ends up off the canvas is skipped.
    """
    views, labels = drawing_views(samples, [spec], copies, seed, augmentation, strokes)
    return views[0], labels


def training_samples(settings: PenDrawings) -> list[PenSample]:
    """The pen samples `settings` trains on: all, or all but the held-out fold's writers."""
    samples = unipen.load_samples(settings.file)
    if settings.hold_out_fold is not None:
        if not 0 <= settings.hold_out_fold < settings.folds:
            raise unipen.DrawingDataError(
                f"hold-out fold {settings.hold_out_fold} is not one of 0-{settings.folds - 1}"
            )
        fold = unipen.writer_folds(samples, settings.folds)
        samples = [s for s, f in zip(samples, fold) if f != settings.hold_out_fold]
    return samples


def training_drawings(settings: PenDrawings, spec: Normalization) -> tuple[np.ndarray, np.ndarray]:
    """The rendered training drawings that `settings` asks for (held-out writers left out)."""
    return drawing_dataset(training_samples(settings), spec, settings.copies, seed=settings.seed)
