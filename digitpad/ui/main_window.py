"""The main window: canvas left, answer, chart and model input right, menus and status bar.

It takes a `RecognitionController` and shows what it emits. Each menu handler asks for a file and
makes one core call; any problem with a file or a model becomes one clear dialog, and the page
on the canvas stays as it was.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
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
from digitpad.classifier import Classifier, ModelInfo
from digitpad.drawing_file import load_drawing, save_drawing
from digitpad.errors import DigitpadError, ModelError
from digitpad.model_files import shipped_model_path
from digitpad.recognizer import CONFIDENCE_THRESHOLD, Recognizer
from digitpad.ui.answer import AnswerView
from digitpad.ui.canvas import DrawingCanvas, render_drawing
from digitpad.ui.chart import ProbabilityChart
from digitpad.ui.controller import Page, Recognition, RecognitionController
from digitpad.ui.image_reader import IMAGE_SUFFIXES, read_image
from digitpad.ui.image_writer import save_png
from digitpad.ui.model_input_view import ModelInputView
from digitpad.ui.personal import PersonalController
from digitpad.ui.personal import install as install_personalization
from digitpad.ui.settings import AppSettings

IMAGE_FILTER = "Images ({})".format(" ".join(f"*{suffix}" for suffix in IMAGE_SUFFIXES))
DRAWING_FILTER = "Drawing JSON (*.json)"
PNG_FILTER = "PNG image (*.png)"
MODEL_FILTER = "ONNX models (*.onnx)"
PROMPT_BLANK = "Draw a digit"
PROMPT_NO_INK = "No digit found in this image"
PROMPT_NO_MODEL = "Recognition is off: choose a model with File ▸ Open Model…"
PROMPT_MODEL_FAILED = "The model failed on this input"
#: Width of the column with the answer, the chart and the model input, in device-independent pixels.
SIDE_WIDTH = 340


def model_summary(info: ModelInfo | None) -> str:
    """'name · MNIST test accuracy 99.62% · drawings 98.52%' for the status bar (what is known)."""
    if info is None:
        return "No model: recognition is off"
    accuracy = f" · MNIST test accuracy {info.test_accuracy:.2%}" if info.test_accuracy is not None else ""
    drawings = f" · drawings {info.drawing_accuracy:.2%}" if info.drawing_accuracy is not None else ""
    return f"{info.name}{accuracy}{drawings}"


def caption(text: str) -> QLabel:
    """A small centered heading in the palette's placeholder color."""
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


class MainWindow(QMainWindow):
    def __init__(
        self,
        controller: RecognitionController,
        settings: AppSettings,
        startup_error: str | None = None,
        parent: QWidget | None = None,
        personal: PersonalController | None = None,
        profile_problem: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.settings = settings
        self.message_box: QMessageBox | None = None  # the last dialog shown, for tests
        self.setWindowTitle("digitpad")
        self.setAcceptDrops(True)

        self.canvas = DrawingCanvas()
        self.answer = AnswerView()
        self.chart = ProbabilityChart()
        self.model_input = ModelInputView()
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

        self._show_page(controller.page)
        self._show_model(controller.model_info)
        if controller.model_info is not None:
            controller.recognize()
        self._restore_settings()
        self._startup_error = startup_error
        if startup_error:
            QTimer.singleShot(0, self._show_startup_error)
        # -- personalization: corrections, the Profile menu (digitpad.ui.personal) --
        self.personal = personal
        if personal is not None:
            install_personalization(self, personal)
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
        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        left.addLayout(buttons)

        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.answer)
        side.addSpacing(8)
        side.addWidget(self.chart, 1)
        side.addSpacing(12)
        side.addWidget(caption("What the model sees (28×28)"))
        side.addWidget(self.model_input, 0, Qt.AlignmentFlag.AlignHCenter)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setFixedWidth(SIDE_WIDTH)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.addLayout(left, 1)
        layout.addWidget(side_widget)
        self.setCentralWidget(central)
        self.canvas.setFocus()

    def _create_status_bar(self) -> None:
        self.model_label = QLabel()
        self.timing_label = QLabel()
        self.timing_label.setToolTip("Time from the ink to the probabilities: rasterize, normalize, run the model")
        self.statusBar().addPermanentWidget(self.model_label)
        self.statusBar().addPermanentWidget(self.timing_label)

    def _restore_settings(self) -> None:
        if not self.settings.geometry.isEmpty():
            self.restoreGeometry(self.settings.geometry)
        else:
            self.resize(920, 620)
        if not self.settings.window_state.isEmpty():
            self.restoreState(self.settings.window_state)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.settings.geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        super().closeEvent(event)

    # -- showing what the controller says ----------------------------------------------------

    @Slot(object)
    def _show_page(self, page: Page) -> None:
        self.canvas.set_page(page)
        self.save_action.setEnabled(not page.drawing.is_blank)
        self.setWindowTitle(f"{page.source.name} — digitpad" if page.source else "digitpad")

    @Slot(object)
    def _show_recognition(self, recognition: Recognition) -> None:
        prediction = recognition.prediction
        if prediction is None:
            no_ink_image = self.controller.page.image is not None and not self.canvas.is_drawing
            self.answer.show_prompt(PROMPT_NO_INK if no_ink_image else PROMPT_BLANK)
            self.chart.set_probabilities(None)
            self.model_input.set_image(None)
            self.timing_label.clear()
            return
        self.answer.show_prediction(prediction)
        self.chart.set_probabilities(prediction.probabilities, prediction.confident)
        self.model_input.set_image(prediction.model_input)
        self.timing_label.setText(f"read in {recognition.seconds * 1000:.1f} ms")

    @Slot(object)
    def _show_model(self, info: ModelInfo | None) -> None:
        self.model_label.setText(model_summary(info))
        self.model_label.setToolTip(str(info.path) if info else "")
        if info is None:
            self.answer.show_prompt(PROMPT_NO_MODEL)
            self.chart.set_probabilities(None)
            self.model_input.set_image(None)
            self.timing_label.clear()

    @Slot(str)
    def _show_recognition_failure(self, message: str) -> None:
        self.answer.show_prompt(PROMPT_MODEL_FAILED)
        self.chart.set_probabilities(None)
        self.model_input.set_image(None)
        self.timing_label.clear()
        self.statusBar().showMessage(message, 10_000)

    @Slot()
    def _show_startup_error(self) -> None:
        """Once the window is up (a dialog before it would have nothing to sit on)."""
        if self._startup_error and self.isVisible():
            self._show_error("digitpad cannot use its model", self._startup_error, PROMPT_NO_MODEL)

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
        path = self._ask_open("Open Image", "images", f"{IMAGE_FILTER};;All files (*)")
        if path:
            self.open_image(path)

    def open_image(self, path: Path) -> bool:
        try:
            pixels = read_image(path)
        except DigitpadError as exc:
            self._show_error("Cannot open this image", str(exc), "The canvas is unchanged.")
            return False
        self.controller.open_image(pixels, path)
        return True

    @Slot()
    def open_drawing_dialog(self) -> None:
        path = self._ask_open("Open Drawing", "drawings", f"{DRAWING_FILTER};;All files (*)")
        if path:
            self.open_drawing(path)

    def open_drawing(self, path: Path) -> bool:
        try:
            drawing = load_drawing(path)
        except DigitpadError as exc:
            self._show_error("Cannot open this drawing", str(exc), "The canvas is unchanged.")
            return False
        self.controller.open_drawing(drawing, path)
        return True

    @Slot()
    def save_drawing_dialog(self) -> None:
        name, chosen = QFileDialog.getSaveFileName(
            self, "Save Drawing", self.settings.last_dir("drawings"), f"{PNG_FILTER};;{DRAWING_FILTER}"
        )
        if not name:
            return
        path = Path(name)
        if path.suffix.lower() not in (".png", ".json"):
            path = path.with_name(path.name + (".json" if chosen == DRAWING_FILTER else ".png"))
        self.settings.set_last_dir("drawings", path)
        self.save_drawing(path)

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
        self.statusBar().showMessage(f"Saved {path.name}", 5000)
        return True

    # -- models ------------------------------------------------------------------------------

    @Slot()
    def open_model_dialog(self) -> None:
        path = self._ask_open("Open Model", "models", f"{MODEL_FILTER};;All files (*)")
        if path:
            self.open_model(path)

    def open_model(self, path: Path, remember: bool = True) -> bool:
        """Use the model at `path` if it keeps the contract; otherwise keep the current one."""
        try:
            classifier = Classifier(path)
        except ModelError as exc:
            keeps = "digitpad keeps the current model." if self.controller.model_info else "Recognition stays off."
            self._show_error("Cannot use this model", str(exc), keeps)
            return False
        self.controller.set_recognizer(Recognizer(classifier))
        if remember:
            self.settings.model_path = path.resolve()
        self.statusBar().showMessage(f"Using {classifier.info.name}", 5000)
        return True

    @Slot()
    def use_shipped_model(self) -> None:
        if self.open_model(shipped_model_path(), remember=False):
            self.settings.model_path = None

    # -- drag and drop -----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        path = Path(event.mimeData().urls()[0].toLocalFile())
        suffix = path.suffix.lower()
        if suffix == ".json":
            self.open_drawing(path)
        elif suffix == ".onnx":
            self.open_model(path)
        else:
            self.open_image(path)
        event.acceptProposedAction()

    # -- help --------------------------------------------------------------------------------

    @Slot()
    def show_about(self) -> None:
        info = self.controller.model_info
        if info is None:
            model = "<p>No model is loaded: recognition is off.</p>"
        else:
            accuracy = f"<br>MNIST test accuracy: {info.test_accuracy:.2%}" if info.test_accuracy is not None else ""
            if info.drawing_accuracy is not None:
                accuracy += f"<br>Pen drawings by writers it never saw: {info.drawing_accuracy:.2%}"
            summary = f"<br>{html.escape(info.summary)}" if info.summary else ""
            path = f"<br><small>{html.escape(str(info.path))}</small>"
            model = f"<p><b>Model: {html.escape(info.name)}</b>{summary}{accuracy}{path}</p>"
        box = QMessageBox(self)
        box.setWindowTitle("About digitpad")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(
            f"<h3>digitpad {__version__}</h3>"
            "<p>Draw a digit and watch a convnet read it, live.</p>"
            f"{model}"
            f"<p>Answers under {CONFIDENCE_THRESHOLD:.0%} probability are shown as “not sure”.</p>"
        )
        self.message_box = box
        box.open()
