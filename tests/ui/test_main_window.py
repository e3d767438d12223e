"""The window as a person uses it: draw with the mouse, undo, clear, open and save files, swap models."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from digitpad.ink.drawing import Drawing
from digitpad.ink.drawing_file import load_drawing, save_drawing
from digitpad.model.contract import MetadataKey
from digitpad.ui.app import create_window
from digitpad.ui.canvas import render_drawing
from digitpad.ui.main_window import PROMPT_BLANK, PROMPT_MODEL_FAILED, PROMPT_NO_INK, MainWindow
from digitpad.ui.settings import AppSettings
from tests.bad_files import BAD_IMAGES, bad_image
from tests.onnx_models import constant_model, fails_on_ink_model, linear_model
from tests.ui.helpers import ANSWER_TIMEOUT_MS, DIGITS, answered, drag, draw_digit, open_model, use_shipped_model

pytestmark = pytest.mark.gui


def disk_full(*args: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def shown_dialog(window: MainWindow) -> QMessageBox:
    box = window.message_box
    assert box is not None and box.isVisible(), "expected a dialog"
    return box


def assert_answer(window: MainWindow, digit: int) -> None:
    answered(window.controller)
    assert window.answer.answer == str(digit)
    assert "sure" in window.answer.caption and "Not" not in window.answer.caption
    assert window.chart.top == digit
    assert window.model_input.pixels is not None and window.model_input.pixels.shape == (28, 28)
    assert window.timing_label.text().endswith(" ms")


def assert_blank(window: MainWindow, prompt: str = PROMPT_BLANK) -> None:
    answered(window.controller)
    assert window.answer.caption == prompt and window.answer.answer == "–"
    assert window.chart.probabilities is None
    assert window.model_input.pixels is None


def drawn(window: MainWindow, strokes: list[np.ndarray]) -> bool:
    """Whether the page holds `strokes` as the mouse drew them (positions are whole widget pixels)."""
    drawing = window.controller.drawing
    return len(drawing.strokes) == len(strokes) and all(
        a.shape == b.shape and np.abs(a - b).max() <= 1.0 for a, b in zip(drawing.strokes, strokes)
    )


def press(window: MainWindow, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(window.canvas, key, modifiers)


def test_a_blank_canvas_shows_a_prompt_never_a_guess(window: MainWindow) -> None:
    assert_blank(window)
    assert not window.save_action.isEnabled()


def test_drawing_a_digit_with_the_mouse_updates_answer_chart_and_model_input(window: MainWindow) -> None:
    draw_digit(window.canvas, 7)
    assert_answer(window, 7)
    assert window.chart.probabilities.sum() == pytest.approx(1.0, abs=1e-4)
    assert window.save_action.isEnabled()


def test_the_answer_updates_while_the_stroke_is_drawn(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    drag(window.canvas, DIGITS[1][0], release=False)
    qtbot.waitUntil(lambda: window.chart.probabilities is not None, timeout=ANSWER_TIMEOUT_MS)
    assert window.answer.answer == "1"
    assert window.controller.drawing.is_blank  # still drawing: nothing committed yet


def test_a_low_confidence_answer_says_not_sure(qtbot, settings: AppSettings, unsure_model: Path) -> None:  # noqa: ANN001
    window = create_window(str(unsure_model), settings)
    qtbot.addWidget(window)
    draw_digit(window.canvas, 1)
    assert window.answer.answer == "4?"
    assert window.answer.caption.startswith("Not sure") and "9" in window.answer.caption
    assert window.chart.top == 4


def test_undo_and_redo_step_by_stroke_from_the_keyboard(window: MainWindow) -> None:
    draw_digit(window.canvas, 4)
    assert_answer(window, 4)
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert drawn(window, DIGITS[4][:1])
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert_blank(window)
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert drawn(window, DIGITS[4])
    assert_answer(window, 4)


def test_the_buttons_undo_redo_and_clear(window: MainWindow) -> None:
    assert not window.undo_button.isEnabled()
    draw_digit(window.canvas, 1)
    assert window.undo_button.isEnabled() and not window.redo_button.isEnabled()
    QTest.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
    assert_blank(window)
    QTest.mouseClick(window.redo_button, Qt.MouseButton.LeftButton)
    assert_answer(window, 1)
    QTest.mouseClick(window.clear_button, Qt.MouseButton.LeftButton)
    assert_blank(window)


@pytest.mark.parametrize("key", [Qt.Key.Key_Escape, Qt.Key.Key_Delete], ids=["Esc", "Delete"])
def test_clear_from_the_keyboard_and_undo_it(window: MainWindow, key: Qt.Key) -> None:
    draw_digit(window.canvas, 7)
    press(window, key)
    assert window.controller.drawing.is_blank
    assert_blank(window)
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert_answer(window, 7)


def write_png(path: Path, drawing: Drawing, dark_on_light: bool = True) -> Path:
    image = render_drawing(drawing)
    if not dark_on_light:
        image.invertPixels()
    assert image.save(str(path))
    return path


@pytest.mark.parametrize("dark_on_light", [True, False], ids=["dark-on-light", "light-on-dark"])
def test_open_an_image_to_classify(window: MainWindow, tmp_path: Path, dark_on_light: bool) -> None:
    big = Drawing([stroke * 3 for stroke in DIGITS[4]], width=840, height=840, pen_width=60)  # any size
    path = write_png(tmp_path / "four.png", big, dark_on_light)
    assert window.open_image(path)
    assert_answer(window, 4)
    assert window.canvas.page.image_ink is not None
    assert window.windowTitle().startswith("four.png")


def test_open_image_from_the_file_menu(window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_png(tmp_path / "seven.png", Drawing(DIGITS[7]))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
    window.open_image_action.trigger()
    assert_answer(window, 7)
    assert window.settings.last_dir("images") == str(tmp_path)


def test_files_dropped_on_the_window_are_opened(window: MainWindow, tmp_path: Path) -> None:
    image = write_png(tmp_path / "seven.png", Drawing(DIGITS[7]))
    drawing = tmp_path / "four.json"
    save_drawing(drawing, Drawing(DIGITS[4]))
    for path, digit in ((image, 7), (drawing, 4)):
        data = QMimeData()
        data.setUrls([QUrl.fromLocalFile(str(path))])
        event = QDropEvent(
            QPointF(50, 50), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        )
        window.dropEvent(event)
        assert_answer(window, digit)


def test_an_image_without_ink_shows_a_prompt(window: MainWindow, tmp_path: Path) -> None:
    path = write_png(tmp_path / "empty.png", Drawing())
    assert window.open_image(path)
    assert_blank(window, PROMPT_NO_INK)


def test_a_bad_image_gets_a_dialog_and_the_drawing_stays(window: MainWindow, tmp_path: Path) -> None:
    draw_digit(window.canvas, 7)
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10)
    assert not window.open_image(path)
    box = shown_dialog(window)
    assert "Cannot open this image" in box.text()
    assert "broken.png" in box.informativeText() and "unchanged" in box.informativeText()
    assert drawn(window, DIGITS[7])
    assert_answer(window, 7)


def test_open_a_drawing_file(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "four.json"
    save_drawing(path, Drawing(DIGITS[4]))
    assert window.open_drawing(path)
    assert window.controller.drawing == Drawing([np.round(s, 2) for s in DIGITS[4]])
    assert_answer(window, 4)


def test_a_bad_drawing_file_gets_a_dialog_and_the_drawing_stays(window: MainWindow, tmp_path: Path) -> None:
    draw_digit(window.canvas, 1)
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps({"format": "digitpad-drawing", "version": 1, "width": 280, "height": 280, "strokes": [[[1, "x"]]]})
    )
    assert not window.open_drawing(path)
    assert "stroke 0" in shown_dialog(window).informativeText()
    assert drawn(window, DIGITS[1])


def test_saved_png_and_json_open_again_with_the_same_answer(window: MainWindow, tmp_path: Path) -> None:
    draw_digit(window.canvas, 4)
    probabilities = window.chart.probabilities.copy()
    assert window.save_drawing(tmp_path / "four.png")
    assert window.save_drawing(tmp_path / "four.json")
    assert window.open_image(tmp_path / "four.png")
    assert_answer(window, 4)
    assert np.abs(window.chart.probabilities - probabilities).max() < 0.05
    assert window.open_drawing(tmp_path / "four.json")
    assert_answer(window, 4)
    assert np.abs(window.chart.probabilities - probabilities).max() < 1e-3  # coordinates rounded to 0.01 px


def test_save_from_the_file_menu_adds_the_chosen_format(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    draw_digit(window.canvas, 7)
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(tmp_path / "seven"), "Drawing JSON (*.json)")
    )
    window.save_action.trigger()
    saved = json.loads((tmp_path / "seven.json").read_text())
    assert saved["format"] == "digitpad-drawing" and len(saved["strokes"]) == 1


def test_a_failed_save_gets_a_dialog_and_keeps_the_drawing(window: MainWindow, tmp_path: Path) -> None:
    draw_digit(window.canvas, 7)
    assert not window.save_drawing(tmp_path / "no-such-folder" / "seven.png")
    assert "seven.png" in shown_dialog(window).informativeText()
    assert drawn(window, DIGITS[7])


def test_a_model_that_breaks_the_contract_is_refused_and_the_current_one_kept(
    qtbot, window: MainWindow, five_class_model: Path  # noqa: ANN001
) -> None:
    draw_digit(window.canvas, 7)
    name = window.model_label.text()
    assert not open_model(qtbot, window, five_class_model)
    box = shown_dialog(window)
    assert "Cannot use this model" in box.text()
    assert "probabilities" in box.informativeText() and "10" in box.informativeText()
    assert "keeps the current model" in box.informativeText()
    assert window.model_label.text() == name
    assert window.settings.model_path is None
    assert_answer(window, 7)


def test_a_file_that_is_no_model_is_refused(qtbot, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "notes.onnx"
    path.write_text("these are not the weights you are looking for")
    assert not open_model(qtbot, window, path)
    assert "notes.onnx" in shown_dialog(window).informativeText()


def test_a_good_model_is_used_and_remembered(
    qtbot, window: MainWindow, always_three: Path, settings: AppSettings
) -> None:  # noqa: ANN001
    draw_digit(window.canvas, 7)
    assert open_model(qtbot, window, always_three)
    answered(window.controller)
    assert window.answer.answer == "3"
    assert window.model_label.text() == f"always three ({always_three.name}) · MNIST 50.00%"
    assert settings.model_path == always_three.resolve()
    again = create_window(None, settings)  # the next start, without --model
    qtbot.addWidget(again)
    assert again.controller.model_info.name == "always three"
    use_shipped_model(qtbot, window)
    assert settings.model_path is None and window.answer.answer == "7"


def test_a_missing_model_still_opens_the_app_with_recognition_off(qtbot, settings: AppSettings, tmp_path: Path) -> None:  # noqa: ANN001
    window = create_window(str(tmp_path / "gone.onnx"), settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.message_box is not None and window.message_box.isVisible())
    assert "gone.onnx" in window.message_box.informativeText()
    assert "Recognition is off" in window.answer.caption
    assert window.model_label.text().startswith("No model")
    window.message_box.close()
    draw_digit(window.canvas, 7)  # drawing still works
    assert drawn(window, DIGITS[7])
    assert window.chart.probabilities is None


def test_about_speaks_to_a_person_with_the_details_one_click_away(window: MainWindow) -> None:
    window.about_action.trigger()
    box = shown_dialog(window)
    info = window.controller.model_info
    assert info.name in box.text() and info.path.name in box.text()
    assert f"right {info.drawing_accuracy * 100:.1f} times in 100" in box.text()
    assert "README.md" in box.text()  # the shipped model's card lies beside it
    assert info.summary not in box.text() and info.summary in box.detailedText()
    assert str(info.path) in box.detailedText()


def test_window_geometry_is_remembered(qtbot, window: MainWindow, settings: AppSettings) -> None:  # noqa: ANN001
    window.resize(720, 560)  # smaller than the offscreen screen (800 x 600), which clamps it
    window.close()
    again = create_window(None, settings)
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (720, 560)


def test_every_menu_action_has_a_status_tip_and_the_main_ones_a_shortcut(window: MainWindow) -> None:
    for action in (
        window.open_image_action,
        window.open_drawing_action,
        window.save_action,
        window.open_model_action,
        window.undo_action,
        window.redo_action,
        window.clear_action,
        window.quit_action,
    ):
        assert action.statusTip() and not action.shortcut().isEmpty(), action.text()


# -- bad files through the File menu: a dialog, and the drawing and the model stay ---------------


def choose_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))


@pytest.mark.parametrize("kind", list(BAD_IMAGES))
def test_a_bad_image_from_the_file_menu_gets_a_dialog_and_nothing_is_lost(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    draw_digit(window.canvas, 7)
    choose_file(monkeypatch, bad_image(tmp_path, kind))
    window.open_image_action.trigger()
    box = shown_dialog(window)
    assert box.text() == "<b>Cannot open this image</b>"
    assert BAD_IMAGES[kind][2] in box.informativeText() and "The canvas is unchanged." in box.informativeText()
    assert drawn(window, DIGITS[7])
    assert_answer(window, 7)


BAD_DRAWINGS = {
    "malformed JSON": ('{"format": "digitpad-drawing", "strokes": [[', "not valid JSON"),
    "wrong format name": ('{"format": "svg", "version": 1}', 'not a digitpad drawing: "format" is "svg"'),
    "wrong version": ('{"format": "digitpad-drawing", "version": 7}', "unsupported drawing version 7"),
    "NaN coordinate": (
        '{"format": "digitpad-drawing", "version": 1, "width": 280, "height": 280, "strokes": [[[NaN, 3]]]}',
        "NaN or infinite",
    ),
    "absurd canvas": (
        '{"format": "digitpad-drawing", "version": 1, "width": 1000000000, "height": 280, "strokes": []}',
        "canvas width must be a whole number from 1 to 4096",
    ),
    "too complex": (
        json.dumps(
            {
                "format": "digitpad-drawing",
                "version": 1,
                "width": 280,
                "height": 280,
                "strokes": [np.random.default_rng(0).integers(0, 280, (100_000, 2)).tolist()],
            }
        ),
        "too complex",
    ),
}


@pytest.mark.parametrize("kind", list(BAD_DRAWINGS))
def test_a_bad_drawing_from_the_file_menu_gets_a_dialog_and_nothing_is_lost(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    draw_digit(window.canvas, 4)
    content, message = BAD_DRAWINGS[kind]
    path = tmp_path / "bad.json"
    path.write_text(content)
    choose_file(monkeypatch, path)
    window.open_drawing_action.trigger()
    box = shown_dialog(window)
    assert box.text() == "<b>Cannot open this drawing</b>" and message in box.informativeText()
    assert drawn(window, DIGITS[4])
    assert_answer(window, 4)


def test_a_drawing_far_off_the_canvas_opens_as_a_blank_page(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "far.json"
    save_drawing(path, Drawing([[[-9e5, -9e5], [-8e5, 9e5]]]))
    assert window.open_drawing(path)
    assert_blank(window)
    window.canvas.grab()  # painting it is fine too


def truncated_model(folder: Path) -> Path:
    path = folder / "truncated.onnx"
    path.write_bytes(constant_model(folder / "whole.onnx", [0.0] * 10).read_bytes()[:300])
    return path


def text_model(folder: Path) -> Path:
    path = folder / "notes.onnx"
    path.write_text("these are not the weights you are looking for")
    return path


#: Model files that break the contract: kind -> (how to make one in a folder, what the dialog says).
BAD_MODELS = {
    "missing": (lambda folder: folder / "gone.onnx", "model file at"),
    "truncated": (truncated_model, "truncated.onnx is not a usable ONNX model"),
    "not ONNX": (text_model, "notes.onnx is not a usable ONNX model"),
    "wrong input shape": (lambda folder: linear_model(folder / "s.onnx", input_shape=("N", 1, 32, 32)), "has shape"),
    "wrong input type": (
        lambda folder: linear_model(folder / "d.onnx", input_type=TensorProto.DOUBLE),
        "tensor(double)",
    ),
    "wrong output name, random weights": (
        lambda folder: linear_model(folder / "o.onnx", output_name="scores"),
        "does not look like a digit classifier",
    ),
    "five classes": (lambda folder: constant_model(folder / "c.onnx", [0.0] * 5), "digitpad needs ['N', 10]"),
    "no softmax": (lambda folder: linear_model(folder / "l.onnx", softmax=False), "are not probabilities"),
}


@pytest.mark.parametrize("kind", list(BAD_MODELS))
def test_a_bad_model_from_the_file_menu_gets_a_dialog_and_the_model_stays(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str  # noqa: ANN001
) -> None:
    draw_digit(window.canvas, 7)
    make, message = BAD_MODELS[kind]
    choose_file(monkeypatch, make(tmp_path))
    model = window.controller.model_info
    with qtbot.waitSignal(window.model_opened, timeout=ANSWER_TIMEOUT_MS):
        window.open_model_action.trigger()
    box = shown_dialog(window)
    assert box.text() == "<b>Cannot use this model</b>"
    assert message in box.informativeText() and "digitpad keeps the current model." in box.informativeText()
    assert window.controller.model_info is model and window.settings.model_path is None
    assert_answer(window, 7)


def test_a_model_that_fails_at_run_time_turns_answers_off_and_drawing_goes_on(
    qtbot, window: MainWindow, tmp_path: Path  # noqa: ANN001
) -> None:
    """The model passes every check at loading, then fails on any image with ink."""
    assert open_model(qtbot, window, fails_on_ink_model(tmp_path / "fails.onnx"))
    draw_digit(window.canvas, 1)
    assert window.answer.caption == PROMPT_MODEL_FAILED
    assert window.chart.probabilities is None and window.model_input.pixels is None
    assert "the model failed while running" in window.statusBar().currentMessage()
    draw_digit(window.canvas, 7)  # drawing, undo and clear all still work
    assert drawn(window, DIGITS[1] + DIGITS[7])
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert drawn(window, DIGITS[1])
    use_shipped_model(qtbot, window)  # and a good model reads the page again
    assert_answer(window, 1)


def test_a_full_disk_while_saving_gets_a_dialog_and_the_old_file_stays(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    draw_digit(window.canvas, 7)
    path = tmp_path / "seven.json"
    path.write_text("the old file")
    monkeypatch.setattr(os, "fsync", disk_full)
    assert not window.save_drawing(path)
    assert "No space left on device" in shown_dialog(window).informativeText()
    assert path.read_text() == "the old file" and sorted(p.name for p in tmp_path.iterdir()) == ["seven.json"]
    assert drawn(window, DIGITS[7])


def test_the_status_bar_names_the_drawing_accuracy_a_model_reports(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:  # noqa: ANN001
    metadata = {MetadataKey.NAME: "pen", MetadataKey.TEST_ACCURACY: "0.9962", MetadataKey.DRAWING_ACCURACY: "0.9852"}
    assert open_model(qtbot, window, linear_model(tmp_path / "pen.onnx", metadata=metadata))
    assert window.model_label.text() == "pen (pen.onnx) · MNIST 99.62% · pen drawings 98.52%"
    assert window.controller.model_info.drawing_accuracy == 0.9852


# -- unsaved changes: the title says so, and closing or opening over them asks first ------------


def answer_unsaved(monkeypatch: pytest.MonkeyPatch, button: QMessageBox.StandardButton) -> list[str]:
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *args: asked.append(text) or button)
    return asked


def test_the_title_marks_unsaved_changes_and_saving_clears_the_mark(window: MainWindow, tmp_path: Path) -> None:
    assert window.windowTitle() == "Untitled[*] — digitpad" and not window.isWindowModified()
    draw_digit(window.canvas, 7)
    assert window.isWindowModified() and window.has_unsaved_drawing
    assert window.save_drawing(tmp_path / "seven.json")
    assert not window.isWindowModified() and not window.has_unsaved_drawing
    window.controller.undo_stack.undo()  # back to before the save: changed again
    assert window.isWindowModified()


def test_an_opened_drawing_is_unchanged_until_drawn_on(window: MainWindow, tmp_path: Path) -> None:
    save_drawing(tmp_path / "four.json", Drawing(DIGITS[4]))
    assert window.open_drawing(tmp_path / "four.json")
    assert window.windowTitle() == "four.json[*] — digitpad" and not window.isWindowModified()
    draw_digit(window.canvas, 1)
    assert window.isWindowModified()


def test_cancel_keeps_the_window_open_and_the_drawing(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    draw_digit(window.canvas, 7)
    asked = answer_unsaved(monkeypatch, QMessageBox.StandardButton.Cancel)
    assert not window.close()
    assert window.isVisible() and drawn(window, DIGITS[7])
    assert asked == ["The drawing has unsaved changes.\nDo you want to save it?"]


def test_discard_closes_without_saving(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    draw_digit(window.canvas, 7)
    asked = answer_unsaved(monkeypatch, QMessageBox.StandardButton.Discard)
    assert window.close() and len(asked) == 1


def test_save_saves_then_closes(window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    draw_digit(window.canvas, 7)
    answer_unsaved(monkeypatch, QMessageBox.StandardButton.Save)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(tmp_path / "kept.json"), ""))
    drawing = window.controller.drawing
    assert window.close()
    saved = load_drawing(tmp_path / "kept.json")
    assert len(saved.strokes) == 1 and np.allclose(saved.strokes[0], drawing.strokes[0], atol=0.01)


def test_save_that_is_cancelled_keeps_the_window_open(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    draw_digit(window.canvas, 7)
    answer_unsaved(monkeypatch, QMessageBox.StandardButton.Save)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: ("", ""))
    assert not window.close() and window.isVisible()


def test_opening_a_file_over_unsaved_changes_asks_first(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    save_drawing(tmp_path / "four.json", Drawing(DIGITS[4]))
    choose_file(monkeypatch, tmp_path / "four.json")
    draw_digit(window.canvas, 7)
    asked = answer_unsaved(monkeypatch, QMessageBox.StandardButton.Cancel)
    window.open_drawing_action.trigger()
    assert len(asked) == 1 and drawn(window, DIGITS[7])  # cancelled: the drawing stays
    answer_unsaved(monkeypatch, QMessageBox.StandardButton.Discard)
    window.open_drawing_action.trigger()
    assert window.controller.drawing == load_drawing(tmp_path / "four.json")


def test_a_saved_or_blank_page_closes_without_asking(window: MainWindow, unsaved_prompts: list[str]) -> None:
    draw_digit(window.canvas, 7)
    window.controller.clear()
    assert window.close() and unsaved_prompts == []
