"""The app against hostile models and files: it stays responsive, keeps the drawing, says why.

Recognition runs on a worker thread; these tests wait on its answers and dialogs, never on sleeps.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from digitpad.errors import UnusableProfileError
from digitpad.ink import drawing as ink
from digitpad.model import classifier
from digitpad.model.contract import MetadataKey
from digitpad.personal import profile as profile_module
from digitpad.personal.personalize import Taught
from digitpad.personal.profile import Profile, Sample
from digitpad.ui import controller as controller_module
from digitpad.ui.app import create_window
from digitpad.ui.controller import RecognitionController
from digitpad.ui.main_window import MainWindow
from digitpad.ui.profile_menu import RepeatGuard
from digitpad.ui.profile_window import ProfileWindow
from digitpad.ui.settings import AppSettings
from tests.hostile_files import HOSTILE_DRAWINGS
from tests.hostile_profiles import BAD_ROWS, REFUSED_PROFILES, full_disk_connection, profile_with_bad_rows
from tests.onnx_models import linear_model, looping_model
from tests.ui.helpers import (
    ANSWER_TIMEOUT_MS,
    DIGITS,
    answered,
    digit_drawing,
    drag,
    draw_digit,
    open_model,
    use_shipped_model,
)

pytestmark = pytest.mark.gui

#: Seconds a model may run on one input in these tests (the app's is RUN_SECONDS).
LIMIT_S = 1.0


def drawn(window: MainWindow, strokes: list[np.ndarray]) -> bool:
    drawing = window.controller.drawing
    return len(drawing.strokes) == len(strokes) and all(
        a.shape == b.shape and np.abs(a - b).max() <= 1.0 for a, b in zip(drawing.strokes, strokes)
    )


def dialog_text(qtbot, window: MainWindow) -> str:  # noqa: ANN001
    qtbot.waitUntil(lambda: window.message_box is not None and window.message_box.isVisible(), timeout=30_000)
    assert window.message_box is not None
    text = f"{window.message_box.text()}\n{window.message_box.informativeText()}"
    window.message_box.close()
    return text


@pytest.fixture
def short_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classifier, "RUN_SECONDS", LIMIT_S)


def test_a_model_that_hangs_on_ink_is_stopped_while_drawing_goes_on_and_is_forgotten(
    qtbot, window: MainWindow, settings: AppSettings, tmp_path: Path, short_limit: None  # noqa: ANN001
) -> None:
    hangs = looping_model(tmp_path / "hangs.onnx", "gray")  # passes the load check, hangs on real ink
    assert open_model(qtbot, window, hangs)
    assert settings.model_path == hangs.resolve()
    drag(window.canvas, DIGITS[7][0])  # its answer hangs on the worker thread...
    drag(window.canvas, DIGITS[1][0])  # ...while the canvas still takes the next stroke
    assert drawn(window, DIGITS[7] + DIGITS[1]) and not window.controller.idle
    text = dialog_text(qtbot, window)
    assert "The model was stopped" in text and f"ran for more than {LIMIT_S + 0.05:g} s" in text
    assert "The drawing is kept" in text and drawn(window, DIGITS[7] + DIGITS[1])
    assert window.controller.model_info is None and window.model_label.text().startswith("No model")
    assert settings.model_path is None  # the next start uses the built-in model
    use_shipped_model(qtbot, window)
    assert window.answer.answer in {"1", "7"} and window.chart.probabilities is not None


@pytest.mark.parametrize("trigger", ["ink", "always"])
def test_open_model_refuses_a_model_that_hangs_within_its_time_limit(
    qtbot, window: MainWindow, settings: AppSettings, tmp_path: Path, short_limit: None, trigger: str  # noqa: ANN001
) -> None:
    draw_digit(window.canvas, 7)
    with qtbot.waitSignal(window.model_opened, timeout=ANSWER_TIMEOUT_MS) as opened:
        window.open_model(looping_model(tmp_path / f"{trigger}.onnx", trigger))  # checked on the model thread...
        assert window.statusBar().currentMessage() == f"Opening model {trigger}.onnx…"
        draw_digit(window.canvas, 1)  # ...while the window takes a stroke and reads it with the current model
        assert drawn(window, DIGITS[7] + DIGITS[1]) and window.controller.last is not None
    assert opened.args == [False]
    text = dialog_text(qtbot, window)
    assert "Cannot use this model" in text and "was stopped" in text and "keeps the current model" in text
    assert settings.model_path is None and window.controller.model_info is not None
    answered(window.controller)
    assert window.controller.drawing.strokes and window.chart.probabilities is not None


def test_a_remembered_model_that_now_fails_falls_back_to_the_built_in_one_with_a_notice(
    qtbot, settings: AppSettings, shipped_model: Path, tmp_path: Path, short_limit: None  # noqa: ANN001
) -> None:
    settings.model_path = looping_model(tmp_path / "hangs.onnx", "ink")
    window = create_window(None, settings)
    qtbot.addWidget(window)
    window.show()
    text = dialog_text(qtbot, window)
    assert "digitpad uses its built-in model" in text and "hangs.onnx" in text and "was stopped" in text
    assert window.controller.model_info is not None and window.controller.model_info.path == shipped_model
    assert settings.model_path is None
    draw_digit(window.canvas, 7)
    assert window.answer.answer == "7"


@pytest.mark.parametrize("preprocessing", ['{"box": 0}', '{"frame": "28"}', '{"pen": 2.5, "smoothing": 1e-9}'])
def test_a_model_with_invalid_preprocessing_is_never_swapped_in(
    qtbot, window: MainWindow, tmp_path: Path, preprocessing: str  # noqa: ANN001
) -> None:
    draw_digit(window.canvas, 7)
    path = linear_model(tmp_path / "bad.onnx", metadata={MetadataKey.PREPROCESSING: preprocessing})
    assert not open_model(qtbot, window, path)
    assert "digitpad.preprocessing" in dialog_text(qtbot, window)
    draw_digit(window.canvas, 1)  # strokes are still read, by the model kept
    assert drawn(window, DIGITS[7] + DIGITS[1]) and window.chart.probabilities is not None


@pytest.mark.parametrize("name", sorted(HOSTILE_DRAWINGS))
def test_a_hostile_drawing_file_gets_a_dialog_and_the_drawing_stays(
    qtbot, window: MainWindow, tmp_path: Path, name: str  # noqa: ANN001
) -> None:
    draw_digit(window.canvas, 7)
    make, message = HOSTILE_DRAWINGS[name]
    make(tmp_path / name)
    assert not window.open_drawing(tmp_path / name)
    text = dialog_text(qtbot, window)
    assert "Cannot open this drawing" in text and message in text
    assert drawn(window, DIGITS[7])
    answered(window.controller)
    assert window.answer.answer == "7"


def test_a_stroke_past_a_drawing_limit_gets_a_dialog_and_the_drawing_stays(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    monkeypatch.setattr(ink, "MAX_STROKES", 2)
    draw_digit(window.canvas, 4)
    drag(window.canvas, DIGITS[1][0])
    text = dialog_text(qtbot, window)
    assert "Cannot add this stroke" in text and "at most 2 are accepted" in text
    assert drawn(window, DIGITS[4])
    answered(window.controller)
    assert window.answer.answer == "4"


def test_the_undo_history_keeps_a_bounded_number_of_bytes_of_images(
    qtbot, request, shipped_model: Path, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    """Opened images are big (their float ink: 4 bytes a pixel); old ones leave the history."""
    from digitpad.model.classifier import Classifier
    from digitpad.reading.recognizer import Recognizer

    controller = RecognitionController(Recognizer(Classifier(shipped_model)))
    request.addfinalizer(controller.shutdown)
    inks = []
    for i in range(6):
        pixels = np.full((1000, 1000, 4), 255, np.uint8)
        pixels[400:600, 480 + i : 520 + i, :3] = 0  # a dark bar: some ink
        controller.open_image(pixels)
        inks.append(controller.page.image_ink)
        if i == 0:  # room for two images besides the page shown, not three
            monkeypatch.setattr(controller_module, "UNDO_IMAGE_BYTES", int(2.5 * controller.page.image_bytes))
        controller.finish_stroke(np.array([[100.0, 100.0], [120.0, 200.0]]))  # a stroke between opens
    answered(controller)
    held = {
        id(page.image_ink): page
        for i in range(controller.undo_stack.count())
        for page in (controller.undo_stack.command(i).before, controller.undo_stack.command(i).after)
        if page.is_image
    }
    # The last two images fit under the limit, so the history starts at the stroke before image 4.
    assert sorted(id(inks[i]) for i in (4, 5)) == sorted(held)
    assert sum(page.image_bytes for page in held.values()) <= controller_module.UNDO_IMAGE_BYTES
    assert controller.undo_stack.count() == 4  # of 12 steps, the oldest 8 are gone...
    for _ in range(3):  # ...and the rest still undo: stroke, image 5, stroke, back to image 4
        controller.undo_stack.undo()
    answered(controller)
    assert controller.page.image_ink is inks[4] and controller.last is not None
    controller.undo_stack.undo()
    assert not controller.page.is_image and not controller.undo_stack.canUndo()


# -- hostile profiles (tests/hostile_profiles.py) -------------------------------------------------


@pytest.mark.parametrize("name", sorted(REFUSED_PROFILES))
def test_a_hostile_default_profile_is_kept_aside_and_the_app_starts(
    qtbot, settings: AppSettings, shipped_model: Path, tmp_path: Path, name: str  # noqa: ANN001
) -> None:
    """As the default profile, a view of endless rows once kept the window from ever appearing."""
    make, message = REFUSED_PROFILES[name]
    path = tmp_path / "profile.sqlite3"
    make(path)
    before = path.read_bytes()
    window = create_window(str(shipped_model), settings, profile=path)
    qtbot.addWidget(window)
    window.show()
    text = dialog_text(qtbot, window)
    assert message in text and "kept as profile.sqlite3.unreadable-" in text
    (kept,) = [p for p in tmp_path.iterdir() if ".unreadable-" in p.name]
    assert kept.read_bytes() == before
    draw_digit(window.canvas, 7)
    assert window.answer.answer == "7"


def test_a_default_profile_with_bad_rows_starts_with_its_good_samples(
    qtbot, settings: AppSettings, shipped_model: Path, tmp_path: Path  # noqa: ANN001
) -> None:
    """Some bad rows (a drawing that is null, a label of 99) once stopped the app at start, every time."""
    path = profile_with_bad_rows(tmp_path / "profile.sqlite3")
    window = create_window(str(shipped_model), settings, profile=path)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.personal is not None
    qtbot.waitUntil(lambda: window.personal.idle, timeout=ANSWER_TIMEOUT_MS)  # read on its worker thread
    assert sorted(s.label for s in window.personal.samples) == [1, 7]
    assert window.message_box is None or not window.message_box.isVisible()
    draw_digit(window.canvas, 0)
    assert window.answer.answer == "0"


def _import(qtbot, window: MainWindow, path: Path) -> tuple[ProfileWindow, object]:  # noqa: ANN001
    assert window.personal is not None
    dialog = ProfileWindow(window.personal, window)
    qtbot.addWidget(dialog)
    dialog.show()
    results: list[object] = []
    dialog.imported.connect(results.append)
    with qtbot.waitSignals([dialog.imported, window.personal.ready], timeout=60_000):  # then read again
        assert dialog.import_from(path)
        assert dialog.importing and not dialog.import_button.isEnabled()  # started, not yet done
    return dialog, results[0]


@pytest.mark.parametrize("name", sorted(REFUSED_PROFILES))
def test_importing_a_hostile_profile_gets_a_dialog_and_changes_nothing(
    qtbot, window: MainWindow, tmp_path: Path, unsaved_prompts: list[str], name: str  # noqa: ANN001
) -> None:
    """Import of such a file once showed no dialog, only a traceback on stderr (or never finished)."""
    make, message = REFUSED_PROFILES[name]
    path = tmp_path / name
    make(path)
    before = path.read_bytes()
    dialog, result = _import(qtbot, window, path)
    assert isinstance(result, UnusableProfileError) and message in str(result)
    assert any(message in text and "Your profile is unchanged" in text for text in unsaved_prompts)
    assert path.read_bytes() == before and dialog.import_button.isEnabled()
    assert window.personal is not None and window.personal.samples == []


def test_an_import_runs_on_a_worker_thread_and_skips_bad_rows(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    """2,000 samples once froze the window for 13 s: the import ran on the GUI thread."""
    threads = []
    real = Profile.read_other

    def recorded(self: Profile, path: Path) -> tuple[list[Sample], int]:
        threads.append(threading.current_thread())
        return real(self, path)

    monkeypatch.setattr(Profile, "read_other", recorded)
    dialog, result = _import(qtbot, window, profile_with_bad_rows(tmp_path / "bad.sqlite3"))
    assert isinstance(result, Taught) and len(result.added) == 2 and result.skipped == len(BAD_ROWS)
    assert threads and threads[0] is not threading.main_thread()
    assert window.personal is not None and sorted(s.label for s in window.personal.samples) == [1, 7]
    qtbot.waitUntil(lambda: len(dialog.items()) == 2)
    assert f"{len(BAD_ROWS)} unusable row(s)" in dialog.summary.text()


@pytest.mark.parametrize("fault", ["disk full", "locked"])
def test_a_correction_that_cannot_be_stored_is_not_claimed_and_leaves_no_undo_step(
    qtbot, settings: AppSettings, shipped_model: Path, tmp_path: Path,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch, fault: str,
) -> None:
    """A full or locked profile once showed "Learnt: this is a 7", a traceback, and a dead undo step."""
    path = tmp_path / "profile.sqlite3"
    if fault == "disk full":
        monkeypatch.setattr(profile_module.sqlite3, "connect", functools.partial(
            sqlite3.connect, factory=full_disk_connection(("INSERT",))))
    window = create_window(str(shipped_model), settings, profile=path)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    other = sqlite3.connect(path, isolation_level=None)
    if fault == "locked":
        other.execute("BEGIN IMMEDIATE")  # another program is writing to the profile
    draw_digit(window.canvas, 7)
    steps = window.controller.undo_stack.count()
    QTest.keyClick(window, Qt.Key.Key_1)
    other.close()
    status = window.statusBar().currentMessage()
    expected = "the disk is full" if fault == "disk full" else "another program is using it"
    assert "Cannot learn from this" in status and expected in status and "Learnt" not in status
    assert window.controller.undo_stack.count() == steps
    assert window.personal is not None and window.personal.samples == []
    assert [p.name for p in tmp_path.iterdir() if "unreadable" in p.name] == []


def _key(kind: QEvent.Type, key: Qt.Key, timestamp: int, repeat: bool = False) -> QKeyEvent:
    event = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, "", repeat)
    event.setTimestamp(timestamp)
    return event


def test_holding_a_digit_key_teaches_once(window: MainWindow, profile_path: Path) -> None:
    """Key auto-repeat once taught 110 identical samples in 5 s: the digit shortcuts ignore repeats,
    flagged by Qt or sent (as Xvfb does) as a release and a press with the same timestamp."""
    digits = [a for a in window.actions() if a.text().startswith("This Is ")]
    assert len(digits) == 10 and not any(action.autoRepeat() for action in digits)
    draw_digit(window.canvas, 7)
    target = window.focusWidget() or window
    app = QApplication.instance()
    assert app is not None
    held = [_key(QEvent.Type.ShortcutOverride, Qt.Key.Key_1, 1000)]
    for step in range(1, 30):  # 29 repeats: each a release and a press at once, or flagged by Qt
        held += [_key(QEvent.Type.KeyRelease, Qt.Key.Key_1, 1500 + 33 * step),
                 _key(QEvent.Type.ShortcutOverride, Qt.Key.Key_1, 1500 + 33 * step, repeat=step % 2 == 0)]
    held.append(_key(QEvent.Type.KeyRelease, Qt.Key.Key_1, 2600))  # let go
    personal = window.personal
    assert personal is not None
    corrections: list[int] = []
    correct = personal.correct

    def counted(drawing: object, label: int) -> bool:
        corrections.append(label)
        return correct(drawing, label)  # type: ignore[arg-type]

    personal.correct = counted  # type: ignore[method-assign]
    one = next(a for a in digits if a.text().endswith(" 1"))
    guard = window.findChild(RepeatGuard)
    assert guard is not None
    for event in held:  # what the application's event filter decides for each key event sent to the window
        if not guard.eventFilter(target, event) and event.type() == QEvent.Type.ShortcutOverride:
            one.trigger()  # not a repeat: Qt's shortcut map triggers the action
    assert corrections == [1] and [s.label for s in personal.samples] == [1]
    for _ in range(2):  # two presses of a key are two corrections (Qt's test events carry no timestamp)
        QTest.keyClick(window, Qt.Key.Key_2)
    assert corrections == [1, 2, 2]  # (the drawing is kept once, as a 2: `Taught`)


def test_the_measure_says_when_it_judged_only_the_latest_samples(window: MainWindow,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """With more samples than `EFFECT_SAMPLES`, only the latest are judged: the window must not claim all."""
    from digitpad.reading.adapt import Effect
    from digitpad.ui import profile_window

    personal = window.personal
    assert personal is not None
    personal.teach([(digit_drawing(1), 1), (digit_drawing(0), 0), (digit_drawing(4), 4)])
    monkeypatch.setattr(profile_window, "EFFECT_SAMPLES", 2)
    assert "3 samples (judged on the latest 2). The model alone reads 1 of them wrong" in \
        profile_window.effect_text(personal, Effect(2, 1, 1, 0))
    assert "(judged" not in profile_window.effect_text(personal, Effect(3, 1, 1, 0))


@pytest.mark.parametrize("planted", ["fifo", "nul byte", "~nosuchuser"])
def test_a_model_choice_that_cannot_be_read_starts_the_app_with_the_built_in_model_and_says_why(
    qtbot, settings: AppSettings, shipped_model: Path, planted: str  # noqa: ANN001
) -> None:
    """`model.json` as a FIFO once kept the window from appearing; a NUL byte or `~nosuchuser` in it, a traceback."""
    import os

    if planted == "fifo":
        os.mkfifo(settings.model_choice)
    else:
        path = "/tmp/a\\u0000b.onnx" if planted == "nul byte" else "~nosuchuser-digitpad/m.onnx"
        settings.model_choice.write_text('{"model": "' + path + '"}')
    window = create_window(None, settings)
    qtbot.addWidget(window)
    window.show()
    text = dialog_text(qtbot, window)
    assert "digitpad uses its built-in model" in text and "model.json" in text
    assert window.controller.model_info is not None and window.controller.model_info.path == shipped_model
    draw_digit(window.canvas, 7)
    assert window.answer.answer == "7"
