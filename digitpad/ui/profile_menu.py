"""The window's part of personalization: digit keys and clicks under the bars teach, a Profile menu.

`digitpad.ui.personal` holds the profile controller (storing, forgetting, undo); this module wires it
into the main window's widgets, which it is given, so that it needs nothing of the window's class.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from digitpad.ink.drawing import Drawing
from digitpad.ui.answer import AnswerView
from digitpad.ui.chart import ProbabilityChart
from digitpad.ui.controller import Recognition, RecognitionController
from digitpad.ui.number_view import NumberView
from digitpad.ui.personal import PersonalController
from digitpad.ui.profile_window import ProfileWindow
from digitpad.ui.settings import AppSettings
from digitpad.ui.teach_session import TeachSession


def _say_when_samples_decided(answer: AnswerView, recognition: Recognition) -> None:
    """When the person's samples changed the answer, the caption says so and what the model alone read.

    Connected after the window's own handler, so it adds to the caption that handler just set.
    """
    prediction = recognition.prediction
    if prediction is None or prediction.network_probabilities is None:
        return
    alone = int(prediction.network_probabilities.argmax())
    if alone != prediction.digit:
        answer.caption_label.setText(f"{answer.caption} · from your samples (the model alone: {alone})")


def ink_to_teach(controller: RecognitionController, number_view: NumberView) -> Drawing | None:
    """The ink a correction is about: the selected digit's strokes in a number, else the drawing;
    None for an opened image (it has no strokes to store)."""
    page = controller.page
    if page.is_image:
        return None
    drawing = page.drawing
    if len(number_view.number.digits) < 2 or number_view.current is None:
        return drawing
    pieces = number_view.number.digits[number_view.current].pieces
    return Drawing([drawing.strokes[i] for i in pieces], drawing.width, drawing.height, drawing.pen_width)


def install(
    window: QMainWindow, personal: PersonalController, chart: ProbabilityChart, answer: AnswerView,
    number_view: NumberView, settings: AppSettings | None = None,
) -> QMenu:
    """Digit keys and chart clicks correct the answer; a Profile menu opens the session and the window."""
    controller = personal.controller

    def correct(label: int) -> None:
        drawing = ink_to_teach(controller, number_view)
        if drawing is None:
            window.statusBar().showMessage("Only drawings can be taught (an opened image has no strokes).", 5000)
            return
        if personal.correct(drawing, label):
            note = f" Kept, but {personal.notice}." if personal.notice else " Undo takes it back."
            window.statusBar().showMessage(f"Learnt: this is a {label}.{note}", 8000)

    for digit in range(10):
        action = QAction(f"This Is a {digit}", window)
        action.setShortcuts([QKeySequence(Qt.Key(Qt.Key.Key_0 + digit))])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _=False, d=digit: correct(d))
        window.addAction(action)
    chart.digit_clicked.connect(correct)
    chart.setToolTip("Wrong? Click the right digit (or press its key) to teach digitpad your hand.")
    personal.message.connect(lambda text: window.statusBar().showMessage(text, 8000))
    controller.recognized.connect(lambda recognition: _say_when_samples_decided(answer, recognition))

    menu = QMenu("&Profile", window)
    menus = window.menuBar().actions()
    if menus:  # before Help, which stays last
        window.menuBar().insertMenu(menus[-1], menu)
    else:
        window.menuBar().addMenu(menu)
    session = menu.addAction("&Teach Me Your Hand…")
    session.setStatusTip("Draw each digit a few times so that digitpad learns how you write them")
    session.triggered.connect(lambda: TeachSession(personal, window).open())
    manage = menu.addAction("Your &Samples…")
    manage.setStatusTip("See, delete, export or import the digits you taught digitpad")
    manage.triggered.connect(lambda: ProfileWindow(personal, window, settings).open())
    return menu
