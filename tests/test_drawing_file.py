from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import numpy as np
import pytest

from digitpad.errors import DrawingError
from digitpad.files import STALE_TEMP_SECONDS
from digitpad.ink.drawing import DEFAULT_PEN_WIDTH, Drawing
from digitpad.ink.drawing_file import (
    MAX_FILE_BYTES,
    drawing_from_json,
    drawing_to_json,
    load_drawing,
    save_drawing,
)
from tests.drawings import mouse_like, seven
from tests.hostile_files import HOSTILE_DRAWINGS

GOOD = {"format": "digitpad-drawing", "version": 1, "width": 280, "height": 280, "strokes": [[[1, 2], [3.5, 4]]]}


def test_round_trip_keeps_strokes_to_a_hundredth_of_a_pixel(tmp_path: Path) -> None:
    drawing = mouse_like(seven())
    save_drawing(tmp_path / "d.json", drawing)
    loaded = load_drawing(tmp_path / "d.json")
    assert (loaded.width, loaded.height, loaded.pen_width) == (280, 280, drawing.pen_width)
    for a, b in zip(loaded.strokes, drawing.strokes):
        np.testing.assert_allclose(a, b, atol=0.005)


def test_pen_width_is_optional() -> None:
    assert drawing_from_json(GOOD).pen_width == DEFAULT_PEN_WIDTH
    assert drawing_from_json({**GOOD, "pen_width": 7}).pen_width == 7.0


def test_written_format_is_the_documented_one() -> None:
    data = drawing_to_json(Drawing([[[1, 2]]], 300, 200, 12))
    assert data == {
        "format": "digitpad-drawing",
        "version": 1,
        "width": 300,
        "height": 200,
        "pen_width": 12.0,
        "strokes": [[[1.0, 2.0]]],
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "svg"}, 'not a digitpad drawing: "format" is "svg"'),
        ({"version": 2}, "unsupported drawing version 2"),
        ({"version": "1"}, 'unsupported drawing version "1"'),
        ({"width": "280"}, '"width" must be a number'),
        ({"height": 0}, "canvas height must be a whole number"),
        ({"width": 10**9}, "canvas width must be a whole number"),
        ({"width": -280}, "canvas width must be a whole number"),
        ({"format": None}, 'not a digitpad drawing: "format" is null'),
        ({"pen_width": "20"}, '"pen_width" must be a number, got "20"'),
        ({"strokes": "[[1, 2]]"}, '"strokes" must be a list'),
        ({"strokes": [[{"x": 1, "y": 2}]]}, "stroke 0, point 0 must be a list [x, y]"),
        ({"strokes": [[[1e300, 2]]]}, "coordinates must lie within"),
        ({"pen_width": -1}, "pen width must be above 0"),
        ({"strokes": {}}, '"strokes" must be a list'),
        ({"strokes": [5]}, "stroke 0 must be a list"),
        ({"strokes": [[[1, 2]], [[1, True]]]}, "stroke 1, point 0: y must be a number, got true"),
        ({"strokes": [[[1, 2], [None, 3]]]}, "stroke 0, point 1: x must be a number, got null"),
        ({"strokes": [[[1, 2, 3]]]}, "stroke 0, point 0 must be a list [x, y]"),
        ({"strokes": [[]]}, "stroke 0 has no points"),
    ],
)
def test_bad_documents_name_the_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(DrawingError) as caught:
        drawing_from_json({**GOOD, **change})
    assert message in str(caught.value)


@pytest.mark.parametrize("missing", ["width", "height", "strokes"])
def test_missing_fields_are_named(missing: str) -> None:
    with pytest.raises(DrawingError, match=f'no "{missing}"'):
        drawing_from_json({k: v for k, v in GOOD.items() if k != missing})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not valid JSON"),
        (b'{"format": ', "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"[1, 2]", "must hold a JSON object"),
        (b'{"format": "digitpad-drawing", "version": 1, "width": 280, "height": 280, "strokes": [[[NaN, 1]]]}', "NaN"),
        (b"[" * 100_000, "nested too deeply"),
        (
            b'{"format": "digitpad-drawing", "version": 1, "width": 280, "height": 280, "strokes": [[[Infinity, 1]]]}',
            "infinite",
        ),
        (b'{"format": "digitpad-drawing", "version": 1, "width": 1e309, "height": 280, "strokes": []}', "finite"),
    ],
)
def test_bad_files_give_errors_that_name_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(DrawingError) as caught:
        load_drawing(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_a_drawing_too_complex_to_render_is_refused_when_opened(tmp_path: Path) -> None:
    points = np.random.default_rng(0).uniform(0, 280, (100_000, 2)).round(2).tolist()
    path = tmp_path / "scribble.json"
    path.write_text(json.dumps({**GOOD, "strokes": [points]}))
    with pytest.raises(DrawingError, match="too complex"):
        load_drawing(path)


def test_missing_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(DrawingError, match="cannot read"):
        load_drawing(tmp_path / "none.json")
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(DrawingError, match="limit"):
        load_drawing(big)


def test_saving_replaces_atomically_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text("old")
    save_drawing(path, seven())
    assert json.loads(path.read_text())["format"] == "digitpad-drawing"
    assert [p.name for p in tmp_path.iterdir()] == ["d.json"]


@pytest.mark.parametrize("name", sorted(HOSTILE_DRAWINGS))
def test_hostile_files_are_refused_at_once_with_a_clear_message(tmp_path: Path, name: str) -> None:
    """A FIFO or a link to /dev/zero is never read (no hang, no unbounded read); huge numbers, a
    million strokes or billions of pen pixels are refused before the work."""
    make, message = HOSTILE_DRAWINGS[name]
    make(tmp_path / name)
    with pytest.raises(DrawingError) as caught:
        load_drawing(tmp_path / name)
    assert str(tmp_path / name) in str(caught.value) and message in str(caught.value)


def test_a_folder_named_json_is_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(DrawingError, match="it is a folder, not a regular file"):
        load_drawing(tmp_path / "folder.json")


def test_a_huge_integer_anywhere_is_a_drawing_error_never_an_overflow() -> None:
    for field in ("width", "pen_width"):
        with pytest.raises(DrawingError, match="far too large"):
            drawing_from_json({**GOOD, field: 10**400})
    with pytest.raises(DrawingError, match="too large for a number"):
        drawing_from_json({**GOOD, "strokes": [[[1, 2], [10**400, 3]]]})
    with pytest.raises(DrawingError, match="unsupported drawing version true"):
        drawing_from_json({**GOOD, "version": True})


def test_saving_over_a_private_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "private.json"
    path.write_text("old")
    path.chmod(0o600)
    save_drawing(path, seven())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(load_drawing(path).strokes) == len(seven().strokes)


def test_saving_through_a_link_writes_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "d.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    save_drawing(link, seven())
    assert link.is_symlink() and load_drawing(target).strokes[0].shape == seven().strokes[0].shape
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["d.json"]


def test_a_250_character_file_name_saves(tmp_path: Path) -> None:
    path = tmp_path / ("d" * 245 + ".json")
    save_drawing(path, seven())
    assert len(load_drawing(path).strokes) == len(seven().strokes)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_stale_temporary_files_of_a_killed_save_are_removed_by_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    stale, fresh = tmp_path / ".d.json.abcd1234.tmp", tmp_path / ".d.json.efgh5678.tmp"
    for leftover in (stale, fresh):
        leftover.write_text("half a save")
    an_hour_ago = time.time() - STALE_TEMP_SECONDS - 60
    os.utime(stale, (an_hour_ago, an_hour_ago))
    save_drawing(path, seven())
    assert sorted(p.name for p in tmp_path.iterdir()) == [fresh.name, "d.json"]  # a young one may be in use


def test_a_label_is_kept_through_save_and_load(tmp_path: Path) -> None:
    from digitpad.ink.drawing_file import load_labelled_drawing

    drawing = Drawing([[[10.0, 20.0], [30.0, 40.0]]], 840, 280)
    save_drawing(tmp_path / "n.json", drawing, label="4071")
    loaded, label = load_labelled_drawing(tmp_path / "n.json")
    assert loaded == drawing and label == "4071"
    assert json.loads((tmp_path / "n.json").read_text())["label"] == "4071"
    save_drawing(tmp_path / "plain.json", drawing)
    assert load_labelled_drawing(tmp_path / "plain.json")[1] is None
    assert "label" not in json.loads((tmp_path / "plain.json").read_text())


@pytest.mark.parametrize("label", ["", "4a", "-1", -1, 7.0, True, None, "٣", "1" * 65, 10**64])
def test_a_bad_label_is_refused_and_named(tmp_path: Path, label: object) -> None:
    from digitpad.ink.drawing_file import load_labelled_drawing

    data = {"format": "digitpad-drawing", "version": 1, "width": 280, "height": 280, "strokes": [], "label": label}
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(DrawingError, match='"label" must be a string of 1 to 64 digits'):
        load_labelled_drawing(tmp_path / "bad.json")
    if label is not None:  # None means "no label" when saving
        with pytest.raises(DrawingError):
            save_drawing(tmp_path / "out.json", Drawing(), label=label)  # type: ignore[arg-type]


@pytest.mark.parametrize(("label", "digits"), [(7, "7"), (2026, "2026"), (0, "0")])
def test_a_label_written_as_a_number_is_read_as_its_digits(tmp_path: Path, label: int, digits: str) -> None:
    from digitpad.ink.drawing_file import load_labelled_drawing

    data = {"format": "digitpad-drawing", "version": 1, "width": 280, "height": 280, "strokes": [], "label": label}
    (tmp_path / "n.json").write_text(json.dumps(data))
    assert load_labelled_drawing(tmp_path / "n.json")[1] == digits
