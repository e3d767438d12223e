"""Training: a short run learns, checkpoints load with weights_only=True, resume is exact."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import digitpad.files
from tests.training.conftest import SMOKE_CONFIG, THREADS
from training.checkpoint import BEST, LAST, load_checkpoint, model_from_checkpoint, save_checkpoint
from training.config import TrainConfig
from training.data import Mnist
from training.errors import CheckpointError, DatasetError
from training.train import TrainResult, train
from training.trainer import LabelledImages, StepReport, Trainer

REPO = Path(__file__).resolve().parents[2]
#: Tiny runs for the resume tests: they compare weights bit for bit, not accuracy.
TINY = TrainConfig(epochs=2, train_subset=640, val_size=500, batch_size=64)


def test_smoke_run_learns(smoke_run: TrainResult) -> None:
    first, last = smoke_run.history[0], smoke_run.history[-1]
    assert len(smoke_run.history) == SMOKE_CONFIG.epochs and not smoke_run.interrupted
    assert last["train_loss"] < first["train_loss"]
    assert last["val_accuracy"] > 0.85  # chance is 0.10
    assert smoke_run.best_val_accuracy == max(h["val_accuracy"] for h in smoke_run.history)
    assert json.loads((smoke_run.out_dir / "history.json").read_text()) == smoke_run.history


def test_checkpoints_load_with_weights_only_and_rebuild_the_network(smoke_run: TrainResult) -> None:
    for name in (LAST, BEST):
        raw = torch.load(smoke_run.out_dir / name, weights_only=True)
        assert TrainConfig.from_dict(raw["config"]) == SMOKE_CONFIG
    model, config = model_from_checkpoint(load_checkpoint(smoke_run.best_path))
    assert config == SMOKE_CONFIG and not model.training
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


def _weights(out_dir: Path) -> dict[str, torch.Tensor]:
    checkpoint = load_checkpoint(out_dir / LAST)
    return {**{f"model.{k}": v for k, v in checkpoint["model"].items()},
            **{f"deploy.{k}": v for k, v in checkpoint["deploy"].items()}}


def _assert_same_run(a: Path, b: Path) -> None:
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    different = [k for k in wa if not torch.equal(wa[k], wb[k])]
    assert not different, f"weights differ after resume: {different}"
    def history(run: Path) -> list[dict[str, float]]:  # all but the wall time
        return [{k: v for k, v in h.items() if k != "seconds"} for h in load_checkpoint(run / LAST)["history"]]

    assert history(a) == history(b)


@pytest.mark.slow
def test_resume_mid_epoch_matches_an_uninterrupted_run(mnist: Mnist, tmp_path: Path) -> None:
    train(TINY, mnist, tmp_path / "straight", progress=False, threads=THREADS)

    def stop_at_step_3(report: StepReport) -> bool:
        return report.global_step == 3

    stopped = train(TINY, mnist, tmp_path / "resumed", progress=False, on_step=stop_at_step_3, threads=THREADS)
    assert stopped.interrupted and stopped.history == []
    position = load_checkpoint(tmp_path / "resumed" / LAST)
    assert (position["epoch"], position["step"]) == (0, 3)
    finished = train(None, mnist, tmp_path / "resumed", resume=True, progress=False, threads=THREADS)
    assert not finished.interrupted and len(finished.history) == TINY.epochs
    _assert_same_run(tmp_path / "straight", tmp_path / "resumed")


def test_resume_refuses_changed_settings(mnist: Mnist, tmp_path: Path) -> None:
    train(TINY.replace(epochs=1), mnist, tmp_path, progress=False, threads=THREADS,
          on_step=lambda report: report.global_step == 1)
    with pytest.raises(CheckpointError, match="peak_lr"):
        train(TINY.replace(epochs=1, peak_lr=0.1), mnist, tmp_path, resume=True, progress=False)
    with pytest.raises(CheckpointError, match="no checkpoint"):
        train(None, mnist, tmp_path / "empty", resume=True, progress=False)


def test_extra_labelled_images_join_every_epoch(mnist: Mnist) -> None:
    rng = np.random.default_rng(0)
    pen = LabelledImages("pen", rng.random((300, 28, 28), dtype=np.float32), rng.integers(0, 10, 300), repeats=2.5)
    trainer = Trainer(TINY, mnist, [pen], torch.device("cpu"))
    order = trainer.epoch_order(0)
    assert len(order) == 640 + 750 and len(set(order.tolist())) == 640 + 300
    assert (order >= 640).sum() == 750
    assert trainer.data_description["extra"] == [pen.describe()]
    assert not torch.equal(order, trainer.epoch_order(1))
    with pytest.raises(DatasetError, match="labels must be digits"):
        LabelledImages("bad", np.zeros((2, 28, 28), np.float32), np.array([3, 10]))
    with pytest.raises(DatasetError, match=r"pixels must lie in \[0, 1\]"):
        LabelledImages("bad", np.full((2, 28, 28), 255, np.float32), np.array([3, 1]))
    with pytest.raises(DatasetError, match=r"\(N, 28, 28\)"):
        LabelledImages("bad", np.zeros((2, 32, 32), np.float32), np.array([3, 1]))


class StderrWatch:
    """Reads a child's stderr on a thread of its own; `wait_for` waits until a pattern shows up in it."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        self._stream = process.stderr
        self._text = ""
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while chunk := self._stream.read(1):  # tqdm ends its updates with "\r", not a new line
            with self._changed:
                self._text += chunk
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, pattern: str, seconds: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: bool(re.search(pattern, self._text)) or not self._thread.is_alive(),
                                          seconds) and bool(re.search(pattern, self._text))

    def text(self) -> str:
        self._thread.join(60)
        return self._text


@pytest.mark.slow
def test_ctrl_c_leaves_a_checkpoint_that_resumes(mnist_dir: Path, training_command: list[str],
                                                 tmp_path: Path) -> None:
    start = [*training_command, "train", "--data-dir", str(mnist_dir), "--out", str(tmp_path)]
    command = start + ["--epochs", "2", "--train-subset", "3072", "--val-size", "500", "--threads", str(THREADS)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = StderrWatch(process)
    # The second epoch's progress bar has counted a step: Ctrl-C now lands mid-epoch (deadline: a hang only).
    assert stderr.wait_for(r"epoch 2/2:[^\r\n]*\| *[1-9]\d*/\d+", seconds=120), stderr.text()
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    assert process.returncode == 130, stderr.text()
    assert "--resume" in stderr.text()
    checkpoint = torch.load(tmp_path / LAST, weights_only=True)
    assert checkpoint["epoch"] == 1 and checkpoint["step"] > 0

    resumed = subprocess.run(start + ["--resume", "--quiet", "--threads", str(THREADS)], cwd=REPO,
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert len(load_checkpoint(tmp_path / LAST)["history"]) == 2


#: A run long enough to be killed in the middle of an epoch (each takes about a second).
KILLABLE = TrainConfig(epochs=4, train_subset=1280, val_size=500, batch_size=64)


def _train_command(mnist_dir: Path, out: Path, config: TrainConfig) -> list[str]:
    flags = {"epochs": config.epochs, "train-subset": config.train_subset, "val-size": config.val_size,
             "batch-size": config.batch_size}
    return ["train", "--data-dir", str(mnist_dir), "--out", str(out), "--threads", str(THREADS), "--quiet",
            *[part for name, value in flags.items() for part in (f"--{name}", str(value))]]


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_matches_an_uninterrupted_run(mnist: Mnist, mnist_dir: Path,
                                                                    training_command: list[str],
                                                                    tmp_path: Path) -> None:
    """No handler runs on SIGKILL: what survives is the last checkpoint, written atomically."""
    killed = tmp_path / "killed"
    process = subprocess.Popen([*training_command, *_train_command(mnist_dir, killed, KILLABLE)],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (killed / "history.json").exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)  # the first epoch's checkpoint files are written, history.json last
    assert process.poll() is None, process.communicate()
    process.kill()
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    stopped_at = load_checkpoint(killed / LAST)
    assert 1 <= stopped_at["epoch"] < KILLABLE.epochs and stopped_at["step"] == 0  # killed mid-run, not after

    resumed = subprocess.run([*training_command, "train", "--resume", "--out", str(killed),
                              "--data-dir", str(mnist_dir), "--threads", str(THREADS), "--quiet"],
                             cwd=REPO, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    train(KILLABLE, mnist, tmp_path / "straight", progress=False, threads=THREADS)
    _assert_same_run(tmp_path / "straight", killed)
    best = [load_checkpoint(run / BEST)["deploy"]["logits.weight"] for run in (killed, tmp_path / "straight")]
    assert torch.equal(*best)


#: Runs `python -m training` with save_checkpoint made to SIGKILL the process right after it writes last.pt.
KILL_AFTER_LAST_PT = """
import os, signal, sys
from pathlib import Path
import training.trainer
from training.__main__ import main
save = training.trainer.save_checkpoint
def save_then_die(path, checkpoint):
    save(path, checkpoint)
    if Path(path).name == "last.pt":
        os.kill(os.getpid(), signal.SIGKILL)
training.trainer.save_checkpoint = save_then_die
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_a_kill_right_after_last_pt_is_written_leaves_best_pt_up_to_date(mnist: Mnist, mnist_dir: Path,
                                                                         training_command: list[str],
                                                                         subprocess_prelude: str,
                                                                         tmp_path: Path) -> None:
    """best.pt is written before last.pt: once last.pt has an epoch, best.pt has seen it too."""
    killed = tmp_path / "killed"
    script = subprocess_prelude + KILL_AFTER_LAST_PT
    result = subprocess.run([sys.executable, "-c", script, *_train_command(mnist_dir, killed, TINY)],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == -signal.SIGKILL, result.stderr
    last = load_checkpoint(killed / LAST)
    assert last["epoch"] == 1 and load_checkpoint(killed / BEST)["val_accuracy"] == last["best_val_accuracy"]
    resumed = subprocess.run([*training_command, "train", "--resume", "--out", str(killed),
                              "--data-dir", str(mnist_dir), "--threads", str(THREADS), "--quiet"],
                             cwd=REPO, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    train(TINY, mnist, tmp_path / "straight", progress=False, threads=THREADS)
    _assert_same_run(tmp_path / "straight", killed)


def test_a_full_disk_while_checkpointing_is_a_clear_error_and_the_old_checkpoint_stays(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / LAST
    save_checkpoint(path, {"config": {}, "data": {}, "deploy": {}, "epoch": 1})

    def disk_full(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(digitpad.files.os, "fsync", disk_full)
    with pytest.raises(CheckpointError, match=f"cannot write the checkpoint {path}: No space left on device"):
        save_checkpoint(path, {"epoch": 2})
    assert load_checkpoint(path)["epoch"] == 1 and [p.name for p in tmp_path.iterdir()] == [LAST]
