"""What the app remembers between runs, over QSettings, with every value checked on reading.

A settings file edited by hand or left by another version must never break the app: a value of
the wrong type reads as its default.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

#: Where QSettings keeps the app's settings; the command line reads the chosen model from there too.
ORGANIZATION_NAME = "digitpad"
APPLICATION_NAME = "digitpad"

#: Every key the app stores, with its default; the type of the default is the type read back.
_DEFAULTS: dict[str, object] = {
    "window/geometry": QByteArray(),
    "window/state": QByteArray(),
    "model/path": "",  # the model chosen with File > Open Model; "" means the shipped one
    "dirs/images": "",
    "dirs/drawings": "",
    "dirs/models": "",
}


class AppSettings:
    """Typed access to the app's QSettings."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings(ORGANIZATION_NAME, APPLICATION_NAME)

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
        text = self._get("model/path")
        return Path(text) if isinstance(text, str) and text else None

    @model_path.setter
    def model_path(self, value: Path | None) -> None:
        self._set("model/path", str(value) if value else "")

    def last_dir(self, kind: str) -> str:
        """The folder last used for `kind` ("images", "drawings" or "models"), or ""."""
        value = self._get(f"dirs/{kind}")
        return value if isinstance(value, str) and Path(value).is_dir() else ""

    def set_last_dir(self, kind: str, file: Path) -> None:
        """Remember the folder of `file` for the next dialog of the same kind."""
        self._set(f"dirs/{kind}", str(file.parent))
