"""Decode image files with Qt's QImageReader, so digitpad needs no imaging library of its own.

This is the one Qt module the command line uses too; it needs no QApplication and no display.
The size is read from the header before anything is decoded, so a tiny file that claims to be
40,000 x 40,000 pixels is refused without allocating gigabytes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMessageLogContext, QSize, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QImage, QImageReader

from digitpad.errors import ImageFileError
from digitpad.images import MAX_IMAGE_PIXELS

#: File name endings read as images by the CLI and offered by the app's Open dialog.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


#: What Qt's decoders say (through libjpeg) when a file ends early: they still return an image,
#: with the missing part filled in gray, which must not be read as a digit.
TRUNCATION_WARNINGS = ("premature end",)


@contextlib.contextmanager
def decoder_messages() -> Iterator[list[str]]:
    """Collect what Qt's image decoders log meanwhile, instead of letting it reach stderr.

    digitpad reports a bad file in its own words; the decoders' messages only tell it whether a
    file that decoded was in fact truncated.
    """
    messages: list[str] = []

    def handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        messages.append(message)

    previous = qInstallMessageHandler(handler)
    try:
        yield messages
    finally:
        qInstallMessageHandler(previous)


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """The first frame of an image file as uint8 RGBA of shape (height, width, 4).

    Raises ImageFileError naming the file and the problem: missing, empty, not an image, too
    large, truncated or corrupt.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageFileError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ImageFileError(f"{path}: the file is empty")
    with decoder_messages() as messages:
        image = _decode(path)
    truncated = [m for m in messages if any(w in m.lower() for w in TRUNCATION_WARNINGS)]
    if truncated:
        raise ImageFileError(f"{path}: the image is truncated ({truncated[0].strip()})")
    if image.width() * image.height() > MAX_IMAGE_PIXELS:
        raise ImageFileError(
            f"{path}: {image.width():,} x {image.height():,} pixels is more than the {MAX_IMAGE_PIXELS:,}-pixel limit"
        )
    return qimage_to_rgba(image)


def _decode(path: Path) -> QImage:
    """The first frame, decoded only after the header's size has passed the pixel limit."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)  # honour EXIF orientation of photos
    if not reader.canRead():
        raise ImageFileError(f"{path}: not an image digitpad can read ({reader.errorString()})")
    size: QSize = reader.size()
    pixels = size.width() * size.height()
    if size.isValid() and pixels > MAX_IMAGE_PIXELS:
        raise ImageFileError(
            f"{path}: {size.width():,} x {size.height():,} pixels is more than the "
            f"{MAX_IMAGE_PIXELS:,}-pixel limit; scale the image down first"
        )
    # Qt's own cap (in MiB) backs up the header check for formats that report no size.
    reader.setAllocationLimit(max(QImageReader.allocationLimit(), MAX_IMAGE_PIXELS * 8 // (1024 * 1024) + 1))
    image: QImage = reader.read()
    if image.isNull():
        raise ImageFileError(f"{path}: the image is corrupt or truncated ({reader.errorString()})")
    return image


def qimage_to_rgba(image: QImage) -> np.ndarray:
    """A copy of a QImage's pixels as uint8 RGBA (height, width, 4)."""
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    height, width, stride = rgba.height(), rgba.width(), rgba.bytesPerLine()
    buffer = np.frombuffer(rgba.constBits(), np.uint8, count=height * stride).reshape(height, stride)
    return buffer[:, : width * 4].reshape(height, width, 4).copy()
