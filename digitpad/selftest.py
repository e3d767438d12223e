"""`digitpad --self-test`: prove that an installation works, end to end, with no person and no display.

It loads the model (--model, else the shipped one: it checks the installation, so a model chosen
in the app's settings is left out), reads a few digits drawn in code through the same pipeline as
the app and the CLI, reads one of them back from every image format the app opens (in a bundle
that proves Qt's image plugins came along), and opens the main window offscreen. The packaging
scripts run it after every build; a person can run it to check an install.
"""

from __future__ import annotations

import contextlib
import importlib.util
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from digitpad import __version__
from digitpad.classifier import Classifier
from digitpad.errors import DigitpadError
from digitpad.ink import Drawing
from digitpad.model_files import resolve_model_path
from digitpad.raster import rasterize
from digitpad.recognizer import Recognizer

if TYPE_CHECKING:  # Qt is imported only when the checks that need it run
    from PySide6.QtWidgets import QWidget

EXIT_PASSED, EXIT_FAILED = 0, 1
#: Formats the app opens and the check reads back; Qt can read GIF but not write it.
IMAGE_FORMATS = ("png", "jpeg", "bmp", "gif", "webp")


def drawn_one() -> Drawing:
    """One stroke down, leaning a little to the right, the way most people write a 1."""
    return Drawing((np.array([[150.0, 50.0], [141.0, 140.0], [132.0, 232.0]]),))


def drawn_zero() -> Drawing:
    """An upright oval, started at the top and closed with a small overlap."""
    t = np.linspace(0.0, 2.1 * np.pi, 90)
    return Drawing((np.stack([140 + 58 * np.sin(t), 140 - 88 * np.cos(t)], axis=1),))


def drawn_seven() -> Drawing:
    """A top bar, then a long stroke down and slightly left."""
    return Drawing((np.array([[78.0, 58.0], [206.0, 58.0], [160.0, 150.0], [124.0, 236.0]]),))


#: The built-in drawings and the digit each must be read as.
BUILTIN_DRAWINGS: tuple[tuple[int, Callable[[], Drawing]], ...] = ((1, drawn_one), (0, drawn_zero), (7, drawn_seven))


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str


class SelfTestFailure(Exception):
    """One check found a problem; the message says what and where."""


def check_model(model: str | None) -> tuple[Recognizer, str]:
    path = resolve_model_path(model)
    try:
        recognizer = Recognizer(Classifier(path))
    except DigitpadError as exc:
        raise SelfTestFailure(str(exc)) from None
    return recognizer, f"{recognizer.classifier.info.name} from {path}"


def check_drawings(recognizer: Recognizer) -> str:
    answers = []
    for expected, make in BUILTIN_DRAWINGS:
        prediction = recognizer.recognize(make())
        if prediction is None:
            raise SelfTestFailure(f"the built-in {expected} was taken as blank")
        answer = f"{expected} -> {prediction.digit} ({prediction.confidence:.1%})"
        if prediction.digit != expected:
            raise SelfTestFailure(f"the built-in {expected} was read as {prediction.digit}: {answer}")
        answers.append(answer)
    return ", ".join(answers)


def _ink_on_paper(drawing: Drawing) -> np.ndarray:
    """The drawing as uint8 gray, dark ink on white, as a photo or a saved drawing looks."""
    return np.ascontiguousarray(np.round(255 * (1 - rasterize(drawing))).astype(np.uint8))


def check_image_files(recognizer: Recognizer, folder: Path) -> str:
    """Every format the app opens has a Qt reader; each writable one round-trips a 7 through a file."""
    from PySide6.QtGui import QImage, QImageReader, QImageWriter

    from digitpad.batch import model_input_for_file

    readable = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    writable = {bytes(f.data()).decode() for f in QImageWriter.supportedImageFormats()}
    missing = [f for f in IMAGE_FORMATS if f not in readable]
    if missing:
        raise SelfTestFailure(f"Qt cannot read {', '.join(missing)} (its image format plugins are missing)")
    gray = _ink_on_paper(drawn_seven())
    image = QImage(gray.data, gray.shape[1], gray.shape[0], gray.strides[0], QImage.Format.Format_Grayscale8)
    round_trips = []
    for suffix in (f for f in IMAGE_FORMATS if f in writable):
        path = folder / f"seven.{suffix}"
        if not image.save(str(path)):  # the format follows the suffix
            raise SelfTestFailure(f"Qt could not write {path.name}")
        try:
            (prediction,) = recognizer.predict_inputs(model_input_for_file(path, recognizer.normalization)[None])
        except DigitpadError as exc:
            raise SelfTestFailure(str(exc)) from None
        if prediction.digit != 7:
            raise SelfTestFailure(f"{path.name} was read as {prediction.digit}, not 7")
        round_trips.append(suffix)
    return f"reads {', '.join(IMAGE_FORMATS)}; a 7 saved as {', '.join(round_trips)} reads back as 7"


def _window_for_check(model: str | None, folder: Path) -> tuple[QWidget, str]:
    """The app's main window, or a plain Qt window when this install has no GUI package."""
    if importlib.util.find_spec("digitpad.ui.app") is None:
        from PySide6.QtWidgets import QLabel, QMainWindow

        window = QMainWindow()
        window.setCentralWidget(QLabel("digitpad self-test"))
        return window, "a QtWidgets window (this install has no digitpad.ui.app)"
    from PySide6.QtCore import QSettings

    from digitpad.ui.app import create_window
    from digitpad.ui.settings import AppSettings

    # Settings and profile go to throwaway files: the check must neither read nor change the person's own.
    settings = AppSettings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    window = create_window(str(resolve_model_path(model)), settings, profile=folder / "profile.sqlite3")
    return window, "the main window"


@contextlib.contextmanager
def _qt_messages() -> Iterator[list[str]]:
    """Collect Qt's log messages instead of letting them reach stderr.

    The offscreen platform warns about things it cannot do (window size hints); those say nothing
    about the install, so they are shown only if the check fails.
    """
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    messages: list[str] = []

    def handler(kind: QtMsgType, _context: object, message: str) -> None:
        messages.append(f"{kind.name}: {message}")

    previous = qInstallMessageHandler(handler)
    try:
        yield messages
    finally:
        qInstallMessageHandler(previous)


def check_window(model: str | None, folder: Path) -> str:
    with _qt_messages() as messages:
        try:
            return _show_and_close_window(model, folder)
        except SelfTestFailure as exc:
            raise SelfTestFailure("; ".join([str(exc), *messages])) from None


def _show_and_close_window(model: str | None, folder: Path) -> str:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["digitpad", "-platform", "offscreen"])
    window, what = _window_for_check(model, folder)
    window.show()
    app.processEvents()
    if not window.isVisible() or window.width() <= 0 or window.height() <= 0:
        raise SelfTestFailure(f"{what} did not show")
    if window.grab().toImage().isNull():
        raise SelfTestFailure(f"{what} could not be painted")
    size = f"{window.width()}x{window.height()}"
    if not window.close():
        raise SelfTestFailure(f"{what} refused to close")
    app.processEvents()
    if window.isVisible():
        raise SelfTestFailure(f"{what} is still visible after closing")
    window.deleteLater()
    app.processEvents()
    return f"{what} showed at {size} px on the '{QApplication.platformName()}' platform and closed"


def run_self_test(model: str | None, out: TextIO) -> int:
    """Run every check, print one line each, and return the exit code: 0 only if all passed."""
    print(f"digitpad {__version__} self-test", file=out)
    started = time.perf_counter()
    results: list[CheckResult] = []

    def run(name: str, check: Callable[[], str]) -> None:
        began = time.perf_counter()
        try:
            detail = check()
            result = CheckResult(name, True, f"{detail} ({time.perf_counter() - began:.2f} s)")
        except SelfTestFailure as exc:
            result = CheckResult(name, False, str(exc))
        except Exception as exc:  # an install can be broken in ways no one foresaw: report, don't crash
            result = CheckResult(name, False, f"unexpected {type(exc).__name__}: {exc}")
        results.append(result)
        print(f"{'ok' if result.passed else 'FAIL':<5} {name:<9} {result.detail}", file=out, flush=True)

    recognizer: Recognizer | None = None

    def model_check() -> str:
        nonlocal recognizer
        recognizer, detail = check_model(model)
        return detail

    with tempfile.TemporaryDirectory(prefix="digitpad-self-test-") as temp:
        folder = Path(temp)
        run("model", model_check)
        if recognizer is not None:
            loaded = recognizer
            run("drawings", lambda: check_drawings(loaded))
            run("images", lambda: check_image_files(loaded, folder))
        run("window", lambda: check_window(model, folder))

    failed = [r.name for r in results if not r.passed]
    elapsed = time.perf_counter() - started
    if failed or recognizer is None:
        print(f"self-test FAILED: {', '.join(failed)} ({elapsed:.1f} s)", file=out)
        return EXIT_FAILED
    print(f"self-test passed: {len(results)} checks in {elapsed:.1f} s", file=out)
    return EXIT_PASSED
