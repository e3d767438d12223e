"""python -m training: subcommands, --help, and clear errors instead of tracebacks."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from digitpad.ink.normalize import Normalization
from digitpad.model.classifier import Classifier
from digitpad.model.contract import MetadataKey
from tests.training.conftest import SMOKE_CONFIG
from tests.training.drawing_fixtures import write_digits
from training.__main__ import main
from training.checkpoint import load_checkpoint
from training.config import PenDrawings, TrainConfig
from training.errors import CheckpointError
from training.train import TrainResult
from training.trainer import initial_weights

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


@pytest.mark.slow
def test_importing_training_sets_no_environment_the_entry_point_does() -> None:
    probe = ("import os, sys; os.environ.pop('OMP_WAIT_POLICY', None); import training, training.train, "
             "training.recipe; print(os.environ.get('OMP_WAIT_POLICY')); import training.__main__; "
             "print(os.environ.get('OMP_WAIT_POLICY'))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True)
    assert result.stdout.split() == ["None", "PASSIVE"], result.stderr


#: Code that makes the [train] extra's heavy modules unimportable, as in the app's wheel (which has platformdirs).
BLOCK_EXTRA = "import sys; [sys.modules.__setitem__(m, None) for m in ('torch', 'onnx', 'onnxscript', 'sklearn', " \
              "'matplotlib', 'tqdm')]; "
#: `python -m training ARGS` in a Python without the [train] extra.
WITHOUT_EXTRA = BLOCK_EXTRA + "import runpy; sys.argv[0] = 'training'; " \
                              "runpy.run_module('training', run_name='__main__')"


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"], ["recipe", "--out", "runs/x"], ["evaluate"]])
def test_without_the_train_extra_every_command_ends_in_an_install_hint(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-c", WITHOUT_EXTRA, *args], cwd=REPO, capture_output=True, text=True)
    asked_for_help = "--help" in args
    assert result.returncode == (0 if asked_for_help else 1)
    assert "Traceback" not in result.stderr and "ModuleNotFoundError" not in result.stderr
    *_, last = result.stderr.strip().splitlines()
    assert "pip install -e '.[train]'" in last and "missing here: torch" in last
    assert ("usage:" in result.stdout) == asked_for_help


def test_every_commands_help_works_without_the_train_extra() -> None:
    """Each command's options live in a module that loads without torch, onnx and the rest of the extra."""
    probe = BLOCK_EXTRA + ("import contextlib, io\nfrom training.__main__ import COMMANDS, build_parser\n"
                           "for name in COMMANDS:\n"
                           "    with contextlib.redirect_stdout(io.StringIO()) as out:\n"
                           "        try:\n"
                           "            build_parser().parse_args([name, '--help'])\n"
                           "        except SystemExit as exc:\n"
                           "            assert exc.code == 0 and 'usage:' in out.getvalue(), name\n"
                           "print(len(COMMANDS))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == 12


def test_missing_data_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--data-dir", str(tmp_path), "--quiet"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "python -m training download" in error and "Traceback" not in error


def test_resume_without_a_checkpoint_is_a_clear_error(
    mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--data-dir", str(mnist_dir), "--out", str(tmp_path), "--resume", "--quiet"]) == 1
    assert "no checkpoint at" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_and_export_commands(
    smoke_run: TrainResult, small_mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = smoke_run.best_path
    assert main(["export", str(checkpoint), "--out", str(tmp_path / "m.onnx"), "--data-dir", str(small_mnist_dir),
                 "--name", "my first model"]) == 0
    assert "max |p_onnx - p_torch|" in capsys.readouterr().out
    assert Classifier(tmp_path / "m.onnx").info.name == "my first model"
    assert main(["evaluate", str(tmp_path / "m.onnx"), "--data-dir", str(small_mnist_dir), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "MNIST test accuracy" in out and "precision" in out
    assert {"metrics.json", "confusion_matrix.png", "misclassified.png"} <= {p.name for p in tmp_path.iterdir()}


@pytest.mark.slow
def test_export_names_the_model_after_its_run_and_writes_beside_it(
    smoke_run: TrainResult, small_mnist_dir: Path, tmp_path: Path
) -> None:
    """Without --out and --name: run-folder/model.onnx, named after the run folder; never models/digitpad.onnx."""
    run = tmp_path / "night-run"
    run.mkdir()
    (run / "best.pt").write_bytes(smoke_run.best_path.read_bytes())
    shipped = REPO / "models" / "digitpad.onnx"
    before = shipped.stat().st_mtime_ns
    assert main(["export", str(run / "best.pt"), "--data-dir", str(small_mnist_dir), "--quiet"]) == 0
    assert Classifier(run / "model.onnx").info.name == "night-run"
    assert shipped.stat().st_mtime_ns == before


def test_a_run_folder_that_cannot_be_made_is_a_one_line_error(mnist_dir: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("a file where the run folder should go")
    assert main(["train", "--data-dir", str(mnist_dir), "--out", str(tmp_path / "file" / "run"), "--quiet"]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {tmp_path / 'file' / 'run'}: ") and "Traceback" not in error


@pytest.mark.slow
def test_fine_tuning_on_pen_drawings_from_the_command_line(
    smoke_run: TrainResult, small_mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--init-from, --drawings, --hold-out-fold and --input-pen make a run that resumes and exports."""
    digits = tmp_path / "digits.jsonl.gz"
    write_digits(digits, writers=5, per_writer=3)  # 30 samples, 10 writers
    out = tmp_path / "pen"
    common = ["--data-dir", str(small_mnist_dir), "--out", str(out), "--quiet", "--threads", "1"]
    tuning = f"--init-from {smoke_run.best_path} --drawings {digits} --drawing-copies 2 --hold-out-fold 1"
    tuning += " --input-pen 2.5"
    small = "--epochs 1 --train-subset 256 --val-size 500 --batch-size 64"
    assert main(["train", *common, *tuning.split(), *small.split()]) == 0
    checkpoint = load_checkpoint(out / "last.pt")
    config = TrainConfig.from_dict(checkpoint["config"])
    assert config.normalization == Normalization(pen=2.5) and config.init_from == str(smoke_run.best_path)
    assert config.drawings == PenDrawings(str(digits), copies=2, hold_out_fold=1)
    (extra,) = checkpoint["data"]["extra"]
    assert extra["images"] == 2 * 24  # the 6 samples of fold 1's two writers are left out
    assert checkpoint["data"]["init_from_md5"]
    # a finished run resumes to the same place: the drawings are rendered again, identically
    assert main(["train", "--resume", *common]) == 0
    model = tmp_path / "pen.onnx"
    export = ["export", str(out / "last.pt"), "--out", str(model), "--data-dir", str(small_mnist_dir)]
    assert main(export) == 0
    assert Classifier(model).info.normalization == Normalization(pen=2.5)
    # the drawing accuracy measured by evaluate-drawings goes into the metadata and the summary
    report = tmp_path / "eval" / "report.json"
    assert main(["evaluate-drawings", str(digits), "--model", str(model), "--only-fold", "1",
                 "--out", str(report.parent)]) == 0
    measured = json.loads(report.read_text())["app"]["accuracy"]
    assert main([*export, "--drawing-report", str(report)]) == 0
    info = Classifier(model).info
    assert info.metadata[MetadataKey.DRAWING_ACCURACY] == f"{measured:.4f}" and info.drawing_accuracy is not None
    assert "Fine-tuned from a network" in info.summary and "pen-drawn digits by writers" in info.summary
    capsys.readouterr()
    assert main([*export, "--drawing-report", str(digits)]) == 1
    assert "is not a report of" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="need --drawings"):
        main(["train", *common, "--hold-out-fold", "1"])


@pytest.mark.slow
def test_fine_tuning_refuses_a_checkpoint_of_another_network(
    smoke_run: TrainResult, mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "train",
                "--data-dir",
                str(mnist_dir),
                "--out",
                str(tmp_path),
                "--quiet",
                "--init-from",
                str(smoke_run.best_path),
                "--train-subset",
                "256",
                "--epochs",
                "1",
            ]
        )
        == 0
    )  # same network: fine
    config = SMOKE_CONFIG.replace(model=dataclasses.replace(SMOKE_CONFIG.model, dense_units=64))
    with pytest.raises(CheckpointError, match="another network"):
        initial_weights(smoke_run.best_path, config)
