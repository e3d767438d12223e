"""A profile bound to a model: teach, forget and measure, keeping the recognizer's adapter current.

The GUI and the CLI both go through `Personalization`: it stores a sample in the profile, derives
its embeddings (cached in the profile per model, so a new model re-derives them from the ink) and
hands the recognizer a new `Adapter`. A model without an `embedding` output still reads; the
profile is then ignored and `notice` says so.

One drawing is one sample: a drawing already in the profile (the same strokes, by `drawing_key`) is
not stored again, whether taught again or imported; taught with another digit, it replaces the old
sample, so that copies never vote for each other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from digitpad.ink.drawing import Drawing
from digitpad.ink.drawing_file import drawing_to_json
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


def drawing_key(drawing: Drawing) -> str:
    """The content key of a drawing's ink: equal for the same strokes on the same canvas, as stored."""
    text = json.dumps(drawing_to_json(drawing), separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Taught:
    """What teaching did: new samples, drawings already held with that digit, samples relabelled."""

    added: list[Sample] = field(default_factory=list)
    already: list[Sample] = field(default_factory=list)  #: held already, with the same digit: kept once
    replaced: list[Sample] = field(default_factory=list)  #: held with another digit: removed, the new one added
    skipped: int = 0  #: rows of an imported file that are not valid samples (`Profile.skipped`)

    def describe(self) -> str:
        """One line for the person: 'taught 2 samples; 1 was already in your profile'."""
        parts = [f"taught {len(self.added)} sample{'s' if len(self.added) != 1 else ''}"]
        if self.already:
            parts.append(f"{len(self.already)} {'was' if len(self.already) == 1 else 'were'} already in your "
                         "profile (kept once)")
        if self.replaced:
            parts.append(f"{len(self.replaced)} replaced the same drawing taught as another digit")
        return "; ".join(parts)


def import_profile(profile: Profile, path: str | Path) -> Taught:
    """Add another profile file's samples to `profile`, each drawing once (one already held is kept once)."""
    incoming, skipped = profile.read_other(path)  # read-only, bounded, validated; never itself
    held = {drawing_key(s.drawing): s for s in profile.samples()}
    new, already = [], []
    for sample in incoming:
        key = drawing_key(sample.drawing)
        if key in held:
            already.append(held[key])
            continue
        held[key] = sample
        new.append((sample.drawing, sample.label))
    return Taught(profile.add_many(new), already, skipped=skipped)


@dataclass(frozen=True)
class Stored:
    """What `read_stored` read of a profile for one model: plain data, made on any thread."""

    key: str  #: the model the readings belong to (`model_key`; '' for a model without embeddings)
    samples: tuple[tuple[Sample, str], ...] | None  #: every sample with its `drawing_key`; None: not read
    readings: Mapping[int, Reading]  #: the model's cached readings, unit length (`unit_reading`)


def read_stored(profile: Profile, key: str, samples: bool = True, pause: float = 0.0) -> Stored:
    """The slow part of binding a profile (SQLite, JSON, hashing the ink): its samples (unless
    `samples=False`) and the cached readings by the model `key`, whose other models' are dropped
    (`pause`: as for `Profile.forget_other_models`).

    `Personalization.reload` calls it on its own profile; the app on a worker thread, on a `Profile`
    of that thread's own, and hands the result to `Personalization.apply` on the GUI thread.
    """
    found = tuple((s, drawing_key(s.drawing)) for s in profile.samples()) if samples else None
    readings: dict[int, Reading] = {}
    if key:
        profile.forget_other_models(key, pause)
        readings = {i: unit_reading(r) for i, r in profile.cached_readings(key).items()}
    return Stored(key, found, readings)


class Personalization:
    """Owns no thread: call it from the thread that opened the profile (`read_stored` may run elsewhere)."""

    def __init__(self, profile: Profile, recognizer: Recognizer, settings: AdaptSettings = DEFAULT_SETTINGS,
                 derive: bool = True, key: str | None = None, read: bool = True) -> None:
        self.profile = profile
        self.settings = settings
        self.recognizer = recognizer
        self._key = ""
        self._samples: dict[int, Sample] = {}
        self._keys: dict[str, int] = {}  # drawing_key -> sample id
        self._loaded = False  # the samples have been read from the profile
        self._readings: dict[int, Reading] = {}  # unit-length embeddings (`unit_reading`)
        self._pending: list[Sample] = []  # samples whose readings by this model are still to be derived
        # While a read is under way elsewhere (`start_read`): the samples taught (with their drawing
        # keys) and forgotten (None) here since it began, by id; `apply` lays them over what it read.
        self._changes: dict[int, tuple[Sample, str] | None] | None = None
        self.attach(recognizer, derive, key, read)

    @property
    def notice(self) -> str | None:
        """Why the profile is not used, if it is not."""
        return NO_EMBEDDING_NOTICE if self.recognizer.classifier.embedding_size is None else None

    @property
    def samples(self) -> list[Sample]:
        return list(self._samples.values())

    @property
    def pending(self) -> int:
        """Samples not yet read by this model (after a model change or `teach_many(embed=False)`)."""
        return len(self._pending)

    @property
    def loaded(self) -> bool:
        """The samples have been read from the profile (before: only those taught since are known)."""
        return self._loaded

    @property
    def model_key(self) -> str:
        """The model the readings belong to ('' for a model without embeddings): see `accept`."""
        return self._key

    def attach(self, recognizer: Recognizer, derive: bool = True, key: str | None = None, read: bool = True) -> None:
        """Use `recognizer`'s model from now on: its cached readings, or ones derived from the ink.

        `derive=False` leaves the missing ones to `derive` (or `take_pending`), which the app runs
        on a worker thread so that a new model with a big profile never freezes the window; `key`:
        the model's `model_key`, if the caller hashed the model file already (the app does, on
        that thread). `read=False` reads nothing: the model alone reads until `apply` brings what
        `read_stored` read elsewhere (the app's worker thread).
        """
        same_model = recognizer is self.recognizer and self._loaded
        self.recognizer = recognizer
        if not recognizer.classifier.embedding_size:
            self._key = ""
        else:
            self._key = model_key(recognizer.classifier) if key is None else key
        self._readings, self._pending = {}, []
        if read:
            self.reload(derive, samples=not same_model)
        else:
            self._rebuild()

    def reload(self, derive: bool = True, samples: bool = True) -> None:
        """Read the profile again (after an import, or a change by another program); `samples=False`
        keeps the samples read before and reads only the model's cached readings."""
        self.apply(read_stored(self.profile, self._key, samples or not self._loaded))
        if derive:
            self.derive(len(self._pending))

    def start_read(self) -> None:
        """A `read_stored` of this profile starts elsewhere (another thread's connection): the samples
        taught and forgotten here from now on are kept so when `apply` brings it, whether the read saw
        them or not. Called again, it starts over (the read before is not to be applied)."""
        self._changes = {}

    def apply(self, stored: Stored) -> None:
        """Use what `read_stored` read, for the bound model (`stored.key` is its `model_key`); cheap:
        dicts and the adapter. Changes made since `start_read` win over it, by sample id: a sample
        taught meanwhile is kept, one forgotten stays forgotten, readings derived meanwhile are kept."""
        changes, self._changes = self._changes or {}, None
        if stored.key != self._key:
            self._key, self._readings = stored.key, {}
        if stored.samples is not None:
            held = {s.id: (s, key) for s, key in stored.samples}
            for sample_id, change in changes.items():
                if change is None:
                    held.pop(sample_id, None)
                else:
                    held[sample_id] = change
            ordered = sorted(held.items())
            self._samples = {i: s for i, (s, _) in ordered}
            self._keys = {key: i for i, (_, key) in ordered}
            self._loaded = True
        readings = {**stored.readings, **self._readings} if self._key else {}
        self._readings = {i: r for i, r in readings.items() if i in self._samples}
        self._pending = [s for i, s in self._samples.items() if i not in self._readings] if self._key else []
        self._rebuild()

    def derive(self, count: int) -> int:
        """Derive the readings of up to `count` pending samples; returns how many are still pending."""
        batch = self.take_pending(count)
        if batch:
            self._embed(batch)
            self._rebuild()
        return len(self._pending)

    def take_pending(self, count: int) -> list[Sample]:
        """Up to `count` pending samples, for a caller that reads them elsewhere (`read_drawings`, then `accept`)."""
        batch, self._pending = self._pending[:count], self._pending[count:]
        return batch

    def accept(self, key: str, readings: dict[int, Reading]) -> bool:
        """Readings made elsewhere by the model `key`; False (and nothing kept) if the model changed meanwhile.

        A sample forgotten meanwhile is not stored again (`Profile.store_readings` skips it).
        """
        if key != self._key:
            return False
        kept = {i: r for i, r in readings.items() if i in self._samples}
        self.profile.store_readings(self._key, kept)
        self._readings.update({i: unit_reading(r) for i, r in kept.items()})
        self._rebuild()
        return True

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

    def teach(self, drawing: Drawing, label: int) -> Taught:
        """Store `drawing` as a `label` (0-9) and read with it from now on (once: see the module docstring)."""
        return self.teach_many([(drawing, label)])

    def teach_many(self, items: Sequence[tuple[Drawing, int]], embed: bool = True) -> Taught:
        """Store samples; `embed=False` leaves their readings pending (for the app's worker thread)."""
        new: dict[str, tuple[Drawing, int]] = {}
        already, replaced = [], []
        for drawing, label in items:
            key = drawing_key(drawing)
            held = self._samples.get(self._keys.get(key, -1))
            if held is not None and held.label == label:
                already.append(held)
            elif key not in new or new[key][1] != label:
                if held is not None:
                    replaced.append(held)
                new[key] = (drawing, label)
        if replaced:
            self.forget([s.id for s in replaced])
        added = self.profile.add_many(list(new.values()))
        self._samples.update({s.id: s for s in added})
        self._keys.update({key: s.id for key, s in zip(new, added)})
        if self._changes is not None:
            self._changes.update({s.id: (s, key) for key, s in zip(new, added)})
        if self._key and embed:
            self._embed(added)
        elif self._key:
            self._pending.extend(added)
        self._rebuild()
        return Taught(added, already, replaced)

    def import_from(self, path: str | Path, derive: bool = True) -> Taught:
        """Add another profile file's samples (each drawing once) and read with them (`derive` as for `reload`)."""
        taught = import_profile(self.profile, path)
        self.reload(derive)
        return taught

    def forget(self, sample_ids: Sequence[int]) -> list[Sample]:
        """Remove samples; returns them, so that `restore` can put them back (undo)."""
        removed = [self._samples[i] for i in sample_ids if i in self._samples]
        self.profile.remove([s.id for s in removed])
        for sample in removed:
            self._samples.pop(sample.id, None)
            self._readings.pop(sample.id, None)
            self._keys.pop(drawing_key(sample.drawing), None)
            if self._changes is not None:
                self._changes[sample.id] = None
        self._pending = [s for s in self._pending if s.id in self._samples]
        self._rebuild()
        return removed

    def restore(self, samples: Sequence[Sample], embed: bool = True) -> None:
        """Put removed samples back (undo); `embed` as for `teach_many`."""
        for sample in samples:
            self.profile.restore(sample)
            key = drawing_key(sample.drawing)
            self._samples[sample.id] = sample
            self._keys[key] = sample.id
            if self._changes is not None:
                self._changes[sample.id] = (sample, key)
        self._samples = dict(sorted(self._samples.items()))
        if self._key:
            self._pending.extend(s for s in samples if s.id not in self._readings)
            if embed:
                self.derive(len(self._pending))
        self._rebuild()

    # -- measuring ---------------------------------------------------------------------------

    def effect(self) -> Effect:
        """How many of the samples the others fix (leave-one-out), against the network alone."""
        adapter = self.recognizer.adapter
        return Effect(0, 0, 0, 0) if adapter is None else leave_one_out(adapter)
