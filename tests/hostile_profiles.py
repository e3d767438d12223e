"""Profile files made to hurt: each is a small SQLite file that once hung, crashed or locked out digitpad.

Two kinds. `REFUSED_PROFILES` cannot be used at all (a view of endless rows, a planted trigger,
another program's database): each must be refused at once, with the message given, and never
changed. `BAD_ROWS` are rows of a profile whose schema is exactly digitpad's (written the way a
hostile program would: into looser tables whose schema text is then swapped for digitpad's), each
of which must be skipped and counted while the good rows are read.

Shared by the core, CLI and GUI tests so that every front end is tried on the same files.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from digitpad.ink.drawing_file import drawing_to_json
from digitpad.personal.profile import expected_schema
from tests.drawings import one, seven

CREATED = "2026-01-01T00:00:00+00:00"
#: SQLite's own connect, for tests that replace `sqlite3.connect` to make a disk fail.
REAL_CONNECT = sqlite3.connect


def drawing_text(label: int = 7) -> str:
    return json.dumps(drawing_to_json(seven() if label == 7 else one()))


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _embeddings_sql() -> str:
    sql = expected_schema()[("table", "embeddings")]
    assert sql is not None
    return sql


def endless_view(path: Path) -> None:
    """`samples` is a view of endless rows (user_version 1): it once filled the disk with SQLite's temp files."""
    db = _connect(path)
    db.execute(_embeddings_sql())
    text = drawing_text().replace("'", "''")
    db.execute("CREATE VIEW samples AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
               f"SELECT i AS id, 7 AS label, '{text}' AS drawing, '{CREATED}' AS created FROM n ORDER BY i DESC")
    db.execute("PRAGMA user_version = 1")
    db.close()


def planted_trigger(path: Path) -> None:
    """digitpad's own tables, and a trigger that deletes every sample inserted after the first."""
    db = _connect(path)
    for sql in expected_schema().values():
        if sql:
            db.execute(sql)
    db.execute("CREATE TRIGGER eat AFTER INSERT ON samples BEGIN DELETE FROM samples WHERE id > 1; END")
    db.execute("PRAGMA user_version = 1")
    db.close()


def other_program(path: Path) -> None:
    """Another program's database that happens to have user_version 1: it once was switched to WAL."""
    db = _connect(path)
    db.execute("CREATE TABLE accounts (name TEXT, balance INTEGER)")
    db.execute("INSERT INTO accounts VALUES ('me', 100)")
    db.execute("PRAGMA user_version = 1")
    db.close()


def garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database at all" * 100)


#: name -> (how to make it, a part of the message it must get)
REFUSED_PROFILES: dict[str, tuple[Callable[[Path], None], str]] = {
    "endless_view.sqlite3": (endless_view, "it has a view"),
    "trigger.sqlite3": (planted_trigger, "it has a trigger"),
    "other_program.sqlite3": (other_program, "is an SQLite database but not a digitpad profile"),
    "garbage.sqlite3": (garbage, "not a readable digitpad profile"),
}

#: Bad rows: (label, drawing, created) as stored, each of which must be skipped.
BAD_ROWS: dict[str, tuple[object, object, object]] = {
    "label 99": (99, drawing_text(), CREATED),
    "label -1": (-1, drawing_text(), CREATED),
    "label 3.5": (3.5, drawing_text(), CREATED),
    "label NULL": (None, drawing_text(), CREATED),
    "label Arabic-Indic 123": ("١٢٣", drawing_text(), CREATED),
    "label of 10,000 digits": ("9" * 10_000, drawing_text(), CREATED),
    "label '7' as text": ("7", drawing_text(), CREATED),
    "drawing null": (7, "null", CREATED),
    "drawing a number": (7, "5", CREATED),
    "drawing nested 100,000 deep": (7, "[" * 100_000 + "]" * 100_000, CREATED),
    "drawing of 2 MB": (7, drawing_text()[:-1] + ', "pad": "' + "x" * 2_000_000 + '"}', CREATED),
    "drawing that is not UTF-8": (7, b"\xff\xfe" + drawing_text().encode(), CREATED),
    "drawing with a bad stroke": (7, drawing_text().replace('"strokes": [[', '"strokes": [["x", '), CREATED),
    "drawing NULL": (7, None, CREATED),
    "created NULL": (7, drawing_text(), None),
}


def profile_with_rows(path: Path, rows: Sequence[tuple[object, object, object]]) -> Path:
    """A file with digitpad's schema, exactly, holding `rows` (label, drawing, created) as given.

    Written as a hostile program would: into tables without constraints, whose schema text is then
    replaced by digitpad's (`PRAGMA writable_schema`), so the file passes every schema check."""
    db = _connect(path)
    db.execute("CREATE TABLE samples (id INTEGER PRIMARY KEY, label, drawing, created)")
    db.execute(_embeddings_sql())
    db.executemany("INSERT INTO samples (label, drawing, created) VALUES (?, ?, ?)", rows)
    db.execute("UPDATE samples SET drawing = CAST(drawing AS TEXT) WHERE typeof(drawing) = 'blob'")  # bad UTF-8
    db.execute("PRAGMA writable_schema = ON")
    db.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'samples'", (expected_schema()[("table", "samples")],))
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.execute(f"PRAGMA schema_version = {version + 1}")
    db.execute("PRAGMA writable_schema = OFF")
    db.execute("PRAGMA user_version = 1")
    db.close()
    return path


def profile_with_bad_rows(path: Path) -> Path:
    """One good 1, every row of BAD_ROWS, and one good 7, in that order."""
    return profile_with_rows(path, [(1, drawing_text(1), CREATED), *BAD_ROWS.values(), (7, drawing_text(), CREATED)])


def make_refused_profiles(folder: Path) -> dict[Path, str]:
    """Every file of REFUSED_PROFILES in `folder`: path -> the message it must get."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for name, (make, message) in REFUSED_PROFILES.items():
        make(folder / name)
        made[folder / name] = message
    return made


def disk_full_error() -> sqlite3.OperationalError:
    """SQLite's own SQLITE_FULL error (raised by a database at its size limit), to raise where a full disk would."""
    db = REAL_CONNECT(":memory:")
    try:
        db.execute("CREATE TABLE t (x)")
        db.execute("PRAGMA max_page_count = 2")
        db.execute("INSERT INTO t VALUES (zeroblob(100000))")
    except sqlite3.OperationalError as exc:
        return exc
    finally:
        db.close()
    raise AssertionError("SQLite did not report a full database")


def full_disk_connection(failing: tuple[str, ...]) -> type[sqlite3.Connection]:
    """A connection class whose statements starting with one of `failing` fail as on a full disk."""

    class FullDisk(sqlite3.Connection):
        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
            if sql.lstrip().upper().startswith(failing):
                raise disk_full_error()
            return super().execute(sql, *args)  # type: ignore[arg-type]

    return FullDisk
