"""`digitpad teach`, `digitpad profile` and `digitpad classify --profile / --no-profile`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from digitpad.cli import main
from digitpad.ink.drawing import Drawing
from digitpad.ink.drawing_file import drawing_to_json, save_drawing
from digitpad.personal.profile import Profile, default_profile_path
from tests.drawings import mouse_like, one, seven, zero
from tests.hostile_profiles import BAD_ROWS, make_refused_profiles, profile_with_bad_rows


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
    assert 'no "label"' in err and "finds 1 digit in the drawing but \"label\" '42' gives 2" in err
    assert "must be a string of 1 to 64 digits" in err
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


def number_drawing() -> Drawing:
    """A 1 and a 7 side by side: two digits for the reader."""
    return Drawing((np.array([[60.0, 60.0], [60.0, 200.0]]), np.array([[150.0, 60.0], [220.0, 60.0], [170.0, 200.0]])))


def test_one_drawing_is_one_sample_taught_or_imported_again(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    profile = str(tmp_path / "me.sqlite3")
    taught = labelled(tmp_path / "t.json", mouse_like(seven(), seed=1), "7")
    assert run(capsys, "teach", "--profile", profile, str(taught))[0] == 0
    code, out, _ = run(capsys, "teach", "--profile", profile, str(taught))
    assert code == 0 and "taught 0 samples; 1 was already in your profile (kept once)" in out
    assert run(capsys, "profile", "--profile", profile, "--export", str(tmp_path / "copy.sqlite3"))[0] == 0
    code, out, _ = run(capsys, "profile", "--profile", profile, "--import", str(tmp_path / "copy.sqlite3"))
    assert code == 0 and "added 0 sample(s)" in out and "1 already in the profile, kept once" in out
    with Profile(tmp_path / "me.sqlite3") as opened:
        assert len(opened) == 1


def test_a_number_drawing_teaches_one_sample_per_digit_or_is_refused(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    profile = str(tmp_path / "me.sqlite3")
    right = labelled(tmp_path / "17.json", number_drawing(), "17")
    short = labelled(tmp_path / "2.json", number_drawing(), "2")
    code, out, err = run(capsys, "teach", "--profile", profile, str(right), str(short))
    assert code == 1 and "taught 2 samples" in out
    assert 'digitpad finds 2 digits in the drawing but "label" \'2\' gives 1' in err
    code, _, err = run(capsys, "teach", "--profile", profile, "--label", "3", str(right))
    assert code == 1 and "--label gives one" in err
    with Profile(tmp_path / "me.sqlite3") as opened:
        assert sorted((s.label, len(s.drawing.strokes)) for s in opened.samples()) == [(1, 1), (7, 1)]


def test_classify_says_which_answers_came_from_the_samples(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    profile = str(tmp_path / "me.sqlite3")
    run(capsys, "teach", "--profile", profile, str(labelled(tmp_path / "t.json", mouse_like(seven(), seed=1), "1")))
    query = tmp_path / "query.json"
    save_drawing(query, mouse_like(seven(), seed=1))
    _, out, _ = run(capsys, "classify", "--json", "--profile", profile, str(query))
    record = json.loads(out)
    assert record["from_samples"] is True and record["model_alone"]["digit"] == 7 and record["digit"] == 1
    assert record["number_model_alone"] == "7" and record["digits"][0]["model_alone"]["digit"] == 7
    assert not record["confident"]  # one sample against a sure model: not sure, both candidates
    _, out, _ = run(capsys, "classify", "--profile", profile, str(query))
    assert "(from your samples; the model alone: 7)" in out
    assert "and your profile (1 sample; 1 answer from your samples)" in out


def test_a_numeric_label_is_read_as_its_digits_by_teach_and_classify(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    numeric = labelled(tmp_path / "seven.json", mouse_like(seven(), seed=1), 7)
    code, out, _ = run(capsys, "classify", "--json", "--no-profile", str(numeric))
    assert code == 0 and json.loads(out)["label"] == "7" and json.loads(out)["digit"] == 7
    code, out, _ = run(capsys, "teach", "--profile", str(tmp_path / "me.sqlite3"), str(numeric))
    assert code == 0 and "taught 1 sample" in out


def test_hostile_profiles_get_one_clear_line_in_every_command(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A view of endless rows once made `profile --import`, `classify --profile` and `teach` never finish."""
    query = save_to(tmp_path / "q.json", zero())
    taught = labelled(tmp_path / "t.json", one(), "1")
    for path, message in make_refused_profiles(tmp_path / "hostile").items():
        before = path.read_bytes()
        code, _, err = run(capsys, "profile", "--profile", str(tmp_path / "mine.sqlite3"), "--import", str(path))
        assert code == 1 and message in err and "Traceback" not in err, path.name
        assert path.read_bytes() == before
        code, out, err = run(capsys, "classify", "--json", "--profile", str(path), str(query))
        assert code == 0 and list(digits(out).values()) == [0] and message in err and "kept as" in err, path.name
        code, out, _ = run(capsys, "teach", "--profile", str(path), str(taught))  # a new profile in its place
        assert code == 0 and "holds 1" in out
    with Profile(tmp_path / "mine.sqlite3") as mine:
        assert len(mine) == 0


def test_bad_rows_are_skipped_by_import_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = profile_with_bad_rows(tmp_path / "bad.sqlite3")
    code, out, err = run(capsys, "profile", "--profile", str(tmp_path / "mine.sqlite3"), "--import", str(bad))
    assert code == 0 and f"added 2 sample(s) from {bad}; {len(BAD_ROWS)} unusable row(s) skipped" in out, err
    code, out, err = run(capsys, "profile", "--profile", str(bad), "--export", str(tmp_path / "out.sqlite3"))
    assert code == 0 and "wrote" in out and "Traceback" not in err
    code, out, err = run(capsys, "profile", "--profile", str(bad), "--json")
    assert code == 0 and json.loads(out)["samples"]["1"] == 1 and f"{len(BAD_ROWS)} unusable row(s)" in err


@pytest.mark.parametrize("label", ["\u0663", "\uff13", "33", "-1", " 3"])
def test_teach_label_takes_an_ascii_digit_only(tmp_path: Path, capsys: pytest.CaptureFixture[str], label: str) -> None:
    """`teach --label ٣` and `--label ３` were taken as 3, while a drawing file's label refuses them."""
    taught = labelled(tmp_path / "t.json", one(), "1")
    with pytest.raises(SystemExit) as exit_:
        main(["teach", "--profile", str(tmp_path / "me.sqlite3"), "--label", label, str(taught)])
    assert exit_.value.code == 2 and "is not a digit 0-9" in capsys.readouterr().err
    assert not (tmp_path / "me.sqlite3").exists()
