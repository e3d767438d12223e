"""python -m training: subcommands, --help, and clear errors instead of tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from training.__main__ import main
from training.train import TrainResult

REPO = Path(__file__).resolve().parents[2]


def test_module_entry_point_lists_its_commands() -> None:
    result = subprocess.run([sys.executable, "-m", "training", "--help"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("download", "train", "evaluate", "export"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["download", "train", "evaluate", "export"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "--data-dir" in capsys.readouterr().out


def test_missing_data_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--data-dir", str(tmp_path), "--quiet"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "python -m training download" in error and "Traceback" not in error


def test_resume_without_a_checkpoint_is_a_clear_error(mnist_dir: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--data-dir", str(mnist_dir), "--out", str(tmp_path), "--resume", "--quiet"]) == 1
    assert "no checkpoint at" in capsys.readouterr().err


def test_evaluate_and_export_commands(smoke_run: TrainResult, mnist_dir: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    checkpoint = smoke_run.best_path
    assert main(["export", str(checkpoint), "--out", str(tmp_path / "m.onnx"), "--data-dir", str(mnist_dir)]) == 0
    assert "max |p_onnx - p_torch|" in capsys.readouterr().out
    assert main(["evaluate", str(tmp_path / "m.onnx"), "--data-dir", str(mnist_dir), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "MNIST test accuracy" in out and "precision" in out
    assert {"metrics.json", "confusion_matrix.png", "misclassified.png"} <= {p.name for p in tmp_path.iterdir()}


def test_a_run_folder_that_cannot_be_made_is_a_one_line_error(mnist_dir: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("a file where the run folder should go")
    assert main(["train", "--data-dir", str(mnist_dir), "--out", str(tmp_path / "file" / "run"), "--quiet"]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {tmp_path / 'file' / 'run'}: ") and "Traceback" not in error
