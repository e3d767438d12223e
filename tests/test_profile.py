"""The profile store: samples kept as ink, atomic changes, and unusable files kept aside, never lost."""

from __future__ import annotations

import functools
import multiprocessing
import os
import sqlite3
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from digitpad.errors import ProfileError, ProfileLockedError, ProfileStorageError, UnusableProfileError
from digitpad.personal import profile as profile_module
from digitpad.personal.profile import SCHEMA_VERSION, Imported, Profile, default_profile_path, open_profile_safely
from digitpad.reading import adapt
from digitpad.reading.adapt import Adapter, Effect, Reading, leave_one_out
from tests.drawings import one, seven, zero
from tests.hostile_profiles import (
    BAD_ROWS,
    REFUSED_PROFILES,
    drawing_text,
    full_disk_connection,
    profile_with_bad_rows,
    profile_with_rows,
)


def test_samples_keep_their_ink_label_and_time(tmp_path: Path) -> None:
    with Profile(tmp_path / "p.sqlite3") as profile:
        added = profile.add_many([(one(), 1), (seven(), 7)])
        profile.add(zero(), 0)
    with Profile(tmp_path / "p.sqlite3") as profile:  # a new connection reads what was committed
        samples = profile.samples()
        assert [s.label for s in samples] == [1, 7, 0]
        assert samples[0].drawing == one() and samples[1].drawing == seven()
        assert samples[0].id == added[0].id and samples[0].created.endswith("+00:00")
        assert profile.counts() == {0: 1, 1: 1, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 1, 8: 0, 9: 0}
        assert sqlite3.connect(profile.path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_bad_label_stores_nothing_of_its_batch(tmp_path: Path) -> None:
    with Profile(tmp_path / "p.sqlite3") as profile:
        with pytest.raises(ProfileError, match="digit 0-9"):
            profile.add_many([(one(), 1), (seven(), 12)])
        assert len(profile) == 0


def test_remove_restore_and_clear(tmp_path: Path) -> None:
    with Profile(tmp_path / "p.sqlite3") as profile:
        first, second = profile.add_many([(one(), 1), (seven(), 7)])
        profile.remove([first.id])
        assert [s.id for s in profile.samples()] == [second.id]
        profile.restore(first)
        assert [(s.id, s.label, s.created) for s in profile.samples()] == [
            (first.id, 1, first.created), (second.id, 7, second.created)]
        profile.clear()
        assert profile.samples() == []


def test_cached_readings_belong_to_one_model_and_go_with_their_sample(tmp_path: Path) -> None:
    reading = Reading(np.full(10, 0.1, np.float32), np.arange(15, dtype=np.float32).reshape(5, 3))
    with Profile(tmp_path / "p.sqlite3") as profile:
        sample = profile.add(one(), 1)
        profile.store_readings("model-a", {sample.id: reading})
        cached = profile.cached_readings("model-a")[sample.id]
        assert np.array_equal(cached.embeddings, reading.embeddings)
        assert np.array_equal(cached.probabilities, reading.probabilities)
        profile.store_readings("model-b", {sample.id: reading})
        profile.forget_other_models("model-b")
        assert profile.cached_readings("model-a") == {}  # one model at a time
        profile.remove([sample.id])
        assert profile.cached_readings("model-b") == {}


def test_an_old_models_readings_are_dropped_in_steps_that_leave_the_lock_to_others(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dropping 1,000 readings took 0.2 s in one transaction, longer than the app's GUI thread waits
    for a correction, now that the worker does it on a connection of its own."""
    reading = Reading(np.full(10, 0.1, np.float32), np.arange(15, dtype=np.float32).reshape(5, 3))
    path = tmp_path / "p.sqlite3"
    with Profile(path) as profile, Profile(path, busy_seconds=0) as other:  # other: never waits for the lock
        samples = profile.add_many([(one(), 1)] * (2 * profile_module.FORGET_STEP + 1))
        profile.store_readings("old", {s.id: reading for s in samples})
        profile.store_readings("new", {samples[0].id: reading})
        between = []
        monkeypatch.setattr(profile_module.time, "sleep", lambda seconds: between.append(other.add(seven(), 7)))
        profile.forget_other_models("new", pause=0.02)
        assert len(between) == 2  # three steps; between them the lock was free at once
        assert profile.cached_readings("old") == {} and list(profile.cached_readings("new")) == [samples[0].id]


def test_export_and_import_move_the_samples(tmp_path: Path) -> None:
    with Profile(tmp_path / "a.sqlite3") as profile:
        profile.add_many([(one(), 1), (seven(), 7)])
        profile.export_to(tmp_path / "moved.sqlite3")
    with Profile(tmp_path / "b.sqlite3") as other:
        other.add(zero(), 0)
        assert other.import_from(tmp_path / "moved.sqlite3").added == 2
        assert sorted(s.label for s in other.samples()) == [0, 1, 7]
    assert sorted(p.name for p in tmp_path.iterdir() if "moved" in p.name) == ["moved.sqlite3"]


def _newer(path: Path) -> Path:
    with Profile(path) as profile:
        profile.add(one(), 1)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    return path


@pytest.mark.parametrize("make, problem", [
    (lambda p: p.write_bytes(b"this is not a database at all" * 100) and p, "not a readable digitpad profile"),
    (_newer, "newer digitpad"),
    (lambda p: sqlite3.connect(p).execute("CREATE TABLE x (y)") and p, "not a digitpad profile"),
])
def test_an_unusable_file_is_kept_aside_and_a_new_profile_started(tmp_path: Path, make: object,
                                                                 problem: str) -> None:
    path = tmp_path / "profile.sqlite3"
    make(path)  # type: ignore[operator]
    before = path.read_bytes()
    with pytest.raises(ProfileError, match=problem):
        Profile(path)
    profile, message = open_profile_safely(path)
    assert profile is not None and len(profile) == 0
    profile.close()
    assert message is not None and problem in message and "kept as" in message
    kept = [p for p in tmp_path.iterdir() if ".unreadable-" in p.name and not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1 and kept[0].read_bytes() == before  # renamed, never deleted or changed


def test_the_default_profile_is_in_the_per_user_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_profile_path() == tmp_path / "digitpad" / "profile.sqlite3"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("name", REFUSED_PROFILES)
def test_a_hostile_profile_is_refused_before_any_query_and_never_changed(tmp_path: Path, name: str) -> None:
    """A view of endless rows once hung every command and filled the disk; a trigger ran on insert;
    another program's file with user_version 1 was switched to WAL before being refused."""
    make, message = REFUSED_PROFILES[name]
    source = tmp_path / "source"
    source.mkdir()
    path = source / "profile.sqlite3"
    make(path)
    before = _files(source)
    with Profile(tmp_path / "mine.sqlite3") as mine:
        with pytest.raises(UnusableProfileError, match=message):
            mine.import_from(path)
        assert len(mine) == 0
    assert _files(source) == before  # an import only reads: no byte changed, no journal beside it
    profile, problem = open_profile_safely(path)  # as the person's own profile: kept aside, unchanged
    assert profile is not None and len(profile) == 0
    profile.close()
    assert problem is not None and message in problem and "kept as" in problem
    (kept,) = [p for p in source.iterdir() if ".unreadable-" in p.name]
    assert kept.read_bytes() == before["profile.sqlite3"]


def test_bad_rows_are_skipped_and_counted_and_the_good_ones_read(tmp_path: Path) -> None:
    """Labels 99, -1, 3.5, NULL, "١٢٣", drawings that are null, a number or nested 100,000 deep once
    crashed the CLI or locked the app out; 3.5 was read as 3 and then broke --export."""
    path = profile_with_bad_rows(tmp_path / "bad.sqlite3")
    before = path.read_bytes()
    with Profile(tmp_path / "mine.sqlite3") as mine:
        assert mine.import_from(path) == Imported(added=2, skipped=len(BAD_ROWS))
        assert sorted(s.label for s in mine.samples()) == [1, 7]
    assert path.read_bytes() == before
    with Profile(path) as own:  # as the person's own profile it opens, reads the good rows and exports them
        assert [s.label for s in own.samples()] == [1, 7] and own.skipped == len(BAD_ROWS)
        assert own.counts()[1] == 1 and own.counts()[3] == 0
        own.export_to(tmp_path / "exported.sqlite3")
    with Profile(tmp_path / "exported.sqlite3") as exported:
        assert [s.label for s in exported.samples()] == [1, 7] and exported.skipped == 0


def test_at_most_max_samples_rows_are_read_and_a_full_profile_takes_no_more(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profile_module, "MAX_SAMPLES", 20)
    path = profile_with_rows(tmp_path / "many.sqlite3", [(7, drawing_text(), "2026-01-01")] * 25)
    with Profile(path) as profile:
        assert len(profile.samples()) == 20 and profile.skipped == 5
        with pytest.raises(ProfileError, match="holds at most 20"):
            profile.add(one(), 1)
    with Profile(tmp_path / "mine.sqlite3") as mine:
        assert mine.import_from(path) == Imported(added=20, skipped=5)


def test_a_full_disk_is_reported_as_such_and_nothing_is_set_aside(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk once set a good profile aside as "unreadable" and left a 0-byte one in its place."""
    path = tmp_path / "profile.sqlite3"
    with Profile(path) as profile:
        profile.add(one(), 1)
    before = _files(tmp_path)
    connect = sqlite3.connect
    monkeypatch.setattr(profile_module.sqlite3, "connect", functools.partial(
        connect, factory=full_disk_connection(("PRAGMA USER_VERSION", "PRAGMA JOURNAL_MODE"))))
    profile, message = open_profile_safely(path)
    assert profile is None and message is not None and "the disk is full" in message
    assert "reads without a profile" in message and _files(tmp_path) == before  # nothing moved or emptied
    monkeypatch.setattr(profile_module.sqlite3, "connect", functools.partial(
        connect, factory=full_disk_connection(("INSERT",))))
    with Profile(path) as profile:
        with pytest.raises(ProfileStorageError, match="the disk is full"):
            profile.add(seven(), 7)
        assert [s.label for s in profile.samples()] == [1]


def test_a_locked_profile_is_reported_as_locked_within_its_wait(tmp_path: Path) -> None:
    path = tmp_path / "profile.sqlite3"
    Profile(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program is writing
    try:
        with Profile(path, busy_seconds=0.05) as profile, pytest.raises(ProfileLockedError,
                                                                         match="another program is using it"):
            profile.add(one(), 1)
        profile, message = open_profile_safely(path, busy_seconds=0.05)
        assert profile is not None and message is None  # reading is not blocked by a writer
        profile.close()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert [p.name for p in tmp_path.iterdir() if "unreadable" in p.name] == []


def _teach_in_rounds(folder: str, rounds: int, worker: int, barrier: multiprocessing.synchronize.Barrier) -> None:
    for round_ in range(rounds):
        barrier.wait()
        profile, message = open_profile_safely(Path(folder) / f"{round_}.sqlite3")
        assert profile is not None, message
        with profile:
            profile.add(one() if worker else seven(), worker)


@pytest.mark.slow
def test_two_processes_creating_a_profile_at_once_lose_no_sample(tmp_path: Path) -> None:
    """The loser of the race once said "table samples already exists" and set the winner's file aside."""
    rounds = 12
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_teach_in_rounds, args=(str(tmp_path), rounds, w, barrier)) for w in (0, 1)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    for round_ in range(rounds):
        with Profile(tmp_path / f"{round_}.sqlite3") as profile:
            assert sorted(s.label for s in profile.samples()) == [0, 1], round_
    assert [p.name for p in tmp_path.iterdir() if "unreadable" in p.name] == []


def test_a_profile_path_that_is_not_a_regular_file_is_refused_before_sqlite_opens_it(tmp_path: Path) -> None:
    """As root, SQLite once left /dev/null-journal behind when --profile was a link to /dev/null."""
    link = tmp_path / "null.sqlite3"
    link.symlink_to(os.devnull)
    fifo = tmp_path / "fifo.sqlite3"
    os.mkfifo(fifo)
    journal_existed = os.path.exists(f"{os.devnull}-journal")
    with pytest.raises(ProfileError, match="is a device, not a profile file"):
        Profile(link).add(one(), 1)
    with pytest.raises(ProfileError, match="is a FIFO, not a profile file"):
        Profile(fifo)
    with pytest.raises(ProfileError, match="is a folder, not a profile file"):
        Profile(tmp_path)
    assert os.path.exists(f"{os.devnull}-journal") == journal_existed
    profile, message = open_profile_safely(link)
    assert profile is None and message is not None and "reads without a profile" in message
    assert link.is_symlink()  # not set aside: the file is not a profile at all


def test_an_import_reads_its_source_only(tmp_path: Path) -> None:
    """Import once wrote into its source: an empty file became a 16 KB profile."""
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    with Profile(tmp_path / "a.sqlite3") as profile:
        profile.add(one(), 1)
        profile.export_to(tmp_path / "exported.sqlite3")
    before = _files(tmp_path)
    with Profile(tmp_path / "mine.sqlite3") as mine:
        with pytest.raises(UnusableProfileError, match="holds no digitpad profile"):
            mine.import_from(empty)
        with pytest.raises(ProfileError, match="no profile file at"):
            mine.import_from(tmp_path / "missing.sqlite3")
        assert mine.import_from(tmp_path / "exported.sqlite3").added == 1
    after = _files(tmp_path)
    assert {name: after[name] for name in before} == before
    assert not (tmp_path / "missing.sqlite3").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_an_import_from_a_read_only_folder_works(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    with Profile(tmp_path / "a.sqlite3") as profile:
        profile.add(one(), 1)
        profile.export_to(folder / "exported.sqlite3")
    folder.chmod(0o555)
    try:
        with Profile(tmp_path / "mine.sqlite3") as mine:
            assert mine.import_from(folder / "exported.sqlite3").added == 1
    finally:
        folder.chmod(0o755)


def test_a_profile_is_never_imported_into_itself_nor_exported_over_its_journal(tmp_path: Path) -> None:
    """Importing a profile into itself once doubled it; --export onto its own -wal file "succeeded" and
    the file vanished; a folder at .NAME.tmp made --export NAME fail with a traceback."""
    path = tmp_path / "profile.sqlite3"
    with Profile(path) as profile:
        profile.add(one(), 1)
        with pytest.raises(ProfileError, match="is this profile itself"):
            profile.import_from(path)
        for target in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            with pytest.raises(ProfileError, match="over itself or its journal files"):
                profile.export_to(target)
        (tmp_path / ".out.sqlite3.tmp").mkdir()
        profile.export_to(tmp_path / "out.sqlite3")
        assert len(profile) == 1
    with Profile(tmp_path / "out.sqlite3") as out:
        assert [s.label for s in out.samples()] == [1]


def _random_adapter(samples: int, seed: int = 0) -> Adapter:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, samples)
    centers = rng.normal(size=(10, 16))
    readings = []
    for label in labels:
        probabilities = rng.dirichlet(np.ones(10)).astype(np.float32)
        embeddings = (centers[label] + 0.8 * rng.normal(size=(2, 16))).astype(np.float32)
        readings.append(Reading(probabilities, embeddings))
    return Adapter.from_readings(readings, labels.tolist())


def test_what_the_samples_fix_is_measured_in_chunks_in_bounded_memory() -> None:
    """Your Samples once scored every sample against every other at once: 10,000 took 2.9 GB."""
    small = _random_adapter(300)
    similarities = small.similarities(small.originals)
    np.fill_diagonal(similarities, -np.inf)
    expected = small.combine(small.network, similarities).argmax(axis=1)  # all pairs at once, as before
    right_alone, right = small.network.argmax(axis=1) == small.labels, expected == small.labels
    assert leave_one_out(small) == Effect(300, int((~right_alone).sum()), int((~right_alone & right).sum()),
                                          int((right_alone & ~right).sum()))
    assert leave_one_out(small, most=100).samples == 100
    big = _random_adapter(3_000)
    tracemalloc.start()
    try:
        effect = leave_one_out(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert effect.samples == adapt.EFFECT_SAMPLES
    assert peak < 3_000 * 3_000 * 8 / 2, f"{peak / 2**20:.0f} MiB"  # all pairs: 69 MiB for one float64 matrix
