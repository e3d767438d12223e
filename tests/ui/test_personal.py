"""Learning the person's hand in the app: corrections by key or click, undo, the profile window, the session."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from digitpad.personal.profile import Profile
from digitpad.ui.app import create_window
from digitpad.ui.main_window import MainWindow
from digitpad.ui.personal import DERIVE_STEP
from digitpad.ui.profile_window import ProfileWindow
from digitpad.ui.settings import AppSettings
from digitpad.ui.teach_session import TeachSession
from tests.onnx_models import linear_model
from tests.ui.helpers import answered, digit_drawing, draw_digit, learnt

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
