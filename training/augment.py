"""Batched data augmentation on tensors: each image gets its own random distortion.

Everything is done with one `grid_sample` per batch (affine + elastic displacement combined) plus
an optional stroke-thickness change, so augmentation costs a small fraction of a training step
even on a 2-core CPU (per-image PIL transforms would not).

The distortions mimic how handwriting varies: slant (shear), tilt (rotation), size (scale),
position (translation), wobbly strokes (a smooth random elastic field, after Simard et al. 2003,
"Best practices for convolutional neural networks applied to visual document analysis") and pen
width (a partial 3x3 dilation or erosion).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    """Strengths of each distortion; 0 switches one off. Each is drawn uniformly per image."""

    rotation_deg: float = 12.0  #: rotation in [-r, r] degrees
    scale: float = 0.12  #: zoom in [1 - s, 1 + s]
    shear: float = 0.25  #: horizontal shear factor in [-s, s] (slant)
    translate_px: float = 2.5  #: shift in [-t, t] pixels along each axis
    elastic_px: float = 1.5  #: largest displacement of the smooth elastic field, pixels
    elastic_grid: int = 4  #: control points per side of the elastic field (fewer = smoother)
    thickness: float = 0.5  #: pen-width change: blend towards a 3x3 dilation or erosion by up to this
    thickness_probability: float = 0.5  #: fraction of images whose pen width changes

    @property
    def enabled(self) -> bool:
        return any((self.rotation_deg, self.scale, self.shear, self.translate_px, self.elastic_px, self.thickness))


NO_AUGMENTATION = AugmentConfig(0, 0, 0, 0, 0, 4, 0, 0)


def _uniform(n: int, bound: float, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    return (torch.rand(n, generator=generator, device=device) * 2 - 1) * bound


def random_affine(n: int, size: int, config: AugmentConfig, generator: torch.Generator | None = None,
                  device: torch.device | str = "cpu") -> torch.Tensor:
    """Affine matrices (n, 2, 3) in `affine_grid`'s normalized coordinates (image spans [-1, 1])."""
    device = torch.device(device)
    angle = _uniform(n, math.radians(config.rotation_deg), generator, device)
    zoom = 1 + _uniform(n, config.scale, generator, device)
    shear = _uniform(n, config.shear, generator, device)
    shift = _uniform(2 * n, config.translate_px * 2 / size, generator, device).view(n, 2)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    # rotation @ shear @ scale; these map output pixels to where they are sampled in the input.
    theta = torch.zeros(n, 2, 3, device=device)
    theta[:, 0, 0] = cos
    theta[:, 0, 1] = cos * shear - sin
    theta[:, 1, 0] = sin
    theta[:, 1, 1] = sin * shear + cos
    theta[:, :, 2] = shift
    return theta


def elastic_field(n: int, size: int, config: AugmentConfig, generator: torch.Generator | None = None,
                  device: torch.device | str = "cpu") -> torch.Tensor:
    """A smooth random displacement (n, 2, size, size): x then y, in normalized coordinates.

    Random control-point offsets on a coarse grid, upsampled bicubically: smooth like Simard's
    Gaussian-filtered noise, at a fraction of the cost.
    """
    points = config.elastic_grid
    coarse = torch.rand(n, 2, points, points, generator=generator, device=device) * 2 - 1
    # Bicubic upsampling is separable and linear: one small matrix on each side does it.
    spline = _bicubic_matrix(points, size, coarse.device)  # (size, points)
    return spline @ coarse @ spline.T * (config.elastic_px * 2 / size)  # (n, 2, size, size)


@functools.lru_cache(maxsize=8)
def _bicubic_matrix(points: int, size: int, device: torch.device) -> torch.Tensor:
    """(size, points) weights that upsample a line of `points` values to `size`, bicubically."""
    unit_rows = torch.eye(points, device=device).view(points, 1, 1, points)
    return F.interpolate(unit_rows, size=(1, size), mode="bicubic", align_corners=True).view(points, size).T


def sampling_grid(theta: torch.Tensor, size: int, field: torch.Tensor | None = None) -> torch.Tensor:
    """`affine_grid(theta)` plus an optional displacement field (n, 2, size, size): (n, size, size, 2).

    Written out with broadcasting because affine_grid's batched 3-wide matrix product is slow on a CPU.
    """
    centers = (torch.arange(size, device=theta.device, dtype=theta.dtype) * 2 + 1) / size - 1  # align_corners=False
    x, y = centers.view(1, 1, size), centers.view(1, size, 1)
    coefficients = theta.view(-1, 6, 1, 1)
    grid_x = coefficients[:, 0] * x + coefficients[:, 1] * y + coefficients[:, 2]  # (n, size, size)
    grid_y = coefficients[:, 3] * x + coefficients[:, 4] * y + coefficients[:, 5]
    if field is not None:
        grid_x, grid_y = grid_x + field[:, 0], grid_y + field[:, 1]
    return torch.stack([grid_x, grid_y], dim=-1)


def _max3x3(images: torch.Tensor) -> torch.Tensor:
    """3x3 maximum filter (zero outside); shifted maxima: ~20x faster than a stride-1 max_pool2d on a CPU."""
    padded = F.pad(images, (1, 1, 1, 1))
    rows = torch.maximum(torch.maximum(padded[..., :, :-2], padded[..., :, 1:-1]), padded[..., :, 2:])
    return torch.maximum(torch.maximum(rows[..., :-2, :], rows[..., 1:-1, :]), rows[..., 2:, :])


def change_thickness(images: torch.Tensor, config: AugmentConfig,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Thicker or thinner strokes for a random part of the batch (images (N, 1, H, W) in [0, 1])."""
    n = images.shape[0]
    device = images.device
    amount = _uniform(n, config.thickness, generator, device)  # > 0 thickens, < 0 thins
    chosen = torch.rand(n, generator=generator, device=device) < config.thickness_probability
    amount = torch.where(chosen, amount, torch.zeros_like(amount)).view(n, 1, 1, 1)
    target = torch.where(amount > 0, _max3x3(images), -_max3x3(-images))  # dilated or eroded
    return images + amount.abs() * (target - images)


def augment(images: torch.Tensor, config: AugmentConfig, generator: torch.Generator | None = None) -> torch.Tensor:
    """A randomly distorted copy of `images` (N, 1, H, W) in [0, 1]; same shape, still in [0, 1]."""
    if not config.enabled:
        return images
    n, _, height, width = images.shape
    if config.thickness and config.thickness_probability:
        images = change_thickness(images, config, generator)
    if height != width:
        raise ValueError(f"augment needs square images, got {height}x{width}")
    theta = random_affine(n, height, config, generator, images.device)
    field = elastic_field(n, height, config, generator, images.device) if config.elastic_px else None
    grid = sampling_grid(theta, height, field)  # (N, H, W, 2): where each output pixel samples the input
    # Bilinear sampling of values in [0, 1] stays in [0, 1]; outside the frame is background.
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
