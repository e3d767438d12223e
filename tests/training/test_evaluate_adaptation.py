"""`python -m training evaluate-adaptation`: both protocols, per writer, on a writer whose 1s look like 7s."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.training.drawing_fixtures import bar, ring, seven
from training.__main__ import main


def write(path: Path) -> Path:
    """Writer a/flag draws 1s as the model reads 7s (three of them) and two 0s; writer a/plain draws plainly."""
    records = [{"label": 1, "donor": "a", "writer": "flag", "strokes": [seven()]} for _ in range(3)]
    records += [{"label": 0, "donor": "a", "writer": "flag", "strokes": [ring()]} for _ in range(2)]
    records += [{"label": label, "donor": "a", "writer": "plain", "strokes": [shape]}
                for label, shape in ((1, bar()), (0, ring()), (1, bar()), (7, seven()))]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_both_protocols_per_writer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digits = write(tmp_path / "digits.jsonl")
    assert main(["evaluate-adaptation", str(digits), "--out", str(tmp_path / "out")]) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    enrolment, corrections = report["enrolment"], report["corrections"]
    # enrolment: the first 1 and the first 0 of each writer taught; the flagged writer's other two 1s judged
    assert enrolment["per_writer"]["a/flag"] == [3, 2, 0, 2]  # judged, errors alone, with profile, taught
    assert enrolment["per_writer"]["a/plain"][1:3] == [0, 0]
    # corrections: the first flagged 1 is wrong and taught; the next two are read right
    assert corrections["per_writer"]["a/flag"] == [5, 3, 1, 1]
    assert corrections["per_writer"]["a/plain"] == [4, 0, 0, 0]
    assert corrections["writers_worse"] == 0 and enrolment["errors_alone"] == 2
    out = capsys.readouterr().out
    assert "== enrolment" in out and "== corrections" in out and "NOT writer-disjoint" in out


def test_mistaught_counts_answers_a_lone_wrong_sample_changes(tmp_path: Path) -> None:
    """Writer a/plain's first 1 taught as the model's second choice: their other sure 1 is judged."""
    digits = write(tmp_path / "digits.jsonl")
    assert main(["evaluate-adaptation", str(digits), "--out", str(tmp_path / "out")]) == 0
    mistaught = json.loads((tmp_path / "out" / "report.json").read_text())["mistaught"]
    judged, changed, confident = mistaught["per_writer"]["a/plain"]
    assert judged >= 1 and confident == 0  # one sample never makes a confident answer against a sure model
    assert mistaught["confident_share"] == 0.0


def test_unseen_by_judges_only_the_writers_not_in_the_other_file(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    digits = write(tmp_path / "digits.jsonl")
    seen = tmp_path / "seen.jsonl"
    seen.write_text("".join(line + "\n" for line in digits.read_text().splitlines() if '"plain"' in line))
    assert main(["evaluate-adaptation", str(digits), "--unseen-by", str(seen), "--out", str(tmp_path / "out")]) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert list(report["enrolment"]["per_writer"]) == ["a/flag"] and list(report["mistaught"]["per_writer"]) == [
        "a/flag"]
    assert "writer-disjoint if" in capsys.readouterr().out
