"""The app side of learning a person's hand: corrections (undoable), the profile, its menu.

`PersonalController` wraps the core `Personalization` for the window: it opens the person's profile
(a bad file is kept aside and the app runs on, see `digitpad.personal.profile.open_profile_safely`), follows
the model the recognition controller uses, and turns "this is a 7" into an undoable step that
stores the ink with its label and reads the page again at once. `install` adds the window's part:
digit keys, clicks on the chart's digits, and the Profile menu.

The GUI thread only stores a sample (one SQLite insert); its readings by the model (five renderings
through the network) are made on a worker thread, a few samples at a time, and come back with a
signal; the page is read again when they have. The same worker reads the profile itself, on a
connection of its own (`read_stored`): at start-up, for a new model (its file hashed, its cached
readings) and after an import; the GUI thread only applies what it read (`Personalization.apply`).
Until the samples are in, the model alone reads; corrections made meanwhile are stored and kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoCommand

from digitpad.errors import DigitpadError, FileReadError
from digitpad.ink.drawing import Drawing
from digitpad.ink.normalize import Normalization
from digitpad.model.classifier import Classifier, ModelInfo
from digitpad.personal.personalize import Personalization, Stored, Taught, read_stored
from digitpad.personal.profile import Profile, Sample, open_profile_safely
from digitpad.reading.adapt import Reading, model_key, read_drawings
from digitpad.reading.recognizer import Recognizer
from digitpad.ui.controller import RecognitionController

#: Samples the worker reads in one go (each takes about 2 ms on one core), so that a new model's
#: answers come back in steps and a correction made meanwhile waits at most one step.
DERIVE_STEP = 8
#: Seconds a correction waits for another program's lock on the profile: the GUI thread waits.
BUSY_SECONDS = 0.25
#: Seconds the worker leaves the profile's write lock free between steps of dropping an old model's
#: readings (`Profile.forget_other_models`): a correction meanwhile waits one step, never BUSY_SECONDS.
FORGET_PAUSE = 0.02
#: What the status bar says while the profile's samples are read at start-up (`PersonalController.reading`).
READING_MESSAGE = "Reading your profile… until its samples are in, the model alone reads."


def article(digit: int) -> str:
    """'an 8', 'a 7': a digit as a sentence says it."""
    return f"an {digit}" if digit == 8 else f"a {digit}"


def _read(classifier: Classifier, spec: Normalization, samples: Sequence[Sample]) -> dict[int, Reading]:
    """On the worker thread: each sample's reading by the model (no profile, no Qt)."""
    readings = read_drawings(classifier, spec, [s.drawing for s in samples])
    return {s.id: r for s, r in zip(samples, readings) if r is not None}


def _read_profile(path: Path, classifier: Classifier, samples: bool) -> Stored:
    """On the worker thread: the model's key (its file hashed) and what the profile holds for it, on a
    connection of this thread's own (a `Profile` is not shared between threads; WAL: it sees every commit)."""
    key = model_key(classifier) if classifier.embedding_size else ""
    with Profile(path) as own:
        return read_stored(own, key, samples, pause=FORGET_PAUSE)


@dataclass(frozen=True, eq=False)
class _Load:
    """One read of the profile on the worker: only the latest asked for is applied (compared by identity)."""

    recognizer: Recognizer
    recognize: bool  #: read the page again once it is applied, even without samples
    new_model: bool  #: a model change (or start-up): say so if its samples must be prepared


class PersonalController(QObject):
    """The profile the app reads with; None-safe: without a profile or a model it stores nothing."""

    profile_changed = Signal()  # samples added or removed
    message = Signal(str)  # something the person should know (status bar)
    ready = Signal()  # every sample has been read by the model: the answers use them all
    _read_done = Signal(str, object, object)  # (model key, readings or None, error or None), from the worker
    checked = Signal(object, object)  # (drawing, the model's own probabilities or None): see `check`
    _profile_read = Signal(object, object, object)  # (_Load, Stored or None, error or None), from the worker

    def __init__(self, controller: RecognitionController, profile: Profile | None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.profile = profile
        self.personalization: Personalization | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digitpad-samples")
        self._reading = False  # a batch is on the worker
        self._announce = False  # say "ready" when the pending samples are read (a new model's)
        self._read_done.connect(self._accept)
        self._profile_read.connect(self._apply_read)
        self._loading: _Load | None = None  # the latest read of the profile asked of the worker
        self._samples_wanted = False  # a read under way must read the samples too (an import came)
        self._stopped = False  # `shutdown` was called: nothing is submitted or delivered any more
        self.destroyed.connect(lambda: self._worker.shutdown(wait=False, cancel_futures=True))
        controller.model_changed.connect(self._follow_model)
        self.last_taught = Taught()  #: what the latest correction did
        self._follow_model(controller.model_info, recognize=False)

    @classmethod
    def open(cls, controller: RecognitionController, path: Path) -> tuple[PersonalController, str | None]:
        """The controller over the profile at `path`, and a message if that file had to be set aside."""
        profile, message = open_profile_safely(path, busy_seconds=BUSY_SECONDS)
        return cls(controller, profile), message

    @property
    def notice(self) -> str | None:
        """Why corrections do not change the answers now, if they do not."""
        if self.profile is None:
            return "no profile is open"
        if self.personalization is None:
            return "recognition is off"
        if self.reading:
            return "your profile is still being read"
        return self.personalization.notice

    @property
    def reading(self) -> bool:
        """The profile's samples are being read on the worker (start-up): the model alone reads meanwhile."""
        return self._loading is not None and self.personalization is not None and not self.personalization.loaded

    @property
    def samples(self) -> list[Sample]:
        return [] if self.personalization is None else self.personalization.samples

    @Slot(object)
    def _follow_model(self, info: ModelInfo | None, recognize: bool = True) -> None:
        """A new model: bound at once without readings (the model alone reads; corrections are stored),
        then with what the worker reads for it (`_apply_read`)."""
        recognizer = self.controller.recognizer
        if self.profile is None or recognizer is None:
            self.personalization, self._loading = None, None
            return
        if self.personalization is None:
            self.personalization = Personalization(self.profile, recognizer, derive=False, key="", read=False)
        else:
            self.personalization.attach(recognizer, derive=False, key="", read=False)
        self._load(_Load(recognizer, recognize, new_model=True))
        if self.reading:
            self.message.emit(READING_MESSAGE)

    def _load(self, load: _Load) -> None:
        """Read the profile on the worker thread for `load.recognizer`; latest wins: a read under way
        is not applied when it comes, this one is (changes made meanwhile kept: `start_read`)."""
        assert self.profile is not None and self.personalization is not None
        superseded = self._loading
        if superseded is not None:  # what it was to do after it is applied, this one does
            load = _Load(load.recognizer, load.recognize or superseded.recognize,
                         load.new_model or superseded.new_model)
        path, classifier = self.profile.path, load.recognizer.classifier
        samples = self._samples_wanted or not self.personalization.loaded
        self._loading = load
        self.personalization.start_read()

        def read() -> Stored | None:
            return None if load is not self._loading else _read_profile(path, classifier, samples)

        self._submit(read, lambda done: self._profile_read.emit(
            load, None if done.exception() else done.result(), done.exception()))

    @Slot(object, object, object)
    def _apply_read(self, load: _Load, stored: Stored | None, error: BaseException | None) -> None:
        personalization = self.personalization
        if load is not self._loading or personalization is None:
            return  # another model or another read came meanwhile (skipped on the worker): its own follows
        self._loading, self._samples_wanted = None, False
        if error is not None or stored is None:
            self.personalization = None
            problem = error if isinstance(error, DigitpadError) else FileReadError(
                f"cannot read the model file ({error})")
            self.message.emit(f"Your profile is not used: {problem}")
            return
        had = len(personalization.samples)
        personalization.apply(stored)
        if personalization.pending:
            if load.new_model:
                self.message.emit(f"Preparing your {personalization.pending} samples for this model…")
                self._announce = True
            self._derive_some()
        elif load.recognize or personalization.samples:
            self.controller.recognize()
        if stored.samples is not None or len(personalization.samples) != had:
            self.profile_changed.emit()
        self.ready.emit()

    def check(self, drawing: Drawing) -> None:
        """Read `drawing` with the model alone on the worker thread; `checked` brings the answer back."""
        recognizer = self.controller.recognizer

        def read() -> object:
            if recognizer is None:
                return None
            prediction = recognizer.recognize(drawing)
            if prediction is None:
                return None
            alone = prediction.network_probabilities
            return prediction.probabilities if alone is None else alone

        self._submit(read, lambda done: self.checked.emit(drawing, None if done.exception() else done.result()))

    @property
    def idle(self) -> bool:
        """True when the profile is read, every sample is read by the model and no reading is under way."""
        if self._loading is not None:
            return False
        return not self._reading and (self.personalization is None or not self.personalization.pending)

    def _derive_some(self) -> None:
        """Send the next few pending samples to the worker, unless a batch is already there."""
        personalization = self.personalization
        if self._reading or personalization is None or not personalization.pending:
            return
        batch = personalization.take_pending(DERIVE_STEP)
        recognizer = personalization.recognizer
        key = personalization.model_key
        self._reading = True
        self._submit(lambda: _read(recognizer.classifier, recognizer.normalization, batch),
                     lambda done: self._read_done.emit(key, None if done.exception() else done.result(),
                                                       done.exception()))

    def _submit(self, work: Callable[[], Any], deliver: Callable[[Future[Any]], None]) -> None:
        """Run `work` on the worker thread; `deliver` hands its finished future to the GUI thread (a queued
        signal), unless it was cancelled, the controller shut down or its QObject is gone meanwhile."""
        if self._stopped:
            return

        def done(future: Future[Any]) -> None:
            if not future.cancelled() and not self._stopped and shiboken6.isValid(self):
                deliver(future)

        self._worker.submit(work).add_done_callback(done)

    def shutdown(self) -> None:
        """Stop the worker (the window closing): a read under way ends, none waiting starts, nothing is
        delivered after this, and the worker's own connection to the profile is closed when it returns
        (the self-test once removed its folder while a read still had the profile open)."""
        self._stopped = True
        self._worker.shutdown(wait=True, cancel_futures=True)

    @Slot(str, object, object)
    def _accept(self, key: str, readings: dict[int, Reading] | None, error: BaseException | None) -> None:
        self._reading = False
        personalization = self.personalization
        if personalization is None:
            return
        if error is not None or readings is None:
            self.message.emit(f"Your samples cannot be read by this model: {error}")
            return
        if not personalization.accept(key, readings):  # the model changed meanwhile: its own batches follow
            self._derive_some()
            return
        if personalization.pending:
            self._derive_some()
            return
        if self._announce:
            self._announce = False
            self.message.emit("Your samples are ready for this model.")
        self.controller.recognize()
        self.profile_changed.emit()  # what the samples fix is known now
        self.ready.emit()

    # -- changes, each followed by a fresh answer ---------------------------------------------

    def correct(self, drawing: Drawing, label: int) -> bool:
        """Store `drawing` as `label` as one undoable step; False (and a message) if it cannot be."""
        if self.personalization is None:
            self.message.emit(f"Cannot learn from this: {self.notice}.")
            return False
        if drawing.ink_bounds() is None:
            self.message.emit("Draw a digit first, then say which it is.")
            return False
        try:  # stored first: a correction the profile cannot take is neither claimed nor undoable
            taught = self.teach([(drawing, label)])
        except DigitpadError as exc:
            self.message.emit(f"Cannot learn from this: {exc}")
            return False
        if taught.added or taught.replaced:  # else the drawing was a sample already: nothing to undo
            self.controller.undo_stack.push(TeachCommand(self, taught, label))
        self.last_taught = taught
        return True

    def teach(self, items: Sequence[tuple[Drawing, int]]) -> Taught:
        """Store samples (not undoable: "Teach me your hand"); nothing if there is no profile.

        Stored at once; read by the model on the worker thread, then the page is read again."""
        if self.personalization is None:
            return Taught()
        taught = self.personalization.teach_many(items, embed=False)
        self._changed()
        return taught

    def forget(self, sample_ids: Sequence[int]) -> list[Sample]:
        if self.personalization is None:
            return []
        removed = self.personalization.forget(sample_ids)
        self._changed()
        return removed

    def restore(self, samples: Sequence[Sample]) -> None:
        if self.personalization is not None:
            self.personalization.restore(samples, embed=False)
            self._changed()

    def reset(self) -> None:
        self.forget([s.id for s in self.samples])

    def reload(self) -> None:
        """Read the profile again after another connection changed it (an import on a worker thread),
        on the worker thread; the samples read until then are used meanwhile, and the new ones are
        read by the model on the worker thread too."""
        if self.personalization is None:
            return
        self._samples_wanted = True
        self._load(_Load(self.personalization.recognizer, recognize=True, new_model=False))

    def _changed(self) -> None:
        """Samples came or went: read the page again now, and again once new samples are read."""
        self.controller.recognize()
        self.profile_changed.emit()
        self._derive_some()


class TeachCommand(QUndoCommand):
    """One correction, already stored: undo removes it, redo puts it back. A step the profile can
    no longer take (a full disk, a lock) says so and leaves the stack, so the stack stays true."""

    def __init__(self, personal: PersonalController, taught: Taught, label: int) -> None:
        super().__init__(f"Teach {label}")
        self._personal = personal
        self._samples, self._replaced = taught.added, taught.replaced
        self.taught = taught  #: what the correction did (the status line says it)
        self._stored = True

    def redo(self) -> None:
        if not self._stored:
            self._apply(self._put_back, "put back")

    def undo(self) -> None:
        self._apply(self._take_back, "taken back")

    def _put_back(self) -> None:
        self._personal.forget([s.id for s in self._replaced])
        self._personal.restore(self._samples)

    def _take_back(self) -> None:
        self._personal.forget([s.id for s in self._samples])
        if self._replaced:
            self._personal.restore(self._replaced)

    def _apply(self, change: Callable[[], object], what: str) -> None:
        try:
            change()
        except DigitpadError as exc:
            self._personal.message.emit(f"The correction cannot be {what}: {exc}")
            self.setObsolete(True)
            return
        self._stored = not self._stored
