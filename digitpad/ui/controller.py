"""The app's one stateful object: the page on the canvas, the undo stack, and live recognition.

Widgets send it strokes and menu choices and show what its signals carry; it calls the pure core
(`Recognizer`, `StrokeRaster`) and never paints. Keeping it free of widgets lets the tests and the
benchmark drive it exactly as the window does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QUndoCommand, QUndoStack

from digitpad.classifier import ModelInfo
from digitpad.errors import InferenceError
from digitpad.images import image_input, ink_image, luminance
from digitpad.ink import Drawing
from digitpad.recognizer import Prediction, Recognizer
from digitpad.ui.stroke_raster import page_tracker

#: Live answers while a stroke is drawn come at most this often (milliseconds)...
LIVE_MIN_INTERVAL_MS = 30
#: ...and at most once per this many times the last live answer took, so that on a slow machine
#: recognition never takes more than a small share of the time the pen needs to stay smooth.
LIVE_COST_FACTOR = 5
#: Undo steps kept: enough for any drawing, and a session that runs for days does not keep every
#: stroke and opened image it ever saw (1,000 draw/clear cycles keep about 2,300 steps otherwise).
UNDO_LIMIT = 1000


@dataclass(frozen=True, eq=False)
class Page:
    """What is on the canvas: a drawing, or an opened image (and then a blank drawing)."""

    drawing: Drawing
    image: np.ndarray | None = None  #: decoded pixels as read, e.g. uint8 RGBA (H, W, 4)
    image_ink: np.ndarray | None = None  #: the image's ink, float32 (H, W) in [0, 1]; None if it has none
    source: Path | None = None  #: the file the page came from, if any

    @property
    def is_blank(self) -> bool:
        return self.drawing.is_blank and self.image is None


@dataclass(frozen=True)
class Recognition:
    """One answer: None when there is nothing to read (show the prompt, never a guess)."""

    prediction: Prediction | None
    seconds: float  #: time from the input to the probabilities: raster, normalization, inference
    live: bool  #: True while the stroke is still being drawn


class SetPageCommand(QUndoCommand):
    """One undoable step: a stroke, a clear, or an opened file replaces the page."""

    def __init__(self, controller: RecognitionController, before: Page, after: Page, text: str) -> None:
        super().__init__(text)
        self._controller = controller
        self._before = before
        self._after = after

    def redo(self) -> None:
        self._controller.show_page(self._after)

    def undo(self) -> None:
        self._controller.show_page(self._before)


def _reads_strokes(recognizer: Recognizer | None) -> bool:
    """True when the model renders its input from the strokes, so no canvas raster is needed."""
    return recognizer is not None and recognizer.normalization.pen > 0


class RecognitionController(QObject):
    """Owns the page, its raster, the undo stack and the recognizer; emits what the views show."""

    page_changed = Signal(object)  # Page
    recognized = Signal(object)  # Recognition
    model_changed = Signal(object)  # ModelInfo | None
    recognition_failed = Signal(str)  # a model that loaded failed while running

    def __init__(self, recognizer: Recognizer | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._recognizer = recognizer
        self._page = Page(Drawing())
        self._raster = page_tracker(self._page.drawing, _reads_strokes(recognizer))
        self._live_points: np.ndarray | None = None
        self._live_cost_ms = 0.0
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.timeout.connect(self.recognize_live)
        self._step_start: float | None = None  # when the step being pushed began, for its timing
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self.last: Recognition | None = None

    # -- state -------------------------------------------------------------------------------

    @property
    def page(self) -> Page:
        return self._page

    @property
    def drawing(self) -> Drawing:
        return self._page.drawing

    @property
    def raster(self) -> np.ndarray:
        """The raster of the page's drawing, always equal to `rasterize(drawing)` between strokes."""
        return self._raster.raster

    @property
    def recognizer_reads_raster(self) -> bool:
        """Whether the model reads the canvas raster (kept up to date while drawing) or the strokes."""
        return self._recognizer is not None and not _reads_strokes(self._recognizer)

    @property
    def recognizer(self) -> Recognizer | None:
        return self._recognizer

    @property
    def model_info(self) -> ModelInfo | None:
        return self._recognizer.classifier.info if self._recognizer else None

    def set_recognizer(self, recognizer: Recognizer | None) -> None:
        """Use another model (None: recognition off) and read the page again with it."""
        self._recognizer = recognizer
        self._raster = page_tracker(self._page.drawing, _reads_strokes(recognizer))
        self.model_changed.emit(self.model_info)
        self.recognize()

    # -- strokes -----------------------------------------------------------------------------

    @Slot(object)
    def update_stroke(self, points: np.ndarray) -> None:
        """The stroke in progress grew; a live answer follows soon (throttled)."""
        self._live_points = points
        if self._recognizer is not None and not self._live_timer.isActive():
            interval = max(LIVE_MIN_INTERVAL_MS, LIVE_COST_FACTOR * self._live_cost_ms)
            self._live_timer.start(round(interval))

    @Slot(object)
    def finish_stroke(self, points: np.ndarray) -> None:
        """The pen lifted: the stroke joins the drawing as one undoable step and is read at once."""
        start = time.perf_counter()
        self._live_timer.stop()
        self._live_points = None
        # An opened image's page has a blank drawing: the first stroke on it starts a new drawing.
        drawing = self._raster.finish(np.asarray(points, dtype=np.float64))
        self._push(SetPageCommand(self, self._page, Page(drawing), "Stroke"), start)

    @Slot()
    def cancel_stroke(self) -> None:
        self._live_timer.stop()
        self._live_points = None
        self._raster.cancel()
        self.recognize()

    @Slot()
    def recognize_live(self) -> None:
        """Read the stroke in progress now (the throttle timer calls this)."""
        if self._live_points is None or self._recognizer is None:
            return
        start = time.perf_counter()
        drawing, raster = self._raster.live(self._live_points)
        try:
            prediction = self._recognizer.recognize(drawing, raster)
        except InferenceError as exc:
            self._fail(exc)
            return
        seconds = time.perf_counter() - start
        self._live_cost_ms = seconds * 1000
        self._emit(Recognition(prediction, seconds, live=True))

    # -- whole pages -------------------------------------------------------------------------

    def clear(self) -> None:
        """A fresh default page, undoable; nothing happens when the page is already blank."""
        if not self._page.is_blank:
            self._push(SetPageCommand(self, self._page, Page(Drawing()), "Clear"))

    def open_drawing(self, drawing: Drawing, source: Path | None = None) -> None:
        self._push(SetPageCommand(self, self._page, Page(drawing, source=source), "Open Drawing"))

    def open_image(self, pixels: np.ndarray, source: Path | None = None) -> None:
        ink = ink_image(luminance(pixels))
        page = Page(Drawing(), image=pixels, image_ink=ink, source=source)
        self._push(SetPageCommand(self, self._page, page, "Open Image"))

    def show_page(self, page: Page) -> None:
        """Put `page` on the canvas and read it (called by the undo commands)."""
        start = time.perf_counter() if self._step_start is None else self._step_start
        self._step_start = None
        self._live_timer.stop()
        self._live_points = None
        self._page = page
        self._raster.set_drawing(page.drawing)
        self.recognize(start)  # first: the answer is what a person waits for; the canvas repaints later anyway
        self.page_changed.emit(page)

    def _push(self, command: SetPageCommand, start: float | None = None) -> None:
        self._step_start = start
        self.undo_stack.push(command)  # calls redo(), which shows the page

    # -- recognition -------------------------------------------------------------------------

    def recognize(self, start: float | None = None) -> Recognition | None:
        """Read the page now; returns (and emits) the answer, or None when recognition is off."""
        start = time.perf_counter() if start is None else start
        if self._recognizer is None:
            self.last = None
            return None
        page = self._page
        try:
            if page.image is not None:
                model_input = image_input(page.image, self._recognizer.normalization)
                prediction = None if model_input is None else self._recognizer.predict_inputs(model_input[None])[0]
            else:
                raster = None if _reads_strokes(self._recognizer) else self._raster.raster
                prediction = self._recognizer.recognize(page.drawing, raster)
        except InferenceError as exc:
            self._fail(exc)
            return None
        recognition = Recognition(prediction, time.perf_counter() - start, live=False)
        self._emit(recognition)
        return recognition

    def _fail(self, error: InferenceError) -> None:
        self.last = None
        self.recognition_failed.emit(str(error))

    def _emit(self, recognition: Recognition) -> None:
        self.last = recognition
        self.recognized.emit(recognition)
