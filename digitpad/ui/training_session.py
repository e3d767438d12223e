"""Where the window's training stands: start, stop, resume a run, then measure models side by side.

The session owns the training subprocess (`TrainingProcess`) and the lock that keeps it the only
training of this user; the windows (`training_window`, `models_window`) only show what it says, so
closing a window never stops a run. Measuring runs `evaluate` and `evaluate-drawings` in another
subprocess, and reads the person's samples in a worker thread; a run that includes them gets its
own copy of the profile, made in a worker thread too: the GUI thread only dispatches.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from digitpad.errors import DigitpadError, TrainingRunError
from digitpad.model.classifier import Classifier
from digitpad.model.contract import MetadataKey
from digitpad.model.runs import PROFILE_FILE, SETTINGS_FILE, Run, TrainingLock, new_run_folder, read_run, runs_folder
from digitpad.personal.model_figures import (
    ModelFigures,
    figures_folder,
    measure_samples,
    measurement_commands,
    read_mnist,
    read_pen,
)
from digitpad.personal.profile import Profile
from digitpad.system import usable_cpu_count
from digitpad.ui.training_process import TrainingProcess

FIGURES_DIR = ".figures"  #: inside the runs folder: each model file's measured figures


@dataclass(frozen=True)
class Choice:
    """What the person asked for in the Train window."""

    name: str
    quick: bool = True
    cv: bool = False
    samples: bool = False  #: include the person's samples: fine-tune on them at the end (`recipe --profile`)


class TrainingSession(QObject):
    """See the module docstring; `state` is idle, preparing (copying the samples), training or stopping."""

    progress = Signal(dict)  # a progress line of the recipe's --progress-json stream
    state_changed = Signal(str)
    run_ended = Signal(str, str)  # the run's folder, and "finished", "stopped" or an error message
    measured = Signal(list)  # [ModelFigures, ...] in the order asked for
    measuring = Signal(str)  # what is being measured now
    measure_failed = Signal(str)
    samples_measured = Signal(list)  # internal: from the worker thread to the GUI thread
    profile_copied = Signal(str, list, str)  # internal: the run's folder, its flags, and '' or why it failed

    def __init__(self, profile: Callable[[], Path | None], command: Sequence[str] | None = None,
                 root: Path | None = None, threads: int | None = None, parent: QObject | None = None) -> None:
        """`profile`: the person's profile file (None: none is open), read by worker threads with their
        own connections, never by this session's GUI thread."""
        super().__init__(parent)
        self.root = root or runs_folder()
        self.lock = TrainingLock(self.root)
        self.profile = profile
        self.threads = threads or max(1, usable_cpu_count() - 1)  # a core left for drawing
        self.process = TrainingProcess(command, self)
        self.process.line.connect(self._line)
        self.process.finished.connect(self._training_finished)
        self.measurer = TrainingProcess(command, self)
        self.measurer.finished.connect(self._measure_step_finished)
        self.samples_measured.connect(self._samples_done)
        self.profile_copied.connect(self._profile_copied)
        self.state = "idle"
        self.run: Path | None = None  # the run being trained (or last trained)
        self.outcome: dict[str, Any] = {}  # the stream's last line (done, stopped or error)
        self._queue: list[list[str]] = []
        self._measuring: list[Path] = []
        self._pid = 0
        self.pen_digits: Path | None = None  #: the pen digits measured (None: the repository's, data/unipen-dev)

    @property
    def command(self) -> list[str]:
        """The `python -m training` command line this session runs (its arguments follow)."""
        return self.process.command

    @command.setter
    def command(self, command: Sequence[str]) -> None:
        self.process.command = self.measurer.command = list(command)

    # -- training ----------------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)

    def start(self, choice: Choice) -> Path:
        """Start a new run; TrainingRunError when the name is taken or another training is going."""
        self._check_free()
        folder = new_run_folder(choice.name, self.root)
        flags = (["--quick"] if choice.quick else []) + (["--cv"] if choice.cv else [])
        if not choice.samples:
            self._launch(folder, flags)
            return folder
        profile = self.profile()
        if profile is None:
            raise TrainingRunError("no profile is open, so there are no samples of yours to include")
        self.run, self.outcome = folder, {}
        self._set_state("preparing")
        threading.Thread(target=self._copy_profile, args=(profile, folder, flags), daemon=True).start()
        return folder

    def _copy_profile(self, profile: Path, folder: Path, flags: list[str]) -> None:
        """Worker thread: the run's own copy of the samples (the recipe reads it, never the live profile)."""
        error = ""
        try:
            with Profile(profile) as source:
                if len(source) == 0:
                    raise TrainingRunError("your profile holds no samples yet: teach digitpad some digits first")
                folder.mkdir(parents=True)
                source.export_to(folder / PROFILE_FILE)
        except (DigitpadError, OSError) as exc:
            error = str(exc)
        self.profile_copied.emit(str(folder), flags, error)

    @Slot(str, list, str)
    def _profile_copied(self, folder: str, flags: list[str], error: str) -> None:
        run = Path(folder)
        if error or self.state != "preparing":  # it failed, or Stop came first
            if not (run / SETTINGS_FILE).exists():  # only what the copy made: no run started in it
                shutil.rmtree(run, ignore_errors=True)
            self.run = None
            self._set_state("idle")
            self.run_ended.emit("", error or "stopped")
            return
        self._launch(run, [*flags, "--profile", str(run / PROFILE_FILE)])

    def resume(self, run: Run) -> None:
        """Continue a stopped run where it stopped (the recipe skips its finished stages)."""
        self._check_free()
        self._launch(run.folder, ["--resume"])  # with the settings it was started with

    def _check_free(self) -> None:
        if self.process.running or self.training:
            raise TrainingRunError(f"{self.run.name if self.run else 'a model'} is training: one run at a time")
        held = self.lock.holder()
        if held is not None:
            raise TrainingRunError(f"a training is in progress ({Path(held['run']).name}, process {held['pid']}, "
                                   "perhaps from another digitpad window or the command line): one run at a time")

    def _launch(self, folder: Path, flags: list[str]) -> None:
        self.run, self.outcome = folder, {}
        folder.parent.mkdir(parents=True, exist_ok=True)
        self.process.start(["recipe", "--out", str(folder), *flags, "--threads", str(self.threads),
                            "--progress-json", "-", "--quiet"])
        self._pid = self.process.pid
        if self._pid:
            self.lock.acquire(folder, self._pid)
        if self.process.running:  # else it failed to start, and `run_ended` said so
            self._set_state("training")

    def stop(self) -> None:
        """Ask the run to stop; it saves a checkpoint after the step in progress and stays resumable."""
        if self.process.running:
            self.process.stop()
            self._set_state("stopping")
        elif self.state == "preparing":
            self._set_state("stopping")  # the copy ends by itself; nothing is started after it

    def stop_and_wait(self, milliseconds: int = 30_000) -> None:
        """At exit: stop the run and give it time to save its checkpoint (then kill it)."""
        if self.process.running:
            self.process.stop()
            if not self.process.wait(milliseconds):
                self.process.kill()
                self.process.wait(5_000)
        self.measurer.kill()

    @property
    def training(self) -> bool:
        return self.state in ("preparing", "training", "stopping")

    @Slot(dict)
    def _line(self, record: dict[str, Any]) -> None:
        if "stage" in record:
            self.progress.emit(record)
        else:
            self.outcome = record

    @Slot(int, str)
    def _training_finished(self, code: int, stderr: str) -> None:
        pid_run = self.run
        self.lock.release(self._pid)
        if self.outcome.get("done"):
            ended = "finished"
        elif self.outcome.get("stopped") or self.state == "stopping":
            ended = "stopped"
        elif "error" in self.outcome:
            ended = str(self.outcome["error"])
        elif code in (0, 130) or (code == -1 and not stderr):  # interrupted, or killed from outside
            ended = "stopped"
        else:
            ended = TrainingProcess.error_message(stderr)
        self._set_state("idle")
        self.run_ended.emit(str(pid_run or ""), ended)

    def finished_run(self) -> Run | None:
        return read_run(self.run) if self.run is not None else None

    # -- measuring ---------------------------------------------------------------------------

    @property
    def figures_root(self) -> Path:
        return self.root / FIGURES_DIR

    def _figures_folder(self, model: Path) -> Path:
        return figures_folder(model, self.figures_root, self.pen_digits)

    def measure(self, models: Sequence[Path]) -> None:
        """Measure each model the same way (MNIST test, pen digits, the person's samples); emits `measured`."""
        if self.measurer.running or self._measuring:
            raise TrainingRunError("a comparison is being measured: wait for it to end")
        self._measuring = [Path(m) for m in models]
        try:
            self._queue = [command for model in self._measuring for command in
                           measurement_commands(model, self._figures_folder(model), self.pen_digits)]
        except OSError as exc:
            self._measuring = []
            raise TrainingRunError(f"cannot measure: {exc}") from None
        self._next_measurement()

    def _next_measurement(self) -> None:
        if self._queue:
            command = self._queue.pop(0)
            what = "MNIST's test set" if command[0] == "evaluate" else "the pen digits"
            model = command[command.index("--model") + 1] if "--model" in command else command[1]
            self.measuring.emit(f"Measuring {Path(model).name} on {what}…")
            self.measurer.start(command)
            return
        self.measuring.emit("Measuring on your samples…")
        threading.Thread(target=self._measure_samples, args=(list(self._measuring), self.profile()),
                         daemon=True).start()

    @Slot(int, str)
    def _measure_step_finished(self, code: int, stderr: str) -> None:
        if code != 0:
            self._queue, self._measuring = [], []
            self.measure_failed.emit(TrainingProcess.error_message(stderr))
            return
        self._next_measurement()

    def _measure_samples(self, models: list[Path], profile: Path | None) -> None:
        """Worker thread: each model alone on the person's samples, and its writer-disjoint figure."""
        samples = []
        if profile is not None:
            try:
                with Profile(profile) as source:  # this thread's own connection
                    samples = [(sample.drawing, sample.label) for sample in source.samples()]
            except (DigitpadError, OSError):
                samples = []
        figures = []
        for model in models:
            folder = self._figures_folder(model)
            try:
                classifier = Classifier(model)
                unseen, mine = classifier.info.drawing_accuracy, measure_samples(classifier, samples)
                trained_on = MetadataKey.PERSONALIZED in classifier.info.metadata
            except (DigitpadError, OSError):
                unseen, mine, trained_on = None, None, False
            figures.append(ModelFigures(model, read_mnist(folder), read_pen(folder), unseen, mine, trained_on))
        self.samples_measured.emit(figures)

    @Slot(list)
    def _samples_done(self, figures: list[Any]) -> None:
        self._measuring = []
        self.measured.emit(figures)
