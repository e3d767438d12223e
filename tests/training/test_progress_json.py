"""`python -m training recipe --progress-json`: the machine-readable progress a window (or a script) follows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.training.conftest import THREADS, StandIn
from tests.training.drawing_fixtures import write_digits
from tests.training.tiny_recipe import tiny_quick_recipe_code


@pytest.mark.slow
def test_the_recipe_streams_its_progress_as_json_lines_on_stdout(small_mnist: StandIn,
                                                                   tmp_path: Path) -> None:
    digits = tmp_path / "digits.jsonl.gz"
    write_digits(digits, writers=5, per_writer=3)
    out = tmp_path / "runs" / "streamed"
    command = [sys.executable, "-c", small_mnist.accept_code + tiny_quick_recipe_code(digits) +
               "import sys\nfrom training.__main__ import main\nsys.exit(main(sys.argv[1:]))"]
    done = subprocess.run([*command, "recipe", "--out", str(out), "--quick", "--data-dir", str(small_mnist.folder),
                           "--threads", str(THREADS), "--quiet", "--progress-json", "-"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]  # standard output holds JSON lines only
    assert "wrote" in done.stderr  # the summary went to standard error
    progress, last = lines[:-1], lines[-1]
    stages = list(dict.fromkeys(line["stage"] for line in progress))
    assert stages == ["mnist", "pen", "interpolate", "export", "evaluate"]  # the quick recipe: no int8 copy
    for line in progress:
        assert {"stage", "step", "steps", "elapsed_s"} <= line.keys()
        assert 0 <= line["step"] <= line["steps"]
    steps = [line["step"] for line in progress]
    assert steps == sorted(steps) and steps[-1] == progress[-1]["steps"]
    assert any(line.get("loss") is not None and line["loss"] > 0 for line in progress)
    assert any(isinstance(line.get("remaining_s"), float) for line in progress)  # from the measured rate
    epochs = [(line["stage"], line["epoch"]) for line in progress if "epoch" in line]
    assert epochs == [("mnist", 1), ("mnist", 2), ("pen", 1)]
    assert all(0 < line["val_accuracy"] <= 1 for line in progress if "epoch" in line)
    metrics = json.loads((out / "metrics.json").read_text())
    assert last == {"done": True, "model": str((out / "streamed.onnx").resolve()),
                    "mnist_test_accuracy": metrics["accuracy"], "drawing_accuracy": None,
                    "elapsed_s": last["elapsed_s"]}


def test_a_failing_recipe_ends_its_stream_with_the_error(training_command: list[str], tmp_path: Path) -> None:
    empty = tmp_path / "no-mnist-here"
    empty.mkdir()
    stream = tmp_path / "progress.jsonl"
    done = subprocess.run([*training_command, "recipe", "--out", str(tmp_path / "run"), "--quick",
                           "--data-dir", str(empty), "--mirror", "http://127.0.0.1:9/", "--quiet",
                           "--progress-json", str(stream)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = [json.loads(line) for line in stream.read_text().splitlines()]
    assert len(lines) == 1 and "lacks train-images-idx3-ubyte" in lines[0]["error"], lines
