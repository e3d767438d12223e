"""The profile window: the person's samples per digit, what they fix, and delete/reset/export/import."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from digitpad.errors import DigitpadError
from digitpad.ui.canvas import render_drawing
from digitpad.ui.personal import PersonalController

THUMBNAIL = 56  #: side of a sample's thumbnail, device-independent pixels
PROFILE_FILTER = "digitpad profile (*.sqlite3);;All files (*)"


def effect_text(personal: PersonalController) -> str:
    """'Your samples fix 3 of the 4 answers the model alone got wrong' (each sample judged by the others)."""
    if personal.notice:
        return f"Your samples are not used now: {personal.notice}."
    if personal.personalization is None or not personal.samples:
        return "No samples yet: correct an answer (click the right digit under the bars, or press its key), " \
               "or use Teach Me Your Hand."
    effect = personal.personalization.effect()
    count = f"{effect.samples} sample{'s' if effect.samples != 1 else ''}"
    if effect.samples < 2:
        return f"{count}. With more, this says how many of the model's mistakes they fix."
    text = (f"{count}. Your samples fix {effect.fixed} of the {effect.model_wrong} answers the model alone got "
            f"wrong on them (each sample read with the others).")
    if effect.broken:
        text += f" They make {effect.broken} answer(s) wrong that the model alone got right."
    return text


class ProfileWindow(QDialog):
    def __init__(self, personal: PersonalController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.personal = personal
        self.setWindowTitle("Your Samples — digitpad")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.samples = QListWidget()
        self.samples.setViewMode(QListView.ViewMode.IconMode)
        self.samples.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.samples.setResizeMode(QListView.ResizeMode.Adjust)
        self.samples.setMovement(QListView.Movement.Static)
        self.samples.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.samples.setAccessibleName("Your samples")
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
        layout.addWidget(self.samples, 1)
        layout.addWidget(buttons)
        self.resize(640, 460)
        personal.profile_changed.connect(self.refresh)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        self.summary.setText(effect_text(self.personal))
        self.samples.clear()
        for sample in sorted(self.personal.samples, key=lambda s: (s.label, s.id)):
            icon = QIcon(QPixmap.fromImage(render_drawing(sample.drawing)).scaled(
                THUMBNAIL, THUMBNAIL, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
            item = QListWidgetItem(icon, str(sample.label))
            item.setData(Qt.ItemDataRole.UserRole, sample.id)
            item.setToolTip(f"a {sample.label}, taught {sample.created}")
            self.samples.addItem(item)
        has_samples = bool(self.personal.samples)
        self.delete_button.setEnabled(has_samples)
        self.reset_button.setEnabled(has_samples)
        self.export_button.setEnabled(self.personal.profile is not None)
        self.import_button.setEnabled(self.personal.personalization is not None)

    @Slot()
    def delete_selected(self) -> None:
        ids = [int(item.data(Qt.ItemDataRole.UserRole)) for item in self.samples.selectedItems()]
        if ids:
            self.personal.forget(ids)

    @Slot()
    def ask_reset(self) -> None:
        answer = QMessageBox.question(self, "Reset your profile", "Forget all the digits you taught digitpad?")
        if answer == QMessageBox.StandardButton.Yes:
            self.personal.reset()

    @Slot()
    def ask_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export Profile", "digitpad-profile.sqlite3", PROFILE_FILTER)
        if name:
            self.export_to(Path(name))

    @Slot()
    def ask_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import Profile", "", PROFILE_FILTER)
        if name:
            self.import_from(Path(name))

    def export_to(self, path: Path) -> bool:
        try:
            assert self.personal.profile is not None
            self.personal.profile.export_to(path)
        except DigitpadError as exc:
            QMessageBox.warning(self, "Cannot export the profile", str(exc))
            return False
        return True

    def import_from(self, path: Path) -> bool:
        try:
            self.personal.import_from(path)
        except DigitpadError as exc:
            QMessageBox.warning(self, "Cannot import this profile", f"{exc}\n\nYour profile is unchanged.")
            return False
        return True
