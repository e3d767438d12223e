"""Start the app: parse `--model`, load the model, show the window, run Qt's event loop.

`digitpad` with no subcommand and `python -m digitpad` both end up in `main()`. A missing or
broken model never stops the app from opening: drawing works, and the window says why
recognition is off until a good model is chosen.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from digitpad import __version__
from digitpad.classifier import Classifier
from digitpad.errors import ModelError
from digitpad.model_files import resolve_model_path
from digitpad.recognizer import Recognizer
from digitpad.ui.controller import RecognitionController
from digitpad.ui.main_window import MainWindow
from digitpad.ui.settings import APPLICATION_NAME, ORGANIZATION_NAME, AppSettings

ICONS = Path(__file__).resolve().parent / "icons"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digitpad", description="Draw a digit and watch a convnet read it.")
    parser.add_argument("--model", metavar="M", help="ONNX model to use instead of the app's choice or the shipped one")
    return parser


def load_recognizer(explicit: str | None, settings: AppSettings) -> tuple[Recognizer | None, str | None]:
    """The model from --model, else the one chosen in the app, else the shipped one; or why not."""
    path = resolve_model_path(explicit, settings.model_path)
    try:
        return Recognizer(Classifier(path)), None
    except ModelError as exc:
        return None, str(exc)


def create_window(model: str | None, settings: AppSettings, profile: Path | None = None) -> MainWindow:
    """The main window over a controller with the model loaded (or recognition off).

    `profile`: the person's profile file (default: `digitpad.profile.default_profile_path()`).
    """
    from digitpad.profile import default_profile_path
    from digitpad.ui.personal import PersonalController

    recognizer, error = load_recognizer(model, settings)
    controller = RecognitionController(recognizer)
    personal, profile_problem = PersonalController.open(controller, profile or default_profile_path())
    return MainWindow(controller, settings, startup_error=error, personal=personal, profile_problem=profile_problem)


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app; the exit code is Qt's. Arguments other than --model go to Qt (e.g. -style)."""
    args, qt_args = build_parser().parse_known_args(sys.argv[1:] if argv is None else list(argv))
    app = create_application(qt_args)
    window = create_window(args.model, AppSettings())
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
