"""Where the model comes from: --model, else the one chosen in the app, else the shipped one."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

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


#: File names a model card may have beside its model, in the order they are looked for.
MODEL_CARD_NAMES = ("README.md", "MODEL_CARD.md", "model-card.md")


def model_card_path(model: str | os.PathLike[str]) -> Path | None:
    """The model card that sits beside a model file, if any: the About box points people to it."""
    folder = Path(model).expanduser().parent
    return next((folder / name for name in MODEL_CARD_NAMES if (folder / name).is_file()), None)
