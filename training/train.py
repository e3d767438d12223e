"""Train the seed network: AdamW, one-cycle schedule, augmentation, label smoothing, weight EMA.

Callable from Python (`train(...)`) as well as from `python -m training train`. Extra labelled
image sets (e.g. digits rendered from real pen strokes) are mixed into every epoch beside MNIST.

Reproducible: every random choice derives from (seed, epoch) for the data order and from
(seed, step) for augmentation and dropout, so a run resumed from any checkpoint continues exactly
as an uninterrupted one would. A checkpoint is written after every epoch and when Ctrl-C (SIGINT)
or SIGTERM asks the run to stop; a second Ctrl-C stops at once, leaving the last checkpoint.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from digitpad.files import write_text_atomically
from training.augment import augment
from training.checkpoint import BEST, LAST, load_checkpoint, save_checkpoint
from training.config import TrainConfig
from training.data import Mnist
from training.drawing_data import training_drawings
from training.errors import CheckpointError, DatasetError
from training.model import SeedNet


@dataclass(frozen=True)
class LabelledImages:
    """An extra training set mixed into every epoch beside MNIST's training images."""

    name: str  #: shown in logs and saved in the recipe, e.g. "unipen-rendered"
    images: np.ndarray  #: float32 (N, 28, 28) in [0, 1], MNIST convention (0 = background)
    labels: np.ndarray  #: integers (N,) in 0..9
    repeats: float = 1.0  #: how many times each image is seen per epoch on average (0.5 = half of them)

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
        digest = hashlib.md5(np.ascontiguousarray(self.images, np.float32).tobytes())
        digest.update(np.ascontiguousarray(self.labels, np.int64).tobytes())
        return {"name": self.name, "images": len(self.labels), "repeats": self.repeats, "md5": digest.hexdigest()}


@dataclass(frozen=True)
class StepReport:
    """What `on_step` sees after each optimizer step."""

    epoch: int  #: 0-based epoch in progress
    global_step: int  #: optimizer steps completed so far, over the whole run
    total_steps: int
    loss: float  #: this step's training loss
    train_seconds: float  #: wall time spent training so far (excluding evaluation and callbacks)
    model: torch.nn.Module  #: the network to deploy (the weight average when kept), for evaluation


@dataclass
class TrainResult:
    out_dir: Path
    history: list[dict[str, float]]  #: one entry per completed epoch
    interrupted: bool  #: stopped early by Ctrl-C, SIGTERM or on_step; resume with resume=True
    train_seconds: float  #: wall time spent in training steps
    images_per_second: float  #: training throughput over the steps of this call
    best_val_accuracy: float | None = None
    extra: list[dict[str, Any]] = field(default_factory=list)

    @property
    def best_path(self) -> Path:
        return self.out_dir / BEST

    @property
    def last_path(self) -> Path:
        return self.out_dir / LAST


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def derive_seed(seed: int, purpose: str, index: int) -> int:
    """A seed for one epoch's order or one step's randomness, independent of every other one."""
    digest = hashlib.sha256(f"{seed}/{purpose}/{index}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def split_train_val(labels: np.ndarray, val_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and validation images: a stratified, seeded hold-out."""
    indices = np.arange(len(labels))
    if val_size == 0:
        return indices, indices[:0]
    train, val = train_test_split(indices, test_size=val_size, stratify=labels, random_state=seed)
    return np.sort(train), np.sort(val)


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def initial_weights(path: Path, config: TrainConfig) -> dict[str, torch.Tensor]:
    """The deployed weights of the checkpoint a fine-tuning run starts from, checked to fit."""
    checkpoint = load_checkpoint(path)
    if TrainConfig.from_dict(checkpoint["config"]).model != config.model:
        raise CheckpointError(f"{path} holds another network than this run's ({config.model})")
    return checkpoint["deploy"]


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


def evaluate_loss_accuracy(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    logits = predict_logits(model, images)
    loss = F.cross_entropy(logits, labels).item()
    return loss, (logits.argmax(1) == labels).float().mean().item()


def ema_with_warmup(decay: float) -> Callable[[list[torch.Tensor], list[torch.Tensor], torch.Tensor], None]:
    """Exponential moving average whose decay grows as (1 + n) / (10 + n) up to `decay`.

    Early on the average follows the weights closely, so short runs are not stuck near their
    random initialization; later it averages over about 1 / (1 - decay) steps.
    """

    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], num_averaged: torch.Tensor) -> None:
        n = float(num_averaged)
        weight = 1 - min(decay, (1 + n) / (10 + n))
        for average, value in zip(averaged, current, strict=True):
            average.lerp_(value, weight)

    return update


class _StopRequest:
    """Set by SIGINT/SIGTERM or on_step: the loop stops after the step in progress."""

    def __init__(self) -> None:
        self.requested = False

    @contextlib.contextmanager
    def on_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signal handlers can only be installed from the main thread
            return

        def handler(signum: int, frame: object) -> None:
            if self.requested:  # asked twice: stop now; the last checkpoint stays valid
                raise KeyboardInterrupt
            self.requested = True
            tqdm.write(f"{signal.Signals(signum).name}: saving a checkpoint after this step (again to abort)")

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)


class Trainer:
    """One training run: the data pool, the network, its optimizer and where the run stands."""

    def __init__(self, config: TrainConfig, mnist: Mnist, extra: Sequence[LabelledImages],
                 device: torch.device) -> None:
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
        self.data_description = {
            "mnist_md5": mnist.md5,
            "mnist_train_images": self.mnist_count,
            "mnist_val_images": len(val_idx),
            "extra": [e.describe() for e in self.extra],
        }
        self.steps_per_epoch = len(self.epoch_order(0)) // config.batch_size
        if self.steps_per_epoch == 0:
            raise DatasetError(f"{len(self.labels)} training images are fewer than one batch of {config.batch_size}")
        self.total_steps = config.epochs * self.steps_per_epoch

        torch.manual_seed(derive_seed(config.seed, "init", 0))
        self.model = SeedNet(config.model)
        if config.init_from is not None:
            self.model.load_state_dict(initial_weights(Path(config.init_from), config))
            self.data_description["init_from_md5"] = file_md5(Path(config.init_from))
        self.model = self.model.to(device, memory_format=torch.channels_last)
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
        torch.manual_seed(derive_seed(self.config.seed, "step", self.epoch * self.steps_per_epoch + self.step))
        images = augment(self.images[batch].to(self.device), self.config.augment)  # (B, 1, 28, 28)
        labels = self.labels[batch].to(self.device)  # (B,)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.bf16):
            logits = self.model(images.contiguous(memory_format=torch.channels_last)).float()  # (B, 10)
        loss = F.cross_entropy(logits, labels, label_smoothing=self.config.label_smoothing)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.schedule.step()
        if self.average is not None:
            self.average.update_parameters(self.model)
        return loss.item(), int((logits.argmax(1) == labels).sum())

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
        entry = {"epoch": self.epoch + 1, "train_loss": loss_sum / count, "train_accuracy": correct / count,
                 "seconds": seconds, "lr": self.schedule.get_last_lr()[0]}
        best = False
        if len(self.val_labels):
            entry["val_loss"], entry["val_accuracy"] = evaluate_loss_accuracy(
                self.deploy_model, self.val_images, self.val_labels)
            best = self.best_val_accuracy is None or entry["val_accuracy"] >= self.best_val_accuracy
            if best:
                self.best_val_accuracy = entry["val_accuracy"]
        else:
            best = True  # nothing to select on: the latest epoch is the one to deploy
        self.history.append(entry)
        self.epoch, self.step, self.epoch_totals = self.epoch + 1, 0, [0.0, 0.0, 0.0]
        return best


def configured_drawings(config: TrainConfig) -> list[LabelledImages]:
    """The pen drawings `config.drawings` asks for, rendered (deterministic: a resumed run renders the same)."""
    if config.drawings is None:
        return []
    images, labels = training_drawings(config.drawings, config.normalization)
    return [LabelledImages("rendered pen drawings", images, labels, repeats=config.drawings.repeats)]


def train(
    config: TrainConfig | None,
    mnist: Mnist,
    out_dir: str | os.PathLike[str],
    *,
    extra: Sequence[LabelledImages] = (),
    resume: bool = False,
    device: torch.device | str | None = None,
    threads: int | None = None,
    on_step: Callable[[StepReport], bool | None] | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train (or, with resume=True, continue training) into `out_dir`; see the module docstring.

    The pen drawings `config.drawings` names are rendered here and joined to `extra`. With resume,
    `config` may be None (the checkpoint's is used); a config that differs from the checkpoint's is
    an error. `on_step` may return True to stop cleanly, as Ctrl-C does.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = None
    if resume:
        checkpoint = load_checkpoint(out_dir / LAST)
        saved = TrainConfig.from_dict(checkpoint["config"])
        if config is not None and config != saved:
            changed = sorted(k for k, v in config.to_dict().items() if saved.to_dict()[k] != v)
            raise CheckpointError(f"{out_dir / LAST} was trained with other settings ({', '.join(changed)}); "
                                  "resume without changing them, or start a new run folder")
        config = saved
    elif config is None:
        config = TrainConfig()
    torch.set_num_threads(threads or available_cpus())
    device = torch.device(device) if device is not None else default_device()

    trainer = Trainer(config, mnist, [*extra, *configured_drawings(config)], device)
    if checkpoint is not None:
        trainer.load_state(checkpoint, out_dir / LAST)
    stop = _StopRequest()
    images_seen, seconds_this_call = 0, 0.0
    with stop.on_signals():
        while trainer.epoch < config.epochs and not stop.requested:
            order = trainer.epoch_order(trainer.epoch)
            epoch_start = time.perf_counter()
            bar = tqdm(total=trainer.steps_per_epoch, initial=trainer.step, disable=not progress, leave=False,
                       desc=f"epoch {trainer.epoch + 1}/{config.epochs}", unit="step", dynamic_ncols=True)
            with bar:
                while trainer.step < trainer.steps_per_epoch:
                    batch = order[trainer.step * config.batch_size : (trainer.step + 1) * config.batch_size]
                    started = time.perf_counter()
                    loss, correct = trainer.train_step(batch)
                    elapsed = time.perf_counter() - started
                    trainer.train_seconds += elapsed
                    seconds_this_call += elapsed
                    images_seen += len(batch)
                    trainer.step += 1
                    totals = trainer.epoch_totals
                    totals[0] += loss * len(batch)
                    totals[1] += correct
                    totals[2] += len(batch)
                    bar.update()
                    bar.set_postfix(loss=f"{totals[0] / totals[2]:.4f}", acc=f"{totals[1] / totals[2]:.4f}",
                                    lr=f"{trainer.schedule.get_last_lr()[0]:.2e}", refresh=False)
                    if on_step is not None:
                        report = StepReport(trainer.epoch, trainer.epoch * trainer.steps_per_epoch + trainer.step,
                                            trainer.total_steps, loss, trainer.train_seconds, trainer.deploy_model)
                        if on_step(report):
                            stop.requested = True
                    if stop.requested:
                        break
            if stop.requested and trainer.step < trainer.steps_per_epoch:
                break
            best = trainer.finish_epoch(time.perf_counter() - epoch_start)
            entry = trainer.history[-1]
            if progress:
                val = (f", val loss {entry['val_loss']:.4f} acc {entry['val_accuracy']:.4f}"
                       if "val_accuracy" in entry else "")
                tqdm.write(f"epoch {entry['epoch']}/{config.epochs}: train loss {entry['train_loss']:.4f} "
                           f"acc {entry['train_accuracy']:.4f}{val} ({entry['seconds']:.0f} s){' *' if best else ''}")
            trainer.save(out_dir, best=best)
        if stop.requested and trainer.step > 0:
            trainer.save(out_dir)  # mid-epoch position: --resume continues from the next step

    return TrainResult(
        out_dir=out_dir,
        history=trainer.history,
        interrupted=trainer.epoch < config.epochs,
        train_seconds=trainer.train_seconds,
        images_per_second=images_seen / seconds_this_call if seconds_this_call else math.nan,
        best_val_accuracy=trainer.best_val_accuracy,
        extra=trainer.data_description["extra"],
    )
