"""`digitpad.ui.app.main`: where `digitpad` and `python -m digitpad` end up with no subcommand."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from digitpad import cli
from digitpad.ink.drawing import Drawing
from digitpad.ink.drawing_file import save_drawing
from digitpad.ui.main_window import MainWindow
from tests.ui.helpers import DIGITS

pytestmark = pytest.mark.gui


@pytest.fixture
def private_settings(tmp_path: Path) -> Path:
    """Point QSettings' default location at a temporary folder for this test."""
    for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(kind, QSettings.Scope.UserScope, str(tmp_path))
    return tmp_path


def run_main_and_close(argv: list[str]) -> tuple[int, MainWindow]:
    """Run main(); once the window is up, record it and close it, which ends the event loop."""
    shown: list[MainWindow] = []

    def close_when_shown() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(10, close_when_shown)
            return
        shown.append(windows[0])
        if windows[0].message_box is not None:
            windows[0].message_box.close()
        windows[0].close()

    QTimer.singleShot(0, close_when_shown)
    code = cli.main(argv)
    return code, shown[0]


def test_main_opens_the_window_with_the_given_model_and_names_the_app(
    qapp, private_settings: Path, shipped_model: Path
) -> None:  # noqa: ANN001
    code, window = run_main_and_close(["--model", str(shipped_model)])
    assert code == 0
    assert window.controller.model_info is not None and window.controller.model_info.path == shipped_model
    assert (qapp.organizationName(), qapp.applicationName()) == ("digitpad", "digitpad")
    assert any(private_settings.rglob("*.conf")) or any(private_settings.rglob("*.ini"))  # geometry saved on close


def test_main_with_a_broken_model_still_opens(qapp, private_settings: Path, tmp_path: Path) -> None:  # noqa: ANN001
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x00" * 100)
    code, window = run_main_and_close(["--model", str(broken)])
    assert code == 0 and window.controller.model_info is None


def record_starts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str | None, list[str], Path | None]]:
    """The app's start, recorded instead of run: the model, Qt's arguments, the file."""
    started: list[tuple[str | None, list[str], Path | None]] = []

    def start(model: str | None, qt_args: list[str], file: Path | None, **_: object) -> int:
        started.append((model, list(qt_args), file))
        return 0

    monkeypatch.setattr("digitpad.ui.app.main", start)
    return started


def test_qt_options_go_to_qt(monkeypatch: pytest.MonkeyPatch) -> None:
    started = record_starts(monkeypatch)
    assert cli.main(["--model", "m.onnx", "-style", "fusion"]) == 0
    assert cli.main(["-reverse", "--", "-anything", "for-qt"]) == 0
    assert started == [("m.onnx", ["-style", "fusion"], None), (None, ["-reverse", "-anything", "for-qt"], None)]


def test_a_file_named_opens_in_the_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    started = record_starts(monkeypatch)
    drawing = tmp_path / "seven.json"
    drawing.write_text("{}")
    assert cli.main([str(drawing), "-style", "fusion"]) == 0
    assert started == [(None, ["-style", "fusion"], drawing)]


@pytest.mark.parametrize(("argv", "said"), [
    (["clasify", "out/seven.json"], "'clasify' is not a command or a file (did you mean classify?)"),
    (["profil"], "(did you mean profile?)"),
    (["out/seven.json"], "no such file: out/seven.json"),
    (["--stlye", "fusion"], "unknown option --stlye (did you mean -style?)"),
    (["--self-tset"], "unknown option --self-tset (did you mean --self-test?)"),
])
def test_typos_and_missing_files_are_errors_not_an_empty_window(
    argv: list[str], said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    started = record_starts(monkeypatch)
    monkeypatch.chdir(tmp_path)
    try:
        code = cli.main(argv)
    except SystemExit as exited:  # argparse's own errors
        code = exited.code
    assert code == 2 and said in capsys.readouterr().err and started == []


def test_digitpad_file_shows_the_file_in_the_window(qapp, private_settings: Path, shipped_model: Path,  # noqa: ANN001
                                                     tmp_path: Path) -> None:
    path = tmp_path / "seven.json"
    save_drawing(path, Drawing(DIGITS[7]))
    code, window = run_main_and_close(["--model", str(shipped_model), str(path)])
    assert code == 0 and window.file == path
    assert window.controller.drawing.strokes and window.windowTitle() == "seven.json[*] — digitpad"


@pytest.mark.parametrize(
    "argv", [["--model", "m.onnx", "classify", "x.json"], ["classify", "--model", "m.onnx", "x.json"]]
)
def test_model_is_read_once_before_or_after_classify(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    models: list[str | None] = []
    monkeypatch.setattr(cli, "run_classify", lambda args, out, err: models.append(args.model) or 0)
    assert cli.main(argv) == 0 and models == ["m.onnx"]


def test_classify_refuses_arguments_it_does_not_know(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["classify", "x.json", "-style", "fusion"])
    assert exited.value.code == 2 and "unrecognized arguments: -style fusion" in capsys.readouterr().err


def test_the_app_has_its_icon(qapp) -> None:  # noqa: ANN001
    from digitpad.ui.app import app_icon

    icon = app_icon()
    assert not icon.isNull() and len(icon.availableSizes()) >= 5
