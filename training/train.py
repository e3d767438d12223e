"""Train the seed network: AdamW, one-cycle schedule, augmentation, label smoothing, weight EMA.

Callable from Python (`train(...)`) as well as from `python -m training train`. Extra labelled
image sets (e.g. digits rendered from real pen strokes) are mixed into every epoch beside MNIST.
A checkpoint is written after every epoch and when Ctrl-C (SIGINT) or SIGTERM asks the run to
stop; a second Ctrl-C stops at once, leaving the last checkpoint. `resume=True` continues bit for
bit (see `training.trainer`).
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from digitpad.system import usable_cpu_count
from training import distill
from training.checkpoint import BEST, LAST, load_checkpoint
from training.config import TrainConfig
from training.data import Mnist
from training.drawing_data import training_drawings
from training.errors import CheckpointError
from training.machine import default_device
from training.trainer import LabelledImages, StepReport, Trainer

#: Called after every optimizer step; returning True stops the run cleanly, as Ctrl-C does.
OnStep = Callable[[StepReport], "bool | None"]


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


class StopRequest:
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


def configured_drawings(config: TrainConfig) -> list[LabelledImages]:
    """The pen drawings `config.drawings` asks for, rendered (deterministic: a resumed run renders the same)."""
    if config.drawings is None:
        return []
    if config.distill is not None:  # also as each teacher sees them, plus stroke-augmented ones they label
        return distill.pen_drawings(config)
    images, labels = training_drawings(config.drawings, config.normalization)
    return [LabelledImages("rendered pen drawings", images, labels, repeats=config.drawings.repeats)]


def run_config(config: TrainConfig | None, out_dir: Path, resume: bool) -> tuple[TrainConfig, dict[str, Any] | None]:
    """The config to train with and, when resuming, the checkpoint to continue from."""
    if not resume:
        return config or TrainConfig(), None
    checkpoint = load_checkpoint(out_dir / LAST)
    saved = TrainConfig.from_dict(checkpoint["config"])
    if config is not None and config != saved:
        changed = sorted(k for k, v in config.to_dict().items() if saved.to_dict()[k] != v)
        raise CheckpointError(f"{out_dir / LAST} was trained with other settings ({', '.join(changed)}); "
                              "resume without changing them, or start a new run folder")
    return saved, checkpoint


@dataclass
class _Throughput:
    images: int = 0
    seconds: float = 0.0


def run_epoch(trainer: Trainer, stop: StopRequest, on_step: OnStep | None, progress: bool,
              throughput: _Throughput) -> None:
    """Train the steps of the current epoch that are not done yet, or until a stop is requested."""
    config = trainer.config
    order = trainer.epoch_order(trainer.epoch)
    bar = tqdm(total=trainer.steps_per_epoch, initial=trainer.step, disable=not progress, leave=False,
               desc=f"epoch {trainer.epoch + 1}/{config.epochs}", unit="step", dynamic_ncols=True)
    with bar:
        while trainer.step < trainer.steps_per_epoch and not stop.requested:
            batch = order[trainer.step * config.batch_size : (trainer.step + 1) * config.batch_size]
            started = time.perf_counter()
            loss, correct = trainer.train_step(batch)
            elapsed = time.perf_counter() - started
            trainer.record_step(loss, correct, len(batch), elapsed)
            throughput.images += len(batch)
            throughput.seconds += elapsed
            loss_sum, right, seen = trainer.epoch_totals
            bar.update()
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{right / seen:.4f}",
                            lr=f"{trainer.learning_rate:.2e}", refresh=False)
            if on_step is not None and on_step(StepReport(trainer.epoch, trainer.global_step, trainer.total_steps,
                                                          loss, trainer.train_seconds, trainer.deploy_model)):
                stop.requested = True


def epoch_line(entry: dict[str, float], epochs: int, best: bool) -> str:
    val = f", val loss {entry['val_loss']:.4f} acc {entry['val_accuracy']:.4f}" if "val_accuracy" in entry else ""
    return (f"epoch {entry['epoch']:.0f}/{epochs}: train loss {entry['train_loss']:.4f} "
            f"acc {entry['train_accuracy']:.4f}{val} ({entry['seconds']:.0f} s){' *' if best else ''}")


def train(
    config: TrainConfig | None,
    mnist: Mnist,
    out_dir: str | os.PathLike[str],
    *,
    extra: Sequence[LabelledImages] = (),
    resume: bool = False,
    device: torch.device | str | None = None,
    threads: int | None = None,
    on_step: OnStep | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train (or, with resume=True, continue training) into `out_dir`; see the module docstring.

    The pen drawings `config.drawings` names are rendered here and joined to `extra`. With resume,
    `config` may be None (the checkpoint's is used); a config that differs from the checkpoint's is
    an error. `on_step` may return True to stop cleanly, as Ctrl-C does.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config, checkpoint = run_config(config, out_dir, resume)
    torch.set_num_threads(threads or usable_cpu_count())
    trainer = Trainer(config, mnist, [*extra, *configured_drawings(config)],
                      torch.device(device) if device is not None else default_device(),
                      loss_hook=distill.Distiller(config.distill) if config.distill is not None else None)
    if checkpoint is not None:
        trainer.load_state(checkpoint, out_dir / LAST)
    stop, throughput = StopRequest(), _Throughput()
    with stop.on_signals():
        while trainer.epoch < config.epochs and not stop.requested:
            epoch_start = time.perf_counter()
            run_epoch(trainer, stop, on_step, progress, throughput)
            if trainer.step < trainer.steps_per_epoch:
                break  # stopped mid-epoch
            best = trainer.finish_epoch(time.perf_counter() - epoch_start)
            if progress:
                tqdm.write(epoch_line(trainer.history[-1], config.epochs, best))
            trainer.save(out_dir, best=best)
        if stop.requested and trainer.step > 0:
            trainer.save(out_dir)  # mid-epoch position: --resume continues from the next step

    return TrainResult(
        out_dir=out_dir,
        history=trainer.history,
        interrupted=trainer.epoch < config.epochs,
        train_seconds=trainer.train_seconds,
        images_per_second=throughput.images / throughput.seconds if throughput.seconds else math.nan,
        best_val_accuracy=trainer.best_val_accuracy,
        extra=trainer.data_description["extra"],
    )
