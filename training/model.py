"""The seed network of the TensorFlow MNIST tutorial, kept layer for layer, in PyTorch.

Only one thing is added: the input's mean/std normalization, as a fixed first step inside the
network, so that the exported ONNX graph takes plain MNIST-convention pixels (0 background, 1 ink).
`to_tensor` and `predict_logits` run a network over a set of images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

#: Mean and standard deviation of the MNIST training pixels (in [0, 1]).
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081


@dataclass(frozen=True)
class ModelConfig:
    """The seed architecture's sizes; the defaults are the tutorial's own."""

    image_size: int = 28  #: side of the square input, pixels
    conv1_filters: int = 32  #: 5x5 "same" convolution, then ReLU and 2x2 max-pool
    conv2_filters: int = 36  #: 5x5 "same" convolution, then ReLU and 2x2 max-pool
    kernel_size: int = 5  #: side of both convolution kernels, pixels
    dense_units: int = 1764  #: hidden dense layer (7 * 7 * 36 inputs), ReLU
    dropout: float = 0.4  #: dropout rate after the dense layer, training only
    num_classes: int = 10
    input_mean: float = MNIST_MEAN  #: subtracted from every pixel inside the network
    input_std: float = MNIST_STD  #: then divided into it


class SeedNet(nn.Module):
    """conv5x5x32 → pool → conv5x5x36 → pool → dense 1764 → dropout → dense 10 (logits)."""

    input_mean: torch.Tensor  #: buffers, registered in __init__
    input_std: torch.Tensor

    def __init__(self, config: ModelConfig = ModelConfig()) -> None:
        super().__init__()
        self.config = config
        pooled = config.image_size // 4  # two 2x2 pools: 28 → 14 → 7
        padding = config.kernel_size // 2  # "same" padding for an odd kernel
        self.conv1 = nn.Conv2d(1, config.conv1_filters, config.kernel_size, padding=padding)
        self.conv2 = nn.Conv2d(config.conv1_filters, config.conv2_filters, config.kernel_size, padding=padding)
        self.dense = nn.Linear(pooled * pooled * config.conv2_filters, config.dense_units)
        self.dropout = nn.Dropout(config.dropout)
        self.logits = nn.Linear(config.dense_units, config.num_classes)
        # Constants, not parameters: saved with the weights so a checkpoint is self-contained.
        self.register_buffer("input_mean", torch.tensor(config.input_mean))
        self.register_buffer("input_std", torch.tensor(config.input_std))

    def embed(self, image: torch.Tensor) -> torch.Tensor:
        """The dense layer's activations after its ReLU (N, 1764): the app's embedding for adaptation."""
        x = (image - self.input_mean) / self.input_std
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (N, 32, 14, 14)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (N, 36, 7, 7)
        x = torch.flatten(x, 1)  # (N, 1764)
        return F.relu(self.dense(x))  # (N, 1764)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Logits (N, 10) for images (N, 1, 28, 28): 0.0 background, 1.0 full ink."""
        logits: torch.Tensor = self.logits(self.dropout(self.embed(image)))  # (N, 10)
        return logits


class ProbabilitiesAndLogits(nn.Module):
    """What the ONNX graph computes: softmax probabilities (the contract), the logits and the embedding
    (the dense layer's activations, which the app's per-writer adaptation compares) beside them."""

    def __init__(self, net: SeedNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        embedding = self.net.embed(image)
        logits = self.net.logits(self.net.dropout(embedding))
        return torch.softmax(logits, dim=1), logits, embedding


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, 28, 28) in 0..255 or float (N, 28, 28) in [0, 1] → float32 (N, 1, 28, 28) in [0, 1]."""
    tensor = torch.from_numpy(np.ascontiguousarray(images))
    tensor = tensor.float().div_(255) if tensor.dtype == torch.uint8 else tensor.float()
    return tensor.unsqueeze(1)


@torch.inference_mode()
def predict_logits(model: torch.nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Logits (N, 10) for images (N, 1, 28, 28), in eval mode, on the model's device, returned on the CPU."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    outputs = [model(images[i : i + batch_size].to(device).contiguous(memory_format=torch.channels_last)).float().cpu()
               for i in range(0, len(images), batch_size)]
    model.train(was_training)
    return torch.cat(outputs) if outputs else torch.zeros(0, 10)
