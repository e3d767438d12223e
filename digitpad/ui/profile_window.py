"""The profile window: the person's samples per digit, what they fix, and delete/reset/export/import.

Each digit's samples sit in a row of their own under a heading ("3 · 2 samples"), each thumbnail
cropped to its ink, so that a digit taught on the wide canvas is as big as one taught alone.

Work over the whole profile runs on Qt's thread pool, never on the GUI thread: an import (thousands
of rows, read and validated) and the measure of what the samples fix (each sample read with all
the others). Their results come back as signals; the window stays responsive meanwhile.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from digitpad.errors import DigitpadError
from digitpad.ink.drawing import Drawing
from digitpad.personal.personalize import Taught, import_profile
from digitpad.personal.profile import Profile
from digitpad.reading.adapt import EFFECT_SAMPLES, Effect
from digitpad.ui.canvas import paint_strokes
from digitpad.ui.personal import PersonalController
from digitpad.ui.settings import AppSettings

THUMBNAIL = 56  #: side of a sample's thumbnail, device-independent pixels
#: Each thumbnail's cell in a digit's row: the thumbnail, its label, a gap.
GRID = QSize(THUMBNAIL + 16, THUMBNAIL + 26)
PROFILE_FILTER = "digitpad profile (*.sqlite3);;All files (*)"
PROFILE_NAME = "digitpad-profile.sqlite3"


def plural(count: int, word: str) -> str:
    """'1 answer', '3 answers'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def ink_thumbnail(drawing: Drawing, side: int = THUMBNAIL, ratio: float = 1.0) -> QPixmap:
    """The drawing's ink, cropped to its box with a margin and scaled to fill a square (black on white)."""
    pixmap = QPixmap(round(side * ratio), round(side * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(QColor(Qt.GlobalColor.white))
    if not drawing.strokes:
        return pixmap
    points = np.concatenate([np.asarray(stroke, dtype=np.float64).reshape(-1, 2) for stroke in drawing.strokes])
    low, high = points.min(axis=0), points.max(axis=0)
    # A margin of one pen width; a dot or a short dash is not blown up past three pen widths.
    extent = max(float((high - low).max()) + 2 * drawing.pen_width, 3.0 * drawing.pen_width)
    center = (low + high) / 2
    painter = QPainter(pixmap)
    painter.translate(side / 2, side / 2)
    painter.scale(side / extent, side / extent)
    painter.translate(-center[0], -center[1])
    paint_strokes(painter, drawing, QColor(Qt.GlobalColor.black))
    painter.end()
    return pixmap


def _fixed_words(fixed: int, wrong: int) -> str:
    if wrong == 1:
        return "they fix it" if fixed else "they do not fix it yet"
    if fixed == 0:
        return "they fix none of them yet"
    return "they fix all of them" if fixed == wrong else f"they fix {fixed} of them"


def effect_text(personal: PersonalController, effect: Effect | None = None) -> str:
    """'The model alone reads 4 of them wrong; they fix 3 of them' (each sample judged by the others).

    `effect`: measured already (the window measures on a worker thread); None measures it now."""
    if personal.notice:
        return f"Your samples are not used now: {personal.notice}."
    if personal.personalization is None or not personal.samples:
        return "No samples yet: correct an answer (click the right digit under the bars, or press its key), " \
               "or use Teach Me Your Hand."
    if effect is None:
        effect = personal.personalization.effect()
    total = len(personal.samples)
    count = plural(total, "sample")
    if effect.samples < 2:
        return f"{count}. With more, this says how many of the model's mistakes they fix."
    # With many samples only the latest are judged (`digitpad.reading.adapt.EFFECT_SAMPLES`): say so.
    capped = EFFECT_SAMPLES <= effect.samples < total
    judged = f" (judged on the latest {effect.samples:,})" if capped else ""
    if effect.model_wrong == 0:
        text = f"{count}{judged}. The model alone reads every one of them right, so there is nothing for them to fix."
    else:
        text = (f"{count}{judged}. The model alone reads {effect.model_wrong} of them wrong; "
                f"{_fixed_words(effect.fixed, effect.model_wrong)} (each sample read with the others).")
    if effect.broken:
        text += f" They make {plural(effect.broken, 'answer')} wrong that the model alone got right."
    return text


def measuring_text(personal: PersonalController) -> str:
    """What the summary says while the measure runs."""
    return f"{plural(len(personal.samples), 'sample')}. Measuring what they fix…"


class _Done(QObject):
    """Carries a task's (number, result or DigitpadError) back to the GUI thread, where it was made."""

    finished = Signal(object)


class _Task(QRunnable):
    """`work()` on Qt's thread pool (which owns and deletes it); `done.finished` gets its result.

    The standard Qt recipe: the QObject that signals is made on the GUI thread, so its receivers
    run there; bound slots of QObjects are disconnected by Qt when their object goes.
    """

    def __init__(self, work: Callable[[], object], number: int = 0) -> None:
        super().__init__()
        self.work = work
        self.number = number
        self.done = _Done()

    def run(self) -> None:
        try:
            result = self.work()
        except DigitpadError as exc:
            result = exc
        except Exception as exc:  # noqa: BLE001 (a worker must always answer: the window waits on it)
            result = DigitpadError(f"unexpected {type(exc).__name__}: {exc}")
        self.done.finished.emit((self.number, result))


def import_task(profile: Path, source: Path) -> _Task:
    """Add `source`'s samples to the profile file `profile`, on a connection of the worker's own."""

    def work() -> Taught:
        with Profile(profile) as own:
            return import_profile(own, source)

    return _Task(work)


class DigitRow(QListWidget):
    """One digit's samples as thumbnails, wrapping onto as many lines as they need, never scrolling."""

    def __init__(self) -> None:
        super().__init__()
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.setGridSize(GRID)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWrapping(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def fit_height(self, width: int) -> None:
        """As tall as its lines of thumbnails at `width`."""
        per_line = max(1, (width - 4) // GRID.width())
        self.setFixedHeight(math.ceil(self.count() / per_line) * GRID.height() + 4)


class ProfileWindow(QDialog):
    def __init__(
        self, personal: PersonalController, parent: QWidget | None = None, settings: AppSettings | None = None
    ) -> None:
        super().__init__(parent)
        self.personal = personal
        self.settings = settings  #: where Export and Import remember their folder
        self.setWindowTitle("Your Samples — digitpad")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.rows: dict[int, DigitRow] = {}
        self.headings: dict[int, QLabel] = {}
        self._groups = QWidget()
        self._groups_layout = QVBoxLayout(self._groups)
        self._groups_layout.setContentsMargins(0, 0, 0, 0)
        self.sample_area = QScrollArea()
        self.sample_area.setWidgetResizable(True)
        self.sample_area.setWidget(self._groups)
        self.sample_area.setAccessibleName("Your samples")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.delete_button = QPushButton("&Delete")
        self.reset_button = QPushButton("&Reset…")
        self.export_button = QPushButton("&Export…")
        self.import_button = QPushButton("&Import…")
        for button in (self.delete_button, self.reset_button, self.export_button, self.import_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        self.delete_button.clicked.connect(self.delete_selected)
        self.reset_button.clicked.connect(self.ask_reset)
        self.export_button.clicked.connect(self.ask_export)
        self.import_button.clicked.connect(self.ask_import)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.sample_area, 1)
        layout.addWidget(buttons)
        self.resize(640, 460)
        self._measured = 0  # measures started: only the latest one's is shown
        self._note = ""  # what the last import skipped, said until the window closes
        self._said = ""
        self.importing = False
        self._importing = ""  # the name of the file being imported
        personal.profile_changed.connect(self.refresh)
        self.refresh()

    def items(self) -> list[QListWidgetItem]:
        """Every sample's thumbnail, digit by digit, oldest first within a digit."""
        return [row.item(k) for _, row in sorted(self.rows.items()) for k in range(row.count())]

    def selected_items(self) -> list[QListWidgetItem]:
        return [item for item in self.items() if item.isSelected()]

    def _say(self, text: str) -> None:
        self._said = text
        self.summary.setText(f"{text} {self._note}".strip())

    @Slot()
    def refresh(self) -> None:
        personalization = self.personal.personalization
        if personalization is not None and len(self.personal.samples) >= 2 and not self.personal.notice:
            self._say(measuring_text(self.personal))
            self._measured += 1
            task = _Task(personalization.effect, self._measured)
            task.done.finished.connect(self._show_effect)
            QThreadPool.globalInstance().start(task)
        else:
            self._say(effect_text(self.personal))
        while self._groups_layout.count():
            taken = self._groups_layout.takeAt(0)
            widget = taken.widget() if taken is not None else None
            if widget is not None:
                widget.deleteLater()
        self.rows.clear()
        self.headings.clear()
        ratio = self.devicePixelRatioF()
        for sample in sorted(self.personal.samples, key=lambda s: (s.label, s.id)):
            row = self.rows.get(sample.label)
            if row is None:
                row = self.rows[sample.label] = DigitRow()
                row.setAccessibleName(f"Your samples of {sample.label}")
            item = QListWidgetItem(QIcon(ink_thumbnail(sample.drawing, THUMBNAIL, ratio)), str(sample.label))
            item.setData(Qt.ItemDataRole.UserRole, sample.id)
            item.setToolTip(f"a {sample.label}, taught {sample.created}")
            row.addItem(item)
        for label, row in sorted(self.rows.items()):
            heading = self.headings[label] = QLabel(f"<b>{label}</b> · {plural(row.count(), 'sample')}")
            self._groups_layout.addWidget(heading)
            self._groups_layout.addWidget(row)
        self._groups_layout.addStretch(1)
        self._fit_rows()
        has_samples = bool(self.personal.samples)
        self.delete_button.setEnabled(has_samples)
        self.reset_button.setEnabled(has_samples)
        self.export_button.setEnabled(self.personal.profile is not None)
        self.import_button.setEnabled(self.personal.personalization is not None and not self.importing)

    @Slot(object)
    def _show_effect(self, answer: tuple[int, object]) -> None:
        number, result = answer
        if number == self._measured and isinstance(result, Effect):
            self._say(effect_text(self.personal, result))

    def _fit_rows(self) -> None:
        width = self.sample_area.viewport().width()
        for row in self.rows.values():
            row.fit_height(width)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._fit_rows()

    @Slot()
    def delete_selected(self) -> None:
        ids = [int(item.data(Qt.ItemDataRole.UserRole)) for item in self.selected_items()]
        if ids:
            self.personal.forget(ids)

    @Slot()
    def ask_reset(self) -> None:
        buttons = QMessageBox.StandardButton
        # No by default: Enter must never wipe what took a person a while to teach.
        answer = QMessageBox.question(self, "Reset your profile", "Forget all the digits you taught digitpad?",
                                      buttons.Yes | buttons.No, buttons.No)
        if answer == buttons.Yes:
            self.personal.reset()

    @Slot()
    def ask_export(self) -> None:
        start = Path(self._last_dir()) / PROFILE_NAME if self._last_dir() else Path(PROFILE_NAME)
        name, _ = QFileDialog.getSaveFileName(self, "Export Profile", str(start), PROFILE_FILTER)
        if name:
            self._remember_dir(Path(name))
            self.export_to(Path(name))

    @Slot()
    def ask_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import Profile", self._last_dir(), PROFILE_FILTER)
        if name:
            self._remember_dir(Path(name))
            self.import_from(Path(name))

    def _last_dir(self) -> str:
        """The folder an export or import last used ("" before the first: the dialog's own choice)."""
        return self.settings.last_dir("profiles") if self.settings is not None else ""

    def _remember_dir(self, file: Path) -> None:
        if self.settings is not None:
            self.settings.set_last_dir("profiles", file)

    def export_to(self, path: Path) -> bool:
        try:
            assert self.personal.profile is not None
            self.personal.profile.export_to(path)
        except DigitpadError as exc:
            QMessageBox.warning(self, "Cannot export the profile", str(exc))
            return False
        return True

    imported = Signal(object)  # Taught, or the DigitpadError that stopped the import

    def import_from(self, path: Path) -> bool:
        """Start importing `path` on a worker thread; `imported` says how it went (a dialog if it failed)."""
        profile = self.personal.profile
        if profile is None or self.personal.personalization is None or self.importing:
            QMessageBox.warning(self, "Cannot import this profile", f"cannot import now: {self.personal.notice}")
            return False
        self.importing = True
        self._importing = path.name
        self.import_button.setEnabled(False)
        self.summary.setText(f"Importing {path.name}…")
        task = import_task(profile.path, path)
        task.done.finished.connect(self.personal.reload)  # first, and even if this window is closed by then
        task.done.finished.connect(self._import_done)
        QThreadPool.globalInstance().start(task)
        return True

    @Slot(object)
    def _import_done(self, answer: tuple[int, object]) -> None:
        _, result = answer
        self.importing = False
        self.import_button.setEnabled(self.personal.personalization is not None)
        if isinstance(result, DigitpadError):
            QMessageBox.warning(self, "Cannot import this profile", f"{result}\n\nYour profile is unchanged.")
        elif isinstance(result, Taught):
            kept = f"; {len(result.already)} already in your profile, kept once" if result.already else ""
            self.personal.message.emit(f"Imported {len(result.added)} sample(s) from {self._importing}{kept}.")
            if result.skipped:
                self._note = f"({result.skipped} unusable row(s) of the imported file were skipped.)"
                self._say(self._said)
        self.imported.emit(result)
