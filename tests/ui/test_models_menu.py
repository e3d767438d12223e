"""The Models menu without a training subprocess: the install hint without PyTorch, one training at a time."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

import digitpad.ui.training_menu
from digitpad.ui.app import create_window
from digitpad.ui.main_window import MainWindow
from digitpad.ui.settings import AppSettings
from digitpad.ui.training_process import install_command
from digitpad.ui.training_session import Choice

pytestmark = pytest.mark.gui


def _window(qtbot: Any, settings: AppSettings, shipped_model: Path, profile_path: Path) -> MainWindow:
    made = create_window(str(shipped_model), settings, profile=profile_path)
    qtbot.addWidget(made)
    return made


def test_without_pytorch_the_menu_says_how_to_install_the_training_extra(
        qtbot: Any, settings: AppSettings, shipped_model: Path, profile_path: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITPAD_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setattr(digitpad.ui.training_menu, "training_available", lambda: False)
    window = _window(qtbot, settings, shipped_model, profile_path)
    menu = window.models_menu
    texts = [action.text() for action in menu.menu.actions() if not action.isSeparator()]
    assert texts[0] == "&Train a Model…" and not menu.train_action.isEnabled()
    assert texts[1].startswith("Training needs the training extra") and texts[2] == install_command()
    assert "pip install" in install_command() and "[train]" in install_command()
    assert "Your &Models…" in texts  # using, exporting and deleting models needs no PyTorch
    models = menu.show_models()
    assert [entry.run for entry in models.entries] == [None]  # the built-in model, first and alone
    models.select(0)
    assert models.buttons["Use"].isEnabled() and not models.buttons["Delete"].isEnabled()
    with qtbot.waitSignal(window.model_opened, timeout=60_000) as opened:
        models.buttons["Use"].click()
    assert opened.args == [True] and window.settings.model_path is None  # the built-in one: nothing to remember
    assert models.table.item(0, 0).text() == "Built-in model (in use)"
    assert models.status.text() == "digitpad now reads with Built-in model."
    assert [action.text() for action in window.menuBar().actions()][-2:] == ["&Models", "&Help"]


def test_a_second_training_is_refused_while_one_holds_the_lock(
        qtbot: Any, settings: AppSettings, shipped_model: Path, profile_path: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITPAD_RUNS_DIR", str(tmp_path / "runs"))
    window = _window(qtbot, settings, shipped_model, profile_path)
    session = window.models_menu.session
    session.lock.acquire(tmp_path / "runs" / "elsewhere", os.getpid())  # a live process: this one
    trainer = window.models_menu.show_training()
    trainer.start_button.click()
    assert not session.process.running and session.state == "idle"
    assert trainer.message_box is not None and "elsewhere" in trainer.message_box.text()
    assert "one run at a time" in trainer.message_box.text()
    trainer.message_box.close()
    assert not (tmp_path / "runs" / trainer.name.text()).exists()


def test_closing_the_app_during_a_run_asks_and_stops_it_only_when_told(
        qtbot: Any, settings: AppSettings, shipped_model: Path, profile_path: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITPAD_RUNS_DIR", str(tmp_path / "runs"))
    window = _window(qtbot, settings, shipped_model, profile_path)
    window.show()
    session = window.models_menu.session
    session.command = [sys.executable, "-c", "import time; time.sleep(120)"]  # stands in for a long training
    with qtbot.waitSignal(session.process.process.started, timeout=30_000):
        session.start(Choice("long"))
    assert session.training and session.lock.holder() is not None
    answers: list[str] = []

    def answer(reply: QMessageBox.StandardButton) -> Any:
        def ask(parent: object, title: str, text: str, *args: object) -> QMessageBox.StandardButton:
            answers.append(text)
            return reply
        return ask

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    assert not window.close()  # kept open, the run going
    assert session.process.running and "long is training" in answers[-1] and "Resume" in answers[-1]
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    assert window.close()
    assert not session.process.running and session.lock.holder() is None


@pytest.mark.slow
def test_missing_mnist_gives_a_clear_message_and_start_can_try_again(
        qtbot: Any, settings: AppSettings, shipped_model: Path, profile_path: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch", reason="a real training command")
    monkeypatch.setenv("DIGITPAD_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(tmp_path / "no-mnist"))  # a folder without MNIST
    monkeypatch.setenv("DIGITPAD_MNIST_MIRRORS", "http://127.0.0.1:9/")  # were it to download: no network
    (tmp_path / "no-mnist").mkdir()
    window = _window(qtbot, settings, shipped_model, profile_path)
    session = window.models_menu.session
    trainer = window.models_menu.show_training()
    trainer.name.setText("offline")
    with qtbot.waitSignal(session.run_ended, timeout=300_000) as ended:
        trainer.start_button.click()
    assert "lacks train-images-idx3-ubyte" in ended.args[1], ended.args  # the recipe's own message
    assert trainer.message_box is not None and trainer.message_box.text() == ended.args[1]
    assert "could not start" in trainer.stage.text() and trainer.start_button.isEnabled()
    assert session.state == "idle" and session.lock.holder() is None
    trainer.message_box.close()
