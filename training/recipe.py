"""The shipped model's whole recipe in one resumable command: `python -m training recipe --out runs/NAME`.

Stages, each leaving its output in the run folder and then a marker `stages/<stage>.done`:

1. `mnist`: the seed network trained on MNIST from random weights          → mnist/best.pt
2. `pen`: fine-tuned from it on MNIST plus rendered pen drawings            → pen/last.pt
3. `interpolate`: WiSE-FT, (1 - w) * stage 1 + w * stage 2                  → model.pt
4. with --cv, `cv-fold-K` for each writer fold: stages 2-3 without that fold's writers, exported
   (cv/fold-K.onnx); then `cv-report`: each fold's model judges its unseen writers → cv/report.json
5. `export`: calibrated ONNX model named after the run folder               → NAME.onnx
6. `evaluate`: MNIST test figures, training curves and the model card       → metrics.json, model-card.md, ...
7. `quantize`: the model in int8, checked against the float model            → NAME-int8.onnx, quantize.json
   (not in the quick recipe)

With --profile FILE ("include my samples" in the app's Train window), the run keeps a copy of the
profile (`profile.sqlite3`, made at its first call: a resumed run uses the samples it started with),
`export` writes the general model to `general.onnx`, and a stage `personalize` fine-tunes it on the
profile's samples as `python -m training personalize` does → NAME.onnx (personal.json: its figures).

With --distill K (issue 15), K teacher stages `teacher-J` (stage 2 varied: seed, input pen width,
augmentation; → teachers/teacher-J/last.pt) come before stage 2, and stage 2 becomes a student taught
by them (`training.distill`); with --cv each fold trains its own teachers without the fold's writers
(`cv-fold-K-teacher-J`), so teachers and student never see the judged writers.

A rerun skips the stages whose marker exists and resumes a training stage from its last
checkpoint, so Ctrl-C, a kill or a power cut costs at most the epoch in progress. The settings
(and the precision chosen for this machine) are kept in `recipe.json`; a rerun with other
settings is refused rather than mixing two recipes in one folder.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import io
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from digitpad.files import write_text_atomically
from digitpad.ink.normalize import Normalization
from digitpad.personal.profile import Profile
from training import unipen
from training.augment import NO_AUGMENTATION, AugmentConfig
from training.checkpoint import BEST, LAST, interpolate_checkpoints
from training.config import Distillation, PenDrawings, TrainConfig
from training.data import Mnist
from training.errors import CheckpointError, ExportError
from training.evaluate import drawings as evaluate_drawings
from training.evaluate.mnist import evaluate_probabilities, probabilities_of, write_report
from training.export import export_checkpoint, read_drawing_accuracy
from training.machine import Precision, choose_precision
from training.personal_model import personalize
from training.quantize import quantize_checked
from training.run_report import read_history, write_curves, write_model_card
from training.train import train
from training.trainer import StepReport

SETTINGS_FILE = "recipe.json"
STAGES_DIR = "stages"
PROFILE_FILE = "profile.sqlite3"  #: with --profile: the run's copy of the person's samples
GENERAL_MODEL = "general.onnx"  #: with --profile: the model before it is fine-tuned on them
PERSONAL_STEPS = 300  #: training steps of the personalize stage (`personalize --steps`' default)


@dataclass(frozen=True)
class Recipe:
    """The settings of every stage; `SHIPPED` is the shipped model's recipe (models/README.md)."""

    mnist: TrainConfig  #: stage 1, from random weights
    pen: TrainConfig  #: stage 2, fine-tuning (its init_from is set to stage 1's best.pt at run time)
    weight: float = 0.7  #: share of the fine-tuned weights in the interpolation (chosen on CV fold 0)
    cv: bool = False  #: measure the drawing accuracy on unseen writers (writer-disjoint folds)
    distill: int = 0  #: teachers trained for distillation (issue 15; 0: the shipped recipe, no teachers)
    profile: bool = False  #: fine-tune the model on the person's samples (the run's PROFILE_FILE) at the end
    int8: bool = True  #: end with the int8 copy (the `quantize` stage); the quick recipe leaves it out

    def with_precision(self, bf16: bool) -> Recipe:
        return dataclasses.replace(self, mnist=self.mnist.replace(bf16=bf16), pen=self.pen.replace(bf16=bf16))

    def with_drawings(self, file: str) -> Recipe:
        assert self.pen.drawings is not None
        return dataclasses.replace(self, pen=self.pen.replace(drawings=dataclasses.replace(self.pen.drawings,
                                                                                          file=file)))

    def to_dict(self) -> dict[str, Any]:
        # Absent when off: older code reads the folder.
        distill = {"distill": self.distill} if self.distill else {}
        profile = {"profile": PROFILE_FILE} if self.profile else {}
        int8 = {} if self.int8 else {"int8": False}
        return {"mnist": self.mnist.to_dict(), "pen": self.pen.to_dict(), "weight": self.weight,
                "cv": self.cv} | distill | profile | int8

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Recipe:
        return cls(TrainConfig.from_dict(raw["mnist"]), TrainConfig.from_dict(raw["pen"]), raw["weight"], raw["cv"],
                   raw.get("distill", 0), bool(raw.get("profile")), raw.get("int8", True) is not False)


_PEN = TrainConfig(epochs=3, peak_lr=1e-3, normalization=Normalization(pen=2.5),
                   drawings=PenDrawings(str(unipen.DEFAULT_PATH)))
#: The shipped model's recipe: 30 epochs on MNIST, 3 on MNIST plus 8 renderings of each pen drawing.
SHIPPED = Recipe(mnist=TrainConfig(), pen=_PEN)
#: A usable model in minutes (issue 20: >= 99.0 % on MNIST in <= 5 minutes from the window, which
#: trains on one core of two): 2 plain epochs on MNIST, then 1 epoch on 20,000 MNIST digits and one
#: rendering of each pen drawing; no int8 copy (the app reads with the float model).
QUICK = Recipe(
    mnist=TrainConfig(epochs=2, augment=NO_AUGMENTATION, ema_decay=0.0, warmup_fraction=0.15),
    pen=_PEN.replace(epochs=1, augment=NO_AUGMENTATION, ema_decay=0.0, train_subset=20_000,
                     drawings=PenDrawings(str(unipen.DEFAULT_PATH), copies=1)),
    int8=False,
)


@dataclass
class Outcome:
    """What a call of `run_recipe` did."""

    out: Path
    interrupted: bool
    model: Path | None = None
    metrics: dict[str, Any] | None = None
    drawing_accuracy: float | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        if self.model is None or self.metrics is None:
            return f"{self.out}: not finished"
        drawing = (f", {self.drawing_accuracy:.2%} of unseen writers' drawings"
                   if self.drawing_accuracy is not None else "")
        return (f"wrote {self.model}: MNIST test accuracy {self.metrics['accuracy']:.2%}{drawing}; "
                f"figures in {self.out} (model-card.md, metrics.json, training_curves.png); "
                f"{self.seconds / 60:.1f} min in this call")


@dataclass
class Stage:
    name: str
    title: str
    run: Callable[[], bool]  #: True when done, False when interrupted (a training stage stopped by Ctrl-C)
    steps: int = 0  #: estimated training steps, for the progress bar (0: not a training stage)


class ProgressStream:
    """`--progress-json`: one JSON object per line, for a program that shows the run (the app's window).

    Lines: `{"stage", "title", "step", "steps", "elapsed_s", "remaining_s", "loss"}` while a stage runs (at
    most every `interval` seconds), `{"stage", "epoch", "epochs", "val_accuracy", ...}` after each epoch of
    a training stage, and last `{"done": true, "model", "mnist_test_accuracy"}`, `{"stopped": true}` or
    `{"error": MESSAGE}`. `remaining_s` is the steps left at the rate measured in this call (null until
    measured); `loss` is the mean training loss of the steps since the line before.
    """

    def __init__(self, stream: IO[str], interval: float = 0.5) -> None:
        self.stream, self.interval = stream, interval
        self.started = time.perf_counter()
        self.last_line = -math.inf
        self.stage, self.title = "", ""
        self.losses: list[float] = []
        self.epochs_told: dict[str, int] = {}  # stage -> epochs already written

    def write(self, record: dict[str, Any]) -> None:
        self.stream.write(json.dumps(record) + "\n")
        self.stream.flush()

    def elapsed(self) -> float:
        return round(time.perf_counter() - self.started, 3)

    def begin(self, stage: str, title: str, step: int, steps: int, rate: float | None) -> None:
        self.stage, self.title, self.losses = stage, title, []
        remaining = round((steps - step) / rate, 1) if rate else None
        self.write({"stage": stage, "title": title, "step": step, "steps": steps, "elapsed_s": self.elapsed(),
                    "remaining_s": remaining})
        self.last_line = time.perf_counter()

    def step(self, step: int, steps: int, rate: float | None, loss: float, force: bool = False) -> None:
        self.losses.append(loss)
        if not force and time.perf_counter() - self.last_line < self.interval:
            return
        remaining = round((steps - step) / rate, 1) if rate else None
        self.write({"stage": self.stage, "title": self.title, "step": step, "steps": steps,
                    "elapsed_s": self.elapsed(), "remaining_s": remaining,
                    "loss": sum(self.losses) / len(self.losses)})
        self.losses, self.last_line = [], time.perf_counter()

    def epochs(self, folder: Path, epochs: int, step: int, steps: int) -> None:
        """The epochs of a training stage that history.json has and this stream has not told yet."""
        history = read_history(folder)
        for entry in history[self.epochs_told.get(self.stage, 0):]:
            self.write({"stage": self.stage, "title": self.title, "step": step, "steps": steps,
                        "elapsed_s": self.elapsed(), "epoch": int(entry["epoch"]), "epochs": epochs,
                        "train_loss": entry.get("train_loss"), "val_accuracy": entry.get("val_accuracy")})
        self.epochs_told[self.stage] = len(history)


class Progress:
    """One bar for the whole recipe, counted in training steps; its remaining time is the estimate."""

    def __init__(self, total: int, enabled: bool, stream: ProgressStream | None = None) -> None:
        self.bar = tqdm(total=total, unit="step", disable=not enabled, dynamic_ncols=True, smoothing=0.05,
                        bar_format="{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} steps "
                                   "[{elapsed} elapsed, about {remaining} left]")
        self.enabled = enabled
        self.stream = stream
        self.steps_done = 0  # the bar's count, kept here too: a disabled tqdm bar does not count
        self.rate_start: tuple[int, float] | None = None  # (steps, time) when this call's first step began

    @property
    def total(self) -> int:
        return int(self.bar.total)

    def stage(self, name: str, title: str) -> None:
        self.bar.set_description_str(title)
        if self.stream is not None:
            self.stream.begin(name, title, self.steps_done, self.total, self.rate())

    def rate(self) -> float | None:
        """Training steps per second in this call (from the second step on: the first includes loading)."""
        if self.rate_start is None:
            return None
        steps, since = self.rate_start
        seconds = time.perf_counter() - since
        return (self.steps_done - steps) / seconds if self.steps_done > steps and seconds > 0 else None

    def on_step(self, estimated: int, folder: Path | None = None, epochs: int = 0) -> Callable[[StepReport], None]:
        """A training stage's on_step: moves the bar, first correcting the estimate to the exact count."""
        start = self.steps_done
        corrected = False
        epoch_seen = -1

        def update(report: StepReport) -> None:
            nonlocal corrected, epoch_seen
            if not corrected:
                self.bar.total += report.total_steps - estimated
                corrected = True
            self.steps_done = start + report.global_step
            self.bar.update(self.steps_done - self.bar.n)
            if self.rate_start is None:
                self.rate_start = (self.steps_done, time.perf_counter())
            if self.stream is not None:
                if folder is not None and report.epoch != epoch_seen:  # the epoch before has its history entry
                    epoch_seen = report.epoch
                    self.stream.epochs(folder, epochs, self.steps_done, self.total)
                self.stream.step(self.steps_done, self.total, self.rate(), report.loss,
                                 force=report.global_step == report.total_steps)

        return update

    def epochs(self, folder: Path, epochs: int) -> None:
        if self.stream is not None:
            self.stream.epochs(folder, epochs, self.steps_done, self.total)

    def skip(self, steps: int) -> None:
        self.bar.update(steps)
        self.steps_done += steps

    def write(self, line: str) -> None:
        if self.enabled:
            tqdm.write(line)

    def close(self) -> None:
        self.bar.close()


def _saved_settings(out: Path) -> Recipe | None:
    """The recipe saved in a run folder, None when it has none yet."""
    path = out / SETTINGS_FILE
    try:
        return Recipe.from_dict(json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{path} is not a recipe's settings ({exc}); use another --out") from None


def check_settings(out: Path, wanted: Recipe, precision: Precision | None = None) -> Recipe | None:
    """The run folder's saved recipe (None for a new run); refused when it is not the one `wanted`."""
    saved = _saved_settings(out)
    if saved is None:
        return None
    wanted = wanted.with_precision(saved.mnist.bf16 if precision is None else choose_precision(precision))
    if wanted != saved:
        changed = [k for k, v in wanted.to_dict().items() if saved.to_dict().get(k) != v]
        changed += [k for k in saved.to_dict() if k not in wanted.to_dict()]
        raise CheckpointError(f"{out} holds a run of another recipe (it differs in: {', '.join(changed)}); "
                              "rerun it with the flags it was started with, or use another --out")
    return saved


def load_or_save_settings(out: Path, wanted: Recipe, precision: Precision | None) -> Recipe:
    """The run folder's recipe: saved at the first call; later calls must ask for the same one."""
    saved = check_settings(out, wanted, precision)
    if saved is not None:
        return saved
    recipe = wanted.with_precision(choose_precision(precision or "auto"))
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomically(out / SETTINGS_FILE, json.dumps(recipe.to_dict(), indent=1) + "\n")
    return recipe


def saved_recipe(out: Path) -> Recipe:
    """The recipe a run folder was started with (`recipe --resume`: continue it without repeating its flags)."""
    saved = _saved_settings(out)
    if saved is None:
        raise CheckpointError(f"{out} holds no run to resume (no {SETTINGS_FILE}): start it without --resume")
    return saved


def _training_steps(config: TrainConfig, pen_images: int) -> int:
    mnist_images = config.train_subset if config.train_subset is not None else 60_000 - config.val_size
    return config.epochs * ((mnist_images + pen_images) // config.batch_size)


def _pen_images(config: TrainConfig, samples: int, hold_out: bool) -> int:
    if config.drawings is None:
        return 0
    kept = samples * (1 - 1 / config.drawings.folds) if hold_out else samples
    extra = config.distill.extra_copies if config.distill is not None else 0
    return int(kept * (config.drawings.copies * config.drawings.repeats + extra))


@contextlib.contextmanager
def _captured_output(path: Path) -> Iterator[None]:
    """The drawing evaluation's printed report goes to a file beside its JSON, not over the bar."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield
    write_text_atomically(path, buffer.getvalue())


# --- distillation (issue 15): the teachers' variations and the student's config ---------------------

#: What makes teacher J differ from stage 2 (and from the others); --distill K takes the first K.
#: Stage 1 (MNIST only) is not a teacher: on fold 0 it made the student read drawings worse
#: (models/README.md, issue 15); the interpolation with it afterwards keeps MNIST's accuracy instead.
TEACHER_VARIANTS: tuple[dict[str, Any], ...] = (
    {"seed": 1, "normalization": Normalization(pen=2.0)},
    {"seed": 2, "normalization": Normalization(pen=3.0)},
    {"seed": 3, "augment": AugmentConfig(rotation_deg=15.0, scale=0.15, shear=0.3, translate_px=3.0,
                                         elastic_px=2.0, thickness=0.6)},
    {"seed": 4},
)


def teacher_config(pen: TrainConfig, j: int) -> TrainConfig:
    """Teacher j: stage 2 (same start, data and fold) with its variation and its own renderings."""
    if not 0 <= j < len(TEACHER_VARIANTS):
        raise CheckpointError(f"--distill takes 1-{len(TEACHER_VARIANTS)} teachers, not {j + 1}")
    assert pen.drawings is not None
    return pen.replace(drawings=dataclasses.replace(pen.drawings, seed=pen.drawings.seed + 10 + j),
                       **TEACHER_VARIANTS[j])


def student_config(pen: TrainConfig, teachers: list[Path]) -> TrainConfig:
    """Stage 2 taught by the teachers."""
    return pen.replace(distill=Distillation(tuple(str(p.resolve()) for p in teachers)))


# ----------------------------------------------------------------------------------------------------


class RecipeRun:
    """The stages of one recipe into one run folder; each stage method returns True when done."""

    def __init__(self, recipe: Recipe, out: Path, mnist: Mnist, progress: Progress, threads: int | None) -> None:
        self.recipe, self.out, self.mnist, self.progress, self.threads = recipe, out, mnist, progress, threads
        self.name = out.resolve().name
        self.seed_weights = out / "mnist" / BEST
        self.pen = recipe.pen.replace(init_from=str(self.seed_weights.resolve()))
        self.samples = len(unipen.load_samples(self.pen.drawings.file)) if self.pen.drawings is not None else 0
        self.model = out / f"{self.name}.onnx"
        self.cv_report_path = out / "cv" / "report.json"
        self.folds = self.pen.drawings.folds if recipe.cv and self.pen.drawings is not None else 0

    def stages(self) -> list[Stage]:
        mnist_steps = _training_steps(self.recipe.mnist, 0)
        pen_steps = _training_steps(self.pen, _pen_images(self.pen, self.samples, hold_out=False))
        fold_steps = _training_steps(self.pen, _pen_images(self.pen, self.samples, hold_out=True))
        student, student_steps = self.student(self.pen, self.out / "teachers", hold_out=False)
        fold_student_steps = self.student(self.fold_config(0), self.out, hold_out=True)[1] if self.folds else 0
        return [
            Stage("mnist", "1 MNIST", lambda: self.train(self.recipe.mnist, self.out / "mnist", mnist_steps),
                  mnist_steps),
            *self.teacher_stages(self.pen, self.out / "teachers", "", "2", pen_steps),
            Stage("pen", "2 pen drawings", lambda: self.train(student, self.out / "pen", student_steps),
                  student_steps),
            Stage("interpolate", "3 interpolation", self.interpolate),
            *(stage for k in range(self.folds) for stage in [
                *self.teacher_stages(self.fold_config(k), self.fold_folder(k), f"cv-fold-{k}-",
                                     f"4 cross-validation, fold {k + 1}/{self.folds},", fold_steps),
                Stage(f"cv-fold-{k}", f"4 cross-validation, fold {k + 1}/{self.folds}",
                      functools.partial(self.cv_fold, k, fold_student_steps), fold_student_steps)]),
            *([Stage("cv-report", "4 cross-validation report", self.cv_report)] if self.folds else []),
            Stage("export", "5 export", self.export),
            *([Stage("personalize", "5 fine-tuning on your samples", self.personalize)] if self.recipe.profile else []),
            Stage("evaluate", "6 evaluation", self.evaluate),
            *([Stage("quantize", "7 int8", self.quantize)] if self.recipe.int8 else []),
        ]

    def teacher_paths(self, folder: Path) -> list[Path]:
        return [folder / f"teacher-{j}" / LAST for j in range(self.recipe.distill)]

    def teacher_stages(self, pen: TrainConfig, folder: Path, prefix: str, title: str, steps: int) -> list[Stage]:
        """Distillation's teachers of one student (the shipped one or a fold's); none without --distill."""
        return [Stage(f"{prefix}teacher-{j}", f"{title} teacher {j + 1}/{self.recipe.distill}",
                      functools.partial(self.train, teacher_config(pen, j), path.parent, steps), steps)
                for j, path in enumerate(self.teacher_paths(folder))]

    def student(self, pen: TrainConfig, teachers: Path, hold_out: bool) -> tuple[TrainConfig, int]:
        """Stage 2's config (taught by the teachers in `teachers` with --distill) and its training steps."""
        config = student_config(pen, self.teacher_paths(teachers)) if self.recipe.distill else pen
        return config, _training_steps(config, _pen_images(config, self.samples, hold_out))

    def fold_folder(self, k: int) -> Path:
        return self.out / "cv" / f"fold-{k}"

    def fold_config(self, k: int) -> TrainConfig:
        """Stage 2 without the writers of fold k."""
        assert self.pen.drawings is not None
        return self.pen.replace(drawings=dataclasses.replace(self.pen.drawings, hold_out_fold=k))

    def train(self, config: TrainConfig, folder: Path, steps: int) -> bool:
        """A training stage, resumed from its last.pt if an earlier call got that far."""
        result = train(config, self.mnist, folder, resume=(folder / LAST).exists(), threads=self.threads,
                       on_step=self.progress.on_step(steps, folder, config.epochs), progress=False)
        self.progress.epochs(folder, config.epochs)
        for entry in result.history:
            if "val_accuracy" in entry:
                self.progress.write(f"  {folder.name} epoch {entry['epoch']:.0f}/{config.epochs}: "
                                    f"validation accuracy {entry['val_accuracy']:.4f}")
        return not result.interrupted

    def interpolate(self) -> bool:
        interpolate_checkpoints(self.seed_weights, self.out / "pen" / LAST, self.recipe.weight, self.out / "model.pt")
        return True

    def fold_model(self, k: int) -> Path:
        return self.out / "cv" / f"fold-{k}.onnx"

    def cv_fold(self, k: int, steps: int) -> bool:
        """Stages 2-3 without the writers of fold k, exported for the drawing evaluation."""
        folder = self.fold_folder(k)
        config = self.student(self.fold_config(k), folder, hold_out=True)[0]  # with its own teachers
        if not self.train(config, folder, steps):
            return False
        interpolate_checkpoints(self.seed_weights, folder / LAST, self.recipe.weight, folder / "model.pt")
        export_checkpoint(folder / "model.pt", self.fold_model(k), self.mnist, name=f"{self.name} fold {k}")
        return True

    def cv_report(self) -> bool:
        """Each fold's model judges the drawings of the writers it was trained without."""
        assert self.pen.drawings is not None
        parser = argparse.ArgumentParser()
        evaluate_drawings.add_arguments(parser)
        args = parser.parse_args([self.pen.drawings.file, "--out", str(self.cv_report_path.parent),
                                  "--folds", str(self.folds),
                                  "--fold-models", *(str(self.fold_model(k)) for k in range(self.folds))])
        with _captured_output(self.out / "cv" / "report.txt"):
            evaluate_drawings.run(args)
        return True

    def drawing_accuracy(self) -> float | None:
        return read_drawing_accuracy(self.cv_report_path) if self.folds else None

    def export(self) -> bool:
        target = self.out / GENERAL_MODEL if self.recipe.profile else self.model
        export_checkpoint(self.out / "model.pt", target, self.mnist, name=self.name,
                          drawing_accuracy=self.drawing_accuracy())
        return True

    def personalize(self) -> bool:
        """The general model fine-tuned on the person's samples (the run's copy of the profile)."""
        report = personalize(self.out / GENERAL_MODEL, self.out / PROFILE_FILE, self.model, self.mnist,
                             steps=PERSONAL_STEPS)
        write_text_atomically(self.out / "personal.json", json.dumps(dataclasses.asdict(report) | {
            "path": str(report.path), "steps": PERSONAL_STEPS}, indent=1) + "\n")
        self.progress.write(report.summary())
        return True

    def evaluate(self) -> bool:
        """The model card's figures: MNIST test metrics and plots, training curves, model-card.md."""
        mnist, out = self.mnist, self.out
        evaluation = evaluate_probabilities(probabilities_of(self.model, mnist.test_images), mnist.test_labels)
        write_report(evaluation, mnist.test_images, mnist.test_labels, out, source=str(self.model))
        write_curves(out / "training_curves.png", {"1 MNIST": out / "mnist", "2 pen drawings": out / "pen"})
        write_model_card(out / "model-card.md", self.name, self.model, evaluation, self.recipe.to_dict(),
                         stage_seconds(out), self.drawing_accuracy())
        return True

    def quantize(self) -> bool:
        """The int8 model (training/quantize.py): calibrated on the run's training digits, checked on the test set
        and, when the run read pen drawings, on all of them. An int8 model that strays from the float one is
        not written, and says why in quantize.json: the float model is the run's model, so the run still ends."""
        drawings = self.pen.drawings.file if self.pen.drawings is not None else None
        try:
            report = quantize_checked(self.model, self.out / f"{self.name}-int8.onnx", self.mnist, self.recipe.mnist,
                                      drawings)
        except ExportError as exc:
            write_text_atomically(self.out / "quantize.json", json.dumps({"refused": str(exc)}, indent=1) + "\n")
            self.progress.write(f"no int8 model: {exc}")
            return True
        write_text_atomically(self.out / "quantize.json", json.dumps(report.as_dict(), indent=1) + "\n")
        self.progress.write(report.summary())
        return True


def marker(out: Path, stage: str) -> Path:
    return out / STAGES_DIR / f"{stage}.done"


def stage_seconds(out: Path) -> dict[str, float]:
    """Wall time of every finished stage, as its marker recorded it (the call that finished it)."""
    seconds = {}
    for path in sorted((out / STAGES_DIR).glob("*.done"), key=lambda p: p.stat().st_mtime_ns):  # in run order
        with contextlib.suppress(OSError, ValueError, KeyError):
            seconds[path.stem] = float(json.loads(path.read_text())["seconds"])
    return seconds


def copy_profile(profile: Path, out: Path) -> None:
    """The run's own copy of the person's samples (PROFILE_FILE), made once: a profile that is no
    profile, or holds no samples, is refused before anything is trained."""
    target = out / PROFILE_FILE
    if target.exists() and (profile.resolve() == target.resolve() or (out / SETTINGS_FILE).exists()):
        return  # the app exported it there itself, or a rerun of a run that has its copy
    with Profile(profile, read_only=True) as source:  # never created, never changed
        if len(source) == 0:
            raise ExportError(f"{profile} holds no samples: there is nothing of yours to include")
        out.mkdir(parents=True, exist_ok=True)
        source.export_to(target)


def run_recipe(out: str | Path, mnist: Mnist, *, quick: bool = False, cv: bool = False,
               drawings: str | Path | None = None, precision: Precision | None = None,
               threads: int | None = None, progress: bool = True, recipe: Recipe | None = None,
               distill: int = 0, profile: str | Path | None = None,
               stream: ProgressStream | None = None) -> Outcome:
    """Run (or continue) the recipe into `out`; see the module docstring.

    `recipe` replaces the shipped or quick one (tests use a tiny recipe); `drawings` the pen file;
    `distill` trains that many teachers and makes stage 2 their student (issue 15); `profile` a
    profile file whose samples the model is fine-tuned on at the end; `stream` gets the progress as
    JSON lines (`--progress-json`), its last line written by the caller.
    """
    started = time.perf_counter()
    out = Path(out)
    wanted = recipe or (QUICK if quick else SHIPPED)
    wanted = dataclasses.replace(wanted, cv=cv or wanted.cv, distill=distill or wanted.distill,
                                 profile=profile is not None or wanted.profile)
    if drawings is not None:
        wanted = wanted.with_drawings(str(drawings))
    check_settings(out, wanted, precision)
    if profile is not None:
        copy_profile(Path(profile), out)
    recipe = load_or_save_settings(out, wanted, precision)
    if recipe.profile and not (out / PROFILE_FILE).is_file():
        raise CheckpointError(f"{out / PROFILE_FILE}, the run's copy of the samples it includes, is gone: "
                              "start a new run")
    bar = Progress(0, progress, stream)
    stages = RecipeRun(recipe, out, mnist, bar, threads).stages()
    bar.bar.total = sum(stage.steps for stage in stages)
    bar.write(f"{out}: {len(stages)} stages, {bar.bar.total:,} training steps, "
              f"{'bfloat16' if recipe.mnist.bf16 else 'float32'} forward pass; "
              "the bar's estimate counts training steps (rendering, export and evaluation add about a minute)")
    try:
        for stage in stages:
            if marker(out, stage.name).exists():
                bar.skip(stage.steps)
                continue
            bar.stage(stage.name, stage.title)
            stage_start = time.perf_counter()
            if not stage.run():
                return Outcome(out, interrupted=True, seconds=time.perf_counter() - started)
            marker(out, stage.name).parent.mkdir(exist_ok=True)
            write_text_atomically(marker(out, stage.name),
                                  json.dumps({"seconds": time.perf_counter() - stage_start}) + "\n")
    finally:
        bar.close()
    name = out.resolve().name
    metrics = json.loads((out / "metrics.json").read_text())
    accuracy = read_drawing_accuracy(out / "cv" / "report.json") if recipe.cv else None
    return Outcome(out, False, out / f"{name}.onnx", metrics, accuracy, time.perf_counter() - started)
