"""Fixtures for the GUI tests: settings in a temporary file, tiny ONNX models, a shown window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from digitpad.ui.app import create_window
from digitpad.ui.main_window import MainWindow
from digitpad.ui.settings import AppSettings
from tests.onnx_models import constant_model
from tests.ui.helpers import ANSWER_TIMEOUT_MS


@pytest.fixture(autouse=True)
def unsaved_prompts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The window's "unsaved changes" questions, answered Discard (a modal box would hang the test).

    A test that wants another answer sets `QMessageBox.warning` itself.
    """
    asked: list[str] = []

    def answer(parent: object, title: str, text: str, *args: object) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Discard

    monkeypatch.setattr(QMessageBox, "warning", answer)
    return asked


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    """Settings in a file of the test's own, never the person's real ones."""
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def always_three(tmp_path: Path) -> Path:
    """A model that keeps the contract and always answers 3, sure of it."""
    logits = [0.0] * 10
    logits[3] = 12.0
    return constant_model(tmp_path / "always-three.onnx", logits, name="always three")


@pytest.fixture
def unsure_model(tmp_path: Path) -> Path:
    """A model that keeps the contract and is never sure: 4 at about 50 %, 9 at about 30 %."""
    logits = np.log(np.array([0.02] * 10))
    logits[4], logits[9] = np.log(0.5), np.log(0.34)
    return constant_model(tmp_path / "unsure.onnx", list(logits), name="unsure")


@pytest.fixture
def five_class_model(tmp_path: Path) -> Path:
    """A model that breaks the contract: five classes instead of ten."""
    return constant_model(tmp_path / "five-classes.onnx", [0.0] * 5, name="five classes")


@pytest.fixture
def profile_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The person's profile, a file of the test's own (not in `tmp_path`, which tests list): no test
    sees another's samples."""
    return tmp_path_factory.mktemp("profile") / "profile.sqlite3"


@pytest.fixture
def window(qtbot, settings: AppSettings, shipped_model: Path, profile_path: Path) -> Iterator[MainWindow]:  # noqa: ANN001 (qtbot)
    """The app's window with the shipped model and a profile of the test's own, shown offscreen, once
    its profile is read (on the profile controller's worker thread)."""
    made = create_window(str(shipped_model), settings, profile=profile_path)
    qtbot.addWidget(made)
    made.show()
    qtbot.waitExposed(made)
    qtbot.waitUntil(lambda: made.personal is None or made.personal.idle, timeout=ANSWER_TIMEOUT_MS)
    yield made
    if made.message_box is not None:
        made.message_box.close()
    made.shutdown()  # also when a test left it open (a close refused over unsaved changes)
