"""`digitpad explain`: one picture per digit, the numbers behind it, headless, and honest about what a model lacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad.cli import main
from digitpad.ink.drawing import Drawing
from digitpad.ink.drawing_file import save_drawing
from tests import numpy_convnet
from tests.conftest import REPO
from tests.drawings import seven
from tests.onnx_models import linear_model

SEVEN = [[300.0, 60.0], [400.0, 60.0], [340.0, 220.0]]
ONE = [[600.0, 60.0], [600.0, 220.0]]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_each_digit_of_a_number_gets_its_picture_and_its_numbers(tmp_path: Path, shipped_model: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    save_drawing(tmp_path / "71.json", Drawing([SEVEN, ONE], 840, 280))
    save_drawing(tmp_path / "seven.json", seven())
    out_dir = tmp_path / "pictures"
    code, out, err = run(capsys, "explain", "--model", str(shipped_model), str(tmp_path / "71.json"),
                         str(tmp_path / "seven.json"), "--out", str(out_dir), "--json")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(Path(r["png"]).name, r["digit"]) for r in lines] == [
        ("71-digit1.png", 7), ("71-digit2.png", 1), ("seven.png", 7)]
    for record in lines:
        with Image.open(record["png"]) as picture:
            assert picture.format == "PNG" and picture.width == 980 and picture.height > 1000
    numbers = json.loads(Path(lines[2]["json"]).read_text())
    model_input = np.array(numbers["model_input"], np.float32)
    conv1 = np.array(numbers["layers"]["layer.conv1"])
    assert conv1.shape == (32, 28, 28) and np.array(numbers["layers"]["layer.pool2"]).shape == (36, 7, 7)
    expected = numpy_convnet.layers(shipped_model, model_input)["layer.conv1"]
    assert np.abs(conv1 - expected).max() < 1e-3  # rounded to 5 decimals, input too
    assert numbers["digit"] == 7 and len(numbers["probabilities"]) == 10 and numbers["missing_layers"] == []
    assert np.array(numbers["why"]["drop"]).shape == (28, 28) and numbers["blanked_squares"] > 0


def test_a_model_without_layers_still_gets_pictures_and_is_told_how_to_re_export(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_drawing(tmp_path / "seven.json", seven())
    model = linear_model(tmp_path / "linear.onnx")
    code, out, err = run(capsys, "explain", "--model", str(model), str(tmp_path / "seven.json"), "--out",
                         str(tmp_path))
    assert code == 0 and (tmp_path / "seven.png").is_file()
    assert "does not expose layer.conv1, layer.pool1, layer.conv2, layer.pool2" in err
    assert "python -m training add-layer-outputs" in err


def test_a_bad_file_is_reported_and_the_others_are_still_explained(tmp_path: Path, shipped_model: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    save_drawing(tmp_path / "seven.json", seven())
    (tmp_path / "broken.json").write_text("{not json")
    code, out, err = run(capsys, "explain", "--model", str(shipped_model), str(tmp_path / "broken.json"),
                         str(tmp_path / "seven.json"), "--out", str(tmp_path / "out"))
    assert code == 1 and "broken.json" in err
    assert (tmp_path / "out" / "seven.png").is_file() and "seven.png: 7" in out


def test_it_needs_no_display_and_loads_no_qt(tmp_path: Path, shipped_model: Path) -> None:
    save_drawing(tmp_path / "seven.json", seven())
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    script = ("import sys; from digitpad.cli import main; code = main(sys.argv[1:]); "
              "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt was loaded'; sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", script, "explain", "--model", str(shipped_model),
                           str(tmp_path / "seven.json"), "--out", str(tmp_path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "seven.png").is_file()
