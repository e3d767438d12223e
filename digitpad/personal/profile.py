"""A person's profile: the digits they taught digitpad, as ink and label, in one SQLite file.

The ink is stored, not only numbers derived from it, so that a new model can derive its own
(`digitpad.reading.adapt` keeps its embeddings in the `embeddings` table, keyed by model). Every change is
one transaction in a write-ahead-logged database: a crash or a kill loses at most the sample being
written. A file that is not a readable profile (corrupt, or made by a newer digitpad) is never
deleted: `open_profile_safely` renames it aside, says so, and starts an empty one.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from digitpad.errors import DigitpadError, ProfileError
from digitpad.ink.drawing import Drawing
from digitpad.ink.drawing_file import drawing_from_json, drawing_to_json
from digitpad.reading.adapt import Reading

#: The schema this digitpad writes (PRAGMA user_version); a file with a higher one is refused.
SCHEMA_VERSION = 1
PROFILE_FILE_NAME = "profile.sqlite3"

_SCHEMA = """
CREATE TABLE samples (
    id INTEGER PRIMARY KEY,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    drawing TEXT NOT NULL,  -- drawing JSON (digitpad.ink.drawing_file), the ink as drawn
    created TEXT NOT NULL   -- ISO 8601 UTC
);
CREATE TABLE embeddings (  -- a cache: derived from the ink, rebuilt for every new model
    sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    data BLOB NOT NULL,     -- float32 (variants, width), C order
    variants INTEGER NOT NULL,
    probabilities BLOB NOT NULL,  -- float32 (10,): the network's answer for the drawing as drawn
    PRIMARY KEY (sample_id, model)
);
"""


def default_profile_path() -> Path:
    """The person's own profile, in the per-user data folder (the same for the app and the CLI).

    platformdirs gives each platform's convention (~/.local/share/digitpad on Linux, Application
    Support on macOS, AppData on Windows) without importing Qt, which the CLI must not need.
    """
    import platformdirs

    return platformdirs.user_data_path("digitpad", appauthor=False) / PROFILE_FILE_NAME


@dataclass(frozen=True, eq=False)
class Sample:
    """One taught digit."""

    id: int
    label: int
    drawing: Drawing
    created: str  #: ISO 8601 UTC


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _check_label(label: int) -> int:
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= int(label) <= 9:
        raise ProfileError(f"a sample's label must be a digit 0-9, got {label!r}")
    return int(label)


class Profile:
    """An open profile file. Not shared between threads: each thread opens its own."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)  # we open transactions
        except (OSError, sqlite3.Error) as exc:
            raise ProfileError(f"{self.path}: cannot open the profile ({exc})") from None
        try:
            self._prepare()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise ProfileError(f"{self.path} is not a readable digitpad profile ({exc})") from None
        except ProfileError:
            self._db.close()
            raise

    def _prepare(self) -> None:
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ProfileError(f"{self.path} was written by a newer digitpad (profile version {version}; this one "
                               f"reads up to {SCHEMA_VERSION})")
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise ProfileError(f"{self.path} is damaged (SQLite's integrity check fails)")
        if version == 0 and db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise ProfileError(f"{self.path} is an SQLite database but not a digitpad profile")
        # Only now, with the file known to be ours, may anything in it change.
        db.execute("PRAGMA journal_mode = WAL")
        # WAL with synchronous=NORMAL: a committed change survives the app crashing or being killed
        # (the OS holds it); only a power cut may lose the last commits, and never corrupts the file.
        # FULL would add an fsync (several ms, more on a busy disk) to every correction.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        if version == 0:
            with self._transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: all of it is written, or (on any error) none of it."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise ProfileError(f"{self.path}: cannot write the profile ({exc})") from None
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise ProfileError(f"{self.path}: cannot write the profile ({exc})") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Profile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- samples -----------------------------------------------------------------------------

    def samples(self) -> list[Sample]:
        """Every sample, oldest first. A row whose ink no longer validates is skipped, not fatal."""
        found = []
        for sample_id, label, text, created in self._db.execute(
            "SELECT id, label, drawing, created FROM samples ORDER BY id"
        ):
            try:
                drawing = drawing_from_json(json.loads(text))
            except (ValueError, DigitpadError):
                continue
            found.append(Sample(sample_id, label, drawing, created))
        return found

    def counts(self) -> dict[int, int]:
        """Samples per digit, every digit 0-9 present."""
        counts = dict.fromkeys(range(10), 0)
        counts.update(self._db.execute("SELECT label, count(*) FROM samples GROUP BY label").fetchall())
        return counts

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM samples").fetchone()[0])

    def add(self, drawing: Drawing, label: int) -> Sample:
        return self.add_many([(drawing, label)])[0]

    def add_many(self, items: Iterable[tuple[Drawing, int]]) -> list[Sample]:
        """Store samples, all in one transaction."""
        rows = [(_check_label(label), json.dumps(drawing_to_json(drawing), separators=(",", ":")), drawing)
                for drawing, label in items]
        created = _now()
        added = []
        with self._transaction() as db:
            for label, text, drawing in rows:
                cursor = db.execute("INSERT INTO samples (label, drawing, created) VALUES (?, ?, ?)",
                                    (label, text, created))
                added.append(Sample(int(cursor.lastrowid or 0), label, drawing, created))
        return added

    def restore(self, sample: Sample) -> None:
        """Put a removed sample back under its own id (undo of a removal)."""
        text = json.dumps(drawing_to_json(sample.drawing), separators=(",", ":"))
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO samples (id, label, drawing, created) VALUES (?, ?, ?, ?)",
                       (sample.id, _check_label(sample.label), text, sample.created))

    def remove(self, sample_ids: Sequence[int]) -> None:
        with self._transaction() as db:
            db.executemany("DELETE FROM samples WHERE id = ?", [(int(i),) for i in sample_ids])

    def clear(self) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM samples")

    # -- the embedding cache -----------------------------------------------------------------

    def cached_readings(self, model: str) -> dict[int, Reading]:
        """{sample id: the network's reading} stored for `model`."""
        found = {}
        for sample_id, data, variants, probabilities in self._db.execute(
            "SELECT sample_id, data, variants, probabilities FROM embeddings WHERE model = ?", (model,)
        ):
            values = np.frombuffer(data, dtype=np.float32)
            network = np.frombuffer(probabilities, dtype=np.float32)
            if variants > 0 and values.size % variants == 0 and network.shape == (10,):
                found[int(sample_id)] = Reading(network, values.reshape(variants, -1))
        return found

    def forget_other_models(self, model: str) -> None:
        """Drop the cached readings of every model but `model` (one model at a time is cached)."""
        with contextlib.suppress(ProfileError), self._transaction() as db:
            db.execute("DELETE FROM embeddings WHERE model != ?", (model,))

    def store_readings(self, model: str, readings: dict[int, Reading]) -> None:
        """Cache readings by `model`."""
        rows = [(i, model, np.ascontiguousarray(r.embeddings, np.float32).tobytes(), len(r.embeddings),
                 np.ascontiguousarray(r.probabilities, np.float32).tobytes()) for i, r in readings.items()]
        # A cache: failing to write it costs time, not data.
        with contextlib.suppress(ProfileError), self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO embeddings (sample_id, model, data, variants, probabilities) "
                           "VALUES (?, ?, ?, ?, ?)", [r for r in rows if self._exists(r[0])])

    def _exists(self, sample_id: int) -> bool:
        return self._db.execute("SELECT 1 FROM samples WHERE id = ?", (sample_id,)).fetchone() is not None

    # -- moving a profile --------------------------------------------------------------------

    def export_to(self, path: str | os.PathLike[str]) -> None:
        """A copy of this profile (samples only) at `path`, written beside it and renamed into place."""
        target = Path(path)
        temporary = target.with_name(f".{target.name}.tmp")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        try:
            with Profile(temporary) as copy:
                copy.add_many((s.drawing, s.label) for s in self.samples())
            os.replace(temporary, target)
        except OSError as exc:
            raise ProfileError(f"{target}: cannot write the profile ({exc.strerror or exc})") from None
        finally:
            for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()

    def import_from(self, path: str | os.PathLike[str]) -> int:
        """Add the samples of another profile file; returns how many."""
        source = Path(path)
        if not source.is_file():
            raise ProfileError(f"no profile file at {source}")
        with Profile(source) as other:
            return len(self.add_many((s.drawing, s.label) for s in other.samples()))


def set_aside(path: Path) -> Path:
    """Rename an unusable profile (and its journal files) to a free name beside it; never delete it."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.unreadable-{stamp}")
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}.unreadable-{stamp}-{number}")
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        journal = Path(f"{path}{suffix}")
        if journal.exists():
            os.replace(journal, Path(f"{target}{suffix}"))
    return target


def open_profile_safely(path: str | os.PathLike[str]) -> tuple[Profile | None, str | None]:
    """The profile at `path`, and a message for the person if something had to be done about it.

    A file that is not a readable profile is renamed aside (kept, never deleted) and an empty
    profile is started in its place; if even that fails, (None, message): run without a profile.
    """
    path = Path(path)
    try:
        return Profile(path), None
    except ProfileError as exc:
        problem = str(exc)
    if not path.is_file():
        return None, f"{problem}. digitpad reads without a profile."
    try:
        kept = set_aside(path)
    except OSError as exc:
        return None, f"{problem}; it cannot be moved aside ({exc.strerror or exc}). digitpad reads without a profile."
    try:
        return Profile(path), f"{problem}. It was kept as {kept.name}, and a new empty profile was started."
    except ProfileError as exc:
        return None, f"{problem}. It was kept as {kept.name}; a new profile cannot be started ({exc})."
