"""The seed convnet's layers recomputed in plain numpy from an ONNX file's own weights (read with `onnx`).

What Look Inside shows must be the network's truth: tests compare it with this, not with another
ONNX Runtime call.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="reading a model's weights needs the [train] extra's onnx")
from onnx import numpy_helper  # noqa: E402


def weights(path: Path) -> dict[str, np.ndarray]:
    """The file's initializers by their PyTorch names ('conv1.weight', 'input_mean', ...)."""
    model = onnx.load(str(path))
    return {i.name.removeprefix("net."): numpy_helper.to_array(i).astype(np.float64) for i in model.graph.initializer}


def convolve_same(maps: np.ndarray, kernels: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """A "same" 2-D convolution as deep-learning layers compute it (cross-correlation): (C, H, W) -> (F, H, W)."""
    half = kernels.shape[-1] // 2
    padded = np.pad(maps, ((0, 0), (half, half), (half, half)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, kernels.shape[-2:], axis=(1, 2))  # (C, H, W, k, k)
    return np.einsum("chwij,fcij->fhw", windows, kernels) + bias[:, None, None]


def max_pool(maps: np.ndarray) -> np.ndarray:
    channels, height, width = maps.shape
    return maps.reshape(channels, height // 2, 2, width // 2, 2).max(axis=(2, 4))


def layers(path: Path, model_input: np.ndarray) -> dict[str, np.ndarray]:
    """conv1 (after ReLU), pool1, conv2 (after ReLU), pool2 for one (28, 28) input, in float64."""
    w = weights(path)
    x = (model_input.astype(np.float64)[None] - w["input_mean"]) / w["input_std"]
    conv1 = np.maximum(convolve_same(x, w["conv1.weight"], w["conv1.bias"]), 0)
    pool1 = max_pool(conv1)
    conv2 = np.maximum(convolve_same(pool1, w["conv2.weight"], w["conv2.bias"]), 0)
    return {"layer.conv1": conv1, "layer.pool1": pool1, "layer.conv2": conv2, "layer.pool2": max_pool(conv2)}
