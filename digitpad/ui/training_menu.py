"""The Models menu: Train a Model…, Your Models…, or (without PyTorch) how to install the training extra.

Wired into the main window by `install`, which needs only its menu bar, `open_model` and the
controller's model; the window asks `may_close` before it closes, so a run is never cut off unasked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import SignalInstance
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from digitpad.model.choice import shipped_model_path
from digitpad.model.runs import Run
from digitpad.ui.controller import RecognitionController
from digitpad.ui.models_window import ModelsWindow
from digitpad.ui.personal import PersonalController
from digitpad.ui.training_process import install_command, training_available
from digitpad.ui.training_session import TrainingSession
from digitpad.ui.training_window import TrainingWindow

NEEDS_EXTRA = "Training needs the training extra (PyTorch). Install it with:"


class ModelsMenu:
    """The menu, the training session and its two windows (made when first opened, kept after)."""

    def __init__(self, window: QMainWindow, controller: RecognitionController, open_model: Callable[..., None],
                 model_opened: SignalInstance, personal: PersonalController | None) -> None:
        """`open_model(path, remember=...)` opens a model on the window's model thread; `model_opened` says
        when it is in use (the app remembers the choice, or goes back to the built-in one at the next start)."""
        self.window, self.controller, self._open_model, self.personal = window, controller, open_model, personal
        model_opened.connect(self._model_opened)
        self.available = training_available()
        self.session = TrainingSession(self.profile_path, parent=window)
        self.training_window: TrainingWindow | None = None
        self.models_window: ModelsWindow | None = None
        self.menu = QMenu("&Models", window)
        self.train_action = self.menu.addAction("&Train a Model…")
        self.train_action.setStatusTip("Train a model on MNIST and pen digits, watch it learn, compare it")
        self.train_action.triggered.connect(self.show_training)
        if not self.available:
            self.train_action.setEnabled(False)
            self.menu.addAction(NEEDS_EXTRA).setEnabled(False)
            self.menu.addAction(install_command()).setEnabled(False)
            copy = self.menu.addAction("&Copy the Install Command")
            copy.triggered.connect(lambda: QGuiApplication.clipboard().setText(install_command()))
        self.menu.addSeparator()
        models = self.menu.addAction("Your &Models…")
        models.setStatusTip("The models trained here or from the command line: use, compare, export, delete")
        models.triggered.connect(self.show_models)
        menus = window.menuBar().actions()
        if menus:  # before Help, which stays last
            window.menuBar().insertMenu(menus[-1], self.menu)
        else:
            window.menuBar().addMenu(self.menu)

    def profile_path(self) -> Path | None:
        """The person's profile file (the session's worker threads read it with their own connections)."""
        profile = self.personal.profile if self.personal is not None else None
        return profile.path if profile is not None else None

    def sample_count(self) -> int:
        """How many samples the person has taught (one COUNT query on the GUI thread's connection)."""
        profile = self.personal.profile if self.personal is not None else None
        return len(profile) if profile is not None else 0

    def current_model(self) -> Path | None:
        info = self.controller.model_info
        return info.path if info is not None else None

    def use_model(self, path: Path) -> None:
        """Switch the app to `path` (checked on the model thread; a dialog says why if it cannot be used)."""
        shipped = path.resolve() == shipped_model_path().resolve()
        self._open_model(path, remember=not shipped)  # as File ▸ Use Built-in Model does for the built-in one

    def _model_opened(self, opened: bool) -> None:
        if self.training_window is not None:
            self.training_window.model_switched(opened)
        if self.models_window is not None:
            self.models_window.model_switched(opened)

    def show_training(self) -> TrainingWindow:
        if self.training_window is None:
            self.training_window = TrainingWindow(self.session, self.use_model, self.current_model, self.window,
                                                  sample_count=self.sample_count)
        self.training_window.show()
        self.training_window.raise_()
        return self.training_window

    def show_models(self) -> ModelsWindow:
        if self.models_window is None:
            self.models_window = ModelsWindow(self.session, self.use_model, self.current_model, self.resume,
                                              self.window)
        self.models_window.refresh()
        self.models_window.show()
        self.models_window.raise_()
        return self.models_window

    def resume(self, run: Run) -> None:
        window = self.show_training()
        window.show_run(run)
        window.resume()

    def may_close(self) -> bool:
        """Before the app quits: a run in progress is stopped (resumable) only if the person says so."""
        if not self.session.training:
            return True
        name = self.session.run.name if self.session.run is not None else "A model"
        answer = QMessageBox.question(
            self.window, "A model is training",
            f"{name} is training. Stop it and quit? It keeps its checkpoint: Resume (Models ▸ Your Models) "
            "continues where it stopped.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.session.stop_and_wait()
        return True

    def shutdown(self) -> None:
        self.session.stop_and_wait()
