"""Images in, logits out: the PyTorch side of running a network over a set of images."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


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


def loss_and_accuracy(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of `model` on labelled images."""
    logits = predict_logits(model, images)
    loss = F.cross_entropy(logits, labels).item()
    return loss, (logits.argmax(1) == labels).float().mean().item()
