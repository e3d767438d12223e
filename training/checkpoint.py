"""Checkpoints: plain dicts of tensors and numbers, written atomically, loaded with weights_only=True.

A run folder holds `last.pt` (everything needed to resume exactly: weights, weight average,
optimizer, schedule, position in the data) and `best.pt` (only the weights to deploy, from the
epoch with the best validation accuracy, and the config that rebuilds the network).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from digitpad.files import atomic_writer
from training.config import TrainConfig
from training.errors import CheckpointError
from training.model import SeedNet

FORMAT = 1  #: bumped when the checkpoint layout changes incompatibly
LAST = "last.pt"
BEST = "best.pt"


def save_checkpoint(path: str | os.PathLike[str], checkpoint: dict[str, Any]) -> None:
    """Write atomically: an interruption leaves the previous checkpoint, never half of a new one."""
    try:
        with atomic_writer(path) as stream:
            torch.save({"format": FORMAT, **checkpoint}, stream)
    except OSError as exc:  # disk full, read-only folder: the previous checkpoint stays
        raise CheckpointError(f"cannot write the checkpoint {path}: {exc.strerror or exc}") from None


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged or foreign file
        raise CheckpointError(f"{path} is not a readable checkpoint: {str(exc).strip().splitlines()[0]}") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a digitpad training checkpoint (format {FORMAT})")
    return checkpoint


def model_from_checkpoint(checkpoint: dict[str, Any]) -> tuple[SeedNet, TrainConfig]:
    """The network to deploy (weight average if the run kept one), in eval mode, and its config."""
    config = TrainConfig.from_dict(checkpoint["config"])
    model = SeedNet(config.model)
    model.load_state_dict(checkpoint["deploy"])
    return model.eval(), config
