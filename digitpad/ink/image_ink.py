"""Image pixels to model input: gray or color, any size, dark-on-light or light-on-dark.

Decoding happens in `digitpad.ink.image_file`; this module only sees pixels, so it stays pure numpy.
The ink is found once (`pixels_to_ink`): the app shows it on the canvas and the model reads it.
"""

from __future__ import annotations

import numpy as np

#: After contrast stretching, pixels below this count as background: paper grain, JPEG ringing.
NOISE_LEVEL = 0.1
#: An image whose ink is fainter than this against its background is taken as blank.
MIN_CONTRAST = 0.15


def luminance(pixels: np.ndarray) -> np.ndarray:
    """Float32 luminance in [0, 1] of gray (H, W), gray+alpha (H, W, 2), RGB or RGBA pixels.

    Transparent parts are filled with whichever of white or black contrasts with the opaque
    parts, so black ink on a transparent background and white ink on one both stay readable.
    """
    pixels = np.asarray(pixels)
    scale = 65535.0 if pixels.dtype == np.uint16 else 255.0 if pixels.dtype == np.uint8 else 1.0
    values: np.ndarray = pixels.astype(np.float32) / np.float32(scale)
    if values.ndim == 2:
        return values
    channels = values.shape[2]
    gray: np.ndarray
    if channels in (3, 4):
        gray = values[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    else:
        gray = values[..., 0]
    if channels not in (2, 4):
        return gray
    alpha: np.ndarray = values[..., -1]
    if alpha.min() >= 1.0:
        return gray
    weight = float(alpha.sum())
    opaque_gray = float((gray * alpha).sum()) / weight if weight > 0 else 0.0
    background = 1.0 if opaque_gray < 0.5 else 0.0
    filled: np.ndarray = alpha * gray + (1.0 - alpha) * background
    return filled


def luminance_to_ink(gray: np.ndarray) -> np.ndarray | None:
    """Ink coverage in [0, 1] (0 = background) from luminance, or None if the image looks blank.

    The background is what most of the border shows: a light border means dark ink on light
    paper, which is inverted. Contrast is then stretched so faint pencil reads like MNIST's ink.
    """
    border = np.concatenate((gray[0], gray[-1], gray[:, 0], gray[:, -1]))
    background = float(np.median(border))
    ink = (1.0 - gray) if background > 0.5 else gray.copy()
    floor = 1.0 - background if background > 0.5 else background
    peak = float(np.percentile(ink, 99.9)) if ink.size > 1000 else float(ink.max())
    if peak - floor < MIN_CONTRAST:
        return None
    ink = np.clip((ink - floor) / (peak - floor), 0.0, 1.0)
    ink[ink < NOISE_LEVEL] = 0.0
    return ink


def pixels_to_ink(pixels: np.ndarray) -> np.ndarray | None:
    """Ink coverage (H, W) in [0, 1] of decoded pixels (gray, gray+alpha, RGB or RGBA), or None."""
    return luminance_to_ink(luminance(pixels))


