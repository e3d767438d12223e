"""What the app remembers between runs, over QSettings, with every value checked on reading.

A settings file edited by hand or left by another version must never break the app: a value of
the wrong type reads as its default. The chosen model is the exception: the command line reads
it too, without Qt, so it is kept outside QSettings, in a small JSON file of its own
(`~/.config/digitpad/model.json` on Linux) that `digitpad.model.choice` reads and writes.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from digitpad.model.choice import model_choice_file, read_model_choice, write_model_choice

#: Where QSettings keeps the app's settings; the command line reads the chosen model from there too.
ORGANIZATION_NAME = "digitpad"
APPLICATION_NAME = "digitpad"

#: Every key the app stores, with its default; the type of the default is the type read back.
_DEFAULTS: dict[str, object] = {
    "window/geometry": QByteArray(),
    "window/state": QByteArray(),
    "dirs/images": "",
    "dirs/drawings": "",
    "dirs/models": "",
    "dirs/profiles": "",
}


class AppSettings:
    """Typed access to the app's QSettings."""

    def __init__(self, store: QSettings | None = None, model_choice: Path | None = None) -> None:
        """The person's own settings, or those in `store`; the model choice then sits beside its file.

        Tests, benchmarks and the self-test give a throwaway `store` and so never touch the
        person's own model choice either.
        """
        if store is None:
            self.store = QSettings(ORGANIZATION_NAME, APPLICATION_NAME)
            default_choice = model_choice_file()
        else:
            self.store = store
            default_choice = Path(store.fileName()).with_name("model.json")
        self.model_choice = model_choice or default_choice

    def _get(self, key: str) -> object:
        default = _DEFAULTS[key]
        value = self.store.value(key, default)
        if isinstance(default, QByteArray):
            return value if isinstance(value, QByteArray) else QByteArray()
        return value if isinstance(value, type(default)) else default

    def _set(self, key: str, value: object) -> None:
        assert key in _DEFAULTS, key
        self.store.setValue(key, value)

    @property
    def geometry(self) -> QByteArray:
        return self._get("window/geometry")  # type: ignore[return-value]

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self._set("window/geometry", value)

    @property
    def window_state(self) -> QByteArray:
        return self._get("window/state")  # type: ignore[return-value]

    @window_state.setter
    def window_state(self, value: QByteArray) -> None:
        self._set("window/state", value)

    @property
    def model_path(self) -> Path | None:
        """The model chosen in the app, or None for the shipped one."""
        return read_model_choice(self.model_choice)

    @model_path.setter
    def model_path(self, value: Path | None) -> None:
        # As with QSettings, a choice that cannot be written (a read-only home) is not worth an
        # error: the model is in use now, and the next start falls back to the shipped one.
        with contextlib.suppress(OSError):
            write_model_choice(value, self.model_choice)

    def last_dir(self, kind: str) -> str:
        """The folder last used for `kind` ("images", "drawings", "models" or "profiles"), or ""."""
        value = self._get(f"dirs/{kind}")
        return value if isinstance(value, str) and Path(value).is_dir() else ""

    def set_last_dir(self, kind: str, file: Path) -> None:
        """Remember the folder of `file` for the next dialog of the same kind."""
        self._set(f"dirs/{kind}", str(file.parent))
