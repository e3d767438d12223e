"""Stroke-level augmentation: each stroke varies on its own; the app's pipeline renders the result."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digitpad.ink.normalize import MNIST, Normalization
from tests.training.drawing_fixtures import write_digits
from training import unipen
from training.drawing_data import drawing_dataset, drawing_views
from training.strokes import StrokeAugmentation, lift_pen, move_strokes, truncate_strokes, vary_strokes

NONE = StrokeAugmentation(shift=0, rotation=0, scale=0, lift=0, truncate=0, cut=0, pen=0)


def _two_strokes() -> tuple[np.ndarray, ...]:
    t = np.linspace(0, 1, 20)
    return (np.stack([t, t], axis=1), np.stack([1 - t, t * 0.5], axis=1))


def test_no_augmentation_leaves_the_strokes_as_written() -> None:
    strokes = _two_strokes()
    varied, pen = vary_strokes(strokes, np.random.default_rng(0), NONE)
    assert pen == 1.0 and len(varied) == 2
    assert all(np.allclose(a, b) for a, b in zip(varied, strokes, strict=True))


def test_each_stroke_moves_on_its_own() -> None:
    strokes = _two_strokes()
    shift_only = StrokeAugmentation(shift=0.2, rotation=0, scale=0)
    moved = move_strokes(strokes, np.random.default_rng(1), shift_only)
    offsets = [m - s for m, s in zip(moved, strokes, strict=True)]
    for offset in offsets:  # a stroke keeps its shape: every point moved by the same vector
        assert np.allclose(offset, offset[0]) and np.abs(offset[0]).max() <= 0.2
    assert not np.allclose(offsets[0][0], offsets[1][0])  # but not by the other stroke's vector
    turned = move_strokes(strokes, np.random.default_rng(1), StrokeAugmentation(shift=0, rotation=30, scale=0))
    for before, after in zip(strokes, turned, strict=True):  # rotated about its own center: lengths kept
        assert np.allclose(after.mean(axis=0), before.mean(axis=0))
        lengths = [np.linalg.norm(np.diff(stroke, axis=0), axis=1) for stroke in (before, after)]
        assert np.allclose(*lengths)


def test_a_lifted_pen_splits_a_stroke_and_an_early_end_shortens_it() -> None:
    stroke = _two_strokes()[0]
    first, second = lift_pen((stroke,), np.random.default_rng(2), chance=1.0)
    assert len(first) >= 2 and len(first) + len(second) in (len(stroke), len(stroke) - 1)
    assert np.array_equal(first, stroke[: len(first)]) and np.array_equal(second, stroke[-len(second):])
    (short,) = truncate_strokes((stroke,), np.random.default_rng(3), chance=1.0, cut=0.5)
    assert len(short) < len(stroke)
    start = int(np.flatnonzero((stroke == short[0]).all(axis=1))[0])
    assert np.array_equal(short, stroke[start : start + len(short)])  # a contiguous piece of the stroke


def test_views_are_the_same_drawings_for_every_normalization(tmp_path: Path) -> None:
    path = tmp_path / "digits.jsonl"
    write_digits(path, writers=2, per_writer=3)
    samples = unipen.load_samples(path)
    pen = Normalization(pen=2.5)
    (student, teacher), labels = drawing_views(samples, [pen, MNIST], copies=2, seed=5)
    alone, alone_labels = drawing_dataset(samples, pen, copies=2, seed=5)
    assert np.array_equal(student, alone) and np.array_equal(labels, alone_labels)
    assert teacher.shape == student.shape and not np.array_equal(teacher, student)  # another rendering
    # same drawing: the ink's center of mass sits at the same place in both views (MNIST framing)
    rows = np.arange(28)
    com = [(v.sum(axis=2) * rows).sum(axis=1) / v.sum(axis=(1, 2)) for v in (student, teacher)]
    assert np.abs(com[0] - com[1]).max() < 1.0
    varied, _ = drawing_views(samples, [pen], copies=2, seed=5, strokes=StrokeAugmentation(lift=1.0, pen=0.3))
    assert varied[0].shape == student.shape and not np.array_equal(varied[0], student)
