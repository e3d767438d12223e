"""Training images made from pen strokes through the app's pipeline."""

from __future__ import annotations

import numpy as np

from digitpad.ink.normalize import Normalization
from tests.training.drawing_fixtures import bar, ring, seven
from training.drawing_data import (
    Augmentation,
    barred_seven,
    crossed_zero,
    drawing_dataset,
    flagged_one,
    mouse_events,
)
from training.unipen import PenSample

SPEC = Normalization(pen=2.5)


def sample(label: int, strokes: list[list[list[float]]], writer: str = "w") -> PenSample:
    return PenSample(label, "don", writer, tuple(np.array(s, dtype=np.float64) for s in strokes))


SAMPLES = [sample(0, [ring()]), sample(1, [bar()]), sample(7, [seven()])]


def test_dataset_shapes_labels_and_range() -> None:
    images, labels = drawing_dataset(SAMPLES, SPEC, copies=3, seed=0)
    assert images.shape == (9, 28, 28) and images.dtype == np.float32
    assert labels.tolist() == [0, 1, 7] * 3
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert (images.sum(axis=(1, 2)) > 20).all()  # every copy has a real digit's worth of ink


def test_same_seed_same_images_and_copies_differ() -> None:
    a, _ = drawing_dataset(SAMPLES, SPEC, copies=2, seed=5)
    b, _ = drawing_dataset(SAMPLES, SPEC, copies=2, seed=5)
    c, _ = drawing_dataset(SAMPLES, SPEC, copies=2, seed=6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert not np.array_equal(a[0], a[3])  # two copies of one sample are two different drawings


def test_no_augmentation_gives_the_plain_replayed_digit() -> None:
    still = Augmentation(rotation=0, shear=0, stretch=0, elastic=0, spacing=(1.0, 1.0), jitter=0, european=0)
    images, _ = drawing_dataset([SAMPLES[1]], SPEC, copies=4, seed=0, augmentation=still)
    # A vertical bar stays a vertical bar 20 px tall, centered, whatever its place on the canvas.
    for image in images:
        assert np.abs(image - images[0]).max() < 0.05
        assert image[:, 14].sum() > 15


def test_the_old_raster_pipeline_works_too() -> None:
    images, _ = drawing_dataset(SAMPLES, Normalization(), copies=1, seed=0)
    assert images.shape == (3, 28, 28) and (images.sum(axis=(1, 2)) > 20).all()


def test_european_forms_add_their_mark() -> None:
    rng = np.random.default_rng(0)
    zero = tuple(np.array(s) for s in [ring()])
    marks = [crossed_zero(zero, rng)[1] for _ in range(60)]
    assert all(len(crossed_zero(zero, rng)) == 2 for _ in range(5))
    directions = {(int(np.sign(round(m[-1, 0] - m[0, 0]))), int(np.sign(round(m[-1, 1] - m[0, 1])))) for m in marks}
    assert {(1, -1), (1, 0), (0, 1)} <= directions  # slash, bar and stem all occur
    for mark in marks:  # each crosses the ring's middle and reaches past or to its edge
        assert np.hypot(*(mark.mean(axis=0) - [30.0, 50.0])) < 18
        assert np.hypot(*(mark[-1] - mark[0])) >= 55
    barred = barred_seven(tuple(np.array(s) for s in [seven()]), rng)
    assert len(barred) == 2 and abs(barred[1][0, 1] - barred[1][-1, 1]) < 15  # about horizontal
    one = (np.array(bar()),)
    flagged = flagged_one(one, rng)
    assert len(flagged) == 1 and len(flagged[0]) > len(one[0])  # flag and stem in one stroke
    assert flagged[0][0, 0] < 0 and flagged[0][0, 1] > 0  # it starts left of and below the top


def test_mouse_events_are_evenly_spaced() -> None:
    line = np.array([[0.0, 0.0], [100.0, 0.0]])
    events = mouse_events(line, spacing=10.0, jitter=0.0, rng=np.random.default_rng(0))
    assert len(events) == 11 and np.allclose(np.diff(events[:, 0]), 10.0)
