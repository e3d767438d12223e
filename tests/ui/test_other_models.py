"""File ▸ Open Model with a model of another convention: found out, said plainly, or asked about."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from digitpad.model import convention_cache
from digitpad.ui.main_window import MainWindow, about_model_details, about_model_text
from tests.onnx_models import foreign_model
from tests.ui.helpers import ANSWER_TIMEOUT_S, draw_digit
from tests.ui.test_main_window import assert_answer, choose_file, shown_dialog

pytestmark = pytest.mark.gui


def settled(qtbot, window: MainWindow, before: object) -> None:  # noqa: ANN001 (qtbot)
    """Wait until opening a model has ended: another model in use, or a dialog shown (a generous deadline)."""

    def ended() -> bool:
        box = window.message_box
        return window.controller.model_info is not before or (box is not None and box.isVisible())

    qtbot.waitUntil(ended, timeout=int(ANSWER_TIMEOUT_S * 1000))


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test remembers conventions in a file of its own: one's choice is not the next one's."""
    monkeypatch.setattr(convention_cache, "default_cache_file", lambda: tmp_path / "conventions.json")


def test_a_keras_model_is_fed_its_way_and_the_window_says_how(
    qtbot, window: MainWindow, shipped_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    path = foreign_model(shipped_model, tmp_path / "keras.onnx", layout="NHWC", scale="BYTE", input_name="input_1",
                         output_name="dense_1")
    choose_file(monkeypatch, path)
    before = window.controller.model_info
    window.open_model_action.trigger()
    settled(qtbot, window, before)
    found = "Keras layout, 0-255, logits; 99.8% on 500 MNIST test digits"
    assert window.model_label.text() == f"keras (keras.onnx) · {found}"
    assert window.settings.model_path == path.resolve()
    draw_digit(window.canvas, 7)
    assert_answer(window, 7)
    about = about_model_text(window.controller.model_info)
    assert "digitpad feeds it as Keras layout, 0-255, logits, the way that read MNIST test digits best" in about
    assert "fed so, it reads 99.8% of 500 MNIST test digits." in about
    assert f"Fed as: {found}" in about_model_details(window.controller.model_info).splitlines()


def test_two_ways_that_read_alike_are_the_persons_choice(
    qtbot, window: MainWindow, shipped_model: Path, tmp_path: Path  # noqa: ANN001 (qtbot)
) -> None:
    path = foreign_model(shipped_model, tmp_path / "own-scale.onnx", own_scale=True)
    built_in = window.controller.model_info
    window.open_model(path)
    settled(qtbot, window, built_in)
    box = shown_dialog(window)
    assert box.text() == "<b>How should digitpad feed this model?</b>"
    assert "cannot tell which one it was trained with" in box.informativeText()
    assert "digitpad keeps the current model." in box.informativeText()
    assert window.controller.model_info is built_in  # nothing changes until the person chooses
    ways = [b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole]
    labels = sorted(b.text() for b in ways)
    assert labels == ["PyTorch layout, 0-1, logits (99.8%)", "PyTorch layout, 0-255, logits (99.8%)"]
    next(b for b in ways if "0-1," in b.text()).click()
    settled(qtbot, window, built_in)
    info = window.controller.model_info
    assert info is not None and info.feeding is not None and info.feeding.chosen
    assert window.model_label.text().endswith("on 1,000 MNIST test digits, your choice")
    assert window.settings.model_path == path.resolve()
    draw_digit(window.canvas, 1)
    assert_answer(window, 1)
    chosen = window.controller.model_info
    window.use_shipped_model()
    settled(qtbot, window, chosen)
    built_in = window.controller.model_info
    window.open_model(path)  # remembered: no question the second time
    settled(qtbot, window, built_in)
    assert window.model_label.text().endswith("your choice") and not window.message_box.isVisible()


def test_cancelling_the_question_keeps_the_model(
    qtbot, window: MainWindow, shipped_model: Path, tmp_path: Path  # noqa: ANN001 (qtbot)
) -> None:
    path = foreign_model(shipped_model, tmp_path / "own-scale.onnx", own_scale=True)
    built_in = window.controller.model_info
    window.open_model(path)
    settled(qtbot, window, built_in)
    shown_dialog(window).button(QMessageBox.StandardButton.Cancel).click()
    assert window.controller.model_info is built_in and window.settings.model_path is None


def test_a_model_that_reads_no_digits_is_refused_with_the_figure(
    qtbot, window: MainWindow, shipped_model: Path, tmp_path: Path  # noqa: ANN001 (qtbot)
) -> None:
    built_in = window.controller.model_info
    window.open_model(foreign_model(shipped_model, tmp_path / "noise.onnx", scramble=True))
    settled(qtbot, window, built_in)
    box = shown_dialog(window)
    assert box.text() == "<b>Cannot use this model</b>"
    assert "of 500 MNIST test digits however digitpad feeds it" in box.informativeText()
    assert "does not look like a digit classifier" in box.informativeText()
    assert window.controller.model_info is built_in
    draw_digit(window.canvas, 7)
    assert_answer(window, 7)
