"""Knowledge distillation: one seed network taught by an ensemble of seed networks.

An ensemble of networks that differ (seed, input pen width, augmentation, data) reads strangers'
handwriting better than any one of them, but costs K networks at inference. Trained on the
ensemble's averaged logits, softened by a temperature T (Hinton, Vinyals and Dean, "Distilling the
knowledge in a neural network", 2015), one network keeps much of that gain at the cost of one. The
teachers run on the fly, on the very batch the student sees, each on its own rendering of it
(drawings rendered with its own normalization, then the same batched augmentation), so the soft
targets always match the augmented images; the teachers are small, so this costs about one more
forward pass per teacher.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from digitpad.ink.normalize import Normalization
from training.checkpoint import load_checkpoint, model_from_checkpoint
from training.config import Distillation, TrainConfig
from training.drawing_data import drawing_views, training_samples
from training.errors import CheckpointError
from training.model import SeedNet


def distillation_loss(logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor,
                      hard: torch.Tensor, settings: Distillation, label_smoothing: float) -> torch.Tensor:
    """soft_weight * T^2 * KL(teacher_T || student_T) + (1 - soft_weight) * cross-entropy on trusted labels.

    `hard` (B,) marks the images whose label is trusted; the others (stroke-augmented renderings
    that may no longer be their digit) learn from the teachers alone. T^2 keeps the soft loss's
    gradients at the hard loss's scale whatever T is.
    """
    t = settings.temperature
    soft = F.kl_div(F.log_softmax(logits / t, dim=1), F.log_softmax(teacher_logits / t, dim=1),
                    reduction="batchmean", log_target=True) * t * t
    hard_losses = F.cross_entropy(logits, labels, label_smoothing=label_smoothing, reduction="none")
    hard_loss = (hard_losses * hard).sum() / hard.sum().clamp(min=1)
    return settings.soft_weight * soft + (1 - settings.soft_weight) * hard_loss


class Teachers:
    """The ensemble: its networks, frozen, grouped by the normalization each was trained with."""

    def __init__(self, paths: Sequence[str | Path], device: torch.device | str = "cpu") -> None:
        if not paths:
            raise CheckpointError("distillation needs at least one teacher checkpoint")
        self.networks: list[tuple[Normalization, SeedNet]] = []
        for path in paths:
            model, config = model_from_checkpoint(load_checkpoint(path))
            for parameter in model.parameters():
                parameter.requires_grad_(False)
            self.networks.append((config.normalization, model.to(device).eval()))

    @property
    def normalizations(self) -> list[Normalization]:
        """The distinct normalizations the teachers read, in teacher order."""
        return list(dict.fromkeys(spec for spec, _ in self.networks))

    def logits(self, views: dict[Normalization, torch.Tensor], bf16: bool = False) -> torch.Tensor:
        """The teachers' mean logits (B, 10); `views` holds the batch as each normalization renders it."""
        total = None
        with torch.no_grad():
            for spec, network in self.networks:
                images = views[spec]
                with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=bf16):
                    logits = network(images.contiguous(memory_format=torch.channels_last)).float()
                total = logits if total is None else total + logits
        assert total is not None
        mean: torch.Tensor = total / len(self.networks)
        return mean


def teacher_normalizations(settings: Distillation) -> list[Normalization]:
    """The normalizations of the teachers' checkpoints, without building their networks."""
    specs = [TrainConfig.from_dict(load_checkpoint(p)["config"]).normalization for p in settings.teachers]
    return list(dict.fromkeys(specs))


def rendered_views(config: TrainConfig, copies: int, seed: int, stroke_level: bool
                   ) -> tuple[dict[Normalization, np.ndarray], np.ndarray]:
    """The training pen drawings (`config.drawings`, held-out writers left out), as every model sees them.

    ({normalization: images (N, 28, 28)} for the student's and each teacher's, labels (N,)), the
    same augmented drawings in every view; `stroke_level` adds the stroke-level augmentation.
    """
    assert config.drawings is not None and config.distill is not None
    specs = list(dict.fromkeys([config.normalization, *teacher_normalizations(config.distill)]))
    images, labels = drawing_views(training_samples(config.drawings), specs, copies, seed,
                                   strokes=config.distill.strokes if stroke_level else None)
    return dict(zip(specs, images, strict=True)), labels
