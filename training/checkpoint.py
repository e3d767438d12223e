"""Checkpoints: plain dicts of tensors and numbers, written atomically, loaded with weights_only=True.

A run folder holds `last.pt` (everything needed to resume exactly: weights, weight average,
optimizer, schedule, position in the data) and `best.pt` (only the weights to deploy, from the
epoch with the best validation accuracy, and the config that rebuilds the network).

Weight-space interpolation (`interpolate_checkpoints`): fine-tuning on pen drawings teaches the
network canvas strokes but costs a little on MNIST. Averaging the weights of the two networks,
`(1 - weight) * base + weight * tuned`, keeps most of both (WiSE-FT: Wortsman et al., "Robust
fine-tuning of zero-shot models", CVPR 2022): it works because the tuned network started from the
base one, so the two lie in one basin of the loss. The result is a checkpoint like any other:
`python -m training export` ships it.
"""

from __future__ import annotations

import hashlib
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
CHUNK_BYTES = 1 << 20


def file_md5(path: str | os.PathLike[str]) -> str:
    """MD5 of a file's bytes, read in chunks: how a run records the checkpoints it started from."""
    digest = hashlib.md5()
    with Path(path).open("rb") as stream:
        while block := stream.read(CHUNK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def save_checkpoint(path: str | os.PathLike[str], checkpoint: dict[str, Any]) -> None:
    """Write atomically: an interruption leaves the previous checkpoint, never half of a new one."""
    try:
        with atomic_writer(path) as stream:
            torch.save({"format": FORMAT, **checkpoint}, stream)
    except OSError as exc:  # disk full, read-only folder: the previous checkpoint stays
        raise CheckpointError(f"cannot write the checkpoint {path}: {exc.strerror or exc}") from None


#: What every checkpoint holds (best.pt and last.pt alike)...
REQUIRED = ("config", "data", "deploy")
#: ...and what `last.pt` holds besides, to resume: all of these when it has a training state
#: (`model` or `optimizer`); best.pt and interpolated checkpoints keep only some of them.
RESUME_KEYS = ("model", "average", "optimizer", "schedule", "epoch", "step", "epoch_totals", "history",
               "best_val_accuracy", "train_seconds")


def _reason(exc: Exception) -> str:
    """torch's first line, except its advice to load a refused file unsafely, which digitpad never does."""
    text = str(exc).strip()
    if "Weights only load failed" in text:
        return ("it holds Python objects besides tensors and plain data; digitpad loads checkpoints with "
                "weights_only=True and never runs code from a file")
    return text.splitlines()[0] if text else type(exc).__name__


def check_layout(checkpoint: object, path: Path) -> dict[str, Any]:
    """The checkpoint if it has digitpad's layout and a config that parses; else one clear CheckpointError."""
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a digitpad training checkpoint (format {FORMAT})")
    missing = [key for key in REQUIRED if key not in checkpoint]
    if "model" in checkpoint or "optimizer" in checkpoint:
        missing += [key for key in RESUME_KEYS if key not in checkpoint]
    if missing:
        raise CheckpointError(f"{path} is not a complete digitpad checkpoint: it has no {', '.join(missing)}")
    deploy = checkpoint["deploy"]
    if not isinstance(deploy, dict) or not all(isinstance(v, torch.Tensor) for v in deploy.values()):
        raise CheckpointError(f"{path}: its deploy weights are not a dict of tensors")
    if not isinstance(checkpoint["config"], dict):
        raise CheckpointError(f"{path}: its config is not a dict")
    try:
        TrainConfig.from_dict(checkpoint["config"])
    except (TypeError, ValueError, KeyError) as exc:  # an unknown key, a wrong type, a value out of range
        raise CheckpointError(f"{path}: its config does not fit this digitpad ({exc})") from None
    return checkpoint


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A checkpoint read with weights_only=True and checked inside (`check_layout`)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged or foreign file
        raise CheckpointError(f"{path} is not a readable checkpoint: {_reason(exc)}") from None
    return check_layout(checkpoint, path)


def model_from_checkpoint(checkpoint: dict[str, Any]) -> tuple[SeedNet, TrainConfig]:
    """The network to deploy (weight average if the run kept one), in eval mode, and its config."""
    config = TrainConfig.from_dict(checkpoint["config"])
    model = SeedNet(config.model)
    try:
        model.load_state_dict(checkpoint["deploy"])
    except RuntimeError as exc:  # missing, extra or misshapen weights
        raise CheckpointError(f"the checkpoint's weights do not fit its network: {_reason(exc)}") from None
    return model.eval(), config


def interpolate_weights(base: dict[str, torch.Tensor], tuned: dict[str, torch.Tensor],
                        weight: float) -> dict[str, torch.Tensor]:
    """`(1 - weight) * base + weight * tuned`, tensor by tensor (both must hold the same tensors)."""
    if base.keys() != tuned.keys() or any(base[k].shape != tuned[k].shape for k in base):
        raise CheckpointError("the two checkpoints hold different networks")
    return {k: torch.lerp(base[k].float(), tuned[k].float(), weight).to(tuned[k].dtype) for k in tuned}


def interpolate_checkpoints(base_path: str | os.PathLike[str], tuned_path: str | os.PathLike[str], weight: float,
                            out_path: str | os.PathLike[str]) -> dict[str, Any]:
    """Write the interpolated checkpoint to `out_path` (atomically) and return it.

    It carries the tuned run's config (the preprocessing the tuned network learned) and data,
    plus where the weights came from, so the exported model's recipe says how it was made.
    """
    if not 0.0 <= weight <= 1.0:
        raise CheckpointError(f"the weight of the fine-tuned network must lie in [0, 1], got {weight}")
    base, tuned = load_checkpoint(base_path), load_checkpoint(tuned_path)
    if TrainConfig.from_dict(base["config"]).model != TrainConfig.from_dict(tuned["config"]).model:
        raise CheckpointError(f"{base_path} and {tuned_path} hold different networks")
    data = dict(tuned["data"])
    data["interpolation"] = {"base_md5": file_md5(base_path), "tuned_md5": file_md5(tuned_path),
                             "tuned_weight": weight}
    checkpoint = {
        "config": tuned["config"],
        "data": data,
        "deploy": interpolate_weights(base["deploy"], tuned["deploy"], weight),
        "epoch": tuned.get("epoch"),
        "history": tuned.get("history", []),
    }
    save_checkpoint(out_path, checkpoint)
    return checkpoint
