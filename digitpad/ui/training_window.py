"""Models ▸ Train a Model…: name a run, start it, watch it learn, stop and resume it, then compare.

The window shows what the `TrainingSession` says; closing it leaves the run going (Models ▸ Train a
Model… shows it again). When the run ends, the new model and the current one are measured the
same way and shown side by side, with Use This Model, Show Files and Delete.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from digitpad.errors import DigitpadError
from digitpad.model.runs import Run, delete_run, read_run
from digitpad.ui.training_compare import ComparisonView, model_label
from digitpad.ui.training_curves import TrainingCurves
from digitpad.ui.training_session import Choice, TrainingSession

KINDS = (("Quick: a usable model in about 4 minutes (2 + 1 epochs)", True),
         ("Full: the shipped model's recipe (30 + 3 epochs, hours on a laptop)", False))


def default_name() -> str:
    return datetime.now().strftime("model-%Y-%m-%d-%H%M")


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def time_text(record: dict[str, Any], since: float = 0.0) -> str:
    """Elapsed and remaining time of a progress line, `since` seconds after it came."""
    remaining = record.get("remaining_s")
    left = (f", about {duration(remaining - since)} left" if isinstance(remaining, (int, float)) and remaining > since
            else ", finishing the stage" if isinstance(remaining, (int, float)) else ", measuring the speed…")
    return f"{duration(float(record.get('elapsed_s', 0)) + since)} elapsed{left}"


class TrainingWindow(QDialog):
    """See the module docstring; `use_model` asks the app to switch to a model file (`model_switched` follows)."""

    def __init__(self, session: TrainingSession, use_model: Callable[[Path], None],
                 current_model: Callable[[], Path | None], parent: QWidget | None = None,
                 sample_count: Callable[[], int] = lambda: 0) -> None:
        """`sample_count`: how many samples the person has taught (for "include my samples")."""
        super().__init__(parent)
        self.setWindowTitle("Train a Model — digitpad")
        self.session, self.use_model, self.current_model = session, use_model, current_model
        self.sample_count = sample_count
        self.message_box: QMessageBox | None = None
        self.run: Run | None = None  # the run shown (training, stopped or finished)

        self.name = QLineEdit(default_name())
        self.kind = QComboBox()
        for text, quick in KINDS:
            self.kind.addItem(text, quick)
        self.cv = QCheckBox("Also measure it on unseen writers (writer-disjoint cross-validation: 5 more pen stages)")
        self.include_samples = QCheckBox()
        self.include_samples.setToolTip("At the end, fine-tune the model on your taught samples and MNIST digits "
                                        "(as `python -m training personalize` does); the run keeps a copy of them")
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.start)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Kind", self.kind)
        form.addRow("", self.cv)
        form.addRow("", self.include_samples)

        self.stage = QLabel("No training yet.")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.time = QLabel("")
        self._last: tuple[dict[str, Any], float] | None = None  # the last progress line, when it came
        self._clock = QTimer(self)  # the times move on between lines (a stage that renders or evaluates)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self.curves = TrainingCurves()
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the step in progress; the run keeps its checkpoint")
        self.stop_button.clicked.connect(session.stop)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue the run where it stopped")
        self.resume_button.clicked.connect(self.resume)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.comparison = ComparisonView()
        self.use_button = QPushButton("Use This Model")
        self.use_button.clicked.connect(self.use_this_model)
        self.files_button = QPushButton("Show Files")
        self.files_button.clicked.connect(self.show_files)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(lambda: self.delete(ask=True))
        self.result_panel = QWidget()
        result_buttons = QHBoxLayout()
        result_buttons.addStretch()
        for button in (self.use_button, self.files_button, self.delete_button):
            result_buttons.addWidget(button)
        result_layout = QVBoxLayout(self.result_panel)
        result_layout.setContentsMargins(0, 0, 0, 0)
        result_layout.addWidget(self.comparison)
        result_layout.addLayout(result_buttons)
        self.result_panel.hide()

        controls = QHBoxLayout()
        controls.addWidget(self.start_button)
        controls.addStretch()
        controls.addWidget(self.stop_button)
        controls.addWidget(self.resume_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(controls)
        layout.addWidget(self.stage)
        layout.addWidget(self.bar)
        layout.addWidget(self.time)
        layout.addWidget(self.curves, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.result_panel, 1)
        self.resize(900, 640)

        session.progress.connect(self._progress)
        session.state_changed.connect(self._state)
        session.run_ended.connect(self._ended)
        session.measuring.connect(self.status.setText)
        session.measured.connect(self._measured)
        session.measure_failed.connect(self._measure_failed)
        self._count_samples()
        self._state(session.state)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        self._count_samples()  # the person may have taught more since the window was last shown
        super().showEvent(event)

    def _count_samples(self) -> None:
        count = self.sample_count()
        self.include_samples.setText(
            f"Include my samples: fine-tune it on your {count} taught sample{'s' if count != 1 else ''} at the end"
            if count else "Include my samples (none taught yet: teach digitpad some digits first)")
        self._has_samples = count > 0
        if not count:
            self.include_samples.setChecked(False)
        self.include_samples.setEnabled(count > 0 and not self.session.training)

    # -- actions -----------------------------------------------------------------------------

    @Slot()
    def start(self) -> None:
        choice = Choice(self.name.text(), quick=bool(self.kind.currentData()), cv=self.cv.isChecked(),
                        samples=self.include_samples.isChecked())
        try:
            folder = self.session.start(choice)
        except DigitpadError as exc:
            self._error("Cannot start the training", str(exc))
            return
        self._begin(folder)

    def show_run(self, run: Run) -> None:
        """Show a run from Your Models (a stopped one, to resume it)."""
        self.run = run
        self.name.setText(run.name)
        self.stage.setText(f"{run.name}: {run.state(self.session.lock)}")
        self.result_panel.hide()
        self._state(self.session.state)

    @Slot()
    def resume(self) -> None:
        if self.run is None:
            return
        try:
            self.session.resume(self.run)
        except DigitpadError as exc:
            self._error("Cannot resume the training", str(exc))
            return
        self._begin(self.run.folder)

    def _begin(self, folder: Path) -> None:
        self.run = read_run(folder)
        self.curves.clear()
        self.result_panel.hide()
        self.status.setText(f"Training {folder.name} in {folder}")
        self.stage.setText("Copying your samples for the run…" if self.session.state == "preparing"
                           else "Starting (loading MNIST and PyTorch)…")

    @Slot()
    def use_this_model(self) -> None:
        if self.run is not None:
            self.status.setText(f"Switching to {self.run.name}…")
            self.use_model(self.run.model)

    def model_switched(self, opened: bool) -> None:
        """The app opened a model (or could not): say so if it is this run's."""
        current = self.current_model()
        if self.run is not None and current is not None and current.resolve() == self.run.model.resolve():
            self.status.setText(f"digitpad now reads with {self.run.name}.")
            self.use_button.setEnabled(False)
        elif not opened and self.status.text().startswith("Switching to"):
            self.status.setText("digitpad keeps the model it had (the dialog says why).")

    @Slot()
    def show_files(self) -> None:
        if self.run is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.run.folder)))

    def delete(self, ask: bool) -> None:
        if self.run is None:
            return
        current = self.current_model()
        if current is not None and current.resolve() == self.run.model.resolve():
            self._error("Cannot delete the model in use", "Use another model first (the built-in one, say).")
            return
        if ask and QMessageBox.question(self, "Delete this model?",
                                        f"Delete {self.run.name} and its folder {self.run.folder}?") \
                != QMessageBox.StandardButton.Yes:
            return
        try:
            delete_run(self.run, self.session.lock)
        except (DigitpadError, OSError) as exc:
            self._error("Cannot delete the model", str(exc))
            return
        self.status.setText(f"Deleted {self.run.name}.")
        self.run = None
        self.result_panel.hide()
        self._state(self.session.state)

    # -- what the session says ---------------------------------------------------------------

    @Slot(dict)
    def _progress(self, record: dict[str, Any]) -> None:
        steps, step = int(record.get("steps", 0)), int(record.get("step", 0))
        self.bar.setRange(0, max(steps, 1))
        self.bar.setValue(min(step, max(steps, 1)))
        self.stage.setText(f"Stage {record.get('title', record.get('stage', ''))}")
        self.time.setText(time_text(record))
        self._last = (record, time.monotonic())
        if isinstance(record.get("loss"), (int, float)):
            self.curves.add_loss(step, float(record["loss"]), steps)
        if isinstance(record.get("val_accuracy"), (int, float)):
            self.curves.add_accuracy(str(record["stage"]), int(record.get("epoch", 0)), step,
                                     float(record["val_accuracy"]), steps)

    @Slot()
    def _tick(self) -> None:
        if self._last is not None:
            record, when = self._last
            self.time.setText(time_text(record, time.monotonic() - when))

    @Slot(str)
    def _state(self, state: str) -> None:
        training = state in ("preparing", "training", "stopping")
        if training:
            self._clock.start()
        else:
            self._clock.stop()
            self._last = None
        stoppable = state in ("preparing", "training")
        self.start_button.setEnabled(not training)
        self.name.setEnabled(not training)
        self.kind.setEnabled(not training)
        self.cv.setEnabled(not training)
        self.include_samples.setEnabled(self._has_samples and not training)
        self.stop_button.setEnabled(stoppable)
        resumable = self.run is not None and not self.run.finished and not training
        self.resume_button.setEnabled(resumable)
        if state == "stopping":
            self.stage.setText("Stopping after the step in progress (the run keeps its checkpoint)…")

    @Slot(str, str)
    def _ended(self, folder: str, ended: str) -> None:
        self.run = read_run(Path(folder)) if folder else None
        elapsed = self.session.outcome.get("elapsed_s")
        if ended == "finished" and isinstance(elapsed, (int, float)):
            self.time.setText(f"{duration(elapsed)} from start to model")
        else:  # the clock stops where the run stopped: no time left to show
            self.time.setText(self.time.text().split(",")[0])
        if ended == "finished" and self.run is not None:
            self.bar.setValue(self.bar.maximum())
            self.stage.setText(f"Finished: {self.run.name}")
            self.name.setText(default_name() if self.name.text() == self.run.name else self.name.text())
            self._measure_against_current()
        elif ended == "stopped" and self.run is None:
            self.stage.setText("Stopped before the training began.")
        elif ended == "stopped":
            self.stage.setText("Stopped. Resume continues where it stopped.")
        elif self.run is None:  # it failed before it made its run folder (e.g. no MNIST)
            self.stage.setText("The training could not start; Start tries again once that is fixed.")
            self._error("The training could not start", ended)
        else:
            self.stage.setText("The training stopped with an error; Resume continues once it is fixed.")
            self._error("The training stopped", ended)
        self._state(self.session.state)

    def _measure_against_current(self) -> None:
        assert self.run is not None
        models = [self.run.model]
        current = self.current_model()
        if current is not None and current.resolve() != self.run.model.resolve():
            models.append(current)
        try:
            self.session.measure(models)
        except DigitpadError as exc:
            self.status.setText(str(exc))

    @Slot(list)
    def _measured(self, figures: list[Any]) -> None:
        if self.run is None or not figures or figures[0].model.resolve() != self.run.model.resolve():
            return  # a comparison asked for by Your Models
        titles = [f"New: {self.run.name}"] + [f"Current: {model_label(f.model)}" for f in figures[1:]]
        self.comparison.show_figures(figures, titles)
        self.status.setText("Both models measured the same way, in this run of the comparison.")
        self.use_button.setEnabled(True)
        self.result_panel.show()

    @Slot(str)
    def _measure_failed(self, message: str) -> None:
        self.status.setText(f"The comparison could not be measured: {message}")

    def _error(self, title: str, message: str) -> None:
        self.status.setText(f"{title}: {message}")
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        self.message_box = box
        box.open()
