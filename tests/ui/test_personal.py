"""Learning the person's hand in the app: corrections by key or click, undo, the profile window, the session."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

import digitpad.ui.personal as personal_ui
from digitpad.ink.drawing import Drawing
from digitpad.model.classifier import Classifier
from digitpad.personal.personalize import Personalization, Stored
from digitpad.personal.profile import Profile
from digitpad.reading.adapt import model_key, read_drawings
from digitpad.reading.recognizer import Recognizer
from digitpad.ui.app import create_window
from digitpad.ui.main_window import MainWindow
from digitpad.ui.personal import DERIVE_STEP, READING_MESSAGE
from digitpad.ui.profile_window import ProfileWindow
from digitpad.ui.settings import AppSettings
from digitpad.ui.teach_session import TeachSession
from tests.onnx_models import linear_model
from tests.ui.helpers import (
    ANSWER_TIMEOUT_MS,
    ANSWER_TIMEOUT_S,
    answered,
    digit_drawing,
    draw_digit,
    learnt,
    use_shipped_model,
)

pytestmark = pytest.mark.gui


def stored(path: Path) -> list[int]:
    with Profile(path) as profile:
        return [s.label for s in profile.samples()]


def click_digit(window: MainWindow, digit: int) -> None:
    """A click on the digit's label under its bar."""
    plot = window.chart._plot_rect()
    column = plot.width() / 10
    QTest.mouseClick(window.chart, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(round(plot.left() + (digit + 0.5) * column), round(plot.bottom()) + 8))


def test_a_digit_key_corrects_the_answer_at_once_and_undo_takes_it_back(window: MainWindow,
                                                                        profile_path: Path) -> None:
    draw_digit(window.canvas, 7)
    assert window.answer.answer == "7"
    QTest.keyClick(window, Qt.Key.Key_1)  # "no: in my hand, this is a 1"
    learnt(window)
    assert window.answer.answer.rstrip("?") == "1" and "the model alone: 7" in window.answer.caption
    assert stored(profile_path) == [1]
    (sample,) = window.personal.samples  # type: ignore[union-attr]
    assert sample.drawing == window.controller.drawing
    assert "Learnt: this is a 1" in window.statusBar().currentMessage()
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    answered(window.controller)
    assert window.answer.answer == "7" and stored(profile_path) == []
    assert len(window.controller.drawing.strokes) == 1  # the undo took back the correction, not the stroke
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    learnt(window)
    assert window.answer.answer.rstrip("?") == "1" and stored(profile_path) == [1]


def test_clicking_a_digit_under_the_bars_teaches_it(window: MainWindow, profile_path: Path) -> None:
    draw_digit(window.canvas, 7)
    click_digit(window, 1)
    learnt(window)
    assert stored(profile_path) == [1] and window.answer.answer.rstrip("?") == "1"
    window.controller.clear()
    draw_digit(window.canvas, 0)
    assert window.answer.answer == "0"  # a different digit is still read by the network


def test_nothing_is_taught_from_a_blank_canvas(window: MainWindow, profile_path: Path) -> None:
    QTest.keyClick(window, Qt.Key.Key_3)
    assert stored(profile_path) == [] and "Draw a digit first" in window.statusBar().currentMessage()


def test_the_profile_window_shows_deletes_and_measures(qtbot, window: MainWindow, profile_path: Path) -> None:  # noqa: ANN001
    personal = window.personal
    assert personal is not None
    personal.teach([(digit_drawing(7), 1), (digit_drawing(0), 0), (digit_drawing(4), 4)])
    learnt(window)  # read by the model on the worker thread
    dialog = ProfileWindow(personal, window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert [item.text() for item in dialog.items()] == ["0", "1", "4"]
    assert sorted(dialog.rows) == [0, 1, 4] and dialog.headings[1].text().endswith("1 sample")  # one row per digit
    qtbot.waitUntil(lambda: "The model alone reads" in dialog.summary.text())  # measured on a worker thread
    assert ("3 samples. The model alone reads 1 of them wrong; they do not fix it yet"
            in dialog.summary.text())
    dialog.items()[0].setSelected(True)
    dialog.delete_button.click()
    assert len(dialog.items()) == 2 and sorted(stored(profile_path)) == [1, 4]
    exported = profile_path.with_name("moved.sqlite3")
    assert dialog.export_to(exported)
    personal.reset()
    assert dialog.items() == [] and stored(profile_path) == []
    # imported on a worker thread, then the profile read again on the controller's
    with qtbot.waitSignals([dialog.imported, personal.ready], timeout=30_000):
        assert dialog.import_from(exported)
    assert len(dialog.items()) == 2
    with qtbot.waitSignals([dialog.imported, personal.ready], timeout=30_000):
        assert dialog.import_from(exported)  # the same drawings again: kept once, and said
    assert len(dialog.items()) == 2 and "2 already in your profile, kept once" in \
        window.statusBar().currentMessage()


def test_teach_me_your_hand_asks_for_each_digit_and_stores_what_is_drawn(qtbot, window: MainWindow,  # noqa: ANN001
                                                                         profile_path: Path) -> None:
    assert window.personal is not None
    session = TeachSession(window.personal, window)
    qtbot.addWidget(session)
    session.show()
    qtbot.waitExposed(session)
    assert "0 to 9, then 0 to 9 again" in session.order.text()
    assert "Draw a <b>0</b>" in session.prompt.text() and not session.next_button.isEnabled()
    assert session.canvas.prompt == "Draw one 0 here"
    draw_digit(session.canvas, 0)
    QTest.keyClick(session, Qt.Key.Key_Return)  # Enter is Next: checked off the GUI thread, then stored
    qtbot.waitUntil(lambda: "Draw a <b>1</b>" in session.prompt.text())
    session.skip_button.click()
    draw_digit(session.canvas, 7)  # asked for a 2; the model is sure it is a 7: asked before it is stored
    session.next_button.click()
    qtbot.waitUntil(lambda: session.question is not None)
    assert session.question is not None and "reads this drawing as a 7" in session.question.text()
    session.question.button(QMessageBox.StandardButton.Save).click()  # "my 2 looks like that"
    qtbot.waitUntil(lambda: "Draw a <b>3</b>" in session.prompt.text())
    assert stored(profile_path) == [0, 2] and session.taught == 2
    draw_digit(session.canvas, 0)  # (asked for a 3)
    session.done_button.click()  # a drawing in progress: asked before it is dropped
    qtbot.waitUntil(lambda: session.question is not None)
    assert session.question is not None
    session.question.button(QMessageBox.StandardButton.Cancel).click()
    assert session.isVisible() and session.drawing.ink_bounds() is not None
    session.position = len(session.queue) - 1
    session.advance()  # the end: a summary
    assert "Thank you: 2 samples learnt (0: 1, 2: 1)" in session.prompt.text()


def test_a_corrupt_profile_is_kept_aside_with_a_dialog_and_the_app_reads_on(qtbot, settings: AppSettings,  # noqa: ANN001
                                                                            shipped_model: Path,
                                                                            profile_path: Path) -> None:
    profile_path.write_bytes(b"not sqlite" * 500)
    made = create_window(str(shipped_model), settings, profile=profile_path)
    qtbot.addWidget(made)
    made.show()
    qtbot.waitUntil(lambda: made.message_box is not None and made.message_box.isVisible())
    assert made.message_box is not None and "kept as profile.sqlite3.unreadable-" in made.message_box.informativeText()
    made.message_box.close()
    assert any(".unreadable-" in p.name for p in profile_path.parent.iterdir())
    draw_digit(made.canvas, 7)
    assert made.answer.answer == "7"


def test_a_model_without_embedding_keeps_the_sample_and_says_it_is_not_used(qtbot, settings: AppSettings,  # noqa: ANN001
                                                                            tmp_path: Path,
                                                                            profile_path: Path) -> None:
    made = create_window(str(linear_model(tmp_path / "plain.onnx")), settings, profile=profile_path)
    qtbot.addWidget(made)
    made.show()
    qtbot.waitExposed(made)
    draw_digit(made.canvas, 7)
    click_digit(made, 1)
    assert stored(profile_path) == [1]
    assert "not used with it" in made.statusBar().currentMessage()


def test_a_new_model_reads_the_samples_in_small_steps_without_freezing_the_window(qtbot, settings: AppSettings,  # noqa: ANN001
                                                                                   shipped_model: Path,
                                                                                   profile_path: Path) -> None:
    with Profile(profile_path) as profile:  # samples stored, but no model has read them yet
        profile.add_many([(digit_drawing(7), 1)] * 20)
    made = create_window(str(shipped_model), settings, profile=profile_path)
    qtbot.addWidget(made)
    personal = made.personal
    assert personal is not None and personal.personalization is not None
    # the window is up before they are read: the model file is hashed, then the samples read,
    # DERIVE_STEP at a time, all on the worker thread
    assert not personal.idle and personal.personalization.pending <= 20
    qtbot.waitUntil(lambda: personal.idle)
    assert personal.personalization.pending == 0 and DERIVE_STEP < 20
    made.show()
    qtbot.waitExposed(made)
    draw_digit(made.canvas, 7)
    assert made.answer.answer.rstrip("?") == "1"


def test_a_correction_in_a_number_keeps_its_digit_selected_and_says_what_it_reads(window: MainWindow,
                                                                                 profile_path: Path) -> None:
    from tests.ui.test_numbers import ONE, SEVEN, ZERO, write

    write(window, SEVEN + ZERO + ONE)
    view = window.number_view
    assert view.number.text == "701"
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view.cell(1).center().toPoint())
    QTest.keyClick(window, Qt.Key.Key_8)  # the key teaches the selected digit: "this 0 is an 8"
    learnt(window)
    assert stored(profile_path) == [8]
    (sample,) = window.personal.samples  # type: ignore[union-attr]
    assert len(sample.drawing.strokes) == 1  # the 0's stroke only
    assert view.current == 1  # still the corrected digit, not the last one
    message = window.statusBar().currentMessage()
    assert message.startswith("Learnt: this is an 8")
    reads = view.number.digits[1].prediction.digit
    assert ("outvote" in message) == (reads != 8)
    if reads == 8:
        assert "from your samples (the model alone: 0)" in window.answer.caption
    assert view.number.text[0] == "7" and view.number.text[2] == "1"  # the other digits are the model's


def test_only_the_digit_labels_under_the_bars_teach(window: MainWindow, profile_path: Path) -> None:
    draw_digit(window.canvas, 7)
    plot = window.chart._plot_rect()
    column = plot.width() / 10
    QTest.mouseClick(window.chart, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(round(plot.left() + 1.5 * column), round(plot.center().y())))  # on the 1's bar
    assert stored(profile_path) == []
    click_digit(window, 1)
    learnt(window)
    assert stored(profile_path) == [1]
    click_digit(window, 1)  # the same drawing again: kept once, and said
    learnt(window)
    assert stored(profile_path) == [1] and "already one of your samples" in window.statusBar().currentMessage()
    assert window.controller.undo_stack.undoText() == "Teach 1"  # one step to undo, not two
    window.controller.undo_stack.undo()
    learnt(window)
    assert stored(profile_path) == []


# -- the profile is read on the worker thread ---------------------------------------------------


def profile_of(path: Path, model: Path, count: int, drawing: Drawing, label: int) -> None:
    """A profile of `count` copies of `drawing` taught as `label`, their readings by `model` cached (as
    after a session with it), made quickly: one reading, stored for every copy."""
    classifier = Classifier(model)
    (reading,) = read_drawings(classifier, Recognizer(classifier).normalization, [drawing])
    assert reading is not None
    with Profile(path) as profile:
        samples = profile.add_many([(drawing, label)] * count)
        profile.store_readings(model_key(classifier), {s.id: reading for s in samples})


def threads_reading(monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    """The threads that read a profile's samples or cached readings from now on."""
    threads: list[threading.Thread] = []
    for name in ("samples", "cached_readings"):
        real = getattr(Profile, name)

        def recorded(self: Profile, *args: object, real: Callable[..., object] = real) -> object:
            threads.append(threading.current_thread())
            return real(self, *args)

        monkeypatch.setattr(Profile, name, recorded)
    return threads


def test_the_window_opens_with_a_big_profile_that_the_gui_thread_never_reads(
        qtbot, settings: AppSettings, shipped_model: Path, profile_path: Path,  # noqa: ANN001
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading 1,000 samples took about 0.4 s on the GUI thread at start-up (10,000: seconds)."""
    profile_of(profile_path, shipped_model, 2000, digit_drawing(7), 1)  # "my 7s are 1s"
    threads = threads_reading(monkeypatch)
    made = create_window(str(shipped_model), settings, profile=profile_path)
    qtbot.addWidget(made)
    personal = made.personal
    assert personal is not None and personal.personalization is not None
    with qtbot.waitSignal(personal.ready, timeout=ANSWER_TIMEOUT_MS):
        made.show()  # up before the samples are in: the model alone reads, and the window says so
        assert personal.reading and personal.samples == [] and made.controller.recognizer.adapter is None
        assert made.statusBar().currentMessage() == READING_MESSAGE
    assert len(personal.samples) == 2000 and personal.idle and not personal.reading
    assert made.statusBar().currentMessage() != READING_MESSAGE
    assert threads and threading.main_thread() not in threads
    draw_digit(made.canvas, 7)
    assert made.answer.answer.rstrip("?") == "1"  # the samples are used
    reads = len(threads)
    with qtbot.waitSignal(personal.ready, timeout=ANSWER_TIMEOUT_MS):  # a model change: its cached readings
        use_shipped_model(qtbot, made)
    learnt(made)
    assert made.answer.answer.rstrip("?") == "1" and len(personal.samples) == 2000
    assert len(threads) > reads and threading.main_thread() not in threads


def test_an_imported_profile_is_read_on_the_worker_thread(qtbot, window: MainWindow, tmp_path: Path,  # noqa: ANN001
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other.sqlite3"
    with Profile(other) as profile:
        profile.add_many([(digit_drawing(7), 1), (digit_drawing(0), 0)])
    personal = window.personal
    assert personal is not None
    threads = threads_reading(monkeypatch)
    dialog = ProfileWindow(personal, window)
    qtbot.addWidget(dialog)
    with qtbot.waitSignals([dialog.imported, personal.ready], timeout=ANSWER_TIMEOUT_MS):
        assert dialog.import_from(other)
    assert sorted(s.label for s in personal.samples) == [0, 1] and len(dialog.items()) == 2
    assert threads and threading.main_thread() not in threads
    learnt(window)  # the new samples read by the model, on the worker thread too
    draw_digit(window.canvas, 7)
    assert window.answer.answer.rstrip("?") == "1"


def test_a_correction_made_while_the_profile_is_read_is_kept(
        qtbot, settings: AppSettings, shipped_model: Path, profile_path: Path,  # noqa: ANN001
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The read sees the profile before the correction is stored; applying it must not drop it."""
    profile_of(profile_path, shipped_model, 20, digit_drawing(0), 0)
    was_read, release = threading.Event(), threading.Event()
    real = personal_ui.read_stored

    def held(*args: object, **kwargs: object) -> object:
        stored = real(*args, **kwargs)  # type: ignore[arg-type]
        was_read.set()
        assert release.wait(ANSWER_TIMEOUT_S), "the test never let the read arrive"
        return stored

    monkeypatch.setattr(personal_ui, "read_stored", held)
    made = create_window(str(shipped_model), settings, profile=profile_path)
    qtbot.addWidget(made)
    made.show()
    qtbot.waitExposed(made)
    qtbot.waitUntil(was_read.is_set, timeout=ANSWER_TIMEOUT_MS)
    personal = made.personal
    assert personal is not None and personal.reading
    draw_digit(made.canvas, 7)
    QTest.keyClick(made, Qt.Key.Key_1)  # "this is a 1": stored at once, while the read is still out
    assert stored(profile_path) == [0] * 20 + [1]
    assert "Kept, but your profile is still being read" in made.statusBar().currentMessage()
    with qtbot.waitSignal(personal.ready, timeout=ANSWER_TIMEOUT_MS):
        release.set()
    assert sorted(s.label for s in personal.samples) == [0] * 20 + [1]
    learnt(made)  # the correction read by the model on the worker thread
    assert made.answer.answer.rstrip("?") == "1"


def test_a_read_overtaken_by_another_is_never_applied(
        qtbot, window: MainWindow, profile_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """An import's reload while a read is out (or a model change): only the latest read is applied."""
    personal = window.personal
    assert personal is not None and personal.personalization is not None
    was_read, release = threading.Event(), threading.Event()
    real = personal_ui.read_stored
    reads: list[int] = []

    def first_held(*args: object, **kwargs: object) -> object:
        stored = real(*args, **kwargs)  # type: ignore[arg-type]
        reads.append(len(stored.samples or ()))
        if len(reads) == 1:
            was_read.set()
            assert release.wait(ANSWER_TIMEOUT_S), "the test never let the read arrive"
        return stored

    applied: list[int] = []
    real_apply = Personalization.apply

    def apply(self: Personalization, stored: Stored) -> None:
        applied.append(len(stored.samples or ()))
        real_apply(self, stored)

    monkeypatch.setattr(personal_ui, "read_stored", first_held)
    monkeypatch.setattr(Personalization, "apply", apply)
    personal.reload()
    qtbot.waitUntil(was_read.is_set, timeout=ANSWER_TIMEOUT_MS)  # it saw an empty profile
    with Profile(profile_path) as elsewhere:  # another import comes meanwhile
        elsewhere.add_many([(digit_drawing(7), 1)])
    personal.reload()
    with qtbot.waitSignal(personal.ready, timeout=ANSWER_TIMEOUT_MS):
        release.set()
    assert reads == [0, 1] and applied == [1]
    assert [s.label for s in personal.samples] == [1]
