"""A person's profile: the digits they taught digitpad, as ink and label, in one SQLite file.

The ink is stored, not only numbers derived from it, so that a new model can derive its own
(`digitpad.reading.adapt` keeps its embeddings in the `embeddings` table, keyed by model). Every change is
one transaction in a write-ahead-logged database: a crash or a kill loses at most the sample being
written. A file that is not a readable profile (corrupt, or made by a newer digitpad) is never
deleted: `open_profile_safely` renames it aside, says so, and starts an empty one.

A profile may come from anyone (`import_from`), so nothing in it is trusted: the file must be a
regular file of bounded size, its schema must be exactly the one this digitpad writes (no views,
no triggers, no other tables) before any query runs, at most MAX_SAMPLES rows are read, each
value's size is looked at before it is read, and every row is validated; a bad row is skipped and
counted. Imports open the source read-only and immutable: nothing in it can run or change.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from urllib.parse import quote

import numpy as np

from digitpad.errors import (
    DigitpadError,
    ProfileError,
    ProfileLockedError,
    ProfileStorageError,
    UnusableProfileError,
)
from digitpad.ink.drawing import Drawing
from digitpad.ink.drawing_file import drawing_from_json, drawing_to_json, parse_drawing_json
from digitpad.reading.adapt import Reading

#: The schema this digitpad writes (PRAGMA user_version); a file with a higher one is refused.
SCHEMA_VERSION = 1
PROFILE_FILE_NAME = "profile.sqlite3"
#: Samples read from a profile, and the most one may hold: a person teaches hundreds, and every
#: sample costs memory and time in each answer (a view of endless rows once filled the disk).
MAX_SAMPLES = 10_000
#: Bytes of one sample's drawing JSON (a digit drawn with a mouse takes a few KB); a larger value
#: is skipped before it is read.
MAX_SAMPLE_BYTES = 65_536
#: Bytes of a profile file: 10,000 samples with their cached readings take about 100 MB.
MAX_PROFILE_BYTES = 256 * 1024 * 1024
#: Seconds a change waits for another program's lock (the app passes less: its GUI thread waits).
BUSY_SECONDS = 5.0
#: Cached readings deleted per transaction when the model changes (about 10 ms of the write lock).
FORGET_STEP = 50
_MAX_CREATED_BYTES = 64
_MAX_READING_BYTES = 1024 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    drawing TEXT NOT NULL,  -- drawing JSON (digitpad.ink.drawing_file), the ink as drawn
    created TEXT NOT NULL   -- ISO 8601 UTC
);
CREATE TABLE IF NOT EXISTS embeddings (  -- a cache: derived from the ink, rebuilt for every new model
    sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    data BLOB NOT NULL,     -- float32 (variants, width), C order
    variants INTEGER NOT NULL,
    probabilities BLOB NOT NULL,  -- float32 (10,): the network's answer for the drawing as drawn
    PRIMARY KEY (sample_id, model)
);
"""
_STATEMENTS = [statement for statement in _SCHEMA.split(";") if statement.strip()]
#: What SQLite's quick check says of a row that breaks a constraint, rather than of a damaged file.
_ROW_PROBLEMS = ("CHECK constraint failed in ",
                 *(f"{kind} value in " for kind in ("NULL", "TEXT", "INTEGER", "REAL", "BLOB", "NON-NUMERIC")))
#: Entries of sqlite_master read at most: a profile has three.
_MAX_SCHEMA_ENTRIES = 16

# SQLite's primary result codes (the low byte of `sqlite3.Error.sqlite_errorcode`).
_CORRUPT_CODES = {11, 24, 26}  # SQLITE_CORRUPT, SQLITE_FORMAT, SQLITE_NOTADB
_FULL, _IOERR, _BUSY, _LOCKED = 13, 10, 5, 6
_STORAGE_CODES = {3: "permission denied", 8: "the file or its folder is read-only", 14: "it cannot be opened"}


#: SQLite's messages for those codes, for Python 3.10 (its sqlite3 errors carry no code).
_MESSAGE_CODES = {"database disk image is malformed": 11, "file is not a database": 26,
                  "database or disk is full": _FULL, "disk I/O error": _IOERR, "database is locked": _BUSY,
                  "database table is locked": _LOCKED, "attempt to write a readonly database": 8,
                  "unable to open database file": 14}


def profile_error(path: Path, exc: sqlite3.Error, doing: str = "use") -> ProfileError:
    """The error class for what SQLite said: only a damaged file is `UnusableProfileError`."""
    code = (getattr(exc, "sqlite_errorcode", None) or _MESSAGE_CODES.get(str(exc), 0)) & 0xFF
    if code in _CORRUPT_CODES:
        return UnusableProfileError(f"{path} is not a readable digitpad profile ({exc})")
    if code == _FULL:
        return ProfileStorageError(f"{path}: cannot {doing} the profile: the disk is full ({exc})")
    if code == _IOERR:
        return ProfileStorageError(f"{path}: cannot {doing} the profile: an I/O error ({exc})")
    if code in (_BUSY, _LOCKED):
        return ProfileLockedError(f"{path}: cannot {doing} the profile: another program is using it ({exc})")
    if code in _STORAGE_CODES:
        return ProfileStorageError(f"{path}: cannot {doing} the profile: {_STORAGE_CODES[code]} ({exc})")
    return ProfileError(f"{path}: cannot {doing} the profile ({exc})")


@cache
def expected_schema() -> dict[tuple[str, str], str | None]:
    """{(type, name): sql} of sqlite_master in a profile this digitpad writes, as SQLite stores it."""
    db = sqlite3.connect(":memory:")
    try:
        for statement in _STATEMENTS:
            db.execute(statement)
        return {(kind, name): sql for kind, name, sql in db.execute("SELECT type, name, sql FROM sqlite_master")}
    finally:
        db.close()


def _same_sql(a: str | None, b: str | None) -> bool:
    return a is None and b is None or (a is not None and b is not None and a.split() == b.split())


def _check_path(path: Path, must_exist: bool) -> None:
    """Refuse what SQLite must never open: a device, a FIFO, a folder (as root, SQLite would leave
    /dev/null-journal), a path the system cannot name, a file larger than MAX_PROFILE_BYTES."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        if must_exist:
            raise ProfileError(f"no profile file at {path}") from None
        return
    except (OSError, ValueError, UnicodeError) as exc:
        raise ProfileError(f"{path}: cannot open the profile ({getattr(exc, 'strerror', None) or exc})") from None
    if not stat.S_ISREG(status.st_mode):
        kind = "a folder" if stat.S_ISDIR(status.st_mode) else "a FIFO" if stat.S_ISFIFO(status.st_mode) \
            else "a device" if stat.S_ISCHR(status.st_mode) or stat.S_ISBLK(status.st_mode) else "not a regular file"
        raise ProfileError(f"{path} is {kind}, not a profile file")
    if status.st_size > MAX_PROFILE_BYTES:
        raise UnusableProfileError(f"{path} is larger than the {MAX_PROFILE_BYTES:,}-byte limit for profiles "
                                   f"({status.st_size:,} bytes)")


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


@dataclass(frozen=True)
class Imported:
    """What an import did: samples added, and rows of the source that could not be used."""

    added: int
    skipped: int


class Profile:
    """An open profile file. Not shared between threads: each thread opens its own.

    `read_only`: open an existing file to read it only (an import's source): immutable, so no
    lock, no journal and no write ever touches it, and it works from a read-only folder.
    """

    def __init__(self, path: str | os.PathLike[str], read_only: bool = False,
                 busy_seconds: float = BUSY_SECONDS) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._busy_seconds = busy_seconds
        #: Rows the last `samples()` skipped: a bad label or drawing, too large, or past MAX_SAMPLES.
        self.skipped = 0
        _check_path(self.path, must_exist=read_only)
        try:
            if read_only:
                uri = f"file:{quote(os.path.abspath(self.path))}?mode=ro&immutable=1"
                self._db = sqlite3.connect(uri, uri=True, timeout=busy_seconds, isolation_level=None)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, timeout=busy_seconds, isolation_level=None)
        except (OSError, ValueError) as exc:
            raise ProfileStorageError(f"{self.path}: cannot open the profile ({getattr(exc, 'strerror', None) or exc})"
                                      ) from None
        except sqlite3.Error as exc:
            raise profile_error(self.path, exc, "open") from None
        try:
            self._prepare()
        except sqlite3.Error as exc:
            self._db.close()
            raise profile_error(self.path, exc) from None
        except ProfileError:
            self._db.close()
            raise

    def _schema(self) -> dict[tuple[str, str], str | None]:
        rows = self._db.execute("SELECT type, name, sql FROM sqlite_master LIMIT ?", (_MAX_SCHEMA_ENTRIES + 1,))
        return {(str(kind), str(name)): sql for kind, name, sql in rows}

    def _check_schema(self, found: dict[tuple[str, str], str | None]) -> None:
        """Exactly the tables this digitpad writes: a view, a trigger, another table or column is refused
        before any of it is queried (a view of endless rows, a trigger that deletes what is inserted)."""
        expected = expected_schema()
        for (kind, name), sql in found.items():
            if kind in ("view", "trigger"):
                raise UnusableProfileError(f"{self.path} is not a digitpad profile: it has a {kind} ({name!r})")
            if (kind, name) not in expected:
                raise UnusableProfileError(f"{self.path} is an SQLite database but not a digitpad profile "
                                           f"(it has the {kind} {name!r})")
            if not _same_sql(sql, expected[(kind, name)]):
                raise UnusableProfileError(f"{self.path} is not a digitpad profile: its {kind} {name!r} is not "
                                           f"the one digitpad writes")
        missing = sorted(name for kind, name in expected if (kind, name) not in found)
        if missing:
            raise UnusableProfileError(f"{self.path} is an SQLite database but not a digitpad profile "
                                       f"(no {', '.join(missing)})")

    def _prepare(self) -> None:
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UnusableProfileError(f"{self.path} was written by a newer digitpad (profile version {version}; "
                                       f"this one reads up to {SCHEMA_VERSION})")
        found = self._schema()
        if version == 0 and not self.read_only:
            # Read again under the write lock: tables without a version may be another program's, or a
            # profile another digitpad is creating this instant (its tables, not yet its version).
            self._create()
        elif version == 0 and not found:
            raise UnusableProfileError(f"{self.path} holds no digitpad profile (an empty database)")
        elif version != SCHEMA_VERSION:
            raise UnusableProfileError(f"{self.path} is an SQLite database but not a digitpad profile")
        else:
            self._check_schema(found)
        if self._damaged():
            raise UnusableProfileError(f"{self.path} is damaged (SQLite's integrity check fails)")
        if self.read_only:
            db.execute("PRAGMA query_only = ON")
            return
        # Only now, with the file known to be ours, may anything in it change.
        self._use_wal()
        # WAL with synchronous=NORMAL: a committed change survives the app crashing or being killed
        # (the OS holds it); only a power cut may lose the last commits, and never corrupts the file.
        # FULL would add an fsync (several ms, more on a busy disk) to every correction.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")

    def _use_wal(self) -> None:
        """Switch the file to write-ahead logging (once: the mode is kept in the file). SQLite refuses
        the switch at once, without waiting, while another connection reads or writes the file (two
        programs starting a new profile together), so it is tried again until `busy_seconds` pass."""
        deadline = time.monotonic() + self._busy_seconds
        while True:
            try:
                if self._db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if not isinstance(profile_error(self.path, exc), ProfileLockedError) or time.monotonic() > deadline:
                    raise
            time.sleep(0.01)

    def _damaged(self) -> bool:
        """SQLite's quick check finds the file's structure damaged. A row that breaks a constraint
        (a NULL or out-of-range label written by another program) is not damage: `samples` skips it."""
        problems = [row[0] for row in self._db.execute("PRAGMA quick_check(100)")]
        return any(not problem.startswith(_ROW_PROBLEMS) for problem in problems if problem != "ok")

    def _create(self) -> None:
        """The tables and the version in one write transaction: two programs that start a new
        profile at once both find it whole (the second sees the first one's, and adds nothing)."""
        with self._transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            found = self._schema()
            if version == 0 and not found:
                for statement in _STATEMENTS:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                return
        if version != SCHEMA_VERSION:  # someone else wrote something else meanwhile
            raise UnusableProfileError(f"{self.path} is an SQLite database but not a digitpad profile")
        self._check_schema(found)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: all of it is written, or (on any error) none of it."""
        if self.read_only:
            raise ProfileError(f"{self.path} is open for reading only")
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise profile_error(self.path, exc, "write") from None
        try:
            yield self._db
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise profile_error(self.path, exc, "write") from None
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise profile_error(self.path, exc, "write") from None

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A read whose SQLite errors (a page damaged past the check, a lock) become profile errors."""
        try:
            yield self._db
        except sqlite3.Error as exc:
            raise profile_error(self.path, exc, "read") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Profile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- samples -----------------------------------------------------------------------------

    def samples(self) -> list[Sample]:
        """Every usable sample, oldest first (at most MAX_SAMPLES). A row that does not validate (a
        label other than 0-9, a drawing too large, not UTF-8, not JSON or not a drawing) is skipped
        and counted in `skipped`, never fatal. A value's size is compared in SQL, so a huge one never
        reaches Python (its cost is SQLite reading it: bounded by MAX_PROFILE_BYTES)."""
        found, skipped = [], 0
        with self._reading() as db:
            total = int(db.execute("SELECT count(*) FROM samples").fetchone()[0])
            db.text_factory = bytes  # decoded here: bad UTF-8 is a bad row, not an error of the whole query
            try:
                rows = db.execute(
                    "SELECT id, typeof(label), CASE WHEN typeof(label) = 'integer' THEN label END, "
                    "CASE WHEN typeof(drawing) = 'text' AND length(CAST(drawing AS BLOB)) <= ? THEN drawing END, "
                    "CASE WHEN typeof(created) = 'text' AND length(CAST(created AS BLOB)) <= ? THEN created END "
                    "FROM samples ORDER BY id LIMIT ?", (MAX_SAMPLE_BYTES, _MAX_CREATED_BYTES, MAX_SAMPLES),
                ).fetchall()
            finally:
                db.text_factory = str
        for sample_id, label_type, label, text, created in rows:
            drawing = _drawing(text)
            if label_type != b"integer" or not 0 <= label <= 9 or drawing is None or _utf8(created) is None:
                skipped += 1
                continue
            found.append(Sample(int(sample_id), int(label), drawing, str(_utf8(created))))
        self.skipped = skipped + max(total - len(rows), 0)
        return found

    def counts(self) -> dict[int, int]:
        """Usable samples per digit, every digit 0-9 present."""
        counts = dict.fromkeys(range(10), 0)
        for sample in self.samples():
            counts[sample.label] += 1
        return counts

    def __len__(self) -> int:
        """Rows with a label 0-9 (their drawings are checked only by `samples`)."""
        with self._reading() as db:
            return int(db.execute("SELECT count(*) FROM samples WHERE typeof(label) = 'integer' "
                                  "AND label BETWEEN 0 AND 9").fetchone()[0])

    def add(self, drawing: Drawing, label: int) -> Sample:
        return self.add_many([(drawing, label)])[0]

    def add_many(self, items: Iterable[tuple[Drawing, int]]) -> list[Sample]:
        """Store samples, all in one transaction (none of them if the profile would pass MAX_SAMPLES)."""
        rows = [(_check_label(label), json.dumps(drawing_to_json(drawing), separators=(",", ":")), drawing)
                for drawing, label in items]
        created = _now()
        added = []
        with self._transaction() as db:
            held = int(db.execute("SELECT count(*) FROM samples").fetchone()[0])
            if held + len(rows) > MAX_SAMPLES:
                raise ProfileError(f"{self.path} holds {held:,} samples; a profile holds at most {MAX_SAMPLES:,}, "
                                   f"so these {len(rows):,} were not added")
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
        """{sample id: the network's reading} stored for `model` (values too large are not read)."""
        found = {}
        with self._reading() as db:
            rows = db.execute(
                "SELECT sample_id, CASE WHEN typeof(data) = 'blob' AND length(data) <= ? THEN data END, variants, "
                "CASE WHEN typeof(probabilities) = 'blob' AND length(probabilities) = 40 THEN probabilities END "
                "FROM embeddings WHERE model = ? LIMIT ?", (_MAX_READING_BYTES, model, MAX_SAMPLES))
            for sample_id, data, variants, probabilities in rows:
                if data is None or probabilities is None or not isinstance(variants, int) or variants <= 0:
                    continue
                values = np.frombuffer(data, dtype=np.float32)
                network = np.frombuffer(probabilities, dtype=np.float32)
                if values.size and values.size % variants == 0:
                    found[int(sample_id)] = Reading(network, values.reshape(variants, -1))
        return found

    def forget_other_models(self, model: str, pause: float = 0.0) -> None:
        """Drop the cached readings of every model but `model` (one model at a time is cached).

        FORGET_STEP rows per transaction (a cache needs no single one): 1,000 readings take about
        0.2 s to delete, and meanwhile another connection's change waits for the lock. `pause`:
        seconds between steps, so that such a change (a correction on the app's GUI thread, which
        waits at most 0.25 s) gets its turn."""
        with contextlib.suppress(ProfileError):
            while True:
                with self._transaction() as db:
                    deleted = db.execute("DELETE FROM embeddings WHERE rowid IN (SELECT rowid FROM embeddings "
                                         "WHERE model != ? LIMIT ?)", (model, FORGET_STEP)).rowcount
                if deleted < FORGET_STEP:
                    return
                time.sleep(pause)

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

    def _own_files(self) -> list[str]:
        """The profile's file and its journals, as real paths: no export may write over them."""
        return [os.path.realpath(f"{self.path}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")]

    def export_to(self, path: str | os.PathLike[str]) -> None:
        """A copy of this profile (samples only) at `path`, written beside it and renamed into place.

        The copy is built in a new temporary file (created exclusively: never a file, folder or
        link already there), so a failed export leaves `path` as it was.
        """
        target = Path(path)
        if os.path.realpath(target) in self._own_files():
            raise ProfileError(f"{target}: cannot export the profile over itself or its journal files")
        samples = self.samples()
        try:
            handle, name = tempfile.mkstemp(prefix=f".{target.name[:100]}.", suffix=".tmp", dir=target.parent)
        except OSError as exc:
            raise ProfileStorageError(f"{target}: cannot write the profile ({exc.strerror or exc})") from None
        os.close(handle)
        temporary = Path(name)
        try:
            with Profile(temporary) as copy:
                copy.add_many((s.drawing, s.label) for s in samples)
            os.replace(temporary, target)
        except OSError as exc:
            raise ProfileStorageError(f"{target}: cannot write the profile ({exc.strerror or exc})") from None
        finally:
            for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()

    def read_other(self, path: str | os.PathLike[str]) -> tuple[list[Sample], int]:
        """The usable samples of another profile file and how many of its rows were skipped, read
        read-only and immutable (nothing in it can run or change); never this profile itself."""
        source = Path(path)
        if os.path.realpath(source) in self._own_files() or _same_file(source, self.path):
            raise ProfileError(f"{source} is this profile itself: there is nothing to import")
        with Profile(source, read_only=True) as other:
            return other.samples(), other.skipped

    def import_from(self, path: str | os.PathLike[str]) -> Imported:
        """Add the usable samples of another profile file, read without changing it in any way
        (`digitpad.personal.personalize.import_profile` adds each drawing once)."""
        samples, skipped = self.read_other(path)
        return Imported(len(self.add_many((s.drawing, s.label) for s in samples)), skipped)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def _utf8(raw: bytes | None) -> str | None:
    try:
        return None if raw is None else raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _drawing(raw: bytes | None) -> Drawing | None:
    """A stored drawing, or None if it is not one (not JSON, nested too deeply, a number, bad strokes)."""
    if raw is None:
        return None
    try:
        return drawing_from_json(parse_drawing_json(raw))
    except (DigitpadError, ValueError, TypeError):
        return None


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


def open_profile_safely(path: str | os.PathLike[str],
                        busy_seconds: float = BUSY_SECONDS) -> tuple[Profile | None, str | None]:
    """The profile at `path`, and a message for the person if something had to be done about it.

    Only a file that is not a usable profile (`UnusableProfileError`) is renamed aside (kept,
    never deleted or changed) and an empty profile started in its place. A full disk, an I/O
    error or a lock is not the file's fault: nothing moves, and (None, message): run without a
    profile this time.
    """
    path = Path(path)
    try:
        return Profile(path, busy_seconds=busy_seconds), None
    except UnusableProfileError as exc:
        problem = str(exc)
    except ProfileError as exc:
        return None, f"{exc}. digitpad reads without a profile."
    try:
        kept = set_aside(path)
    except OSError as exc:
        return None, f"{problem}; it cannot be moved aside ({exc.strerror or exc}). digitpad reads without a profile."
    try:
        return Profile(path, busy_seconds=busy_seconds), \
            f"{problem}. It was kept as {kept.name}, and a new empty profile was started."
    except ProfileError as exc:
        return None, f"{problem}. It was kept as {kept.name}; a new profile cannot be started ({exc})."
