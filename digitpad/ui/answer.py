"""The big answer: the digit read, how sure the model is, or an honest prompt.

Three states and nothing in between: a prompt (blank canvas, no model), a confident digit, or
"not sure" with the best guess shown as a guess. The threshold is `CONFIDENCE_THRESHOLD`.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from digitpad.reading.prediction import CONFIDENCE_THRESHOLD, Prediction, percent
from digitpad.ui.chart import mix

#: The answer's font size as a multiple of the app font's.
DIGIT_SCALE = 5.0


def samples_note(prediction: Prediction) -> str:
    """What the person's samples did to this answer, for its caption ('' when they changed nothing seen).

    A changed digit says what the model alone read; a sure answer of the model's that the samples
    made unsure says so too, with the model's own confidence."""
    alone = prediction.network_probabilities
    if alone is None:
        return ""
    own = int(alone.argmax())
    if own != prediction.digit:
        return f" · from your samples (the model alone: {own})"
    if float(alone[own]) >= CONFIDENCE_THRESHOLD and not prediction.confident:
        return f" · unsure because of your samples (the model alone: {percent(float(alone[own]))} sure)"
    return ""


class AnswerView(QWidget):
    """A large digit over a one-line caption."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.digit_label = QLabel()
        self.digit_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.digit_label.setAccessibleName("Answer")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * DIGIT_SCALE)
        font.setBold(True)
        self.digit_label.setFont(font)
        self.caption_label = QLabel()
        self.caption_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption_label.setWordWrap(True)
        self.caption_label.setAccessibleName("How sure")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.digit_label)
        layout.addWidget(self.caption_label)
        self._muted = False
        self.show_prompt("Draw a digit")

    @property
    def answer(self) -> str:
        return self.digit_label.text()

    @property
    def caption(self) -> str:
        return self.caption_label.text()

    def show_prompt(self, caption: str) -> None:
        """Nothing to read: no digit at all, never a guess."""
        self._set("–", caption, muted=True)

    def show_prediction(self, prediction: Prediction, where: str = "") -> None:
        """The digit and how sure; `where` prefixes the caption (which digit of a number it is).

        When the person's samples changed the answer, the caption says so and what the model alone read."""
        digit, confidence = prediction.digit, prediction.confidence
        source = samples_note(prediction)
        if prediction.confident:
            self._set(str(digit), f"{where}{percent(confidence)} sure{source}", muted=False)
            return
        order = prediction.probabilities.argsort()[::-1]
        runner_up = int(order[1])
        second = percent(float(prediction.probabilities[runner_up]))
        caption = f"{where}Not sure: {digit} ({percent(confidence)}) or {runner_up} ({second}){source}"
        self._set(f"{digit}?", caption, muted=True)

    def _set(self, answer: str, caption: str, muted: bool) -> None:
        self.digit_label.setText(answer)
        self.caption_label.setText(caption)
        self.digit_label.setAccessibleDescription(caption)
        self._muted = muted
        self._recolor()

    def _recolor(self) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        color = mix(palette.color(QPalette.ColorRole.Window), text, 0.45) if self._muted else text
        digit_palette = self.digit_label.palette()
        digit_palette.setColor(QPalette.ColorRole.WindowText, color)
        self.digit_label.setPalette(digit_palette)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == event.Type.PaletteChange:
            self._recolor()
        super().changeEvent(event)
