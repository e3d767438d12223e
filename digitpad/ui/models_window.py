"""Models ▸ Your Models: the built-in model and every run in the runs folder, to use, compare, export or delete.

The list is read from the run folders each time it is shown (`digitpad.model.runs`), so runs trained
from the command line into the same folder appear too. The built-in model is first and cannot be
deleted; a stopped run can be resumed from here (in the Train window).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from digitpad.errors import DigitpadError
from digitpad.model.choice import shipped_model_path
from digitpad.model.runs import Run, delete_run, discover_runs, export_run
from digitpad.ui.training_compare import ComparisonView, model_label
from digitpad.ui.training_session import TrainingSession

COLUMNS = ("Name", "Trained", "Kind", "State", "MNIST test", "File")


@dataclass(frozen=True)
class Entry:
    """A row: the built-in model (run None) or a run."""

    model: Path
    run: Run | None = None


class ModelsWindow(QDialog):
    """See the module docstring; `resume` shows a stopped run in the Train window and resumes it."""

    def __init__(self, session: TrainingSession, use_model: Callable[[Path], None],
                 current_model: Callable[[], Path | None], resume: Callable[[Run], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your Models — digitpad")
        self.session, self.use_model, self.current_model, self.resume_run = session, use_model, current_model, resume
        self.message_box: QMessageBox | None = None
        self.entries: list[Entry] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for text, slot in (("Use", self.use), ("Compare Two", self.compare), ("Export…", self.export_dialog),
                           ("Resume", self.resume), ("Delete", lambda: self.delete(ask=True)),
                           ("Refresh", self.refresh)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
            self.buttons[text] = button
        self.status = QLabel(f"Runs folder: {session.root}")
        self.status.setWordWrap(True)
        self.comparison = ComparisonView()
        self.comparison.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.comparison, 1)
        self.resize(900, 560)
        session.measuring.connect(self._measuring)
        session.measured.connect(self._measured)
        session.measure_failed.connect(lambda message: self.status.setText(f"Cannot compare: {message}"))
        session.run_ended.connect(lambda *_: self.refresh())
        self._comparing: list[Path] = []
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        runs = discover_runs(self.session.root)
        self.entries = [Entry(shipped_model_path())] + [Entry(run.model, run) for run in runs]
        current = self.current_model()
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            for column, text in enumerate(self._cells(entry, current)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self._selection_changed()

    def _cells(self, entry: Entry, current: Path | None) -> list[str]:
        in_use = " (in use)" if current is not None and _same(entry.model, current) else ""
        run = entry.run
        if run is None:
            return [f"Built-in model{in_use}", "—", "shipped", "ready", "see its model card", str(entry.model)]
        accuracy = f"{run.mnist_accuracy:.2%}" if run.mnist_accuracy is not None else "—"
        state = run.state(self.session.lock)
        if state == "stopped" and run.usable:  # stopped in the int8 stage: Resume finishes it
            state = "stopped (its model is ready)"
        return [run.name + in_use, run.started.astimezone().strftime("%Y-%m-%d %H:%M"), run.kind,
                state, accuracy, str(run.model if run.usable else run.folder)]

    def selected(self) -> list[Entry]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.entries[row] for row in rows if row < len(self.entries)]

    def select(self, *rows: int) -> None:
        """Select these rows (for a person: click, Ctrl+click)."""
        self.table.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in rows:
            self.table.selectionModel().select(self.table.model().index(row, 0), flags)

    @Slot()
    def _selection_changed(self) -> None:
        chosen = self.selected()
        one = chosen[0] if len(chosen) == 1 else None
        usable = one is not None and (one.run is None or one.run.usable)
        self.buttons["Use"].setEnabled(usable)
        self.buttons["Export…"].setEnabled(usable and one is not None and one.run is not None)
        self.buttons["Delete"].setEnabled(one is not None and one.run is not None
                                          and one.run.state(self.session.lock) != "training")
        self.buttons["Resume"].setEnabled(one is not None and one.run is not None
                                          and one.run.state(self.session.lock) == "stopped")
        self.buttons["Compare Two"].setEnabled(len(chosen) == 2 and all(e.run is None or e.run.usable
                                                                          for e in chosen))

    @Slot()
    def use(self) -> None:
        chosen = self.selected()
        if len(chosen) == 1:
            self.status.setText(f"Switching to {model_label(chosen[0].model)}…")
            self.use_model(chosen[0].model)  # the list shows "(in use)" once the app has it

    def model_switched(self, opened: bool) -> None:
        """The app opened a model (or could not): the list marks the one in use."""
        self.refresh()
        if self.status.text().startswith("Switching to"):
            current = self.current_model()
            self.status.setText(f"digitpad now reads with {model_label(current)}." if opened and current is not None
                                else "digitpad keeps the model it had (the dialog says why).")

    @Slot()
    def compare(self) -> None:
        chosen = self.selected()
        if len(chosen) != 2:
            return
        self._comparing = [entry.model for entry in chosen]
        try:
            self.session.measure(self._comparing)
        except DigitpadError as exc:
            self.status.setText(str(exc))

    @Slot(str)
    def _measuring(self, text: str) -> None:
        if self._comparing:
            self.status.setText(text)

    @Slot(list)
    def _measured(self, figures: list[Any]) -> None:
        if [f.model for f in figures] != self._comparing:
            return  # the Train window's comparison
        self._comparing = []
        self.comparison.show_figures(figures, [model_label(f.model) for f in figures])
        self.comparison.show()
        self.status.setText("Both models measured the same way.")

    @Slot()
    def export_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the model to…")
        if folder:
            self.export(Path(folder))

    def export(self, folder: Path) -> list[Path]:
        chosen = self.selected()
        if len(chosen) != 1 or chosen[0].run is None:
            return []
        try:
            copied = export_run(chosen[0].run, folder)
        except (DigitpadError, OSError) as exc:
            self._error("Cannot export the model", str(exc))
            return []
        self.status.setText("Exported " + ", ".join(p.name for p in copied) + f" to {folder}")
        return copied

    @Slot()
    def resume(self) -> None:
        chosen = self.selected()
        if len(chosen) == 1 and chosen[0].run is not None:
            self.resume_run(chosen[0].run)

    def delete(self, ask: bool) -> None:
        chosen = self.selected()
        if len(chosen) != 1 or chosen[0].run is None:
            return
        run = chosen[0].run
        current = self.current_model()
        if current is not None and _same(run.model, current):
            self._error("Cannot delete the model in use", "Use another model first (the built-in one, say).")
            return
        if ask and QMessageBox.question(self, "Delete this model?", f"Delete {run.name} and its folder "
                                        f"{run.folder}?") != QMessageBox.StandardButton.Yes:
            return
        try:
            delete_run(run, self.session.lock)
        except (DigitpadError, OSError) as exc:
            self._error("Cannot delete the model", str(exc))
            return
        self.status.setText(f"Deleted {run.name}.")
        self.refresh()

    def _error(self, title: str, message: str) -> None:
        self.status.setText(f"{title}: {message}")
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        self.message_box = box
        box.open()


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
