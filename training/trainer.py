"""One training run's state: the data pool, the network, its optimizer and where the run stands.

Reproducible: every random choice derives from (seed, epoch) for the data order and from
(seed, step) for augmentation and dropout, so a run resumed from any checkpoint continues exactly
as an uninterrupted one would. The loop that drives a Trainer is `training.train`. The loss is
cross-entropy on the labels unless a `LossHook` gives another (distillation's, `training.distill`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel

from digitpad.files import write_text_atomically
from digitpad.ink.normalize import Normalization
from training.augment import augment
from training.checkpoint import BEST, LAST, file_md5, load_checkpoint, save_checkpoint
from training.config import TrainConfig
from training.data import Mnist, split_train_val
from training.errors import CheckpointError, DatasetError
from training.model import SeedNet, predict_logits, to_tensor

Tensors = tuple[torch.Tensor, ...] | list[torch.Tensor]


def arrays_md5(images: np.ndarray, labels: np.ndarray) -> str:
    """MD5 of a labelled image set (float32 images, then int64 labels): what a run records it was trained on."""
    digest = hashlib.md5(np.ascontiguousarray(images, np.float32).tobytes())
    digest.update(np.ascontiguousarray(labels, np.int64).tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class LabelledImages:
    """An extra training set mixed into every epoch beside MNIST's training images."""

    name: str  #: shown in logs and saved in the recipe, e.g. "unipen-rendered"
    images: np.ndarray  #: float32 (N, 28, 28) in [0, 1], MNIST convention (0 = background)
    labels: np.ndarray  #: integers (N,) in 0..9
    repeats: float = 1.0  #: how many times each image is seen per epoch on average (0.5 = half of them)
    trusted: bool = True  #: False: the labels may be wrong (a loss hook, distillation's, may learn them otherwise)
    #: the same images as other normalizations render them, for a loss hook's own networks (distillation's)
    views: dict[Normalization, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.images.ndim != 3 or self.images.shape[1:] != (28, 28) or len(self.images) != len(self.labels):
            raise DatasetError(f"extra data '{self.name}': need images (N, 28, 28) and N labels, "
                               f"got {self.images.shape} and {self.labels.shape}")
        if len(self.labels) and (self.labels.min() < 0 or self.labels.max() > 9):
            raise DatasetError(f"extra data '{self.name}': labels must be digits 0-9")
        if len(self.images) and (self.images.min() < 0 or self.images.max() > 1):
            raise DatasetError(f"extra data '{self.name}': pixels must lie in [0, 1] (0 = background, 1 = ink)")
        if self.repeats < 0:
            raise DatasetError(f"extra data '{self.name}': repeats must be >= 0, got {self.repeats}")

    def describe(self) -> dict[str, Any]:
        trusted = {} if self.trusted else {"trusted": False}
        return {"name": self.name, "images": len(self.labels), "repeats": self.repeats,
                "md5": arrays_md5(self.images, self.labels)} | trusted


@dataclass(frozen=True)
class StepReport:
    """What `on_step` sees after each optimizer step."""

    epoch: int  #: 0-based epoch in progress
    global_step: int  #: optimizer steps completed so far, over the whole run
    total_steps: int
    loss: float  #: this step's training loss
    train_seconds: float  #: wall time spent training so far (excluding evaluation and callbacks)
    model: torch.nn.Module  #: the network to deploy (the weight average when kept), for evaluation


#: A batch's loss of the network's logits (B, 10) and the labels (B,).
BatchLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class LossHook(Protocol):
    """Another training loss than cross-entropy on the labels; `training.distill.Distiller` is one.

    `start` is called once, when the Trainer has built its pool (MNIST's images, then each extra
    set), and returns what the run's data description records of the hook. `batch_loss` is called
    at every step with the batch (pool indices, and the images as augmented) before the network
    sees it, so that a hook running networks of its own runs them first; it must leave the random
    state as it found it, and returns the loss to minimize.
    """

    def start(self, trainer: Trainer) -> dict[str, Any]: ...

    def batch_loss(self, batch: torch.Tensor, images: torch.Tensor, seed: int) -> BatchLoss: ...


def derive_seed(seed: int, purpose: str, index: int) -> int:
    """A seed for one epoch's order or one step's randomness, independent of every other one."""
    digest = hashlib.sha256(f"{seed}/{purpose}/{index}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def loss_and_accuracy(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of `model` on labelled images."""
    logits = predict_logits(model, images)
    loss = F.cross_entropy(logits, labels).item()
    return loss, (logits.argmax(1) == labels).float().mean().item()


def initial_weights(path: Path, config: TrainConfig) -> dict[str, torch.Tensor]:
    """The deployed weights of the checkpoint a fine-tuning run starts from, checked to fit."""
    checkpoint = load_checkpoint(path)
    if TrainConfig.from_dict(checkpoint["config"]).model != config.model:
        raise CheckpointError(f"{path} holds another network than this run's ({config.model})")
    weights: dict[str, torch.Tensor] = checkpoint["deploy"]
    return weights


def ema_with_warmup(decay: float) -> Callable[[Tensors, Tensors, torch.Tensor | int], None]:
    """Exponential moving average whose decay grows as (1 + n) / (10 + n) up to `decay`.

    Early on the average follows the weights closely, so short runs are not stuck near their
    random initialization; later it averages over about 1 / (1 - decay) steps.
    """

    def update(averaged: Tensors, current: Tensors, num_averaged: torch.Tensor | int) -> None:
        n = float(num_averaged)
        weight = 1 - min(decay, (1 + n) / (10 + n))
        for average, value in zip(averaged, current, strict=True):
            average.lerp_(value, weight)

    return update


class Trainer:
    """One training run: the data pool, the network, its optimizer and where the run stands."""

    def __init__(self, config: TrainConfig, mnist: Mnist, extra: Sequence[LabelledImages],
                 device: torch.device, loss_hook: LossHook | None = None) -> None:
        self.config = config
        self.device = device
        train_idx, val_idx = split_train_val(mnist.train_labels, config.val_size, config.seed)
        if config.train_subset is not None:
            train_idx = train_idx[np.random.default_rng(config.seed).permutation(len(train_idx))[: config.train_subset]]
        self.val_images = to_tensor(mnist.train_images[val_idx])
        self.val_labels = torch.from_numpy(mnist.train_labels[val_idx])
        # The pool: MNIST's training images, then each extra set; an epoch draws from it by index.
        self.mnist_count = len(train_idx)
        self.extra = list(extra)
        self.images = torch.cat([to_tensor(mnist.train_images[train_idx])] + [to_tensor(e.images) for e in self.extra])
        self.labels = torch.cat([torch.from_numpy(mnist.train_labels[train_idx])]
                                + [torch.as_tensor(e.labels, dtype=torch.int64) for e in self.extra])
        self.data_description: dict[str, Any] = {
            "mnist_md5": mnist.md5,
            "mnist_train_images": self.mnist_count,
            "mnist_val_images": len(val_idx),
            "extra": [e.describe() for e in self.extra],
        }
        self.loss_hook = loss_hook
        if loss_hook is not None:
            self.data_description |= loss_hook.start(self)
        self.steps_per_epoch = len(self.epoch_order(0)) // config.batch_size
        if self.steps_per_epoch == 0:
            raise DatasetError(f"{len(self.labels)} training images are fewer than one batch of {config.batch_size}")
        self.total_steps = config.epochs * self.steps_per_epoch

        torch.manual_seed(derive_seed(config.seed, "init", 0))
        model = SeedNet(config.model)
        if config.init_from is not None:
            model.load_state_dict(initial_weights(Path(config.init_from), config))
            self.data_description["init_from_md5"] = file_md5(config.init_from)
        self.model = model.to(device).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        decay = [p for p in self.model.parameters() if p.dim() >= 2]
        no_decay = [p for p in self.model.parameters() if p.dim() < 2]
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=config.peak_lr,
            fused=True,  # one kernel for all parameters: 2-3x faster than the default on a CPU
        )
        self.schedule = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=config.peak_lr, total_steps=self.total_steps, pct_start=config.warmup_fraction
        )
        self.average = (AveragedModel(self.model, multi_avg_fn=ema_with_warmup(config.ema_decay))
                        if config.ema_decay > 0 else None)
        # Where the run stands: `step` optimizer steps of epoch `epoch` are done.
        self.epoch = 0
        self.step = 0
        self.epoch_totals = [0.0, 0.0, 0.0]  # summed loss, correct predictions, images in this epoch so far
        self.history: list[dict[str, float]] = []
        self.best_val_accuracy: float | None = None
        self.train_seconds = 0.0

    @property
    def deploy_model(self) -> torch.nn.Module:
        return self.average.module if self.average is not None else self.model

    @property
    def global_step(self) -> int:
        return self.epoch * self.steps_per_epoch + self.step

    @property
    def learning_rate(self) -> float:
        return float(self.schedule.get_last_lr()[0])

    def epoch_order(self, epoch: int) -> torch.Tensor:
        """The pool indices of one epoch, shuffled: every MNIST image once, extra sets per their repeats."""
        generator = torch.Generator().manual_seed(derive_seed(self.config.seed, "order", epoch))
        parts = [torch.arange(self.mnist_count)]
        start = self.mnist_count
        for extra in self.extra:
            n = len(extra.labels)
            whole, fraction = divmod(extra.repeats, 1.0)
            parts += [torch.arange(start, start + n)] * int(whole)
            parts.append(start + torch.randperm(n, generator=generator)[: int(round(fraction * n))])
            start += n
        order = torch.cat(parts)
        return order[torch.randperm(len(order), generator=generator)]

    def train_step(self, batch: torch.Tensor) -> tuple[float, int]:
        """One optimizer step on pool indices `batch`; returns the loss and the correct predictions."""
        seed = derive_seed(self.config.seed, "step", self.global_step)
        torch.manual_seed(seed)
        images = augment(self.images[batch].to(self.device), self.config.augment)  # (B, 1, 28, 28)
        labels = self.labels[batch].to(self.device)  # (B,)
        batch_loss = self.loss_hook.batch_loss(batch, images, seed) if self.loss_hook is not None else self.loss
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.bf16):
            logits = self.model(images.contiguous(memory_format=torch.channels_last)).float()  # (B, 10)
        loss = batch_loss(logits, labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        self.optimizer.step()
        self.schedule.step()
        if self.average is not None:
            self.average.update_parameters(self.model)
        return loss.item(), int((logits.argmax(1) == labels).sum())

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Cross-entropy on the labels, smoothed: the loss unless a hook gives another."""
        return F.cross_entropy(logits, labels, label_smoothing=self.config.label_smoothing)

    def record_step(self, loss: float, correct: int, images: int, seconds: float) -> None:
        self.train_seconds += seconds
        self.step += 1
        self.epoch_totals[0] += loss * images
        self.epoch_totals[1] += correct
        self.epoch_totals[2] += images

    def state(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "data": self.data_description,
            "deploy": self.deploy_model.state_dict(),
            "model": self.model.state_dict(),
            "average": self.average.state_dict() if self.average is not None else None,
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "epoch_totals": list(self.epoch_totals),
            "history": self.history,
            "best_val_accuracy": self.best_val_accuracy,
            "train_seconds": self.train_seconds,
        }

    def load_state(self, checkpoint: dict[str, Any], source: Path) -> None:
        if checkpoint["data"] != self.data_description:
            raise CheckpointError(f"{source} was trained on other data than this run's: "
                                  f"{checkpoint['data']} vs {self.data_description}")
        self.model.load_state_dict(checkpoint["model"])
        if self.average is not None:
            self.average.load_state_dict(checkpoint["average"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.schedule.load_state_dict(checkpoint["schedule"])
        self.epoch, self.step = checkpoint["epoch"], checkpoint["step"]
        self.epoch_totals = list(checkpoint["epoch_totals"])
        self.history = list(checkpoint["history"])
        self.best_val_accuracy = checkpoint["best_val_accuracy"]
        self.train_seconds = checkpoint["train_seconds"]

    def save(self, out_dir: Path, best: bool = False) -> None:
        # best.pt first: a run killed between the two writes resumes from the older last.pt and
        # redoes the epoch, instead of never writing the best.pt of an epoch that last.pt has.
        if best:
            save_checkpoint(out_dir / BEST, {
                "config": self.config.to_dict(), "data": self.data_description,
                "deploy": self.deploy_model.state_dict(), "epoch": self.epoch,
                "val_accuracy": self.best_val_accuracy, "history": self.history,
            })
        save_checkpoint(out_dir / LAST, self.state())
        write_text_atomically(out_dir / "history.json", json.dumps(self.history, indent=1) + "\n")

    def finish_epoch(self, seconds: float) -> bool:
        """Validate, record the epoch, move on to the next; True when this is the best epoch yet."""
        loss_sum, correct, count = self.epoch_totals
        entry: dict[str, float] = {"epoch": self.epoch + 1, "train_loss": loss_sum / count,
                                   "train_accuracy": correct / count, "seconds": seconds, "lr": self.learning_rate}
        best = True  # with nothing to select on, the latest epoch is the one to deploy
        if len(self.val_labels):
            val_loss, val_accuracy = loss_and_accuracy(self.deploy_model, self.val_images, self.val_labels)
            entry["val_loss"], entry["val_accuracy"] = val_loss, val_accuracy
            best = self.best_val_accuracy is None or val_accuracy >= self.best_val_accuracy
            if best:
                self.best_val_accuracy = val_accuracy
        self.history.append(entry)
        self.epoch, self.step, self.epoch_totals = self.epoch + 1, 0, [0.0, 0.0, 0.0]
        return best
