"""'Teach me your hand': a short, optional session that asks for each digit a few times."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from digitpad.ink.drawing import Drawing
from digitpad.ui.canvas import DrawingCanvas
from digitpad.ui.controller import Page
from digitpad.ui.personal import PersonalController

#: Each digit is asked for this many times: enough for the vote to know the person's usual forms.
ROUNDS = 2


class TeachSession(QDialog):
    """Asks for 0-9, ROUNDS times; each drawing is stored when the person moves on with Next."""

    def __init__(self, personal: PersonalController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.personal = personal
        self.setWindowTitle("Teach Me Your Hand — digitpad")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.queue = [digit for _ in range(ROUNDS) for digit in range(10)]
        self.position = 0
        self.taught = 0
        self.drawing = Drawing()
        self.prompt = QLabel()
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = QFont(self.prompt.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        self.prompt.setFont(font)
        self.canvas = DrawingCanvas()
        self.canvas.stroke_finished.connect(self.add_stroke)
        buttons = QDialogButtonBox()
        self.clear_button = QPushButton("&Clear")
        self.next_button = QPushButton("&Next")
        self.next_button.setDefault(True)
        self.skip_button = QPushButton("&Skip")
        buttons.addButton(self.clear_button, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.addButton(self.skip_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.next_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("&Done", QDialogButtonBox.ButtonRole.RejectRole)
        self.clear_button.clicked.connect(self.clear)
        self.skip_button.clicked.connect(self.advance)
        self.next_button.clicked.connect(self.store_and_advance)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(buttons)
        self.resize(420, 520)
        self._show()

    @property
    def digit(self) -> int | None:
        return self.queue[self.position] if self.position < len(self.queue) else None

    def _show(self) -> None:
        self.canvas.set_page(Page(self.drawing))
        self.next_button.setEnabled(self.drawing.ink_bounds() is not None)
        if self.digit is None:
            self.prompt.setText(f"Thank you: {self.taught} digits learnt.")
            self.skip_button.setEnabled(False)
            self.clear_button.setEnabled(False)
            return
        self.prompt.setText(f"Draw a <b>{self.digit}</b> as you usually do ({self.position + 1} of {len(self.queue)})")

    @Slot(object)
    def add_stroke(self, points: np.ndarray) -> None:
        if self.digit is not None:
            self.drawing = self.drawing.with_stroke(np.asarray(points, dtype=np.float64))
        self._show()

    @Slot()
    def clear(self) -> None:
        self.drawing = self.drawing.cleared()
        self._show()

    @Slot()
    def store_and_advance(self) -> None:
        if self.digit is not None and self.drawing.ink_bounds() is not None:
            self.taught += len(self.personal.teach([(self.drawing, self.digit)]))
        self.advance()

    @Slot()
    def advance(self) -> None:
        self.position += 1
        self.drawing = self.drawing.cleared()
        self._show()
