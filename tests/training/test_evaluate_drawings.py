"""The drawing evaluation: right figures, a failure grid, baselines, writer folds."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from digitpad.ink.drawing import Drawing
from digitpad.ink.normalize import MNIST
from tests.training.drawing_fixtures import constant_model, write_digits
from training.__main__ import build_parser, main
from training.evaluate import drawings as evaluate_drawings


def _parse(argv: list[str]) -> argparse.Namespace:
    return build_parser().parse_args(["evaluate-drawings", *argv])


@pytest.fixture
def digits(tmp_path: Path) -> Path:
    write_digits(tmp_path / "digits.jsonl", writers=5, per_writer=3)  # 30 samples: 0, 1, 7 by 10 writers
    return tmp_path / "digits.jsonl"


def test_reports_accuracy_per_donor_digit_and_writer(tmp_path: Path, digits: Path) -> None:
    model = constant_model(tmp_path / "sevens.onnx", 7)
    results = evaluate_drawings.measure(
        _parse([str(digits), "--model", str(model), "--out", str(tmp_path / "out")])
    )
    app = results["app"]
    assert isinstance(app, dict)
    assert app["samples"] == 30 and app["errors"] == 20
    assert app["accuracy"] == pytest.approx(1 / 3)
    assert app["by_digit"] == {"0": (0.0, 10), "1": (0.0, 10), "7": (1.0, 10)}
    assert set(app["by_donor"]) == {"aaa", "bbb"} and len(app["by_writer"]) == 10
    confusion = np.array(app["confusion"])
    assert confusion[0, 7] == 10 and confusion[7, 7] == 10 and confusion.sum() == 30
    assert app["confidence"]["confident_share"] == 1.0  # the model always says 90 %
    assert app["confidence"]["confident_accuracy"] == pytest.approx(1 / 3)
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["app"]["errors"] == 20
    png = (tmp_path / "out" / "failures-app.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000


def test_baselines_and_the_shipped_model(tmp_path: Path, digits: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = evaluate_drawings.measure(
        _parse([str(digits), "--baselines", "--out", str(tmp_path / "o")])
    )
    assert {"app", "whole-canvas", "bbox-crop", "mnist-com"} <= set(results)
    printed = capsys.readouterr().out
    assert "== whole-canvas:" in printed and "per donor:" in printed and "confusion" in printed
    for name in ("whole-canvas", "bbox-crop", "mnist-com"):
        assert (tmp_path / "o" / f"failures-{name}.png").is_file()


def test_fold_models_judge_only_their_own_writers(tmp_path: Path, digits: Path) -> None:
    models = [str(constant_model(tmp_path / f"m{digit}.onnx", digit)) for digit in (0, 1, 7)]
    args = _parse(
        [str(digits), "--folds", "3", "--fold-models", *models, "--out", str(tmp_path / "o")]
    )
    app = evaluate_drawings.measure(args)["app"]
    # Each writer wrote one 0, one 1 and one 7 (three each); whichever fold, its model gets one in three right.
    assert isinstance(app, dict) and app["accuracy"] == pytest.approx(1 / 3)
    only = evaluate_drawings.measure(
        _parse(
            [str(digits), "--model", models[0], "--folds", "5", "--only-fold", "2", "--out", str(tmp_path / "p")]
        )
    )["app"]
    assert isinstance(only, dict) and only["samples"] == 6 and len(only["by_writer"]) == 2
    donor = evaluate_drawings.measure(
        _parse(
            [str(digits), "--model", models[0], "--only-donor", "bbb", "--out", str(tmp_path / "q")]
        )
    )["app"]
    assert isinstance(donor, dict) and donor["samples"] == 15 and list(donor["by_donor"]) == ["bbb"]
    with pytest.raises(SystemExit, match="no samples by donor 'zzz'"):
        evaluate_drawings.measure(
            _parse([str(digits), "--only-donor", "zzz", "--out", str(tmp_path / "r")])
        )


def test_wrong_number_of_fold_models_is_refused(tmp_path: Path, digits: Path) -> None:
    model = str(constant_model(tmp_path / "m.onnx", 0))
    with pytest.raises(SystemExit, match="needs 5 models"):
        evaluate_drawings.measure(_parse([str(digits), "--fold-models", model, model]))


def test_baseline_preprocessings_center_the_digit() -> None:
    drawing = Drawing(([[30.0, 40.0], [30.0, 140.0]],))  # a bar in the upper left
    whole = evaluate_drawings.whole_canvas_input(drawing, MNIST)
    crop = evaluate_drawings.bbox_crop_input(drawing, MNIST)
    assert whole is not None and crop is not None
    assert whole[:, :6].sum() > 0.9 * whole.sum()  # the whole canvas keeps the bar where it was drawn
    cols = np.flatnonzero(crop.sum(axis=0) > 0.1)
    assert 12 <= cols.mean() <= 15  # the crop centers the box
    assert evaluate_drawings.whole_canvas_input(Drawing(), MNIST) is None
    assert evaluate_drawings.bbox_crop_input(Drawing(), MNIST) is None


def test_a_missing_file_or_model_is_a_clear_error(
    tmp_path: Path, digits: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate-drawings", str(tmp_path / "absent.jsonl")]) == 1
    assert "no pen-digit file at" in capsys.readouterr().err
    assert (
        main(["evaluate-drawings", str(digits), "--model", str(tmp_path / "absent.onnx"), "--out", str(tmp_path / "o")])
        == 1
    )
    assert "no model file at" in capsys.readouterr().err


def test_the_training_command_line_runs_it(tmp_path: Path, digits: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = constant_model(tmp_path / "ones.onnx", 1)
    assert main(["evaluate-drawings", str(digits), "--model", str(model), "--out", str(tmp_path / "o")]) == 0
    assert "== app:" in capsys.readouterr().out
    assert json.loads((tmp_path / "o" / "report.json").read_text())["app"]["errors"] == 20
