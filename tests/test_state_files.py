"""The app's own state files, planted or damaged: the model choice (`model.json`) and the settings
(`digitpad.conf`). Whatever they hold, digitpad falls back to its defaults with a warning, at once."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from digitpad.cli import main
from digitpad.ink.drawing_file import save_drawing
from digitpad.model.choice import model_choice, model_choice_file, shipped_model_path
from tests.drawings import one


def _text(content: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(content, encoding="utf-8")


#: model.json contents that once ended `classify`, `teach` and the app with a traceback, or hung them.
BAD_CHOICES: dict[str, tuple[Callable[[Path], None], str]] = {
    "a NUL byte": (_text('{"model": "/tmp/a\\u0000b.onnx"}'), "NUL byte"),
    "a lone surrogate": (_text('{"model": "/tmp/\\ud800.onnx"}'), "is not a usable path"),
    "~nosuchuser": (_text('{"model": "~nosuchuser-digitpad/m.onnx"}'), "is not a usable path"),
    "a FIFO": (os.mkfifo, "a FIFO, not a regular file"),
    "a folder": (os.mkdir, "a folder, not a regular file"),
    "a number": (_text('{"model": 5}'), '"model" must be a path, got int'),
    "a list": (_text("[1, 2]"), "it is not a JSON object"),
    "not JSON": (_text("{model: x}"), "cannot be read"),
}


@pytest.fixture
def choice_file() -> Iterator[Path]:
    path = model_choice_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    yield path
    if path.is_dir() and not path.is_symlink():
        path.rmdir()
    else:
        path.unlink(missing_ok=True)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", BAD_CHOICES)
def test_a_bad_model_choice_falls_back_to_the_shipped_model_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], choice_file: Path, kind: str
) -> None:
    make, problem = BAD_CHOICES[kind]
    make(choice_file)
    chosen, warning = model_choice()
    assert chosen is None and warning is not None and problem in warning
    drawing = tmp_path / "one.json"
    save_drawing(drawing, one(), label="1")
    code = main(["classify", "--no-profile", str(drawing)])
    out, err = capsys.readouterr()
    assert code == 0 and str(shipped_model_path()) in out and "digitpad: warning: the model chosen in the app" in err
    code = main(["teach", "--profile", str(tmp_path / "p.sqlite3"), str(drawing)])
    out, err = capsys.readouterr()
    assert code == 0 and "taught 1 sample" in out and "Traceback" not in err


def test_a_missing_or_empty_choice_is_no_choice_and_no_warning(choice_file: Path) -> None:
    assert model_choice() == (None, None)
    choice_file.write_text('{"model": null}\n')
    assert model_choice() == (None, None)
