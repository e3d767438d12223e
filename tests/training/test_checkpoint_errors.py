"""Checkpoints that torch reads but that are wrong inside: one clear line, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from training.__main__ import main
from training.checkpoint import FORMAT, load_checkpoint
from training.config import TrainConfig
from training.errors import CheckpointError
from training.model import SeedNet


class Payload:
    """Any class outside torch's weights_only allow-list: unpickling it could run code."""


def good_checkpoint() -> dict[str, Any]:
    config = TrainConfig()
    return {"format": FORMAT, "config": config.to_dict(), "data": {}, "deploy": SeedNet(config.model).state_dict()}


def write(path: Path, checkpoint: object) -> Path:
    torch.save(checkpoint, path)
    return path


def unknown_config_key() -> dict[str, Any]:
    checkpoint = good_checkpoint()
    checkpoint["config"]["learning_rte"] = 0.1
    return checkpoint


BAD: dict[str, tuple[object, str]] = {
    "format only": ({"format": FORMAT}, "it has no config, data, deploy"),
    "unknown config key": (unknown_config_key(), "its config does not fit this digitpad"),
    "half a resume state": ({**good_checkpoint(), "model": {}}, "it has no average, optimizer"),
    "deploy not tensors": ({**good_checkpoint(), "deploy": {"w": [1, 2]}}, "not a dict of tensors"),
    "a Python object": (
        {**good_checkpoint(), "x": Payload()},
        "digitpad loads checkpoints with weights_only=True",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_checkpoint_wrong_inside_is_one_clear_error(tmp_path: Path, name: str) -> None:
    checkpoint, message = BAD[name]
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(write(tmp_path / "bad.pt", checkpoint))
    text = str(caught.value)
    assert message in text and "bad.pt" in text and "\n" not in text
    assert "weights_only` set to `False`" not in text and "trusted source" not in text  # never torch's unsafe advice


@pytest.mark.parametrize("name", ["format only", "unknown config key"])
def test_resume_and_interpolate_give_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    checkpoint, message = BAD[name]
    write(tmp_path / "last.pt", checkpoint)
    assert main(["train", "--resume", "--out", str(tmp_path), "--data-dir", str(tmp_path), "--quiet"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and message in error and error.count("\n") == 1
    good = write(tmp_path / "good.pt", good_checkpoint())
    assert main(["interpolate", str(good), str(tmp_path / "last.pt"), "--out", str(tmp_path / "mix.pt")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and message in error and error.count("\n") == 1


@pytest.mark.slow
def test_init_from_gives_a_one_line_error(mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path / "bad.pt", BAD["unknown config key"][0])
    argv = ["train", "--init-from", str(bad), "--data-dir", str(mnist_dir), "--out", str(tmp_path / "run"), "--quiet"]
    assert main(argv) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "its config does not fit this digitpad" in error and error.count("\n") == 1
