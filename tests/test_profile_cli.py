"""`digitpad teach`, `digitpad profile` and `digitpad classify --profile / --no-profile`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digitpad.cli import main
from digitpad.ink.drawing import Drawing
from digitpad.ink.drawing_file import drawing_to_json, save_drawing
from digitpad.personal.profile import Profile, default_profile_path
from tests.drawings import mouse_like, one, seven, zero


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def labelled(path: Path, drawing: Drawing, label: object) -> Path:
    path.write_text(json.dumps(drawing_to_json(drawing) | {"label": label}))
    return path


def digits(out: str) -> dict[str, int]:
    return {json.loads(line)["path"]: json.loads(line)["digit"] for line in out.splitlines()}


def test_teach_then_classify_reads_with_the_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "me.sqlite3"
    taught = labelled(tmp_path / "taught.json", mouse_like(seven(), seed=1), "1")
    code, out, _ = run(capsys, "teach", "--profile", str(profile), str(taught))
    assert code == 0 and "taught 1 sample" in out
    query = tmp_path / "query.json"
    save_drawing(query, mouse_like(seven(), seed=2))
    save_drawing(tmp_path / "zero.json", zero())
    other = str(tmp_path / "zero.json")
    _, with_profile, _ = run(capsys, "classify", "--json", "--profile", str(profile), str(query), other)
    _, alone, _ = run(capsys, "classify", "--json", "--no-profile", str(query))
    assert list(digits(with_profile).values()) == [1, 0] and list(digits(alone).values()) == [7]


def test_classify_uses_the_persons_own_profile_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    query = tmp_path / "query.json"
    save_drawing(query, mouse_like(seven(), seed=2))
    _, before, _ = run(capsys, "classify", "--json", str(query))
    assert not default_profile_path().exists()  # classifying creates no profile
    taught = labelled(tmp_path / "t.json", mouse_like(seven(), seed=1), "7")
    code, _, _ = run(capsys, "teach", "--label", "1", str(taught))
    assert code == 0 and default_profile_path().is_file()  # --label overrides the file's own label
    _, after, _ = run(capsys, "classify", "--json", str(query))
    assert list(digits(before).values()) == [7] and list(digits(after).values()) == [1]


def test_bad_labels_are_clear_errors_and_the_good_files_are_taught(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "me.sqlite3"
    unlabelled = tmp_path / "unlabelled.json"
    save_drawing(unlabelled, one())
    image = tmp_path / "one.png"
    image.write_bytes(b"\x89PNG not really")
    files = [labelled(tmp_path / "good.json", one(), "1"), unlabelled,
             labelled(tmp_path / "number.json", one(), "42"), labelled(tmp_path / "word.json", one(), "one"), image]
    code, out, err = run(capsys, "teach", "--profile", str(profile), *map(str, files))
    assert code == 1 and "taught 1 sample" in out
    assert 'no "label"' in err and "has 2 digits" in err and "must be a string of 1 to 64 digits" in err
    assert "only drawing JSON files can be taught" in err
    with Profile(profile) as opened:
        assert [s.label for s in opened.samples()] == [1]


def test_profile_shows_counts_and_moves_samples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine, moved, other = tmp_path / "mine.sqlite3", tmp_path / "moved.sqlite3", tmp_path / "other.sqlite3"
    run(capsys, "teach", "--profile", str(mine), "--label", "7",
        *(str(save_to(tmp_path / f"{i}.json", mouse_like(seven(), seed=i))) for i in range(3)))
    code, out, _ = run(capsys, "profile", "--profile", str(mine), "--json")
    assert code == 0 and json.loads(out)["samples"]["7"] == 3 and json.loads(out)["samples"]["1"] == 0
    assert run(capsys, "profile", "--profile", str(mine), "--export", str(moved))[0] == 0
    code, out, _ = run(capsys, "profile", "--profile", str(other), "--import", str(moved))
    assert code == 0 and "added 3 sample(s)" in out and "3 sample(s)" in out.splitlines()[1]


def save_to(path: Path, drawing: Drawing) -> Path:
    save_drawing(path, drawing)
    return path


def test_a_corrupt_profile_is_kept_aside_and_classify_still_reads(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"garbage" * 1000)
    query = save_to(tmp_path / "q.json", zero())
    code, out, err = run(capsys, "classify", "--json", "--profile", str(broken), str(query))
    assert code == 0 and list(digits(out).values()) == [0]
    assert "not a readable digitpad profile" in err and "kept as broken.sqlite3.unreadable-" in err
