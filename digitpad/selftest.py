"""`digitpad --self-test`: prove that an installation works, end to end, with no person and no display.

It loads the model (--model, else the shipped one: it checks the installation, so a model chosen
in the app's settings is left out), reads a few digits drawn in code through the same pipeline as
the app and the CLI, reads one of them back from every image format the app opens (in a bundle
that proves Pillow's codecs came along), and opens the main window offscreen
(`digitpad.ui.window_check`: this module itself loads no Qt). The packaging scripts run it after
every build; a person can run it to check an install.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from digitpad import __version__
from digitpad.errors import DigitpadError, SelfTestFailure
from digitpad.ink.drawing import Drawing
from digitpad.ink.raster import rasterize
from digitpad.model.choice import resolve_model_path
from digitpad.model.classifier import Classifier
from digitpad.reading.recognizer import Recognizer

EXIT_PASSED, EXIT_FAILED = 0, 1
#: Formats the app opens (by file suffix), each written and read back by the check.
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
    return np.round(255 * (1 - rasterize(drawing))).astype(np.uint8)


def check_image_files(recognizer: Recognizer, folder: Path) -> str:
    """A 7 written in every format the app opens reads back as 7 (in a bundle: Pillow's codecs came along)."""
    from PIL import Image

    from digitpad.reading.batch import classify_files

    seven = Image.fromarray(_ink_on_paper(drawn_seven()))
    for suffix in IMAGE_FORMATS:
        path = folder / f"seven.{suffix}"
        try:
            seven.save(path)  # the format follows the suffix
        except (OSError, KeyError, ValueError) as exc:
            raise SelfTestFailure(f"cannot write {path.name}: this install lacks its codec ({exc})") from None
        (result,) = classify_files([path], recognizer)  # read as `digitpad classify` reads it
        if result.number is None:
            raise SelfTestFailure(result.error or f"{path.name} could not be read")
        if result.number.text != "7":
            raise SelfTestFailure(f"{path.name} was read as {result.number.text or 'nothing'}, not 7")
    return f"a 7 saved as {', '.join(IMAGE_FORMATS)} reads back as 7"


def check_window(model: str | None, folder: Path) -> str:
    """The app's main window opens offscreen and closes (Qt is loaded only for this check)."""
    from digitpad.ui.window_check import show_and_close_window

    return show_and_close_window(model, folder)


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
