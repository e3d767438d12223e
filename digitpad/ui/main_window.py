"""The main window: canvas left, answer, chart and model input right, menus and status bar.

It takes a `RecognitionController` and shows what it emits. Each menu handler asks for a file and
makes one core call; any problem with a file or a model becomes one clear dialog, and the page
on the canvas stays as it was. As in Qt's application example, the window knows when the drawing
has unsaved changes (the undo stack's clean state, `[*]` in the title) and asks before closing or
opening a file over them.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from digitpad import __version__
from digitpad.errors import DigitpadError, ModelConventionError
from digitpad.ink.drawing_file import load_drawing, save_drawing
from digitpad.ink.image_file import IMAGE_SUFFIXES, read_image
from digitpad.model.choice import model_card_path, shipped_model_path
from digitpad.model.classifier import Classifier, ModelInfo
from digitpad.model.probe import Trial
from digitpad.reading.number import NumberReading
from digitpad.reading.prediction import CONFIDENCE_THRESHOLD
from digitpad.reading.recognizer import Recognizer
from digitpad.ui.answer import AnswerView
from digitpad.ui.canvas import MARGIN as CANVAS_MARGIN
from digitpad.ui.canvas import DrawingCanvas, render_drawing
from digitpad.ui.chart import ProbabilityChart
from digitpad.ui.controller import Page, Recognition, RecognitionController
from digitpad.ui.document_view import DocumentView
from digitpad.ui.elided_label import ElidedLabel
from digitpad.ui.image_writer import save_png
from digitpad.ui.inside_view import InsideWindow
from digitpad.ui.model_input_view import ModelInputView
from digitpad.ui.number_view import NumberView
from digitpad.ui.personal import PersonalController
from digitpad.ui.profile_menu import install as install_personalization
from digitpad.ui.settings import AppSettings
from digitpad.ui.training_menu import ModelsMenu
from digitpad.ui.worker import Outcome, Worker

IMAGE_FILTER = "Images ({})".format(" ".join(f"*{suffix}" for suffix in IMAGE_SUFFIXES))
DRAWING_FILTER = "Drawing JSON (*.json)"
PNG_FILTER = "PNG image (*.png)"
MODEL_FILTER = "ONNX models (*.onnx)"
PROMPT_BLANK = "Write a digit or a number"
PROMPT_NO_INK = "No digit found in this image"
PROMPT_NO_MODEL = "Recognition is off: choose a model with File ▸ Open Model…"
PROMPT_MODEL_FAILED = "The model failed on this input"
CHOOSE_ANOTHER_MODEL = "Another model can be chosen with File ▸ Open Model…"
#: The thread that opens and checks models (a hostile one runs for seconds before its time limit stops it).
MODEL_THREAD = "digitpad-models"
#: Widest and narrowest the column with the answer, the chart and the model input gets (device-independent
#: pixels); it takes a quarter of the window's width between the two, the canvas the rest.
SIDE_WIDTH = 340
SIDE_MIN_WIDTH = 250
#: Qt's QWIDGETSIZE_MAX (no maximum), which PySide6 does not export.
WIDGET_SIZE_MAX = (1 << 24) - 1
#: The canvas's smallest size: its 3:1 paper is then 330 x 110 pixels, still room to write a digit.
CANVAS_MIN_WIDTH, CANVAS_MIN_HEIGHT = 330, 120


def model_summary(info: ModelInfo | None) -> str:
    """'name (file.onnx) · MNIST 99.62% · pen drawings 98.52%' for the status bar (what is known).

    The file name is there because two models may carry the same name (a retrained copy, say)."""
    if info is None:
        return "No model: recognition is off"
    accuracy = f" · MNIST {info.test_accuracy:.2%}" if info.test_accuracy is not None else ""
    drawings = f" · pen drawings {info.drawing_accuracy:.2%}" if info.drawing_accuracy is not None else ""
    feeding = f" · {info.feeding.note()}" if info.feeding is not None else ""  # another convention: how it is fed
    return f"{info.name} ({info.path.name}){accuracy}{drawings}{feeding}"


def about_model_text(info: ModelInfo | None) -> str:
    """What the model is and how well it reads, in words a person uses (HTML for the About box)."""
    if info is None:
        return "<p>No model is loaded, so recognition is off. Choose one with File ▸ Open Model.</p>"
    lines = [f"<b>{html.escape(info.name)}</b> ({html.escape(info.path.name)})"]
    if info.drawing_accuracy is not None:
        lines.append(f"On digits drawn with a pen by people it never saw, it is right "
                     f"{info.drawing_accuracy * 100:.1f} times in 100.")
    if info.test_accuracy is not None:
        lines.append(f"On the MNIST test set of scanned digits: {info.test_accuracy * 100:.1f} in 100.")
    if info.feeding is not None:
        trial = info.feeding.trial
        how = "the way you chose" if info.feeding.chosen else "the way that read MNIST test digits best"
        lines.append(f"It does not keep digitpad's own conventions: digitpad feeds it as "
                     f"{html.escape(info.feeding.description)}, {how}; fed so, it reads {trial.accuracy:.1%} of "
                     f"{trial.count:,} MNIST test digits.")
    lines.append(f"When it is less than {CONFIDENCE_THRESHOLD:.0%} sure of an answer, it says “not sure”.")
    card = model_card_path(info.path)
    if card is not None:
        lines.append(f"How it was trained and measured: its model card, "
                     f"<a href=\"{card.as_uri()}\">{html.escape(card.name)}</a> (opens here, no browser needed).")
    return "<p>The model: " + "<br>".join(lines) + "</p>"


def about_model_details(info: ModelInfo | None) -> str:
    """The training details behind the About box's summary, one click away (plain text)."""
    if info is None:
        return ""
    spec = info.normalization
    lines = [f"File: {info.path}", f"Name: {info.name}"]
    if info.summary:
        lines.append(f"Summary: {info.summary}")
    lines.append(f"Preprocessing: {spec}")
    if info.feeding is not None:
        lines.append(f"Fed as: {info.feeding.note()}")
    lines += [f"{key}: {value}" for key, value in sorted(info.metadata.items()) if len(value) <= 400]
    return "\n".join(lines)


def newest_digit(number: NumberReading) -> int:
    """The digit that holds the newest stroke (the last written), for a drawing; else the first."""
    if not number.digits:
        return 0
    return max(range(len(number.digits)), key=lambda k: max(number.digits[k].pieces, default=-1))


def window_title(file: Path | None) -> str:
    """'seven.json[*] — digitpad', or 'Untitled[*] — digitpad' (Qt shows the [*] as * when modified)."""
    return f"{file.name if file else 'Untitled'}[*] — digitpad"


def caption(text: str) -> QLabel:
    """A small centered heading in the palette's placeholder color."""
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


@dataclass(frozen=True)
class ModelRequest:
    """A model asked for with `open_model`: it comes back with the model thread's outcome."""

    path: Path
    remember: bool  #: the app's choice becomes this model (else the built-in one)


class MainWindow(QMainWindow):
    #: A model asked for with `open_model` has been checked: True when it is in use, False when it
    #: was refused (a dialog says why, and the current model stays).
    model_opened = Signal(bool)

    def __init__(
        self,
        controller: RecognitionController,
        settings: AppSettings,
        startup_error: str | None = None,
        parent: QWidget | None = None,
        startup_notice: str | None = None,
        personal: PersonalController | None = None,
        profile_problem: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.settings = settings
        self.message_box: QMessageBox | None = None  # the last dialog shown, for tests
        self.document_view: DocumentView | None = None  # the last document shown (the model card)
        self.file: Path | None = None  #: the file the drawing was opened from or last saved to: the title
        self._showing_image = False
        self.setWindowTitle(window_title(None))
        self._model_loader = Worker(MODEL_THREAD, latest_wins=True, parent=self)
        self._model_loader.finished.connect(self._model_loaded)
        self.inside: InsideWindow | None = None  # Look Inside, made when first opened
        self.setAcceptDrops(True)

        self.canvas = DrawingCanvas()
        self.answer = AnswerView()
        self.chart = ProbabilityChart()
        self.model_input = ModelInputView()
        self.number_view = NumberView()
        self.number_view.selected.connect(self.select_digit)
        self._create_actions()
        self._create_menus()
        self._create_layout()
        self._create_status_bar()

        self.canvas.stroke_changed.connect(controller.update_stroke)
        self.canvas.stroke_finished.connect(controller.finish_stroke)
        self.canvas.stroke_cancelled.connect(controller.cancel_stroke)
        controller.page_changed.connect(self._show_page)
        controller.recognized.connect(self._show_recognition)
        controller.model_changed.connect(self._show_model)
        controller.recognition_failed.connect(self._show_recognition_failure)
        controller.undo_stack.cleanChanged.connect(self._show_clean)
        controller.model_stopped.connect(self._show_model_stopped)
        controller.stroke_refused.connect(self._show_stroke_refused)

        self._show_page(controller.page)
        self._show_model(controller.model_info)
        if controller.model_info is not None:
            controller.recognize()
        self._restore_settings()
        self._startup_error = startup_error
        self._startup_notice = startup_notice
        if startup_error or startup_notice:
            QTimer.singleShot(0, self._show_startup_error)
        # -- personalization: corrections, the Profile menu (digitpad.ui.profile_menu) --
        self.personal = personal
        if personal is not None:
            install_personalization(self, personal, self.chart, self.answer, self.number_view, settings)
        self.models_menu = ModelsMenu(self, controller, self.open_model, self.model_opened, personal)  # Models menu
        if profile_problem:
            QTimer.singleShot(0, lambda: self._show_error("Your profile cannot be read", profile_problem,
                                                          "digitpad reads with the model alone until you teach it."))

    # -- building ----------------------------------------------------------------------------

    def _create_actions(self) -> None:
        def action(text: str, slot: object, shortcuts: list[QKeySequence], tip: str) -> QAction:
            made = QAction(text, self)
            made.setShortcuts(shortcuts)
            made.setStatusTip(tip)
            made.triggered.connect(slot)
            self.addAction(made)  # shortcuts work even with the menu bar hidden
            return made

        standard = QKeySequence.StandardKey
        open_keys, save_keys = [QKeySequence(standard.Open)], [QKeySequence(standard.Save)]
        self.open_image_action = action(
            "&Open Image…", self.open_image_dialog, open_keys, "Read a digit from an image file"
        )
        self.open_drawing_action = action(
            "Open &Drawing…", self.open_drawing_dialog, [QKeySequence("Ctrl+Shift+O")], "Open a digitpad drawing (JSON)"
        )
        self.save_action = action(
            "&Save Drawing…", self.save_drawing_dialog, save_keys, "Save the drawing as PNG or drawing JSON"
        )
        model_keys = [QKeySequence("Ctrl+M")]
        self.open_model_action = action("Open &Model…", self.open_model_dialog, model_keys, "Use another ONNX model")
        self.shipped_model_action = action(
            "Use &Built-in Model", self.use_shipped_model, [], "Go back to the model that comes with digitpad"
        )
        quit_keys = QKeySequence.keyBindings(standard.Quit) or [QKeySequence("Ctrl+Q")]  # some platforms have none
        self.quit_action = action("&Quit", self.close, quit_keys, "Quit digitpad")

        stack = self.controller.undo_stack
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts([QKeySequence(standard.Undo)])
        self.undo_action.setStatusTip("Take back the last stroke")
        ctrl_shift_z = QKeySequence("Ctrl+Shift+Z")
        redo_keys = [ctrl_shift_z, *(key for key in QKeySequence.keyBindings(standard.Redo) if key != ctrl_shift_z)]
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts(redo_keys)
        self.redo_action.setStatusTip("Put back the stroke taken back")
        self.addActions([self.undo_action, self.redo_action])
        clear_keys = [QKeySequence(Qt.Key.Key_Escape), QKeySequence(standard.Delete)]
        self.clear_action = action("&Clear", self.controller.clear, clear_keys, "Start a new drawing")

        self.previous_digit_action = action(
            "&Previous Digit", lambda: self.step_digit(-1), [QKeySequence(Qt.Key.Key_Left)], "Explain the digit before"
        )
        self.next_digit_action = action(
            "&Next Digit", lambda: self.step_digit(1), [QKeySequence(Qt.Key.Key_Right)], "Explain the digit after"
        )
        self.look_inside_action = action("Look &Inside", self.look_inside, [QKeySequence("Ctrl+I")],
                                         "See the selected digit go through the network's layers, and why")
        self.about_action = action("&About digitpad", self.show_about, [], "What digitpad is and which model it uses")
        self.about_qt_action = action("About &Qt", lambda: QMessageBox.aboutQt(self), [], "Qt's version and license")

    def _create_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addActions([self.open_image_action, self.open_drawing_action, self.save_action])
        file_menu.addSeparator()
        file_menu.addActions([self.open_model_action, self.shipped_model_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addAction(self.clear_action)
        edit_menu.addSeparator()
        edit_menu.addActions([self.previous_digit_action, self.next_digit_action])
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.look_inside_action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addActions([self.about_action, self.about_qt_action])

    def _tool_button(self, action: QAction, text: str) -> QToolButton:
        """A button for touch users, with fixed text (the undo actions' text changes)."""
        button = QToolButton()
        button.setText(text)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        button.setToolTip(f"{action.statusTip()} ({keys})" if keys else action.statusTip())
        button.setAccessibleName(text)
        button.setMinimumWidth(72)
        button.clicked.connect(action.trigger)
        action.enabledChanged.connect(button.setEnabled)
        button.setEnabled(action.isEnabled())
        return button

    def _create_layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.addStretch()
        self.undo_button = self._tool_button(self.undo_action, "Undo")
        self.redo_button = self._tool_button(self.redo_action, "Redo")
        self.clear_button = self._tool_button(self.clear_action, "Clear")
        for button in (self.undo_button, self.redo_button, self.clear_button):
            buttons.addWidget(button)
        buttons.addStretch()
        # The canvas, the number row right under its paper, the buttons: together, centered in the
        # column's height (the canvas is no taller than its paper needs, see _fit_canvas_height).
        left = QVBoxLayout()
        left.addStretch(1)
        left.addWidget(self.canvas, 100)
        left.addWidget(self.number_view)
        left.addLayout(buttons)
        left.addStretch(1)
        self.canvas.installEventFilter(self)

        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.answer)
        side.addSpacing(8)
        side.addWidget(self.chart, 1)
        side.addSpacing(12)
        side.addWidget(caption("What the model sees (28×28)"))
        side.addWidget(self.model_input, 0, Qt.AlignmentFlag.AlignHCenter)
        self.side_panel = QWidget()
        self.side_panel.setLayout(side)
        self.side_panel.setMinimumWidth(SIDE_MIN_WIDTH)
        self.side_panel.setMaximumWidth(SIDE_WIDTH)
        self.canvas.setMinimumSize(CANVAS_MIN_WIDTH, CANVAS_MIN_HEIGHT)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.addLayout(left, 3)  # the canvas first: the side column takes a quarter, within its bounds
        layout.addWidget(self.side_panel, 1)
        self.setCentralWidget(central)
        self.canvas.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self.canvas and event.type() == QEvent.Type.Resize:
            self._fit_canvas_height()
        return super().eventFilter(watched, event)

    def _fit_canvas_height(self) -> None:
        """The canvas no taller than its paper at its width, so that extra height goes around it, not
        between the drawing and the number row."""
        drawing = self.controller.page.drawing
        margins = 2 * CANVAS_MARGIN
        paper = math.ceil((self.canvas.width() - margins) * drawing.height / drawing.width) + margins
        self.canvas.setMaximumHeight(max(paper, CANVAS_MIN_HEIGHT))

    def _create_status_bar(self) -> None:
        self.model_label = ElidedLabel()  # shortened with "…" in a narrow window, never overlapping
        self.model_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.timing_label = QLabel()
        self.timing_label.setToolTip("Time from the ink to the probabilities: rasterize, normalize, run the model")
        self.timing_label.setContentsMargins(12, 0, 4, 0)
        # Room for the longest figure, so that the model's name does not shift as the figure changes.
        self.timing_label.setMinimumWidth(self.timing_label.fontMetrics().horizontalAdvance("read in 000.0 ms") + 16)
        self.statusBar().addPermanentWidget(self.model_label)
        self.statusBar().addPermanentWidget(self.timing_label)
        self.statusBar().messageChanged.connect(self._make_room_for_message)

    @Slot(str)
    def _make_room_for_message(self, message: str) -> None:
        """While a message shows ("Saved seven.json"), the model's name gives it the room it needs,
        shortened with "…" (a message is painted only left of the model's name and the timing)."""
        if not message:
            self.model_label.setMaximumWidth(WIDGET_SIZE_MAX)
            return
        bar = self.statusBar()
        needed = bar.fontMetrics().horizontalAdvance(message) + 32  # the bar's margins and spacing
        room = self.timing_label.geometry().left() - needed
        self.model_label.setMaximumWidth(max(room, self.model_label.minimumSizeHint().width()))

    def _restore_settings(self) -> None:
        if not self.settings.geometry.isEmpty():
            self.restoreGeometry(self.settings.geometry)
        else:
            self.resize(1280, 600)
        if not self.settings.window_state.isEmpty():
            self.restoreState(self.settings.window_state)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if not self.models_menu.may_close() or not self.maybe_save():
            event.ignore()
            return
        self.models_menu.shutdown()
        self.settings.geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the window's worker threads (closing, or the app quitting): nothing arrives after this."""
        self._model_loader.stop()
        self.controller.shutdown()
        if self.personal is not None:
            self.personal.shutdown()
        if self.inside is not None:
            self.inside.shutdown()
            self.inside.close()

    # -- showing what the controller says ----------------------------------------------------

    @Slot(object)
    def _show_page(self, page: Page) -> None:
        self.canvas.set_page(page)
        self._fit_canvas_height()  # an opened drawing may have another shape of paper
        self.save_action.setEnabled(not page.drawing.is_blank)
        if page.source is not None:
            self.file = page.source
        elif page.is_blank or self._showing_image and not page.is_image:
            self.file = None  # a fresh page, or a new drawing begun over an opened image
        self._showing_image = page.is_image
        self.setWindowTitle(window_title(self.file))

    @Slot(bool)
    def _show_clean(self, clean: bool) -> None:
        self.setWindowModified(not clean)

    @property
    def has_unsaved_drawing(self) -> bool:
        """Whether closing now would lose strokes: the drawing changed since it was opened or saved."""
        return not self.controller.undo_stack.isClean() and not self.controller.drawing.is_blank

    def maybe_save(self) -> bool:
        """True when the drawing may go: nothing unsaved, or the person saved it or chose to discard it."""
        if not self.has_unsaved_drawing:
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.warning(
            self,
            "digitpad",
            "The drawing has unsaved changes.\nDo you want to save it?",
            buttons.Save | buttons.Discard | buttons.Cancel,
        )
        if answer == buttons.Save:
            return self.save_drawing_dialog()
        return answer == buttons.Discard

    @Slot(object)
    def _show_recognition(self, recognition: Recognition) -> None:
        number = recognition.number
        if not number.digits:
            no_ink_image = self.controller.page.is_image and not self.canvas.is_drawing
            self._show_nothing(PROMPT_NO_INK if no_ink_image else PROMPT_BLANK)
            return
        self.number_view.set_number(number, newest_digit(number))
        self.select_digit(newest_digit(number))
        self.timing_label.setText(f"read in {recognition.seconds * 1000:.1f} ms")

    def _show_nothing(self, prompt: str) -> None:
        """No digits to show: the prompt, empty bars and model input, no boxes."""
        self.answer.show_prompt(prompt)
        self.chart.set_probabilities(None)
        self.model_input.set_image(None)
        if self.inside is not None:
            self.inside.follow(None, None)
        self.number_view.set_number(NumberReading(()), None)
        self.canvas.set_number(NumberReading(()), None)
        self.timing_label.clear()

    @Slot(int)
    def select_digit(self, index: int) -> None:
        """Explain digit `index` of the number shown: its answer, its bars, what the model saw."""
        number = self.number_view.number
        if not 0 <= index < len(number.digits):
            return
        prediction = number.digits[index].prediction
        where = f"Digit {index + 1} of {len(number.digits)}: " if len(number.digits) > 1 else ""
        self.answer.show_prediction(prediction, where)
        self.chart.set_probabilities(prediction.probabilities, prediction.confident)
        self.model_input.set_image(prediction.model_input)
        self.number_view.set_number(number, index)
        self.canvas.set_number(number, index)
        if self.inside is not None and self.controller.idle:  # a live answer with a newer one coming: skipped
            self._follow_inside()

    def _follow_inside(self) -> None:
        """Look Inside shows the selected digit (it computes only while it is open)."""
        assert self.inside is not None
        number, current, recognizer = self.number_view.number, self.number_view.current, self.controller.recognizer
        if current is None or recognizer is None:
            self.inside.follow(None, None)
            return
        where = f"Digit {current + 1} of {len(number.digits)}: " if len(number.digits) > 1 else ""
        self.inside.follow(recognizer.classifier, number.digits[current].prediction, where)

    @Slot()
    def look_inside(self) -> None:
        """Open (or bring forward) the Look Inside window, showing the selected digit."""
        if self.inside is None:
            self.inside = InsideWindow(self, busy=lambda: not self.controller.idle)
        self._follow_inside()
        self.inside.show()
        self.inside.raise_()
        self.inside.activateWindow()

    def step_digit(self, step: int) -> None:
        """Select the digit `step` places to the right (negative: to the left), if there is one."""
        current = self.number_view.current
        if current is not None:
            self.select_digit(current + step)

    @Slot(object)
    def _show_model(self, info: ModelInfo | None) -> None:
        self.model_label.setText(model_summary(info))
        self.model_label.set_tooltip_extra(str(info.path) if info else "")
        if info is None:
            self._show_nothing(PROMPT_NO_MODEL)

    @Slot(str)
    def _show_recognition_failure(self, message: str) -> None:
        self._show_nothing(PROMPT_MODEL_FAILED)
        self.statusBar().showMessage(message, 10_000)

    @Slot(object, str)
    def _show_model_stopped(self, info: ModelInfo | None, message: str) -> None:
        """The model ran past its time limit: recognition is off, and it is never loaded at start again."""
        chosen = self.settings.model_path
        if info is not None and chosen is not None and info.path.resolve() == chosen:
            self.settings.model_path = None
        self._show_error("The model was stopped", message, f"The drawing is kept. {CHOOSE_ANOTHER_MODEL}")

    @Slot(str)
    def _show_stroke_refused(self, message: str) -> None:
        self._show_error("Cannot add this stroke", message, "The drawing is unchanged.")

    @Slot()
    def _show_startup_error(self) -> None:
        """Once the window is up (a dialog before it would have nothing to sit on)."""
        if self._startup_error and self.isVisible():
            self._show_error("digitpad cannot use its model", self._startup_error, PROMPT_NO_MODEL)
        elif self._startup_notice and self.isVisible():
            self._show_error("digitpad uses its built-in model", self._startup_notice, CHOOSE_ANOTHER_MODEL)

    def _show_error(self, title: str, message: str, consequence: str) -> None:
        """One clear, non-blocking dialog: what went wrong and what digitpad does about it."""
        headline = f"<b>{html.escape(title)}</b>"
        box = QMessageBox(QMessageBox.Icon.Warning, title, headline, QMessageBox.StandardButton.Ok, self)
        # File paths wrap badly in a narrow box.
        box.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 340px; }")
        detail = message[:1].upper() + message[1:]
        box.setInformativeText(f"{detail}{'' if detail.endswith('.') else '.'}\n\n{consequence}")
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_box = box
        box.open()

    # -- files -------------------------------------------------------------------------------

    def _ask_open(self, title: str, kind: str, filters: str) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(self, title, self.settings.last_dir(kind), filters)
        if not name:
            return None
        self.settings.set_last_dir(kind, Path(name))
        return Path(name)

    @Slot()
    def open_image_dialog(self) -> None:
        if not self.maybe_save():
            return
        path = self._ask_open("Open Image", "images", f"{IMAGE_FILTER};;All files (*)")
        if path:
            self.open_image(path)

    def open_image(self, path: Path) -> bool:
        try:
            pixels = read_image(path)
        except Exception as exc:  # DigitpadError for every known problem; anything else is a dialog too
            self._show_error("Cannot open this image", str(exc), "The canvas is unchanged.")
            return False
        self.controller.open_image(pixels, path)
        self.controller.undo_stack.setClean()  # the page is the file
        return True

    @Slot()
    def open_drawing_dialog(self) -> None:
        if not self.maybe_save():
            return
        path = self._ask_open("Open Drawing", "drawings", f"{DRAWING_FILTER};;All files (*)")
        if path:
            self.open_drawing(path)

    def open_drawing(self, path: Path) -> bool:
        try:
            drawing = load_drawing(path)
        except Exception as exc:  # DigitpadError for every known problem; anything else is a dialog too
            self._show_error("Cannot open this drawing", str(exc), "The canvas is unchanged.")
            return False
        self.controller.open_drawing(drawing, path)
        self.controller.undo_stack.setClean()  # the page is the file
        return True

    @Slot()
    def save_drawing_dialog(self) -> bool:
        """Ask for a file name and save; True if the drawing was saved."""
        start = self.settings.last_dir("drawings")
        if self.file is not None and self.file.suffix.lower() == ".json":
            start = str(self.file)
        # Drawing JSON first: it keeps the strokes (a number's digits, the pen's path); a PNG does not.
        name, chosen = QFileDialog.getSaveFileName(
            self, "Save Drawing", start, f"{DRAWING_FILTER};;{PNG_FILTER}", DRAWING_FILTER
        )
        if not name:
            return False
        path = Path(name)
        if path.suffix.lower() not in (".png", ".json"):
            path = path.with_name(path.name + (".png" if chosen == PNG_FILTER else ".json"))
        self.settings.set_last_dir("drawings", path)
        return self.save_drawing(path)

    def save_drawing(self, path: Path) -> bool:
        """Drawing JSON for a .json name, else a PNG of the canvas as painted (black on white)."""
        drawing = self.controller.drawing
        try:
            if path.suffix.lower() == ".json":
                save_drawing(path, drawing)
            else:
                save_png(path, render_drawing(drawing))
        except (DigitpadError, OSError) as exc:
            self._show_error("Cannot save the drawing", str(exc), "The drawing is still on the canvas.")
            return False
        self.file = path
        self.setWindowTitle(window_title(path))
        self.controller.undo_stack.setClean()
        self.statusBar().showMessage(f"Saved {path.name}", 5000)
        return True

    # -- models ------------------------------------------------------------------------------

    @Slot()
    def open_model_dialog(self) -> None:
        path = self._ask_open("Open Model", "models", f"{MODEL_FILTER};;All files (*)")
        if path:
            self.open_model(path)

    def open_model(self, path: Path, remember: bool = True, choice: Trial | None = None) -> None:
        """Use the model at `path` if digitpad can feed it (`choice`: the way the person chose); otherwise keep
        the current one. Where digitpad cannot tell how to feed it, the person is asked (`_ask_how_to_feed`).

        The model is loaded and checked on the model thread (the checks run it, and a hostile model
        runs until its time limit stops it): the window goes on, and `model_opened` says how it
        ended. `remember`: the app's choice becomes this model (else the built-in one)."""
        self.statusBar().showMessage(f"Opening model {path.name}…")
        self._model_loader.submit(lambda: Classifier(path, choice=choice), ModelRequest(path, remember))

    @Slot(object)
    def _model_loaded(self, outcome: Outcome) -> None:
        request = outcome.job.tag
        assert isinstance(request, ModelRequest)
        if not isinstance(outcome.result, Classifier):  # ModelError for every known problem, else a bug
            self.statusBar().clearMessage()
            if isinstance(outcome.error, ModelConventionError) and outcome.error.choices:
                self._ask_how_to_feed(request.path, request.remember, outcome.error)
            else:
                self._show_error("Cannot use this model", outcome.message, self._keeps())
            self.model_opened.emit(False)
            return
        self.controller.set_recognizer(Recognizer(outcome.result))
        self.settings.model_path = request.path.resolve() if request.remember else None
        self.statusBar().showMessage(f"Using {outcome.result.info.name}", 5000)
        self.model_opened.emit(True)

    def _keeps(self) -> str:
        return "digitpad keeps the current model." if self.controller.model_info else "Recognition stays off."

    def _ask_how_to_feed(self, path: Path, remember: bool, problem: ModelConventionError) -> None:
        """digitpad cannot tell how to feed the model: the person chooses a way (remembered), or cancels."""
        choices = [c for c in problem.choices if isinstance(c, Trial)]
        box = QMessageBox(QMessageBox.Icon.Question, "How should digitpad feed this model?",
                          "<b>How should digitpad feed this model?</b>", QMessageBox.StandardButton.Cancel, self)
        box.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 340px; }")
        detail = str(problem)
        box.setInformativeText(f"{detail[:1].upper()}{detail[1:]}.\n\nChoose one way (digitpad remembers it for "
                               f"this model file), or Cancel: {self._keeps()[0].lower()}{self._keeps()[1:]}")
        buttons: dict[QAbstractButton, Trial] = {}
        for trial in choices:
            label = f"{trial.convention.describe()} ({trial.accuracy:.1%})" if len(choices) > 1 else "Use it anyway"
            buttons[box.addButton(label, QMessageBox.ButtonRole.AcceptRole)] = trial

        def chosen(button: QAbstractButton) -> None:
            if button in buttons:
                self.open_model(path, remember, buttons[button])

        box.buttonClicked.connect(chosen)
        self.message_box = box
        box.open()

    @Slot()
    def use_shipped_model(self) -> None:
        self.open_model(shipped_model_path(), remember=False)

    # -- drag and drop -----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        path = Path(event.mimeData().urls()[0].toLocalFile())
        suffix = path.suffix.lower()
        if suffix != ".onnx" and not self.maybe_save():
            event.ignore()
            return
        if suffix == ".onnx":
            self.open_model(path)
        else:
            self.open_file(path)
        event.acceptProposedAction()

    def open_file(self, path: Path) -> bool:
        """A drawing JSON for a .json name, else an image (`digitpad FILE`, a dropped file)."""
        if path.suffix.lower() == ".json":
            return self.open_drawing(path)
        return self.open_image(path)

    # -- help --------------------------------------------------------------------------------

    @Slot()
    def show_about(self) -> None:
        info = self.controller.model_info
        box = QMessageBox(self)
        box.setWindowTitle("About digitpad")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(
            f"<h3>digitpad {__version__}</h3>"
            "<p>Draw a digit and a small neural network reads it as you draw.</p>"
            f"{about_model_text(info)}"
        )
        box.setDetailedText(about_model_details(info))  # "Show Details…": the training jargon
        # The model card's link opens it here, in place of the box (which is modal: the card would
        # sit under it); a file:// link does nothing visible without a browser.
        def open_card(url: str) -> None:
            box.close()
            self.show_document(url)

        for label in box.findChildren(QLabel):
            if label.openExternalLinks():
                label.setOpenExternalLinks(False)
                label.linkActivated.connect(open_card)
        self.message_box = box
        box.open()

    @Slot(str)
    def show_document(self, url: str) -> None:
        """A local Markdown file linked from a dialog (the model card), shown in a window of its own."""
        path = Path(QUrl(url).toLocalFile())
        self.document_view = DocumentView(path, path.name, self)
        self.document_view.show()
