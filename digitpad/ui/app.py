"""Start the app: load the model, show the window, run Qt's event loop.

`digitpad` with no subcommand and `python -m digitpad` both end up in `main()`, after
`digitpad.cli` has read the command line. A missing or
broken model never stops the app from opening: drawing works, and the window says why
recognition is off until a good model is chosen.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from digitpad import __version__
from digitpad.errors import ModelError
from digitpad.model.choice import load_model
from digitpad.reading.recognizer import Recognizer
from digitpad.ui.controller import RecognitionController
from digitpad.ui.main_window import MainWindow
from digitpad.ui.settings import APPLICATION_NAME, ORGANIZATION_NAME, AppSettings

ICONS = Path(__file__).resolve().parent / "icons"


def load_recognizer(explicit: str | None, settings: AppSettings) -> tuple[Recognizer | None, str | None]:
    """The model from --model, else the one chosen in the app, else the shipped one; and a message.

    With no recognizer, the message says why recognition is off. With one, it may say why the
    model chosen in the app was passed over for the shipped one; that choice is then forgotten,
    so that a model which fails (or hangs) is never loaded again at the next start.
    """
    chosen, warning = (None, None) if explicit else settings.chosen_model()
    try:
        classifier, notice = load_model(explicit, chosen)
    except ModelError as exc:
        return None, str(exc)
    notice = notice or warning
    if notice:
        settings.model_path = None
    return Recognizer(classifier), notice


def create_window(model: str | None, settings: AppSettings, profile: Path | None = None) -> MainWindow:
    """The main window over a controller with the model loaded (or recognition off).

    `profile`: the person's profile file (default: `digitpad.personal.profile.default_profile_path()`).
    """
    from digitpad.personal.profile import default_profile_path
    from digitpad.ui.personal import PersonalController

    recognizer, message = load_recognizer(model, settings)
    controller = RecognitionController(recognizer)
    personal, profile_problem = PersonalController.open(controller, profile or default_profile_path())
    if recognizer is None:
        return MainWindow(controller, settings, startup_error=message, personal=personal,
                          profile_problem=profile_problem)
    return MainWindow(controller, settings, startup_notice=message, personal=personal,
                      profile_problem=profile_problem)


def create_application(qt_args: Sequence[str] = ()) -> QApplication:
    """The QApplication, named once here so that QSettings knows where to keep the settings."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0] if sys.argv else "digitpad", *qt_args])
    app.setOrganizationName(ORGANIZATION_NAME)
    app.setApplicationName(APPLICATION_NAME)
    app.setApplicationDisplayName("digitpad")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("digitpad")
    app.setWindowIcon(app_icon())
    return app


def app_icon() -> QIcon:
    """The digitpad icon at every size it is drawn in (rendered from icons/digitpad.svg)."""
    icon = QIcon()
    for png in sorted(ICONS.glob("digitpad-*.png")):
        icon.addFile(str(png))
    return icon


def main(
    model: str | None = None,
    qt_args: Sequence[str] = (),
    file: Path | None = None,
    started: Callable[[], None] | None = None,
) -> int:
    """Run the app with `model` (--model), Qt's own arguments (e.g. -style) and `file` on the canvas.

    `started` is called once the window is shown (Qt has started); the exit code is Qt's.
    """
    app = create_application(qt_args)
    settings = AppSettings()
    for warning in settings.warnings:
        print(f"digitpad: warning: {warning}", file=sys.stderr)
    window = create_window(model, settings)
    app.aboutToQuit.connect(window.shutdown)  # the worker threads end with the app, whichever way it quits
    window.show()
    if started is not None:
        started()
    if file is not None:
        window.open_file(file)
    return app.exec()
