"""Files that are broken in one specific way, for the core, CLI and GUI tests of bad input."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage

from digitpad.ink import Drawing
from digitpad.ui.canvas import render_drawing
from tests.drawings import seven


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width: int, height: int, rows: bytes, color_type: int = 0) -> bytes:
    """An 8-bit PNG (gray by default, 6 = RGBA) whose header claims width x height, with `rows` as data."""
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(
        b"IEND", b""
    )


def blank_rgba_png(width: int, height: int) -> bytes:
    """A valid, fully decodable RGBA PNG of width x height, all zeros: tiny on disk, huge in memory."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + 4 * width)  # filter byte + RGBA pixels
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def digit_image(drawing: Drawing | None = None) -> QImage:
    """A digit as the app saves it: black ink on white paper, 280 x 280."""
    return render_drawing(drawing or seven())


def jpeg_bytes(drawing: Drawing | None = None) -> bytes:
    """A digit as a JPEG file's bytes."""
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert digit_image(drawing).save(buffer, "JPEG", 90)  # type: ignore[call-overload]
    return bytes(array.data())


def png_header_fields(path: Path) -> tuple[int, int]:
    """(bit depth, color type) from a PNG file's IHDR chunk."""
    depth, color_type = struct.unpack(">BB", path.read_bytes()[24:26])
    return depth, color_type


#: Broken image files: kind -> (file name, content, what the error message says).
BAD_IMAGES: dict[str, tuple[str, bytes, str]] = {
    "empty file": ("empty.png", b"", "the file is empty"),
    "text file named .png": ("notes.png", b"hello, I am text, not a picture\n", "not an image digitpad can read"),
    "truncated PNG": ("truncated.png", png_bytes(10, 10, b"\x00" * 110)[:40], "corrupt or truncated"),
    "corrupt PNG": ("corrupt.png", png_bytes(10, 10, b"\x07" * 110), "corrupt or truncated"),  # no filter type 7
    "truncated JPEG": ("truncated.jpg", jpeg_bytes()[:2000], "the image is truncated"),
    "40,000 x 40,000 PNG": (
        "bomb.png",
        png_bytes(40_000, 40_000, b"\x00" * 100),
        "is more than the 50,000,000-pixel limit",
    ),
}


def bad_image(folder: Path, kind: str) -> Path:
    """Write the broken image `kind` (a key of BAD_IMAGES) into `folder`."""
    name, content, _ = BAD_IMAGES[kind]
    path = folder / name
    path.write_bytes(content)
    return path


def rgba_qimage(rgba: np.ndarray) -> QImage:
    """A QImage owning a copy of uint8 RGBA pixels (height, width, 4), straight alpha."""
    rgba = np.ascontiguousarray(rgba, np.uint8)
    height, width = rgba.shape[:2]
    return QImage(rgba.data, width, height, width * 4, QImage.Format.Format_RGBA8888).copy()
