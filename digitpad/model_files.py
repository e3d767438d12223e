"""Where the model comes from: --model, else the one chosen in the app, else the shipped one."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from digitpad.classifier import Classifier
from digitpad.errors import ModelError

SHIPPED_MODEL_NAME = "digitpad.onnx"


def shipped_model_path() -> Path:
    """The model that comes with digitpad.

    An installed wheel carries it inside the package (digitpad/models/); a source checkout keeps
    it in the repository's top-level models/ folder.
    """
    packaged = Path(str(resources.files("digitpad"))) / "models" / SHIPPED_MODEL_NAME
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "models" / SHIPPED_MODEL_NAME


def resolve_model_path(
    explicit: str | os.PathLike[str] | None = None, chosen: str | os.PathLike[str] | None = None
) -> Path:
    """The model to use, in order: an explicit path (--model), the app's choice, the shipped one."""
    for candidate in (explicit, chosen):
        if candidate:
            return Path(candidate).expanduser()
    return shipped_model_path()


def load_model(
    explicit: str | os.PathLike[str] | None = None, chosen: str | os.PathLike[str] | None = None
) -> tuple[Classifier, str | None]:
    """The classifier to use, and a notice when the app's chosen model had to be passed over.

    An explicit model (--model) is used or fails with its ModelError. A model chosen in the app
    that no longer loads (deleted, broken, hostile, or a garbled settings value) must not lock
    anyone out: the shipped model is used instead, and the notice says why.
    """
    if explicit:
        return Classifier(Path(explicit).expanduser()), None
    notice = None
    if chosen:
        try:
            return Classifier(Path(chosen).expanduser()), None
        except ModelError as exc:
            notice = f"the model chosen in the app cannot be used ({exc}); using the built-in model"
    return Classifier(shipped_model_path()), notice
