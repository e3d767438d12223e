"""Augmentation: per-image random distortions that keep the image format and the geometry honest."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from training.augment import NO_AUGMENTATION, AugmentConfig, augment
from training.data import Mnist
from training.model import to_tensor


def _batch(mnist: Mnist, n: int = 64) -> torch.Tensor:
    return to_tensor(mnist.train_images[:n])


def _center_of_mass(images: torch.Tensor) -> torch.Tensor:
    """(N, 2) x, y center of mass in pixels."""
    mass = images.sum(dim=(1, 2, 3))
    grid = torch.arange(28, dtype=torch.float32) + 0.5
    x = (images.sum(dim=2).squeeze(1) * grid).sum(1) / mass
    y = (images.sum(dim=3).squeeze(1) * grid).sum(1) / mass
    return torch.stack([x, y], 1)


def test_keeps_shape_and_range_and_changes_every_image(mnist: Mnist) -> None:
    images = _batch(mnist)
    out = augment(images, AugmentConfig(), torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1
    assert ((out - images).abs().amax(dim=(1, 2, 3)) > 0.1).all()


def test_seeded_generator_repeats_itself(mnist: Mnist) -> None:
    images = _batch(mnist)
    first = augment(images, AugmentConfig(), torch.Generator().manual_seed(7))
    again = augment(images, AugmentConfig(), torch.Generator().manual_seed(7))
    other = augment(images, AugmentConfig(), torch.Generator().manual_seed(8))
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_zero_strength_resamples_to_the_same_pixels(mnist: Mnist) -> None:
    """The identity warp lands exactly on pixel centers: no half-pixel drift, no blur."""
    images = _batch(mnist)
    identity = dataclasses.replace(NO_AUGMENTATION, elastic_grid=4)
    assert augment(images, identity) is images
    nearly = dataclasses.replace(NO_AUGMENTATION, translate_px=1e-6)
    assert torch.allclose(augment(images, nearly), images, atol=1e-4)


def test_translation_moves_digits_by_at_most_its_bound(mnist: Mnist) -> None:
    images = _batch(mnist)
    shifted = augment(images, dataclasses.replace(NO_AUGMENTATION, translate_px=2.0), torch.Generator().manual_seed(1))
    moved = (_center_of_mass(shifted) - _center_of_mass(images)).abs()
    assert moved.max() <= 2.1 and moved.max() > 1.0


def test_thickness_thickens_some_strokes_and_thins_others(mnist: Mnist) -> None:
    images = _batch(mnist)
    config = dataclasses.replace(NO_AUGMENTATION, thickness=1.0, thickness_probability=1.0)
    out = augment(images, config, torch.Generator().manual_seed(2))
    ratio = (out.sum(dim=(1, 2, 3)) / images.sum(dim=(1, 2, 3))).numpy()
    assert (ratio > 1.05).any() and (ratio < 0.95).any()
    # Thickening moves no digit; thinning may erase a faint stroke, which moves that digit's mass a little.
    moved = np.abs(_center_of_mass(out).numpy() - _center_of_mass(images).numpy())
    assert np.median(moved) < 0.3 and moved.max() < 2.5
