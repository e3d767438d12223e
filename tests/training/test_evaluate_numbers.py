"""The number evaluation: numbers composed from each writer's digits, read by the app's pipeline."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from tests.training.drawing_fixtures import bar, ring, seven, write_digits
from training import unipen
from training.evaluate import numbers as evaluate_numbers
from training.evaluate.numbers import SPACING, Spacing, compose, number_cases, writer_sizes


def sample(label: int, strokes: list[list[list[float]]], writer: str = "w") -> unipen.PenSample:
    return unipen.PenSample(label, "aaa", writer, tuple(np.asarray(s, float) for s in strokes))


def test_a_writers_digits_keep_their_sizes_in_one_unit() -> None:
    """One digit recorded 70x larger (as some IBM writers' are) is brought back to the others' unit."""
    small, tall = sample(1, [bar(100.0)]), sample(1, [bar(150.0)])
    huge = sample(0, [(np.asarray(ring(height=100.0)) * 70).tolist()])
    sizes = writer_sizes([small, tall, small, huge])
    heights = [float(np.ptp(np.concatenate(s)[:, 1])) for s in sizes]
    assert heights[1] / heights[0] == pytest.approx(1.5)  # relative sizes kept
    assert heights[3] == pytest.approx(heights[0], rel=0.3)


def test_digits_are_laid_left_to_right_on_the_wide_canvas() -> None:
    rng = np.random.default_rng(0)
    digits = writer_sizes([sample(7, [seven()]), sample(0, [ring()]), sample(1, [bar()])] * 2)[:3]
    drawing = compose(digits, rng, Spacing(tight_share=0.0, overlap_share=0.0, normal=(0.3, 0.3), slope=0.0))
    assert (drawing.width, drawing.height) == (evaluate_numbers.CANVAS_WIDTH, 280)
    lefts = [s[:, 0].min() for s in drawing.strokes]
    rights = [s[:, 0].max() for s in drawing.strokes]
    assert lefts[0] < rights[0] < lefts[1] < rights[1] < lefts[2]
    gap = lefts[1] - rights[0]
    height = np.ptp(np.concatenate(drawing.strokes)[:, 1])
    assert gap == pytest.approx(0.3 * height, rel=0.1)
    tight = compose(digits, rng, Spacing(tight_share=0.0, overlap_share=1.0, overlap=0.1, slope=0.0))
    assert tight.strokes[1][:, 0].min() < tight.strokes[0][:, 0].max()  # boxes overlap a little


def test_every_number_is_one_writers(tmp_path: Path) -> None:
    write_digits(tmp_path / "d.jsonl", writers=4, per_writer=9)
    samples = unipen.load_samples(tmp_path / "d.jsonl")
    cases = number_cases(samples, np.zeros(len(samples), np.int64), rounds=2, seed=0, spacing=SPACING)
    assert cases and all(2 <= len(c.truth) <= 10 for c in cases)
    writers = len({s.group for s in samples})
    used = sum(len(c.truth) for c in cases)  # each round uses every digit once, but a writer's last odd one
    assert 2 * len(samples) - 2 * writers <= used <= 2 * len(samples)
    assert {c.writer for c in cases} == {s.group for s in samples}


def test_reports_numbers_single_digits_and_failure_grids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With the shipped model, on simple 0s, 1s and 7s by 8 writers."""
    write_digits(tmp_path / "d.jsonl", writers=4, per_writer=12)
    parser = argparse.ArgumentParser()
    evaluate_numbers.add_arguments(parser)
    args = parser.parse_args([str(tmp_path / "d.jsonl"), "--rounds", "1", "--images", "--out", str(tmp_path / "o")])
    result = evaluate_numbers.measure(args)
    printed = capsys.readouterr().out
    assert "saw all the dev-set writers" in printed or "seen" in printed
    numbers, single = result["numbers"], result["single_digits"]
    assert isinstance(numbers, dict) and isinstance(single, dict)
    assert single["numbers"] == 96 and single["too_many"] == 0 and single["exact"] > 0.9
    assert numbers["exact"] > 0.8 and numbers["count_wrong"] < 0.1
    assert set(numbers["by_length"]) <= set(range(2, 11))
    assert isinstance(result["numbers_from_images"], dict)
    saved = json.loads((tmp_path / "o" / "report.json").read_text())
    assert saved["numbers"]["numbers"] == numbers["numbers"] and saved["writer_disjoint"] is False
    for name in ("numbers", "single-digits", "numbers-from-images"):
        assert (tmp_path / "o" / f"failures-{name}.png").read_bytes().startswith(b"\x89PNG")
