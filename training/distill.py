"""Knowledge distillation: one seed network taught by an ensemble of seed networks.

An ensemble of networks that differ (seed, input pen width, augmentation, data) reads strangers'
handwriting better than any one of them, but costs K networks at inference. Trained on the
ensemble's averaged logits, softened by a temperature T (Hinton, Vinyals and Dean, "Distilling the
knowledge in a neural network", 2015), one network keeps much of that gain at the cost of one. The
teachers run on the fly, on the very batch the student sees, each on its own rendering of it
(drawings rendered with its own normalization, then the same batched augmentation), so the soft
targets always match the augmented images; the teachers are small, so this costs about one more
forward pass per teacher.

The Trainer knows none of this: `Distiller` is its loss hook (`training.trainer.LossHook`), and
`pen_drawings` renders the pen drawings in every teacher's view; `training.train` plugs both in when
the config asks for distillation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from digitpad.ink.normalize import Normalization
from training.augment import augment
from training.checkpoint import file_md5, load_checkpoint, model_from_checkpoint
from training.config import Distillation, TrainConfig
from training.drawing_data import drawing_views, training_samples
from training.errors import CheckpointError
from training.model import SeedNet, to_tensor
from training.trainer import BatchLoss, LabelledImages, Trainer


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


def pen_drawings(config: TrainConfig) -> list[LabelledImages]:
    """The pen drawings `config.drawings` asks for, each rendering also as every teacher sees it, plus the
    stroke-augmented renderings whose labels only the teachers give (`config.distill.extra_copies`)."""
    assert config.drawings is not None and config.distill is not None
    views, labels = rendered_views(config, config.drawings.copies, config.drawings.seed, stroke_level=False)
    sets = [LabelledImages("rendered pen drawings", views[config.normalization], labels,
                           repeats=config.drawings.repeats, views=views)]
    if config.distill.extra_copies:
        views, labels = rendered_views(config, config.distill.extra_copies, config.distill.seed, stroke_level=True)
        sets.append(LabelledImages("stroke-augmented pen drawings", views[config.normalization], labels,
                                   trusted=False, views=views))
    return sets


class Distiller:
    """The Trainer's loss hook: the teachers' soft targets on every batch, blended with the trusted labels."""

    def __init__(self, settings: Distillation) -> None:
        self.settings = settings

    def start(self, trainer: Trainer) -> dict[str, Any]:
        """Load the teachers; render the trainer's pool as each teacher normalization reads it."""
        self.config, self.device = trainer.config, trainer.device
        self.teachers = Teachers(self.settings.teachers, trainer.device)
        self.views: dict[Normalization, torch.Tensor] = {}
        self.trusted = torch.cat([torch.ones(trainer.mnist_count)]
                                 + [torch.full((len(e.labels),), float(e.trusted)) for e in trainer.extra])
        for spec in self.teachers.normalizations:
            if spec != self.config.normalization:  # MNIST's images are the same for every teacher
                self.views[spec] = torch.cat([trainer.images[: trainer.mnist_count]]
                                             + [to_tensor(e.views.get(spec, e.images)) for e in trainer.extra])
        return {"teachers_md5": [file_md5(path) for path in self.settings.teachers]}

    def batch_loss(self, batch: torch.Tensor, images: torch.Tensor, seed: int) -> BatchLoss:
        teacher_logits = self.teacher_logits(batch, images, seed)
        hard = self.trusted[batch].to(self.device)
        return lambda logits, labels: distillation_loss(logits, teacher_logits, labels, hard, self.settings,
                                                        self.config.label_smoothing)

    def teacher_logits(self, batch: torch.Tensor, images: torch.Tensor, seed: int) -> torch.Tensor:
        """The teachers' mean logits for the batch, each teacher view augmented exactly as `images` was.

        The augmentation's random draws depend on the batch size only, so reseeding repeats them;
        the random state is restored after, so the student's dropout does not depend on the teachers.
        """
        views = {self.config.normalization: images}
        state = torch.get_rng_state()
        for spec, pool in self.views.items():
            torch.manual_seed(seed)
            views[spec] = augment(pool[batch].to(self.device), self.config.augment)
        torch.set_rng_state(state)
        return self.teachers.logits(views, self.config.bf16)
