"""Two (or more) models' figures in one table, each measured the same way (`digitpad.personal.model_figures`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from digitpad.model.choice import shipped_model_path
from digitpad.personal.model_figures import Measured, ModelFigures, worse_digits

ROWS = (
    "MNIST test set",
    "Pen digits in data/ (replayed)",
    "Pen digits, unseen writers",
    "Your samples (the model alone)",
    "Gets wrong more often than the other",
)
PEN_NOTE = ("Pen digits (replayed): all the UNIPEN digits in data/, which the recipe's pen stage trains on, so "
            "this is not a measure on new writers. Unseen writers: the writer-disjoint cross-validation figure in "
            "the model's metadata, measured only by a run with cross-validation (—: not measured).")


def model_label(path: Path) -> str:
    try:
        return "Built-in model" if path.resolve() == shipped_model_path().resolve() else path.stem
    except OSError:
        return path.stem


def _measured(value: Measured | None, what: str) -> str:
    if value is None:
        return "—"
    return f"{value.accuracy:.2%} of {value.count:,} {what}"


def figure_texts(figures: Sequence[ModelFigures]) -> list[list[str]]:
    """The table's cells, a column per model, in ROWS order."""
    columns = []
    for k, mine in enumerate(figures):
        others = [f for j, f in enumerate(figures) if j != k]
        worse = worse_digits(mine, others[0]) if len(others) == 1 else []
        worse_text = ", ".join(f"{d} ({a:.1%} vs {b:.1%})" for d, a, b in worse[:4]) or "none"
        columns.append([
            _measured(mine.mnist, "test digits"),
            _measured(mine.pen, "pen digits"),
            f"{mine.unseen_writers:.2%}" if mine.unseen_writers is not None else "— (not cross-validated)",
            (_measured(mine.samples, "samples") + (" (it was trained on them)" if mine.trained_on_samples else "")
             if mine.samples is not None else "— (no samples taught)"),
            worse_text if len(others) == 1 else "—",
        ])
    return columns


class ComparisonView(QWidget):
    """A table: rows are the figures, columns the models."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(len(ROWS), 0)
        self.table.setVerticalHeaderLabels(list(ROWS))
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(True)
        self.note = QLabel(PEN_NOTE)
        self.note.setWordWrap(True)
        self.note.setForegroundRole(self.note.foregroundRole())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.note)
        self.figures: list[ModelFigures] = []

    def show_figures(self, figures: Sequence[ModelFigures], titles: Sequence[str]) -> None:
        self.figures = list(figures)
        self.table.setColumnCount(len(figures))
        self.table.setHorizontalHeaderLabels(list(titles))
        for column, texts in enumerate(figure_texts(figures)):
            for row, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()

    def cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""
