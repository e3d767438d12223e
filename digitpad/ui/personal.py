"""The app side of learning a person's hand: corrections (undoable), the profile, its menu.

`PersonalController` wraps the core `Personalization` for the window: it opens the person's profile
(a bad file is kept aside and the app runs on, see `digitpad.personal.profile.open_profile_safely`), follows
the model the recognition controller uses, and turns "this is a 7" into an undoable step that
stores the ink with its label and reads the page again at once. `install` adds the window's part:
digit keys, clicks on the chart's digits, and the Profile menu.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QUndoCommand

from digitpad.errors import DigitpadError, ProfileError
from digitpad.ink.drawing import Drawing
from digitpad.model.classifier import ModelInfo
from digitpad.personal.personalize import Personalization
from digitpad.personal.profile import Profile, Sample, open_profile_safely
from digitpad.ui.controller import RecognitionController

#: Samples a new model reads per turn of the event loop (each takes about 2 ms on one core).
DERIVE_STEP = 8


class PersonalController(QObject):
    """The profile the app reads with; None-safe: without a profile or a model it stores nothing."""

    profile_changed = Signal()  # samples added or removed
    message = Signal(str)  # something the person should know (status bar)

    def __init__(self, controller: RecognitionController, profile: Profile | None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.profile = profile
        self.personalization: Personalization | None = None
        controller.model_changed.connect(self._follow_model)
        self._follow_model(controller.model_info, recognize=False)

    @classmethod
    def open(cls, controller: RecognitionController, path: Path) -> tuple[PersonalController, str | None]:
        """The controller over the profile at `path`, and a message if that file had to be set aside."""
        profile, message = open_profile_safely(path)
        return cls(controller, profile), message

    @property
    def notice(self) -> str | None:
        """Why corrections do not change the answers now, if they do not."""
        if self.profile is None:
            return "no profile is open"
        if self.personalization is None:
            return "recognition is off"
        return self.personalization.notice

    @property
    def samples(self) -> list[Sample]:
        return [] if self.personalization is None else self.personalization.samples

    @Slot(object)
    def _follow_model(self, info: ModelInfo | None, recognize: bool = True) -> None:
        recognizer = self.controller.recognizer
        if self.profile is None or recognizer is None:
            self.personalization = None
            return
        try:
            if self.personalization is None:
                self.personalization = Personalization(self.profile, recognizer, derive=False)
            else:
                self.personalization.attach(recognizer, derive=False)
        except DigitpadError as exc:
            self.personalization = None
            self.message.emit(f"Your profile is not used: {exc}")
            return
        if self.personalization.pending:
            self.message.emit(f"Preparing your {self.personalization.pending} samples for this model…")
            QTimer.singleShot(0, self._derive_some)
        if recognize:
            self.controller.recognize()

    @Slot()
    def _derive_some(self) -> None:
        """A few samples per turn of the event loop (tens of ms), until the new model has read them all."""
        if self.personalization is None or not self.personalization.pending:
            return
        try:
            remaining = self.personalization.derive(DERIVE_STEP)
        except DigitpadError as exc:
            self.message.emit(f"Your samples cannot be read by this model: {exc}")
            return
        if remaining:
            QTimer.singleShot(0, self._derive_some)
        else:
            self.message.emit("Your samples are ready for this model.")
            self.controller.recognize()

    # -- changes, each followed by a fresh answer ---------------------------------------------

    def correct(self, drawing: Drawing, label: int) -> bool:
        """Store `drawing` as `label` as one undoable step; False (and a message) if it cannot be."""
        if self.personalization is None:
            self.message.emit(f"Cannot learn from this: {self.notice}.")
            return False
        if drawing.ink_bounds() is None:
            self.message.emit("Draw a digit first, then say which it is.")
            return False
        self.controller.undo_stack.push(TeachCommand(self, drawing, label))
        return True

    def teach(self, items: Sequence[tuple[Drawing, int]]) -> list[Sample]:
        """Store samples (not undoable: "Teach me your hand" and imports); [] if there is no profile."""
        if self.personalization is None:
            return []
        added = self.personalization.teach_many(items)
        self._changed()
        return added

    def forget(self, sample_ids: Sequence[int]) -> list[Sample]:
        if self.personalization is None:
            return []
        removed = self.personalization.forget(sample_ids)
        self._changed()
        return removed

    def restore(self, samples: Sequence[Sample]) -> None:
        if self.personalization is not None:
            self.personalization.restore(samples)
            self._changed()

    def reset(self) -> None:
        self.forget([s.id for s in self.samples])

    def import_from(self, path: Path) -> int:
        if self.profile is None or self.personalization is None:
            raise ProfileError(f"cannot import: {self.notice}")
        added = self.profile.import_from(path)
        self.personalization.reload()
        self._changed()
        return added

    def _changed(self) -> None:
        self.controller.recognize()
        self.profile_changed.emit()


class TeachCommand(QUndoCommand):
    """One correction: the sample is stored on redo and removed on undo (and put back on redo)."""

    def __init__(self, personal: PersonalController, drawing: Drawing, label: int) -> None:
        super().__init__(f"Teach {label}")
        self._personal = personal
        self._drawing = drawing
        self._label = label
        self._samples: list[Sample] = []

    def redo(self) -> None:
        if self._samples:
            self._personal.restore(self._samples)
        else:
            self._samples = self._personal.teach([(self._drawing, self._label)])

    def undo(self) -> None:
        self._personal.forget([s.id for s in self._samples])
