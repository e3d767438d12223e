"""The app's one stateful object: the page on the canvas, the undo stack, and live recognition.

Widgets send it strokes and menu choices and show what its signals carry; it calls the pure core
(`Recognizer`, `digitpad.ink.stroke_raster`) and never paints. Keeping it free of widgets lets the tests and
the benchmark drive it exactly as the window does. Recognition runs on a worker thread
(`RecognitionWorker`), so that no model, however slow, freezes the drawing: answers arrive by the
`recognized` signal, and `idle` says when every answer asked for has come.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QUndoCommand, QUndoStack

from digitpad.errors import DrawingError
from digitpad.ink.drawing import CANVAS_WIDTH, DEFAULT_CANVAS_SIZE, Drawing
from digitpad.ink.image_ink import pixels_to_ink
from digitpad.ink.stroke_raster import page_tracker
from digitpad.model.classifier import ModelInfo
from digitpad.reading.number import NumberReading
from digitpad.reading.prediction import Prediction
from digitpad.reading.recognizer import Recognizer
from digitpad.ui.recognition_worker import RecognitionWorker, Request, answer
from digitpad.ui.worker import Outcome

#: Live answers while a stroke is drawn come at most this often (milliseconds)...
LIVE_MIN_INTERVAL_MS = 30
#: ...and at most once per this many times the last live answer took, so that on a slow machine
#: recognition never takes more than a small share of the time the pen needs to stay smooth.
LIVE_COST_FACTOR = 5
#: Undo steps kept: enough for any drawing, and a session that runs for days does not keep every
#: stroke and opened image it ever saw (1,000 draw/clear cycles keep about 2,300 steps otherwise).
UNDO_LIMIT = 1000
#: Bytes of opened images the undo history may keep besides the page on the canvas: an image of
#: 7000 x 7000 pixels takes about 240 MB decoded, and a thousand of them must not all be kept.
#: When a step would pass it, the oldest steps are dropped.
UNDO_IMAGE_BYTES = 256 * 1024 * 1024


def blank_drawing() -> Drawing:
    """A fresh page: the wide canvas, wide enough for a number of up to 10 digits."""
    return Drawing((), CANVAS_WIDTH, DEFAULT_CANVAS_SIZE)


@dataclass(frozen=True, eq=False)
class Page:
    """What is on the canvas: a drawing, or an opened image (and then a blank drawing)."""

    drawing: Drawing
    is_image: bool = False  #: an opened image (its drawing is then blank)
    image_ink: np.ndarray | None = None  #: the image's ink, float32 (H, W) in [0, 1]; None if it has none
    source: Path | None = None  #: the file the page came from, if any

    @property
    def is_blank(self) -> bool:
        return self.drawing.is_blank and not self.is_image

    @property
    def image_bytes(self) -> int:
        """Memory held by the page's image ink (the drawing's points are small and shared)."""
        return 0 if self.image_ink is None else self.image_ink.nbytes


@dataclass(frozen=True)
class Recognition:
    """One answer: the number read (no digits: show the prompt, never a guess)."""

    number: NumberReading
    seconds: float  #: time from the input to the whole answer: segmentation, rendering, inference
    live: bool  #: True while the stroke is still being drawn

    @property
    def prediction(self) -> Prediction | None:
        """The answer when exactly one digit was found (as before numbers were read)."""
        return self.number.single


class SetPageCommand(QUndoCommand):
    """One undoable step: a stroke, a clear, or an opened file replaces the page."""

    def __init__(
        self, controller: RecognitionController, before: Page, after: Page, text: str, replayed: bool = False
    ) -> None:
        super().__init__(text)
        self._controller = controller
        self.before = before
        self.after = after
        self._skip_redo = replayed  # put back on a trimmed stack: its page is already shown

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self._controller.show_page(self.after)

    def undo(self) -> None:
        self._controller.show_page(self.before)


def _reads_strokes(recognizer: Recognizer | None) -> bool:
    """True when the model renders its input from the strokes, so no canvas raster is needed."""
    return recognizer is not None and recognizer.normalization.pen > 0


class RecognitionController(QObject):
    """Owns the page, its raster, the undo stack and the recognizer; emits what the views show."""

    page_changed = Signal(object)  # Page
    recognized = Signal(object)  # Recognition
    model_changed = Signal(object)  # ModelInfo | None
    recognition_failed = Signal(str)  # a model that loaded failed while running
    #: (ModelInfo, why): the model ran past its time limit and recognition was turned off
    model_stopped = Signal(object, str)
    stroke_refused = Signal(str)  # a stroke that would break a drawing limit was not added

    def __init__(self, recognizer: Recognizer | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._recognizer = recognizer
        self._page = Page(blank_drawing())
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
        self._worker = RecognitionWorker(self)
        self._worker.finished.connect(self._deliver)
        self._requests = 0  # numbers of the last request made...
        self._answered = 0  # ...of the last one whose outcome came back...
        self._shown = 0  # ...and of the last one shown
        self._generation = 0  # bumped whenever earlier answers stop being about what is shown

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

    @property
    def idle(self) -> bool:
        """True when the answer to the latest request has come back (or none was asked for)."""
        return self._answered == self._requests

    def shutdown(self) -> None:
        """Stop the recognition thread (the window is closing, the app quitting): no answer comes after this."""
        self._live_timer.stop()
        self._worker.stop()

    def wait_stopped(self, seconds: float) -> bool:
        """After `shutdown`: wait up to `seconds` for the thread to end (the job it runs, if any, to return)."""
        return self._worker.wait(seconds)

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
        try:
            drawing = self._raster.finish(np.asarray(points, dtype=np.float64))
        except DrawingError as exc:  # e.g. the stroke would pass the point limit: the page stays
            self._raster.reset(self._page.drawing)
            self.stroke_refused.emit(str(exc))
            self.recognize()
            return
        self._push(SetPageCommand(self, self._page, Page(drawing), "Stroke"), start)

    @Slot()
    def cancel_stroke(self) -> None:
        self._live_timer.stop()
        self._live_points = None
        self._raster.cancel()
        self.recognize()

    @Slot()
    def recognize_live(self) -> None:
        """Ask for an answer for the stroke in progress (the throttle timer calls this)."""
        if self._live_points is None or self._recognizer is None:
            return
        start = time.perf_counter()
        try:
            drawing, raster = self._raster.live(self._live_points)
        except DrawingError:  # the stroke already breaks a limit: finish_stroke will say so
            return
        recognizer = self._recognizer
        self._submit(lambda: recognizer.read_number(drawing, raster), recognizer, live=True, start=start)

    # -- whole pages -------------------------------------------------------------------------

    def clear(self) -> None:
        """A fresh default page, undoable; nothing happens when the page is already blank."""
        if not self._page.is_blank:
            self._push(SetPageCommand(self, self._page, Page(blank_drawing()), "Clear"))

    def open_drawing(self, drawing: Drawing, source: Path | None = None) -> None:
        self._push(SetPageCommand(self, self._page, Page(drawing, source=source), "Open Drawing"))

    def open_image(self, pixels: np.ndarray, source: Path | None = None) -> None:
        """Put decoded pixels (`digitpad.ink.image_file.read_image`) on the page; only their ink is kept."""
        page = Page(blank_drawing(), is_image=True, image_ink=pixels_to_ink(pixels), source=source)
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
        if command.before.image_bytes:  # only then can the history's images have grown
            self._trim_history()

    def _trim_history(self) -> None:
        """Drop the oldest steps while the images they keep pass UNDO_IMAGE_BYTES.

        QUndoStack can drop old steps only by its step limit, so the steps kept are put back on
        a cleared stack (after a push, none are waiting to be redone).
        """
        commands = [self.undo_stack.command(i) for i in range(self.undo_stack.count())]
        held, kept = 0, len(commands)
        for command in reversed(commands):
            assert isinstance(command, SetPageCommand)
            if command.before is not self._page:
                held += command.before.image_bytes
            if held > UNDO_IMAGE_BYTES:
                break
            kept -= 1
        if kept == 0:
            return
        steps = [(c.before, c.after, c.text()) for c in commands[kept:] if isinstance(c, SetPageCommand)]
        was_clean = self.undo_stack.isClean()
        self.undo_stack.clear()
        for before, after, text in steps:
            self.undo_stack.push(SetPageCommand(self, before, after, text, replayed=True))
        if was_clean:  # dropping old steps changes nothing about what is unsaved
            self.undo_stack.setClean()

    # -- recognition -------------------------------------------------------------------------

    def recognize(self, start: float | None = None) -> None:
        """Ask for an answer for the page; it comes by `recognized` (nothing when recognition is off).

        Answers asked for before are no longer shown: they are about ink that has changed since.
        """
        start = time.perf_counter() if start is None else start
        self._generation += 1
        if self._recognizer is None:
            self.last = None
            return
        recognizer, page = self._recognizer, self._page
        if page.is_image:
            ink = page.image_ink
            self._submit(lambda: recognizer.read_number_in_ink(ink), recognizer, live=False, start=start)
            return
        # The canvas raster changes in place with the next stroke: the worker gets its own copy.
        raster = None if _reads_strokes(recognizer) else self._raster.raster.copy()
        drawing = page.drawing
        self._submit(lambda: recognizer.read_number(drawing, raster), recognizer, live=False, start=start)

    def _submit(
        self, work: Callable[[], NumberReading], recognizer: Recognizer, live: bool, start: float
    ) -> None:
        self._requests += 1
        self._worker.read(work, Request(self._requests, self._generation, live, start, recognizer))

    @Slot(object)
    def _deliver(self, outcome: Outcome) -> None:
        """An outcome from the worker: shown if it is still about what is on the canvas."""
        got = answer(outcome)
        request = got.request
        self._answered = max(self._answered, request.number)
        if got.timed_out and request.owner is self._recognizer:  # even for older ink: the model hangs
            self._stop_model(got.error or "the model ran past its time limit")
            return
        if request.generation != self._generation or request.number < self._shown:
            return
        self._shown = request.number
        if got.error is not None:
            self.last = None
            self.recognition_failed.emit(got.error)
        else:
            if request.live:
                self._live_cost_ms = got.seconds * 1000
            assert got.reading is not None
            self.last = Recognition(got.reading, got.seconds, request.live)
            self.recognized.emit(self.last)

    def _stop_model(self, message: str) -> None:
        """A model that ran past its time limit is not run again: recognition goes off."""
        info = self.model_info
        self._worker.discard()  # it would only run past the limit again
        self._answered = self._requests
        self.set_recognizer(None)
        self.model_stopped.emit(info, message)
