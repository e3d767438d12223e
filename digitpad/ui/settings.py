"""What the app remembers between runs, over QSettings, with every value checked on reading.

A settings file edited by hand or left by another version must never break the app: a value of
the wrong type reads as its default. The chosen model is the exception: the command line reads
it too, without Qt, so it is kept outside QSettings, in a small JSON file of its own
(`~/.config/digitpad/model.json` on Linux) that `digitpad.model.choice` reads and writes.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

from digitpad.model.choice import model_choice, model_choice_file, read_model_choice, write_model_choice

#: Where QSettings keeps the app's settings; the command line reads the chosen model from there too.
ORGANIZATION_NAME = "digitpad"
APPLICATION_NAME = "digitpad"

#: Largest settings file read: QSettings reads it whole when it is made (the app's is under 1 KB).
MAX_SETTINGS_BYTES = 1024 * 1024

#: Every key the app stores, with its default; the type of the default is the type read back.
_DEFAULTS: dict[str, object] = {
    "window/geometry": QByteArray(),
    "window/state": QByteArray(),
    "dirs/images": "",
    "dirs/drawings": "",
    "dirs/models": "",
    "dirs/profiles": "",
}


def settings_file_problems() -> list[str]:
    """What is wrong with the files QSettings(ORGANIZATION_NAME, APPLICATION_NAME) would read on
    Linux and other Unixes (the person's digitpad.conf and the fallbacks in the XDG folders): a
    FIFO would block the app before its window appears, a huge file would be read whole."""
    if sys.platform in ("win32", "darwin"):  # the registry and plist files: not files a person plants
        return []
    location = QStandardPaths.StandardLocation.GenericConfigLocation
    folders = dict.fromkeys([QStandardPaths.writableLocation(location), *QStandardPaths.standardLocations(location)])
    problems = []
    for folder in filter(None, folders):
        for candidate in (Path(folder) / ORGANIZATION_NAME / f"{APPLICATION_NAME}.conf",
                          Path(folder) / f"{ORGANIZATION_NAME}.conf"):
            try:
                status = os.stat(candidate)
            except FileNotFoundError:
                continue
            except OSError as exc:
                problems.append(f"{candidate} cannot be read ({exc.strerror or exc})")
                continue
            if not stat.S_ISREG(status.st_mode):
                problems.append(f"{candidate} is not a regular file")
            elif status.st_size > MAX_SETTINGS_BYTES:
                problems.append(f"{candidate} is larger than the {MAX_SETTINGS_BYTES:,}-byte limit for settings")
    return problems


class AppSettings:
    """Typed access to the app's QSettings.

    `warnings` says what could not be used: settings files that are not safe to read (the app then
    starts with the defaults and keeps nothing), a model choice that cannot be read.
    """

    def __init__(self, store: QSettings | None = None, model_choice: Path | None = None) -> None:
        """The person's own settings, or those in `store`; the model choice then sits beside its file.

        Tests, benchmarks and the self-test give a throwaway `store` and so never touch the
        person's own model choice either.
        """
        self.warnings: list[str] = []
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        if store is None:
            problems = settings_file_problems()
            if problems:  # never read them: defaults now, and what is set is kept in a scratch file
                self.warnings.append(f"the settings cannot be read ({'; '.join(problems)}); "
                                     "digitpad starts with its defaults and keeps no settings this time")
                self._scratch = tempfile.TemporaryDirectory(prefix="digitpad-settings-")
                self.store = QSettings(str(Path(self._scratch.name) / "settings.ini"), QSettings.Format.IniFormat)
            else:
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

    def chosen_model(self) -> tuple[Path | None, str | None]:
        """`model_path`, and a warning if the file that remembers it cannot be used."""
        return model_choice(self.model_choice)

    def last_dir(self, kind: str) -> str:
        """The folder last used for `kind` ("images", "drawings", "models" or "profiles"), or ""."""
        value = self._get(f"dirs/{kind}")
        return value if isinstance(value, str) and Path(value).is_dir() else ""

    def set_last_dir(self, kind: str, file: Path) -> None:
        """Remember the folder of `file` for the next dialog of the same kind."""
        self._set(f"dirs/{kind}", str(file.parent))
