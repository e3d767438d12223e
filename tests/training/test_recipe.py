"""`python -m training recipe`: every stage in order, resumable after Ctrl-C at any stage, settings kept."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import training.recipe
from digitpad.ink.normalize import Normalization
from digitpad.model.classifier import Classifier
from digitpad.model.contract import MetadataKey
from digitpad.personal.profile import Profile
from tests.drawings import mouse_like, seven, zero
from tests.training.conftest import THREADS
from tests.training.drawing_fixtures import write_digits
from training.__main__ import build_parser, main
from training.augment import NO_AUGMENTATION
from training.checkpoint import load_checkpoint
from training.config import PenDrawings, TrainConfig
from training.data import Mnist
from training.errors import CheckpointError, ExportError
from training.recipe import Recipe, RecipeRun, load_or_save_settings, marker, run_recipe
from training.train import train as real_train
from training.trainer import StepReport

SMALL = TrainConfig(epochs=2, train_subset=1024, val_size=500, batch_size=64, augment=NO_AUGMENTATION, bf16=False)


def tiny_recipe(digits: Path) -> Recipe:
    """The recipe's stages at a size a test can afford (seconds each)."""
    pen = SMALL.replace(epochs=2, peak_lr=1e-3, normalization=Normalization(pen=2.5),
                        drawings=PenDrawings(str(digits), copies=2))
    return Recipe(mnist=SMALL, pen=pen)


@pytest.fixture
def digits(tmp_path: Path) -> Path:
    path = tmp_path / "digits.jsonl.gz"
    write_digits(path, writers=5, per_writer=3)
    return path


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[dict[str, Any]]:
    """Record the calls of training.recipe.<name> (its keyword arguments), still calling it."""
    calls: list[dict[str, Any]] = []
    real = getattr(training.recipe, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append({"args": args, **kwargs})
        return real(*args, **kwargs)

    monkeypatch.setattr(training.recipe, name, spy)
    return calls


def _ctrl_c_at(monkeypatch: pytest.MonkeyPatch, stage_folder: str, step: int) -> None:
    """Deliver a real SIGINT during the training stage whose run folder is `stage_folder`, after `step` steps."""
    real = real_train

    def train(config: TrainConfig, mnist: Mnist, folder: Path, **kwargs: Any) -> Any:
        if folder.name == stage_folder:
            on_step: Callable[[StepReport], None] = kwargs["on_step"]

            def interrupting(report: StepReport) -> None:
                on_step(report)
                if report.global_step == step:
                    os.kill(os.getpid(), signal.SIGINT)

            kwargs["on_step"] = interrupting
        return real(config, mnist, folder, **kwargs)

    monkeypatch.setattr(training.recipe, "train", train)


@pytest.mark.slow
def test_an_interrupted_recipe_resumes_where_it_stopped(few_mnist: Mnist, digits: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "my-run"
    recipe = tiny_recipe(digits)
    # Ctrl-C in the middle of the pen stage: the MNIST stage is done, the pen stage saved mid-epoch
    with monkeypatch.context() as patch:
        _ctrl_c_at(patch, "pen", 5)
        outcome = run_recipe(out, few_mnist, recipe=recipe, threads=THREADS, progress=False)
    assert outcome.interrupted
    assert marker(out, "mnist").exists() and not marker(out, "pen").exists()
    assert json.loads((out / "pen" / "history.json").read_text()) == []  # stopped inside its first epoch
    # a crash between stages: the export fails once; the stages before it stay done
    with monkeypatch.context() as patch:
        def crash(*args: Any, **kwargs: Any) -> None:
            raise KeyboardInterrupt

        patch.setattr(training.recipe, "export_checkpoint", crash)
        trains = _spy(patch, "train")
        with pytest.raises(KeyboardInterrupt):
            run_recipe(out, few_mnist, recipe=recipe, threads=THREADS, progress=False)
    assert [call["resume"] for call in trains] == [True]  # only the pen stage ran, from its checkpoint
    assert all(marker(out, stage).exists() for stage in ("mnist", "pen", "interpolate"))
    assert not marker(out, "export").exists() and not (out / "my-run.onnx").exists()
    # the rerun trains nothing more and finishes with the model, its figures and curves
    trains = _spy(monkeypatch, "train")
    outcome = run_recipe(out, few_mnist, recipe=recipe, threads=THREADS, progress=False)
    assert trains == [] and not outcome.interrupted
    assert outcome.model == out / "my-run.onnx" and Classifier(outcome.model).info.name == "my-run"
    for name in ("metrics.json", "model-card.md", "training_curves.png", "confusion_matrix.png", "quantize.json"):
        assert (out / name).stat().st_size > 0, name
    quantized = json.loads((out / "quantize.json").read_text())
    assert Classifier(out / "my-run-int8.onnx").info.name == "my-run" and quantized["agreement"] >= 0.998
    assert outcome.metrics is not None and f"{outcome.metrics['accuracy']:.2%}" in (out / "model-card.md").read_text()
    pen_history = json.loads((out / "pen" / "history.json").read_text())
    assert [entry["epoch"] for entry in pen_history] == [1, 2]


def test_a_run_folder_keeps_its_recipe(digits: Path, tmp_path: Path) -> None:
    recipe = tiny_recipe(digits)
    saved = load_or_save_settings(tmp_path, recipe, "fp32")
    assert saved.mnist.bf16 is False and (tmp_path / "recipe.json").exists()
    assert load_or_save_settings(tmp_path, recipe, None) == saved  # a rerun without flags: the same recipe
    with pytest.raises(CheckpointError, match="another recipe.*mnist"):
        load_or_save_settings(tmp_path, recipe, "bf16")
    with pytest.raises(CheckpointError, match="another recipe.*cv"):
        load_or_save_settings(tmp_path, Recipe(recipe.mnist, recipe.pen, cv=True), None)


def test_cross_validation_adds_a_stage_per_fold_before_the_export(mnist: Mnist, digits: Path, tmp_path: Path) -> None:
    recipe = tiny_recipe(digits)
    progress = training.recipe.Progress(0, enabled=False)
    plain = [stage.name for stage in RecipeRun(recipe, tmp_path, mnist, progress, THREADS).stages()]
    assert plain == ["mnist", "pen", "interpolate", "export", "evaluate", "quantize"]
    with_cv = [stage.name for stage in RecipeRun(Recipe(recipe.mnist, recipe.pen, cv=True), tmp_path, mnist, progress,
                                                  THREADS).stages()]
    assert with_cv == ["mnist", "pen", "interpolate", *(f"cv-fold-{k}" for k in range(5)), "cv-report",
                       "export", "evaluate", "quantize"]



def test_the_command_refuses_a_folder_of_another_recipe(mnist_dir: Path, digits: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    load_or_save_settings(tmp_path, tiny_recipe(digits), "fp32")
    assert main(["recipe", "--out", str(tmp_path), "--quick", "--data-dir", str(mnist_dir), "--quiet"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "another recipe" in error and "Traceback" not in error


def test_distillation_trains_teachers_before_each_student_and_leaves_the_default_alone(
        mnist: Mnist, digits: Path, tmp_path: Path) -> None:
    tiny = tiny_recipe(digits)
    recipe = Recipe(tiny.mnist, tiny.pen, cv=True, distill=2)
    progress = training.recipe.Progress(0, enabled=False)
    stages = RecipeRun(recipe, tmp_path, mnist, progress, THREADS).stages()
    fold_stages = [[f"cv-fold-{k}-teacher-0", f"cv-fold-{k}-teacher-1", f"cv-fold-{k}"] for k in range(5)]
    assert [s.name for s in stages] == ["mnist", "teacher-0", "teacher-1", "pen", "interpolate",
                                        *sum(fold_stages, []), "cv-report", "export", "evaluate", "quantize"]
    assert Recipe.from_dict(recipe.to_dict()) == recipe
    assert "distill" not in tiny.to_dict() and Recipe.from_dict(tiny.to_dict()) == tiny  # as before distillation
    teacher = training.recipe.teacher_config(recipe.pen, 0)
    assert teacher.normalization == Normalization(pen=2.0) and teacher.seed != recipe.pen.seed
    most = len(training.recipe.TEACHER_VARIANTS)  # the command offers as many teachers as there are variants
    assert build_parser().parse_args(["recipe", "--out", "x", "--distill", str(most)]).distill == most
    with pytest.raises(SystemExit):
        build_parser().parse_args(["recipe", "--out", "x", "--distill", str(most + 1)])


@pytest.mark.slow
def test_a_distilled_recipe_teaches_its_student_with_its_teachers(
        few_mnist: Mnist, digits: Path, tmp_path: Path) -> None:
    out = tmp_path / "distilled"
    outcome = run_recipe(out, few_mnist, recipe=tiny_recipe(digits), distill=1, threads=THREADS, progress=False)
    assert not outcome.interrupted and outcome.model is not None and outcome.model.exists()
    assert marker(out, "teacher-0").exists()
    config = TrainConfig.from_dict(load_checkpoint(out / "pen" / "last.pt")["config"])
    assert config.distill is not None
    assert [Path(p) for p in config.distill.teachers] == [(out / "teachers" / "teacher-0" / "last.pt").resolve()]
    assert json.loads((out / "recipe.json").read_text())["distill"] == 1


def _profile(path: Path, samples: int = 6) -> Path:
    """A person whose 7-shaped drawings are 1s (and one 0)."""
    with Profile(path) as profile:
        profile.add_many([(mouse_like(seven(), seed=s), 1) for s in range(samples)] + [(zero(), 0)])
    return path


@pytest.mark.slow
def test_a_recipe_with_a_profile_ends_with_the_model_fine_tuned_on_its_samples(
        few_mnist: Mnist, digits: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(training.recipe, "PERSONAL_STEPS", 60)  # the recipe's 300 take longer than the tiny run
    source = _profile(tmp_path / "me.sqlite3")
    before = source.read_bytes()
    out = tmp_path / "mine"
    recipe = dataclasses.replace(tiny_recipe(digits), int8=False)  # the int8 stage has its own test above
    outcome = run_recipe(out, few_mnist, recipe=recipe, profile=source, threads=THREADS, progress=False)
    assert not outcome.interrupted and outcome.model == out / "mine.onnx"
    assert source.read_bytes() == before  # the person's profile is read, never changed
    with Profile(out / "profile.sqlite3", read_only=True) as copy:
        assert len(copy) == 7
    saved = json.loads((out / "recipe.json").read_text())
    assert saved["profile"] == "profile.sqlite3" and Recipe.from_dict(saved).profile
    personal, general = Classifier(out / "mine.onnx"), Classifier(out / "general.onnx")
    assert personal.info.name == "mine (personal)" and general.info.name == "mine"
    assert json.loads(personal.info.metadata[MetadataKey.PERSONALIZED])["profile_samples"] == 7
    assert MetadataKey.PERSONALIZED not in general.info.metadata
    report = json.loads((out / "personal.json").read_text())
    assert report["samples"] == 7 and report["profile_accuracy_after"] > report["profile_accuracy_before"]
    assert "profile.sqlite3" in (out / "model-card.md").read_text()
    assert marker(out, "personalize").exists() and not (out / "mine-int8.onnx").exists()
    # a resumed run (the app's Resume: the settings it was started with, no --profile) trains nothing more
    source.unlink()
    trains = _spy(monkeypatch, "train")
    outcome = run_recipe(out, few_mnist, recipe=training.recipe.saved_recipe(out), threads=THREADS, progress=False)
    assert not outcome.interrupted and trains == []


def test_a_profile_stage_comes_after_the_export_and_a_profile_is_checked_before_anything_is_made(
        mnist: Mnist, digits: Path, tmp_path: Path) -> None:
    recipe = tiny_recipe(digits)
    progress = training.recipe.Progress(0, enabled=False)
    mine = Recipe(recipe.mnist, recipe.pen, profile=True)
    stages = [stage.name for stage in RecipeRun(mine, tmp_path, mnist, progress, THREADS).stages()]
    assert stages == ["mnist", "pen", "interpolate", "export", "personalize", "evaluate", "quantize"]
    assert "profile" not in recipe.to_dict() and Recipe.from_dict(mine.to_dict()) == mine
    empty = tmp_path / "empty.sqlite3"
    Profile(empty).close()
    with pytest.raises(ExportError, match="holds no samples"):
        run_recipe(tmp_path / "a", mnist, recipe=recipe, profile=empty, threads=THREADS, progress=False)
    assert not (tmp_path / "a").exists()
    # a run started without samples is not changed into one with them
    load_or_save_settings(tmp_path / "b", recipe, "fp32")
    with pytest.raises(CheckpointError, match="another recipe.*profile"):
        run_recipe(tmp_path / "b", mnist, recipe=recipe, profile=_profile(tmp_path / "me.sqlite3"),
                   threads=THREADS, progress=False)
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["recipe.json"]
    # a run whose copy of the samples is gone says so instead of training a model without them
    load_or_save_settings(tmp_path / "c", mine, "fp32")
    with pytest.raises(CheckpointError, match="copy of the samples.*is gone"):
        run_recipe(tmp_path / "c", mnist, recipe=mine, threads=THREADS, progress=False)
