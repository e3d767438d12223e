"""Files that are broken in one specific way, for the core, CLI and GUI tests of bad input.

Made with numpy and Pillow only, so that the core's tests need no Qt.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from digitpad.ink.drawing import Drawing
from digitpad.ink.raster import rasterize
from tests.drawings import one, seven


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


def digit_pixels(drawing: Drawing | None = None) -> np.ndarray:
    """A digit as the app saves it: uint8 gray, black ink on white paper, 280 x 280."""
    return np.round(255 * (1 - rasterize(drawing or seven()))).astype(np.uint8)


def digit_image(drawing: Drawing | None = None) -> Image.Image:
    """`digit_pixels` as a Pillow image."""
    return Image.fromarray(digit_pixels(drawing))


def image_bytes(fmt: str, drawing: Drawing | None = None, **options: object) -> bytes:
    """A digit as the bytes of an image file in Pillow's format `fmt`."""
    buffer = io.BytesIO()
    digit_image(drawing).save(buffer, fmt, **options)
    return buffer.getvalue()


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


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
    "truncated JPEG": ("truncated.jpg", image_bytes("JPEG", quality=90)[:2000], "corrupt or truncated"),
    "truncated BMP (half of a 1)": ("truncated.bmp", half(image_bytes("BMP", one())), "corrupt or truncated"),
    "truncated GIF": ("truncated.gif", half(image_bytes("GIF", one())), "corrupt or truncated"),
    "truncated WebP": ("truncated.webp", half(image_bytes("WEBP", one())), "corrupt or truncated"),
    "SVG named .png": (
        "nested.png",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<g id="a"><rect width="9" height="9"/></g><use xlink:href="#a"/><use xlink:href="#a"/></svg>',
        "not an image digitpad can read",
    ),
    "TIFF named .png": ("photo.png", image_bytes("TIFF"), "not an image digitpad can read"),
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

