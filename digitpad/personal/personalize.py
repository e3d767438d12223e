"""A profile bound to a model: teach, forget and measure, keeping the recognizer's adapter current.

The GUI and the CLI both go through `Personalization`: it stores a sample in the profile, derives
its embeddings (cached in the profile per model, so a new model re-derives them from the ink) and
hands the recognizer a new `Adapter`. A model without an `embedding` output still reads; the
profile is then ignored and `notice` says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from digitpad.ink.drawing import Drawing
from digitpad.personal.profile import Profile, Sample
from digitpad.reading.adapt import (
    DEFAULT_SETTINGS,
    Adapter,
    AdaptSettings,
    Effect,
    Reading,
    leave_one_out,
    model_key,
    read_drawings,
    unit_reading,
)
from digitpad.reading.recognizer import Recognizer

NO_EMBEDDING_NOTICE = "this model has no 'embedding' output, so your profile is not used with it"


class Personalization:
    """Owns no thread: call it from the thread that opened the profile."""

    def __init__(self, profile: Profile, recognizer: Recognizer, settings: AdaptSettings = DEFAULT_SETTINGS,
                 derive: bool = True) -> None:
        self.profile = profile
        self.settings = settings
        self.recognizer = recognizer
        self._key = ""
        self._samples: dict[int, Sample] = {}
        self._readings: dict[int, Reading] = {}  # unit-length embeddings (`unit_reading`)
        self._pending: list[Sample] = []  # samples whose readings by this model are still to be derived
        self.attach(recognizer, derive)

    @property
    def notice(self) -> str | None:
        """Why the profile is not used, if it is not."""
        return NO_EMBEDDING_NOTICE if self.recognizer.classifier.embedding_size is None else None

    @property
    def samples(self) -> list[Sample]:
        return list(self._samples.values())

    @property
    def pending(self) -> int:
        """Samples not yet read by this model (after a model change, until `derive` has run)."""
        return len(self._pending)

    def attach(self, recognizer: Recognizer, derive: bool = True) -> None:
        """Use `recognizer`'s model from now on: its cached readings, or ones derived from the ink.

        `derive=False` leaves the missing ones to `derive`, which the app calls in small steps so
        that a new model with a big profile never freezes the window.
        """
        self.recognizer = recognizer
        self._key = model_key(recognizer.classifier) if recognizer.classifier.embedding_size else ""
        self.reload(derive)

    def reload(self, derive: bool = True) -> None:
        """Read the profile again (after an import, or a change by another program)."""
        self._samples = {s.id: s for s in self.profile.samples()}
        self._readings = {}
        self._pending = []
        if self._key:
            self.profile.forget_other_models(self._key)
            cached = self.profile.cached_readings(self._key)
            self._readings = {i: unit_reading(r) for i, r in cached.items() if i in self._samples}
            self._pending = [s for i, s in self._samples.items() if i not in self._readings]
        if derive:
            self.derive(len(self._pending))
        self._rebuild()

    def derive(self, count: int) -> int:
        """Derive the readings of up to `count` pending samples; returns how many are still pending."""
        batch, self._pending = self._pending[:count], self._pending[count:]
        if batch:
            self._embed(batch)
            self._rebuild()
        return len(self._pending)

    def _embed(self, samples: Sequence[Sample]) -> None:
        derived = {}
        spec = self.recognizer.normalization
        for start in range(0, len(samples), 64):
            chunk = samples[start : start + 64]
            for sample, reading in zip(chunk, read_drawings(self.recognizer.classifier, spec,
                                                            [s.drawing for s in chunk])):
                if reading is not None:
                    derived[sample.id] = reading
        self.profile.store_readings(self._key, derived)
        self._readings.update({i: unit_reading(r) for i, r in derived.items()})

    def _rebuild(self) -> None:
        if not self._key:
            self.recognizer.adapter = None
            return
        ids = [i for i in self._samples if i in self._readings]
        self.recognizer.adapter = Adapter.from_readings(
            [self._readings[i] for i in ids], [self._samples[i].label for i in ids], ids, self.settings, normalized=True
        ) if ids else None

    # -- changes -----------------------------------------------------------------------------

    def teach(self, drawing: Drawing, label: int) -> Sample:
        """Store `drawing` as a `label` (0-9) and read with it from now on."""
        return self.teach_many([(drawing, label)])[0]

    def teach_many(self, items: Sequence[tuple[Drawing, int]]) -> list[Sample]:
        added = self.profile.add_many(items)
        self._samples.update({s.id: s for s in added})
        if self._key:
            self._embed(added)
        self._rebuild()
        return added

    def forget(self, sample_ids: Sequence[int]) -> list[Sample]:
        """Remove samples; returns them, so that `restore` can put them back (undo)."""
        removed = [self._samples[i] for i in sample_ids if i in self._samples]
        self.profile.remove([s.id for s in removed])
        for sample in removed:
            self._samples.pop(sample.id, None)
            self._readings.pop(sample.id, None)
        self._pending = [s for s in self._pending if s.id in self._samples]
        self._rebuild()
        return removed

    def restore(self, samples: Sequence[Sample]) -> None:
        for sample in samples:
            self.profile.restore(sample)
            self._samples[sample.id] = sample
        self._samples = dict(sorted(self._samples.items()))
        if self._key:
            self._embed([s for s in samples if s.id not in self._readings])
        self._rebuild()

    # -- measuring ---------------------------------------------------------------------------

    def effect(self) -> Effect:
        """How many of the samples the others fix (leave-one-out), against the network alone."""
        adapter = self.recognizer.adapter
        return Effect(0, 0, 0, 0) if adapter is None else leave_one_out(adapter)
