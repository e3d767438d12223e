"""The profile store: samples kept as ink, atomic changes, and unusable files kept aside, never lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from digitpad.errors import ProfileError
from digitpad.personal.profile import SCHEMA_VERSION, Profile, default_profile_path, open_profile_safely
from digitpad.reading.adapt import Reading
from tests.drawings import one, seven, zero


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


def test_export_and_import_move_the_samples(tmp_path: Path) -> None:
    with Profile(tmp_path / "a.sqlite3") as profile:
        profile.add_many([(one(), 1), (seven(), 7)])
        profile.export_to(tmp_path / "moved.sqlite3")
    with Profile(tmp_path / "b.sqlite3") as other:
        other.add(zero(), 0)
        assert other.import_from(tmp_path / "moved.sqlite3") == 2
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
