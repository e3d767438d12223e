"""Where the model comes from: --model, else the one chosen in the app, else the shipped one."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from digitpad.errors import ModelError
from digitpad.files import write_text_atomically

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


def read_model_choice(file: Path | None = None) -> Path | None:
    """The remembered model, or None for the shipped one; a missing or damaged file means None."""
    try:
        with open(file or model_choice_file(), "rb") as stream:
            document = json.loads(stream.read(_MAX_CHOICE_BYTES + 1)[:_MAX_CHOICE_BYTES])
    except (OSError, ValueError, RecursionError):
        return None
    chosen = document.get("model") if isinstance(document, dict) else None
    return Path(chosen) if isinstance(chosen, str) and chosen else None


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
        return Classifier(Path(explicit).expanduser()), None
    notice = None
    if chosen:
        try:
            return Classifier(Path(chosen).expanduser()), None
        except ModelError as exc:
            notice = f"the model chosen in the app cannot be used ({exc}); using the built-in model"
    return Classifier(shipped_model_path()), notice
