"""Reading pen digits and splitting them by writer."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from tests.training.drawing_fixtures import write_digits
from training import unipen
from training.unipen import DrawingDataError


@pytest.mark.parametrize("name", ["digits.jsonl", "digits.jsonl.gz"])
def test_reads_plain_and_gzipped_files(tmp_path: Path, name: str) -> None:
    records = write_digits(tmp_path / name)
    samples = unipen.load_samples(tmp_path / name)
    assert [s.label for s in samples] == [r["label"] for r in records]
    assert samples[0].group == "aaa/w0"
    assert all(s.strokes[0].dtype == np.float64 and s.strokes[0].shape[1] == 2 for s in samples)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"label": 11, "donor": "a", "writer": "b", "strokes": [[[0, 0]]]}', "label must be a digit"),
        ('{"label": 3, "donor": "a", "strokes": [[[0, 0]]]}', "missing key 'writer'"),
        ('{"label": 3, "donor": "a", "writer": "b", "strokes": []}', "strokes must be a non-empty list"),
        ('{"label": 3, "donor": "a", "writer": "b", "strokes": [[[0, 0, 1]]]}', "stroke 0 must be"),
        ('{"label": 3, "donor": "a", "writer": "b", "strokes": [[["x", 0]]]}', "stroke 0 is not a list"),
        ("[1, 2]", "expected a JSON object"),
        ("{not json", "not valid JSON"),
    ],
)
def test_a_bad_line_is_named_with_its_line_number(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"label": 1, "donor": "a", "writer": "b", "strokes": [[[0, 0], [0, 5]]]}\n' + line + "\n")
    with pytest.raises(unipen.DrawingDataError, match=message) as caught:
        unipen.load_samples(path)
    assert "bad.jsonl:2" in str(caught.value)


def test_missing_empty_and_corrupt_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(unipen.DrawingDataError, match="no pen-digit file"):
        unipen.load_samples(tmp_path / "absent.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(unipen.DrawingDataError, match="holds no samples"):
        unipen.load_samples(tmp_path / "empty.jsonl")
    (tmp_path / "broken.jsonl.gz").write_bytes(gzip.compress(b'{"label": 1}\n')[:-6])
    with pytest.raises(unipen.DrawingDataError):
        unipen.load_samples(tmp_path / "broken.jsonl.gz")


def test_folds_never_split_a_writer_and_tell_donors_apart(tmp_path: Path) -> None:
    write_digits(tmp_path / "d.jsonl", writers=6, per_writer=3)  # writer w0 exists at both donors
    samples = unipen.load_samples(tmp_path / "d.jsonl")
    fold = unipen.writer_folds(samples, n_folds=4)
    by_writer: dict[str, set[int]] = {}
    for sample, f in zip(samples, fold):
        by_writer.setdefault(sample.group, set()).add(int(f))
    assert len(by_writer) == 12
    assert all(len(folds) == 1 for folds in by_writer.values())
    assert set(fold.tolist()) == {0, 1, 2, 3}
    assert np.array_equal(fold, unipen.writer_folds(samples, n_folds=4))  # deterministic


def test_too_few_writers_for_the_folds(tmp_path: Path) -> None:
    write_digits(tmp_path / "d.jsonl", writers=1, donors=("aaa",))
    with pytest.raises(unipen.DrawingDataError, match="1 writers cannot make 5"):
        unipen.writer_folds(unipen.load_samples(tmp_path / "d.jsonl"))


def test_the_dev_set_has_its_documented_size() -> None:
    samples = unipen.load_samples()
    assert len(samples) == 11218
    assert len(set(unipen.groups(samples))) == 186
    assert len({s.donor for s in samples}) == 12
    assert sorted(set(unipen.labels(samples).tolist())) == list(range(10))


def test_a_file_of_one_huge_line_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """`train --drawings` on a gzip of one 4 GiB line once read it whole (4.5 GB, then a MemoryError)."""
    path = tmp_path / "one_line.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=1) as stream:
        for _ in range(64):  # 64 MiB of one line, about 300 KB on disk
            stream.write(b"x" * (1 << 20))
    tracemalloc.start()
    try:
        with pytest.raises(DrawingDataError, match="the line is longer than 1,048,576 characters"):
            list(unipen.iter_samples(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, f"{peak / 2**20:.0f} MiB"
