"""Weight-space interpolation of a fine-tuned network with the network it started from.

Fine-tuning on pen drawings teaches the network canvas strokes but costs a little on MNIST.
Averaging the weights of the two networks, `(1 - weight) * base + weight * tuned`, keeps most of
both (WiSE-FT: Wortsman et al., "Robust fine-tuning of zero-shot models", CVPR 2022): it works
because the tuned network started from the base one, so the two lie in one basin of the loss.
The result is a checkpoint like any other: `python -m training export` ships it.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from training.checkpoint import load_checkpoint, save_checkpoint
from training.checksums import file_md5
from training.config import TrainConfig
from training.errors import CheckpointError


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
