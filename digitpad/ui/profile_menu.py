"""The window's part of personalization: digit keys and clicks under the bars teach, a Profile menu.

`digitpad.ui.personal` holds the profile controller (storing, forgetting, undo); this module wires it
into the main window's widgets, which it is given, so that it needs nothing of the window's class.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QWidget

from digitpad.ink.drawing import Drawing
from digitpad.ui.answer import AnswerView
from digitpad.ui.chart import ProbabilityChart
from digitpad.ui.controller import Recognition, RecognitionController
from digitpad.ui.number_view import NumberView
from digitpad.ui.personal import READING_MESSAGE, PersonalController, article
from digitpad.ui.profile_window import ProfileWindow
from digitpad.ui.settings import AppSettings
from digitpad.ui.teach_session import TeachSession


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


class RepeatGuard(QObject):
    """Swallows auto-repeated digit keys in `window`, so that holding a key teaches once.

    Qt flags a repeat (`isAutoRepeat`) where the window system says so, and the digit actions
    ignore those (`setAutoRepeat(False)`). An X server without detectable auto-repeat (Xvfb, some
    remote desktops) sends each repeat as a release and a press with the same timestamp, which Qt
    does not flag: holding 7 once taught 110 samples. A timestamp of 0 is none (Qt's test events,
    some platforms): two such presses are two presses. Installed on the application, it looks only
    at digit keys sent to `window`'s own widgets.
    """

    _KEYS = (QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._released: dict[int, int] = {}  # key -> timestamp of its last release

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in self._KEYS or not isinstance(event, QKeyEvent):
            return False
        key = event.key()
        if not Qt.Key.Key_0 <= key <= Qt.Key.Key_9 or not isinstance(watched, QWidget) \
                or watched.window() is not self._window:
            return False
        if event.type() == QEvent.Type.KeyRelease:
            self._released[key] = event.timestamp()
            return False
        if event.isAutoRepeat() or event.timestamp() and self._released.get(key) == event.timestamp():
            event.accept()  # a ShortcutOverride accepted: no shortcut; the key press is then eaten too
            return True
        return False


def install(
    window: QMainWindow, personal: PersonalController, chart: ProbabilityChart, answer: AnswerView,
    number_view: NumberView, settings: AppSettings | None = None,
) -> QMenu:
    """Digit keys and chart clicks correct the answer; a Profile menu opens the session and the window."""
    controller = personal.controller

    awaiting: dict[str, int] = {}  # the correction whose effect the next answer shows: label, digit index

    def correct(label: int) -> None:
        drawing = ink_to_teach(controller, number_view)
        if drawing is None:
            window.statusBar().showMessage("Only drawings can be taught (an opened image has no strokes).", 5000)
            return
        index = number_view.current if len(number_view.number.digits) > 1 else None
        if personal.correct(drawing, label):
            awaiting.clear()
            awaiting.update(label=label, index=-1 if index is None else index,
                            count=len(number_view.number.digits), already=len(personal.last_taught.already))
            already = " (already one of your samples)" if personal.last_taught.already else ""
            note = f" Kept, but {personal.notice}." if personal.notice else "…"
            window.statusBar().showMessage(f"Learnt: this is {article(label)}{already}.{note}", 8000)

    def show_effect(recognition: Recognition) -> None:
        """After a correction's samples are read: keep the corrected digit selected and say what it reads now."""
        if not awaiting or not personal.idle or not shiboken6.isValid(window):  # a window closed meanwhile
            return
        label, index, count = awaiting["label"], awaiting["index"], awaiting["count"]
        awaiting_already = bool(awaiting["already"])
        awaiting.clear()
        digits = recognition.number.digits
        if index >= 0 and len(digits) == count:
            window.select_digit(index)  # type: ignore[attr-defined]
            now = digits[index].prediction
        elif len(digits) == 1:
            now = digits[0].prediction
        else:
            return
        already = " (already one of your samples)" if awaiting_already else ""
        if personal.notice:
            text = f"Learnt: this is {article(label)}{already}. Kept, but {personal.notice}."
        elif now.digit != label:
            text = (f"Learnt: this is {article(label)}{already}, but it still reads {now.digit}: your other samples "
                    "and the model outvote it.")
        elif not now.confident:
            text = f"Learnt: this is {article(label)}{already}; it reads {label} now, not sure yet."
        else:
            text = f"Learnt: this is {article(label)}{already}. Undo takes it back."
        window.statusBar().showMessage(text, 10_000)

    for digit in range(10):
        action = QAction(f"This Is {article(digit).capitalize()}", window)
        action.setShortcuts([QKeySequence(Qt.Key(Qt.Key.Key_0 + digit))])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setAutoRepeat(False)  # holding a key teaches once, not 20 times a second
        action.triggered.connect(lambda _=False, d=digit: correct(d))
        window.addAction(action)
    application = QApplication.instance()
    if application is not None:
        application.installEventFilter(RepeatGuard(window))
    chart.digit_clicked.connect(correct)
    chart.setToolTip("Wrong? Click the right digit under the bars (or press its key) to teach digitpad your hand; "
                     "in a number it teaches the selected digit.")
    def say(text: str) -> None:
        if shiboken6.isValid(window):  # not after the window closed
            window.statusBar().showMessage(text, 8000)

    def read() -> None:  # the profile is in: "Reading your profile…" is no longer true
        if shiboken6.isValid(window) and window.statusBar().currentMessage() == READING_MESSAGE:
            window.statusBar().clearMessage()

    personal.message.connect(say)
    personal.ready.connect(read)
    if personal.reading:  # the start-up read began before this window could say so
        say(READING_MESSAGE)
    controller.recognized.connect(show_effect)

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
