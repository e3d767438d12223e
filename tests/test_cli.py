"""`digitpad classify`: tables, JSON lines, folders, per-file errors and exit codes."""

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
from digitpad.ink.raster import rasterize
from digitpad.model import classifier
from digitpad.model.choice import model_choice_file, read_model_choice, shipped_model_path, write_model_choice
from digitpad.reading import batch
from digitpad.reading.recognizer import Recognizer
from tests.conftest import REPO
from tests.drawings import one, zero
from tests.hostile_files import HOSTILE_DRAWINGS
from tests.onnx_models import constant_model, fails_on_ink_model, linear_model, looping_model


def write_png(path: Path, drawing: Drawing) -> Path:
    """The drawing as dark ink on white paper, as the app saves it."""
    Image.fromarray(np.round(255 * (1 - rasterize(drawing))).astype(np.uint8)).save(path)
    return path


@pytest.fixture()
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    (folder / "nested").mkdir(parents=True)
    save_drawing(folder / "a_one.json", one())
    write_png(folder / "nested" / "b_zero.png", zero())
    (folder / "notes.txt").write_text("ignored: not an image or drawing")
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_table_output_for_a_folder(inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "classify", str(inputs))
    lines = out.splitlines()
    assert code == 0 and err == ""
    assert lines[0].split() == ["number", "confidence", "file"]
    assert lines[1].split()[0] == "1" and lines[1].endswith("a_one.json")
    assert lines[2].split()[0] == "0" and lines[2].endswith("b_zero.png")
    assert len(lines) == 4  # notes.txt was skipped
    assert lines[3] == f"2 of 2 file(s) read with digitpad seed convnet ({shipped_model_path()})"


def test_json_lines(inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "classify", "--json", str(inputs / "a_one.json"))
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and set(record) == {"path", "digit", "probabilities", "confident", "number", "digits"}
    assert record["digit"] == 1 and record["confident"] is True
    assert len(record["probabilities"]) == 10 and abs(sum(record["probabilities"]) - 1) < 1e-4


def test_a_bad_file_gets_its_own_error_and_the_rest_go_on(inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = inputs / "bad.json"
    bad.write_text("{oops")
    blank = inputs / "blank.json"
    save_drawing(blank, Drawing())
    code, out, err = run(
        capsys, "classify", "--json", str(bad), str(inputs / "a_one.json"), str(blank), str(inputs / "missing.png")
    )
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [("error" in r, Path(r["path"]).name) for r in records] == [
        (True, "bad.json"),
        (False, "a_one.json"),
        (True, "blank.json"),
        (True, "missing.png"),
    ]
    assert "not valid JSON" in records[0]["error"] and "blank" in records[2]["error"]
    assert "3 file(s) could not be classified" in err


def test_errors_go_to_stderr_in_table_mode(inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (inputs / "x.bmp").write_text("not a bitmap")
    code, out, err = run(capsys, "classify", str(inputs / "x.bmp"), str(inputs / "a_one.json"))
    assert code == 1 and "a_one.json" in out and "x.bmp" not in out
    assert "digitpad: error:" in err and "x.bmp" in err


def test_unsupported_suffix_named_directly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("hi")
    code, out, _ = run(capsys, "classify", "--json", str(tmp_path / "a.txt"))
    assert code == 1 and "unsupported file type" in json.loads(out)["error"]


def test_a_bad_model_stops_before_reading_files(
    tmp_path: Path, inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = linear_model(tmp_path / "wrong.onnx", classes=5)
    code, out, err = run(capsys, "classify", "--model", str(wrong), str(inputs))
    assert code == 2 and out == "" and "shape" in err
    code, _, err = run(capsys, "classify", str(inputs), "--model", str(tmp_path / "none.onnx"))
    assert code == 2 and "no model file" in err


def test_many_files_in_worker_processes_match_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(30):
        save_drawing(tmp_path / f"{i:03d}.json", one(x=100 + 2 * i) if i % 2 else zero(cx=120 + i))
    (tmp_path / "010.json").write_text("[]")
    monkeypatch.setattr(batch, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setattr(batch, "BATCH_SIZE", 7)
    _, serial, _ = run(capsys, "classify", "--json", "-j", "1", str(tmp_path))
    code, parallel, _ = run(capsys, "classify", "--json", "-j", "2", str(tmp_path))
    assert code == 1 and parallel == serial and len(parallel.splitlines()) == 30
    digits = [json.loads(line).get("digit") for line in parallel.splitlines()]
    assert digits[1] == 1 and digits[2] == 0 and digits[10] is None


def test_python_dash_m_runs_the_same_command(inputs: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "digitpad", "classify", "--json", str(inputs / "a_one.json")],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0 and json.loads(result.stdout)["digit"] == 1


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["classify", "--help"])
    assert caught.value.code == 0 and "--json" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--version"])
    assert "digitpad" in capsys.readouterr().out


def test_the_model_chosen_in_the_app_is_used_unless_model_is_given(
    tmp_path: Path, inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_model_choice(constant_model(tmp_path / "three.onnx", [0.0] * 3 + [12.0] + [0.0] * 6))  # as the app does
    try:
        code, out, err = run(capsys, "classify", "--json", str(inputs / "a_one.json"))
        assert code == 0 and json.loads(out)["digit"] == 3 and err == ""  # the app's choice answers 3
        code, out, _ = run(capsys, "classify", "--model", str(REPO / "models" / "digitpad.onnx"), str(inputs))
        assert code == 0 and "a_one.json" in out and out.splitlines()[1].split()[0] == "1"
    finally:
        write_model_choice(None)


@pytest.mark.parametrize("choice", ["broken", "hangs", "garbled path"])
def test_a_chosen_model_that_fails_falls_back_to_the_built_in_one_with_a_warning(
    tmp_path: Path, inputs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], choice: str
) -> None:
    """A broken or hostile model remembered by the app, or a choice garbled by hand, never locks the
    command line out: it reads with the built-in model and says why."""
    monkeypatch.setattr(classifier, "RUN_SECONDS", 1.0)
    if choice == "broken":
        write_model_choice(linear_model(tmp_path / "chosen.onnx", classes=5))
        reason = "chosen.onnx does not fit digitpad"
    elif choice == "hangs":
        write_model_choice(looping_model(tmp_path / "chosen.onnx", "ink"))
        reason = "was stopped"
    else:
        write_model_choice(Path("@Variant(garbage"))
        reason = "no model file at @Variant(garbage"
    try:
        code, out, err = run(capsys, "classify", "--json", str(inputs / "a_one.json"))
        assert code == 0 and json.loads(out)["digit"] == 1
        assert "digitpad: warning: the model chosen in the app cannot be used" in err and reason in err
        assert "using the built-in model" in err
    finally:
        write_model_choice(None)


def test_one_bad_drawing_never_aborts_the_run(tmp_path: Path, inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 400-digit integer (OverflowError) or a 5000-digit number (ValueError) is that file's error."""
    good = str(inputs / "a_one.json")
    for name in ("huge_int.json", "huge_version.json"):
        make, message = HOSTILE_DRAWINGS[name]
        make(tmp_path / name)
        code, out, err = run(capsys, "classify", good, str(tmp_path / name), good)
        lines = out.splitlines()
        rows = lines[1:-1]  # between the header and the summary line
        assert code == 1 and len(rows) == 2 and all(row.split()[0] == "1" for row in rows)
        assert lines[-1].startswith("2 of 3 file(s) read with")
        assert err.count("digitpad: error:") == 1 and message in err and name in err


def test_a_fifo_given_or_in_a_folder_is_refused_never_read(
    tmp_path: Path, inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(inputs / "nested" / "waits.json")
    os.mkfifo(tmp_path / "given.json")
    code, out, _ = run(capsys, "classify", "--json", str(tmp_path / "given.json"), str(inputs))
    records = {Path(r["path"]).name: r for r in map(json.loads, out.splitlines())}
    assert code == 1 and records["a_one.json"]["digit"] == 1 and records["b_zero.png"]["digit"] == 0
    for name in ("given.json", "waits.json"):
        assert "it is a FIFO, not a regular file" in records[name]["error"]


def test_a_model_that_hangs_on_ink_gives_each_file_an_error_and_is_run_once(
    tmp_path: Path, inputs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Past its time limit the model is stopped, and not run again for the later batches."""
    monkeypatch.setattr(classifier, "RUN_SECONDS", 1.0)
    model = looping_model(tmp_path / "gray.onnx", "gray")
    code, out, _ = run(capsys, "classify", "--json", "--model", str(model), str(inputs))
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(records) == 2
    assert all("ran for more than 1.1 s on 2 image(s) and was stopped" in r["error"] for r in records)
    recognizer = Recognizer(classifier.Classifier(model))
    runs: list[int] = []
    original = recognizer.predict_inputs
    monkeypatch.setattr(recognizer, "predict_inputs", lambda inputs: runs.append(len(inputs)) or original(inputs))
    paths = sorted(batch.expand_paths([inputs])) * 3
    results = list(batch.classify_files(paths, recognizer, batch_size=1))
    assert runs == [1] and len(results) == 6 and all("was stopped" in (r.error or "") for r in results)


def test_a_model_that_fails_at_run_time_fails_each_file_with_its_reason(
    tmp_path: Path, inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = fails_on_ink_model(tmp_path / "fails.onnx")
    code, out, err = run(capsys, "classify", "--json", "--model", str(model), str(inputs))
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(records) == 2
    assert all("the model failed while running" in r["error"] and "Reshape" in r["error"] for r in records)
    assert "2 file(s) could not be classified" in err


def test_a_folder_without_inputs_is_said_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("not a drawing")
    assert main(["classify", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"no image or drawing files in {tmp_path}" in err and ".json" in err and ".png" in err


def test_the_table_never_says_100_percent(inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A probability that rounds to 1 is '>99.9%', as the app shows it."""
    main(["classify", str(inputs)])
    out = capsys.readouterr().out
    assert "100.0%" not in out and ">99.9%" in out


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b'{"model": 5}', b"[1, 2]", b'{"model": "' + b"x" * 100_000 + b'"}', b"\xff\xfe"],
    ids=["empty", "not JSON", "not a path", "not an object", "huge", "not UTF-8"],
)
def test_a_damaged_model_choice_falls_back_to_the_shipped_model(
    tmp_path: Path, inputs: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    """The choice file is written by the app, but a person or a crash can leave anything there."""
    file = model_choice_file()
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(content)
    try:
        assert read_model_choice() is None
        code, out, _ = run(capsys, "classify", str(inputs / "a_one.json"))
        assert code == 0 and str(shipped_model_path()) in out
    finally:
        file.unlink()


def test_a_number_in_json_has_its_digits_and_no_single_digit_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seven = [[300.0, 60.0], [400.0, 60.0], [340.0, 220.0]]
    one = [[600.0, 60.0], [600.0, 220.0]]
    save_drawing(tmp_path / "71.json", Drawing([seven, one], 840, 280), label="71")
    save_drawing(tmp_path / "1.json", Drawing([one], 840, 280), label="7")  # a wrong label
    code, out, err = run(capsys, "classify", "--json", str(tmp_path / "71.json"), str(tmp_path / "1.json"))
    number, single = (json.loads(line) for line in out.splitlines())
    assert code == 0
    assert set(number) == {"path", "number", "digits", "label"} and number["number"] == "71"
    assert [d["digit"] for d in number["digits"]] == [7, 1] and number["label"] == "71"
    assert number["digits"][0]["box"] == [290.0, 50.0, 410.0, 230.0]
    assert all(len(d["probabilities"]) == 10 and isinstance(d["confident"], bool) for d in number["digits"])
    assert single["number"] == "1" and single["digit"] == 1
    assert single["digits"][0]["probabilities"] == single["probabilities"]
    assert err.strip() == "digitpad: 1 of 2 labelled file(s) read right (50.0%)"


def test_the_table_prints_the_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    strokes = [[[100.0 + 90 * k, 60.0], [100.0 + 90 * k, 220.0]] for k in range(3)]
    save_drawing(tmp_path / "111.json", Drawing(strokes, 840, 280))
    code, out, err = run(capsys, "classify", str(tmp_path))
    assert code == 0 and err == ""
    assert out.splitlines()[1].split()[0] == "111"
