"""Weight-space interpolation: the right mix of two checkpoints, a checkpoint export can ship."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from training.__main__ import main
from training.checkpoint import LAST, interpolate_checkpoints, load_checkpoint, model_from_checkpoint, save_checkpoint
from training.errors import CheckpointError
from training.train import TrainResult


def _tuned(smoke_run: TrainResult, tmp_path: Path) -> Path:
    """A stand-in for a fine-tuned checkpoint: the smoke run's with every weight moved by +1."""
    checkpoint = load_checkpoint(smoke_run.best_path)
    checkpoint["deploy"] = {k: v + 1 for k, v in checkpoint["deploy"].items()}
    checkpoint.pop("format")
    save_checkpoint(tmp_path / "tuned.pt", checkpoint)
    return tmp_path / "tuned.pt"


def test_the_weights_are_mixed_tensor_by_tensor(smoke_run: TrainResult, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    tuned = _tuned(smoke_run, tmp_path)
    assert main(["interpolate", str(smoke_run.best_path), str(tuned), "--weight", "0.25",
                 "--out", str(tmp_path / "mix.pt")]) == 0
    assert "0.75 x" in capsys.readouterr().out
    base = load_checkpoint(smoke_run.best_path)["deploy"]
    mixed = load_checkpoint(tmp_path / "mix.pt")
    for name, tensor in base.items():
        torch.testing.assert_close(mixed["deploy"][name], tensor + 0.25)
    assert mixed["data"]["interpolation"]["tuned_weight"] == 0.25
    model, _ = model_from_checkpoint(mixed)
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_bad_weights_and_foreign_networks_are_refused(smoke_run: TrainResult, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    tuned = _tuned(smoke_run, tmp_path)
    assert main(["interpolate", str(smoke_run.best_path), str(tuned), "--weight", "1.5",
                 "--out", str(tmp_path / "mix.pt")]) == 1
    assert "must lie in [0, 1]" in capsys.readouterr().err
    other = load_checkpoint(smoke_run.out_dir / LAST)
    other["config"]["model"]["dense_units"] = 64
    other.pop("format")
    save_checkpoint(tmp_path / "other.pt", other)
    with pytest.raises(CheckpointError, match="different networks"):
        interpolate_checkpoints(smoke_run.best_path, tmp_path / "other.pt", 0.5, tmp_path / "mix.pt")
    assert not (tmp_path / "mix.pt").exists()
