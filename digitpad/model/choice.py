"""Where the model comes from: --model, else the one chosen in the app, else the shipped one."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from digitpad.errors import FileReadError, ModelError
from digitpad.files import read_regular_file, write_text_atomically

if TYPE_CHECKING:  # loading ONNX Runtime waits until a model is really loaded
    from digitpad.model.classifier import Classifier

SHIPPED_MODEL_NAME = "digitpad.onnx"


def shipped_model_path() -> Path:
    """The model that comes with digitpad.

    An installed wheel carries it inside the package (digitpad/models/); a source checkout keeps
    it in the repository's top-level models/ folder.
    """
    packaged = Path(str(resources.files("digitpad"))) / "models" / SHIPPED_MODEL_NAME
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "models" / SHIPPED_MODEL_NAME


def resolve_model_path(
    explicit: str | os.PathLike[str] | None = None, chosen: str | os.PathLike[str] | None = None
) -> Path:
    """The model to use, in order: an explicit path (--model), the app's choice, the shipped one."""
    for candidate in (explicit, chosen):
        if candidate:
            return Path(candidate).expanduser()
    return shipped_model_path()


#: Most bytes read from the model choice file: it holds one path.
_MAX_CHOICE_BYTES = 64 * 1024


def model_choice_file() -> Path:
    """Where the app remembers the model chosen with File > Open Model, for the CLI to read too.

    A small JSON file in the user's configuration folder (on Linux `~/.config/digitpad/model.json`),
    so that the command line finds the app's choice without Qt.
    """
    return platformdirs.user_config_path("digitpad", appauthor=False) / "model.json"


def usable_path(text: str) -> Path:
    """`text` as a path the system can open, `~` expanded; ValueError if it cannot be one (a NUL
    byte, a lone surrogate, `~nosuchuser`): such a value once ended `classify` with a traceback."""
    if not text or "\0" in text:
        raise ValueError("the path is empty or holds a NUL byte")
    try:
        os.fsencode(text)
        return Path(text).expanduser()
    except (UnicodeError, RuntimeError) as exc:  # RuntimeError: expanduser of an unknown user's ~
        raise ValueError(f"{text!r} is not a usable path ({exc})") from None


def model_choice(file: Path | None = None) -> tuple[Path | None, str | None]:
    """The remembered model (None: the shipped one), and a warning when the file could not be used.

    A missing file is no choice. Anything else that is not the JSON this module writes (not a
    regular file, such as a FIFO that would block forever; not JSON; wrong types; a path the system
    cannot name) is no choice too, with a warning that says why.
    """
    path = file or model_choice_file()
    try:
        document = json.loads(read_regular_file(path, _MAX_CHOICE_BYTES, "the model choice"))
        if not isinstance(document, dict):
            raise ValueError("it is not a JSON object")
        chosen = document.get("model")
        if chosen is None:
            return None, None
        if not isinstance(chosen, str):
            raise ValueError(f'"model" must be a path, got {type(chosen).__name__}')
        return usable_path(chosen), None
    except FileReadError as exc:
        if not os.path.lexists(path):
            return None, None
        problem = str(exc)
    except (ValueError, RecursionError) as exc:
        problem = str(exc) or type(exc).__name__
    return None, f"the model chosen in the app ({path}) cannot be read: {problem}; using the built-in model"


def read_model_choice(file: Path | None = None) -> Path | None:
    """The remembered model, or None for the shipped one; a missing or damaged file means None."""
    return model_choice(file)[0]


def write_model_choice(model: Path | None, file: Path | None = None) -> None:
    """Remember `model` (None: the shipped one) for later runs of the app and the CLI."""
    target = file or model_choice_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(target, json.dumps({"model": str(model) if model else None}) + "\n")


#: File names a model card may have beside its model, in the order they are looked for.
MODEL_CARD_NAMES = ("README.md", "MODEL_CARD.md", "model-card.md")


def model_card_path(model: str | os.PathLike[str]) -> Path | None:
    """The model card that sits beside a model file, if any: the About box points people to it."""
    folder = Path(model).expanduser().parent
    return next((folder / name for name in MODEL_CARD_NAMES if (folder / name).is_file()), None)


def load_model(
    explicit: str | os.PathLike[str] | None = None, chosen: str | os.PathLike[str] | None = None
) -> tuple[Classifier, str | None]:
    """The classifier to use, and a notice when the app's chosen model had to be passed over.

    An explicit model (--model) is used or fails with its ModelError. A model chosen in the app
    that no longer loads (deleted, broken, hostile, or a garbled settings value) must not lock
    anyone out: the shipped model is used instead, and the notice says why.
    """
    from digitpad.model.classifier import Classifier

    if explicit:
        try:
            return Classifier(usable_path(os.fspath(explicit))), None
        except ValueError as exc:
            raise ModelError(f"cannot use the model: {exc}") from None
    notice = None
    if chosen:
        try:
            return Classifier(usable_path(os.fspath(chosen))), None
        except (ModelError, ValueError) as exc:
            notice = f"the model chosen in the app cannot be used ({exc}); using the built-in model"
    return Classifier(shipped_model_path()), notice
