"""Write images through QSaveFile, so that a failed save never leaves half a file behind."""

from __future__ import annotations

import os

from PySide6.QtCore import QIODevice, QSaveFile
from PySide6.QtGui import QImage


def save_png(path: str | os.PathLike[str], image: QImage) -> None:
    """Write `image` as PNG; the old file stays whole if anything fails. Raises OSError."""
    file = QSaveFile(os.fspath(path))
    if not file.open(QIODevice.OpenModeFlag.WriteOnly):
        raise OSError(f"{os.fspath(path)}: cannot write the file ({file.errorString()})")
    if not image.save(file, "PNG"):  # type: ignore[call-overload]  # the stubs say bytes; PySide takes str
        file.cancelWriting()
        raise OSError(f"{os.fspath(path)}: the PNG could not be written ({file.errorString()})")
    if not file.commit():
        raise OSError(f"{os.fspath(path)}: cannot write the file ({file.errorString()})")
