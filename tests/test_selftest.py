"""`digitpad --self-test`: passes on a good install, fails loudly and specifically on a broken one."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from digitpad import selftest
from digitpad.cli import main
from digitpad.model.choice import shipped_model_path
from digitpad.ui import window_check
from tests.onnx_models import linear_model

pytestmark = pytest.mark.gui

REPO = Path(__file__).resolve().parent.parent


def run_self_test(model: str | None = None) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = selftest.run_self_test(model, out)
    return code, out.getvalue().splitlines()


def check_line(lines: list[str], name: str) -> str:
    (line,) = [line for line in lines if line.split()[1:2] == [name]]
    return line


def test_passes_with_the_shipped_model() -> None:
    code, lines = run_self_test()
    assert code == selftest.EXIT_PASSED
    assert lines[0].startswith("digitpad ") and lines[0].endswith("self-test")
    for name in ("model", "drawings", "images", "window"):
        assert check_line(lines, name).startswith("ok "), lines
    assert str(shipped_model_path()) in check_line(lines, "model")
    assert "1 -> 1" in check_line(lines, "drawings") and "7 -> 7" in check_line(lines, "drawings")
    assert "png, jpeg, bmp, gif, webp" in check_line(lines, "images")
    assert "offscreen" in check_line(lines, "window")
    assert lines[-1].startswith("self-test passed: 4 checks")


def test_builtin_drawings_are_read_right_by_the_shipped_model() -> None:
    from digitpad.model.classifier import Classifier
    from digitpad.reading.recognizer import Recognizer

    recognizer = Recognizer(Classifier(shipped_model_path()))
    for digit, make in selftest.BUILTIN_DRAWINGS:
        prediction = recognizer.recognize(make())
        assert prediction is not None and prediction.digit == digit


def test_a_missing_model_fails_and_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.onnx"
    code, lines = run_self_test(str(missing))
    assert code == selftest.EXIT_FAILED
    assert check_line(lines, "model").startswith("FAIL") and str(missing) in check_line(lines, "model")
    assert not [line for line in lines if line.split()[1:2] == ["drawings"]]  # nothing to classify with
    assert lines[-1].startswith("self-test FAILED: model")


def test_a_model_that_misreads_the_drawings_fails(tmp_path: Path) -> None:
    code, lines = run_self_test(str(linear_model(tmp_path / "random.onnx")))
    assert code == selftest.EXIT_FAILED
    drawings = check_line(lines, "drawings")
    assert drawings.startswith("FAIL") and "was read as" in drawings
    assert "drawings" in lines[-1]


def test_a_format_without_a_codec_fails_the_images_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selftest, "IMAGE_FORMATS", (*selftest.IMAGE_FORMATS, "nosuchformat"))
    code, lines = run_self_test()
    assert code == selftest.EXIT_FAILED
    images = check_line(lines, "images")
    assert images.startswith("FAIL") and "cannot write seven.nosuchformat" in images
    assert check_line(lines, "drawings").startswith("ok ")


def test_cli_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--self-test"]) == 0
    assert "self-test passed" in capsys.readouterr().out


def test_runs_without_a_display_or_qt_platform_set() -> None:
    """As in a packaging build or over SSH: nothing says offscreen, and there is no display."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run(
        [sys.executable, "-m", "digitpad", "--self-test"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "'offscreen' platform" in result.stdout
    assert result.stderr == ""  # Qt's offscreen chatter is kept out of the report


def test_a_window_that_will_not_close_fails_the_window_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtGui import QCloseEvent
    from PySide6.QtWidgets import QWidget

    class Stubborn(QWidget):
        def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
            event.ignore()

    stubborn = Stubborn()
    monkeypatch.setattr(window_check, "window_for_check", lambda model, folder: (stubborn, "the stubborn window"))
    code, lines = run_self_test()
    assert code == selftest.EXIT_FAILED
    assert check_line(lines, "window") == "FAIL  window    the stubborn window refused to close"
    stubborn.deleteLater()


def test_the_window_check_leaves_the_persons_settings_alone(tmp_path: Path) -> None:
    """In a child process, since QSettings.setPath changes Qt's global state."""
    code = (
        "import io, sys\n"
        "from PySide6.QtCore import QSettings\n"
        "from digitpad import selftest\n"
        "QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, sys.argv[1])\n"
        "mine = QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, 'digitpad', 'digitpad')\n"
        "mine.setValue('window/geometry', b'left alone')\n"
        "mine.sync()\n"
        "out = io.StringIO()\n"
        "assert selftest.run_self_test(None, out) == 0, out.getvalue()\n"
        "assert 'the main window' in out.getvalue(), out.getvalue()\n"
    )
    folder = tmp_path / "config"
    result = subprocess.run(
        [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    written = {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*") if p.is_file()}
    # Only what the test itself wrote: one group line and one value, in one file.
    assert len(written) == 1 and [len(text.splitlines()) for text in written.values()] == [2], written
    assert "left alone" in next(iter(written.values()))
