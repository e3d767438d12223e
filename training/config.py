"""The training recipe in one place: every default, with its unit, and the config round-trip.

The whole config is saved inside every checkpoint (as plain dicts, so checkpoints load with
`torch.load(weights_only=True)`), and export rebuilds the network from it alone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from digitpad.ink.normalize import MNIST, Normalization
from training.augment import AugmentConfig
from training.model import ModelConfig
from training.strokes import StrokeAugmentation


@dataclass(frozen=True)
class PenDrawings:
    """Real pen-drawn digits, rendered through the app's pipeline and mixed into every epoch.

    Each sample becomes `copies` augmented drawings (`training.drawing_data`), made the way the app
    makes its model input from a drawing. `hold_out_fold` leaves one writer-disjoint fold out, so
    the writers of that fold can judge the model (cross-validation).
    """

    file: str  #: the samples, .jsonl or .jsonl.gz (see training.unipen)
    copies: int = 8  #: augmented renderings of every sample
    repeats: float = 1.0  #: how often each rendering is seen per epoch, on average
    folds: int = 5  #: writer-disjoint folds (scikit-learn GroupKFold on donor and writer)
    hold_out_fold: int | None = None  #: this fold's writers are left out of training
    seed: int = 1  #: seeds the renderings


@dataclass(frozen=True)
class Distillation:
    """Learn from an ensemble's soft targets beside the hard labels (`training.distill`).

    The teachers' logits, averaged, are the target at temperature T; each teacher sees every
    training image the way it was trained to (its own normalization), augmented exactly as the
    student's copy is. With pen drawings, `extra_copies` more renderings of every sample get
    stroke-level augmentation (`training.strokes`) and are learnt from the teachers alone.
    """

    teachers: tuple[str, ...]  #: checkpoints whose deployed networks teach
    temperature: float = 4.0  #: softens both distributions; the soft loss is scaled by T^2
    soft_weight: float = 0.9  #: share of the soft (teacher) loss; the rest is the hard-label loss
    extra_copies: int = 2  #: stroke-augmented renderings of every pen sample, teacher-labelled only
    strokes: StrokeAugmentation = field(default_factory=StrokeAugmentation)
    seed: int = 2  #: seeds the extra renderings

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Distillation:
        values = dict(raw)
        values["teachers"] = tuple(values["teachers"])
        values["strokes"] = StrokeAugmentation(**values.get("strokes", {}))
        return cls(**values)


@dataclass(frozen=True)
class TrainConfig:
    """Defaults are the shipped model's recipe (models/README.md)."""

    # data
    seed: int = 0  #: seeds the validation split, the data order, augmentation and dropout
    val_size: int = 5000  #: images held out of MNIST's 60,000 training images (stratified)
    train_subset: int | None = None  #: train on only this many of the remaining images (smoke runs)
    # optimization: AdamW with a one-cycle learning-rate schedule
    epochs: int = 30  #: passes over the training images
    batch_size: int = 128  #: images per step
    peak_lr: float = 2e-3  #: learning rate at the top of the one-cycle schedule
    warmup_fraction: float = 0.2  #: share of all steps spent climbing to peak_lr
    weight_decay: float = 0.05  #: AdamW decoupled weight decay, on weight matrices only
    label_smoothing: float = 0.1  #: probability mass spread evenly over the ten classes
    ema_decay: float = 0.999  #: exponential moving average of the weights per step; 0 = off
    #: run the training forward pass in bfloat16 (autocast): about twice as fast on CPUs with
    #: AVX512-BF16 or AMX, slower on older ones; weights, optimizer and evaluation stay float32
    bf16: bool = True
    # what the network sees
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    #: the preprocessing the app applies to drawings before this model; exported as metadata
    normalization: Normalization = MNIST
    # fine-tuning
    init_from: str | None = None  #: a checkpoint whose deployed weights start the run (None: random)
    drawings: PenDrawings | None = None  #: pen drawings mixed into training beside MNIST
    distill: Distillation | None = None  #: learn from an ensemble of teachers too (None: hard labels only)

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        if values["distill"] is None:  # a plain run's checkpoint stays readable by code older than distillation
            del values["distill"]
        return values

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrainConfig:
        """The config saved by `to_dict`; unknown keys are an error, missing ones take defaults."""
        nested = {"augment": AugmentConfig, "model": ModelConfig, "normalization": Normalization,
                  "drawings": PenDrawings}
        values = dict(raw)
        if values.get("distill") is not None:
            values["distill"] = Distillation.from_dict(values["distill"])
        for name, kind in nested.items():
            if values.get(name) is not None:
                values[name] = kind(**values[name])
        return cls(**values)

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)
