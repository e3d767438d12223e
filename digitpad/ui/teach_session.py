"""'Teach me your hand': a short, optional session that asks for each digit, in an order it says.

Each drawing is read by the model alone (on the personal controller's worker thread) before it is
stored: a drawing the model confidently reads as another digit is stored only if the person says
so. Enter is Next; Done asks before it drops a drawing in progress; the end says what was learnt.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from digitpad.ink.drawing import Drawing
from digitpad.reading.prediction import CONFIDENCE_THRESHOLD, percent
from digitpad.ui.canvas import DrawingCanvas
from digitpad.ui.controller import Page
from digitpad.ui.personal import PersonalController, article

#: Each digit is asked for this many times: enough for the vote to know the person's usual forms.
ROUNDS = 2
#: The order, said to the person before the first digit.
ORDER = "0 to 9, then 0 to 9 again"


class TeachSession(QDialog):
    """Asks for 0-9, ROUNDS times; each drawing is checked, then stored when the person moves on with Next."""

    def __init__(self, personal: PersonalController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.personal = personal
        self.setWindowTitle("Teach Me Your Hand — digitpad")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.queue = [digit for _ in range(ROUNDS) for digit in range(10)]
        self.position = 0
        self.taught = 0
        self.counts = dict.fromkeys(range(10), 0)
        self.drawing = Drawing()
        self._checking: Drawing | None = None  # the drawing the worker is reading for Next
        self.question: QMessageBox | None = None  #: the question being asked, if any (window-modal)
        self.order = QLabel(f"digitpad asks for each digit {ROUNDS} times: {ORDER}.")
        self.order.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt = QLabel()
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt.setWordWrap(True)
        font = QFont(self.prompt.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        self.prompt.setFont(font)
        self.canvas = DrawingCanvas()
        self.canvas.stroke_finished.connect(self.add_stroke)
        buttons = QDialogButtonBox()
        self.clear_button = QPushButton("&Clear")
        self.next_button = QPushButton("&Next")
        self.skip_button = QPushButton("&Skip")
        self.done_button = QPushButton("&Done")
        for button in (self.clear_button, self.skip_button, self.done_button):
            button.setAutoDefault(False)  # Enter is Next, wherever the focus is
        self.next_button.setDefault(True)
        buttons.addButton(self.clear_button, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.addButton(self.skip_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.next_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.done_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.clear_button.clicked.connect(self.clear)
        self.skip_button.clicked.connect(self.advance)
        self.next_button.clicked.connect(self.check_and_store)
        self.done_button.clicked.connect(self.close)
        personal.checked.connect(self._checked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.order)
        layout.addWidget(self.prompt)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(buttons)
        self.resize(440, 560)
        self._show()

    @property
    def digit(self) -> int | None:
        return self.queue[self.position] if self.position < len(self.queue) else None

    def _show(self) -> None:
        self.canvas.set_page(Page(self.drawing))
        has_ink = self.drawing.ink_bounds() is not None
        self.next_button.setEnabled(has_ink and self._checking is None and self.digit is not None)
        if self.digit is None:
            self.prompt.setText(self.summary())
            self.canvas.prompt = "Thank you"
            self.skip_button.setEnabled(False)
            self.clear_button.setEnabled(False)
            self.done_button.setDefault(True)
            return
        self.canvas.prompt = f"Draw one {self.digit} here"
        round_ = self.position // 10 + 1
        self.prompt.setText(f"Draw {'an' if self.digit == 8 else 'a'} <b>{self.digit}</b> as you usually do "
                            f"(round {round_} of {ROUNDS}: {self.position + 1} of {len(self.queue)})")

    def summary(self) -> str:
        """Samples per digit, and what the samples fix for each other (each judged by the others)."""
        taught = ", ".join(f"{d}: {n}" for d, n in self.counts.items() if n)
        lines = [f"Thank you: {self.taught} sample{'s' if self.taught != 1 else ''} learnt"
                 + (f" ({taught})." if taught else ".")]
        personalization = self.personal.personalization
        if personalization is not None and self.taught:
            effect = personalization.effect()
            lines.append(f"Of your {effect.samples} samples the model alone reads {effect.model_wrong} wrong; "
                         f"with the others, your samples fix {effect.fixed} of them.")
        return "<br>".join(lines)

    @Slot(object)
    def add_stroke(self, points: np.ndarray) -> None:
        if self.digit is not None and self._checking is None:
            self.drawing = self.drawing.with_stroke(np.asarray(points, dtype=np.float64))
        self._show()

    @Slot()
    def clear(self) -> None:
        self.drawing = self.drawing.cleared()
        self._show()

    @Slot()
    def check_and_store(self) -> None:
        """Next: read the drawing with the model alone first (off the GUI thread); `_checked` goes on."""
        if self.digit is None or self.drawing.ink_bounds() is None or self._checking is not None:
            return
        self._checking = self.drawing
        self._show()
        self.personal.check(self.drawing)

    @Slot(object, object)
    def _checked(self, drawing: Drawing, probabilities: np.ndarray | None) -> None:
        if drawing is not self._checking or self.digit is None:
            return
        self._checking = None
        asked = self.digit
        if probabilities is not None:
            read = int(np.argmax(probabilities))
            if read != asked and float(probabilities[read]) >= CONFIDENCE_THRESHOLD:
                self._ask(
                    f"digitpad reads this drawing as {article(read)} ({percent(float(probabilities[read]))} sure), "
                    f"and you were asked for {article(asked)}.\n\nStore it as {article(asked)} all the same (your "
                    f"{asked} looks like that), or draw it again?",
                    QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Retry,
                    QMessageBox.StandardButton.Retry, self._confirmed)
                return
        self._store()
        self.advance()

    def _confirmed(self, answer: QMessageBox.StandardButton) -> None:
        if answer == QMessageBox.StandardButton.Save:
            self._store()
            self.advance()
        else:
            self.clear()

    def _ask(self, text: str, buttons: QMessageBox.StandardButton, default: QMessageBox.StandardButton,
             then: Callable[[QMessageBox.StandardButton], None]) -> None:
        """A window-modal question that never blocks the event loop; `then` gets the button pressed."""
        box = QMessageBox(QMessageBox.Icon.Question, "Keep this drawing?", text, buttons, self)
        box.setDefaultButton(default)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.question = box

        def answered() -> None:
            self.question = None
            then(box.standardButton(box.clickedButton()) if box.clickedButton() else QMessageBox.StandardButton.Cancel)

        box.finished.connect(answered)
        box.open()

    def _store(self) -> None:
        digit = self.digit
        if digit is not None and self.drawing.ink_bounds() is not None:
            added = len(self.personal.teach([(self.drawing, digit)]).added)
            self.taught += added
            self.counts[digit] += added

    @Slot()
    def advance(self) -> None:
        self._checking = None
        self.position += 1
        self.drawing = self.drawing.cleared()
        self._show()
        self.canvas.setFocus()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        """Done (or the window's close) with a drawing in progress asks before dropping it."""
        if self.digit is not None and self.drawing.ink_bounds() is not None:
            event.ignore()
            if self.question is None:
                self._ask(f"Store the {self.digit} you drew before closing?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save, self._close_with)
            return
        event.accept()

    def _close_with(self, answer: QMessageBox.StandardButton) -> None:
        if answer == QMessageBox.StandardButton.Cancel:
            return
        if answer == QMessageBox.StandardButton.Save:
            self._store()
        self.drawing = self.drawing.cleared()
        self.close()

    def reject(self) -> None:
        """Escape goes through `closeEvent`, so that it asks as Done does."""
        self.close()
