"""The runs folder: runs found from their own files, the one-training lock, delete and export, the figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digitpad.errors import TrainingRunError
from digitpad.model.runs import (
    RUNS_DIR_ENV,
    TrainingLock,
    delete_run,
    discover_runs,
    export_run,
    new_run_folder,
    read_run,
    runs_folder,
)
from digitpad.personal.model_figures import Measured, ModelFigures, measurement_commands, read_mnist, worse_digits

QUICK = {"mnist": {"epochs": 2}, "pen": {"epochs": 1}, "weight": 0.7, "cv": False}


def make_run(root: Path, name: str, recipe: dict[str, object] = QUICK, finished: bool = True) -> Path:
    """A run folder as `python -m training recipe --out` leaves it (only the files the app reads)."""
    folder = root / name
    (folder / "stages").mkdir(parents=True)
    (folder / "recipe.json").write_text(json.dumps(recipe))
    (folder / "stages" / "mnist.done").write_text('{"seconds": 1}')
    if finished:
        (folder / f"{name}.onnx").write_bytes(b"model")
        (folder / "model-card.md").write_text("# card\n")
        (folder / "metrics.json").write_text(json.dumps({"accuracy": 0.9912}))
        (folder / "stages" / "evaluate.done").write_text('{"seconds": 1}')
        (folder / "stages" / "quantize.done").write_text('{"seconds": 1}')
    return folder


def test_runs_are_found_from_their_files_newest_first(tmp_path: Path) -> None:
    old = make_run(tmp_path, "old")
    os.utime(old / "recipe.json", (1_000_000_000, 1_000_000_000))
    make_run(tmp_path, "cli-run", {**QUICK, "mnist": {"epochs": 30}, "pen": {"epochs": 3}, "cv": True})
    make_run(tmp_path, "half", finished=False)
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "recipe.json").write_text("{not json")
    runs = discover_runs(tmp_path)
    assert {run.name for run in runs} == {"cli-run", "half", "old"} and runs[-1].name == "old"
    by_name = {run.name: run for run in runs}
    assert by_name["old"].kind == "quick" and by_name["cli-run"].kind == "full, cross-validated"
    assert by_name["old"].mnist_accuracy == 0.9912 and by_name["old"].model == old / "old.onnx"
    lock = TrainingLock(tmp_path)
    assert by_name["half"].state(lock) == "stopped" and by_name["old"].state(lock) == "finished"
    assert by_name["old"].usable and not by_name["half"].usable
    assert discover_runs(tmp_path / "missing") == []


def test_a_run_stopped_in_its_int8_stage_is_stopped_with_a_usable_model(tmp_path: Path) -> None:
    """A run stopped after its evaluation, in the int8 stage, once showed as finished (no Resume)."""
    folder = make_run(tmp_path, "int8-cut")
    (folder / "stages" / "quantize.done").unlink()
    run = read_run(folder)
    assert run is not None and run.usable and not run.finished
    assert run.state(TrainingLock(tmp_path)) == "stopped"
    assert export_run(run, tmp_path / "out")  # its model can be used and exported meanwhile


def test_a_run_with_the_persons_samples_says_so_in_its_kind(tmp_path: Path) -> None:
    run = read_run(make_run(tmp_path, "mine", {**QUICK, "profile": "profile.sqlite3"}))
    assert run is not None and run.kind == "quick, with your samples"


def test_the_runs_folder_is_per_user_unless_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(RUNS_DIR_ENV, raising=False)
    assert runs_folder().name == "runs" and "digitpad" in str(runs_folder())
    monkeypatch.setenv(RUNS_DIR_ENV, str(tmp_path))
    assert runs_folder() == tmp_path


def test_one_training_at_a_time_and_a_stale_lock_is_taken_over(tmp_path: Path) -> None:
    lock = TrainingLock(tmp_path)
    half = read_run(make_run(tmp_path, "half", finished=False))
    assert half is not None
    lock.acquire(half.folder, os.getpid())
    assert lock.holder() == {"pid": os.getpid(), "run": str(half.folder)} and half.state(lock) == "training"
    with pytest.raises(TrainingRunError, match="in progress.*half"):
        lock.acquire(tmp_path / "other", os.getppid())
    with pytest.raises(TrainingRunError, match="is training"):
        delete_run(half, lock)
    lock.release(os.getpid())
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    lock.path.write_text(json.dumps({"pid": int(gone.stdout), "run": str(half.folder)}))  # a killed training
    assert lock.holder() is None and half.state(lock) == "stopped"
    lock.acquire(tmp_path / "other", os.getpid())  # the stale lock is taken over
    assert lock.holder() is not None


def test_names_delete_and_export(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    run = read_run(make_run(runs, "mine"))
    assert run is not None
    for bad in ("", "../up", "a/b", ".hidden", "mine"):
        with pytest.raises(TrainingRunError):
            new_run_folder(bad, runs)
    assert new_run_folder(" fresh ", runs) == runs / "fresh"
    copied = export_run(run, tmp_path / "out")
    assert sorted(p.name for p in copied) == ["mine-model-card.md", "mine.onnx"]
    assert (tmp_path / "out" / "mine.onnx").read_bytes() == b"model"
    with pytest.raises(TrainingRunError, match="mine.onnx, mine-model-card.md already"):
        export_run(run, tmp_path / "out")  # never over another file
    unfinished = read_run(make_run(runs, "half", finished=False))
    assert unfinished is not None
    with pytest.raises(TrainingRunError, match="no model yet"):
        export_run(unfinished, tmp_path / "out")
    delete_run(run, TrainingLock(runs))
    assert not run.folder.exists() and [r.name for r in discover_runs(runs)] == ["half"]


def test_figures_read_back_and_the_digits_each_model_misses_more(tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"x")
    assert [c[0] for c in measurement_commands(model, tmp_path / "f")] == ["evaluate", "evaluate-drawings"]
    confusion = np.diag([100] * 10)
    confusion[7, 1] = 5  # 7 read as 1
    (tmp_path / "f" / "mnist").mkdir(parents=True)
    (tmp_path / "f" / "mnist" / "metrics.json").write_text(json.dumps({"accuracy": 0.995,
                                                                        "confusion_matrix": confusion.tolist()}))
    measured = read_mnist(tmp_path / "f")
    assert measured is not None and measured.accuracy == 0.995 and measured.count == 1005
    good = (tmp_path / "f" / "mnist" / "metrics.json").read_text()
    assert [c[0] for c in measurement_commands(model, tmp_path / "f")] == ["evaluate-drawings"]
    for bad in ([[1, 2], [3]], [["a"] * 10] * 10, [[-1] * 10] * 10, "text"):
        (tmp_path / "f" / "mnist" / "metrics.json").write_text(json.dumps({"accuracy": 0.5, "confusion_matrix": bad}))
        assert read_mnist(tmp_path / "f") is None
    (tmp_path / "f" / "mnist" / "metrics.json").write_text(good)
    perfect = Measured(1.0, 1000, np.diag([100] * 10))
    mine = ModelFigures(model, measured, None, None, None)
    other = ModelFigures(model, perfect, None, None, None)
    assert worse_digits(mine, other) == [(7, 5 / 105, 0.0)]
    assert worse_digits(other, mine) == []
