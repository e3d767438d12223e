"""Decoding image files with Qt (no QApplication needed)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from digitpad.errors import ImageFileError
from digitpad.ui.image_reader import qimage_to_rgba, read_image


def png_bytes(width: int, height: int, rows: bytes) -> bytes:
    """A grayscale PNG whose header claims width x height, with the given raw row data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_reads_png_as_rgba(tmp_path: Path) -> None:
    image = QImage(7, 5, QImage.Format.Format_RGB32)
    image.fill(0x336699)
    image.save(str(tmp_path / "a.png"))
    pixels = read_image(tmp_path / "a.png")
    assert pixels.shape == (5, 7, 4) and pixels.dtype == np.uint8
    assert tuple(pixels[2, 3]) == (0x33, 0x66, 0x99, 255)


@pytest.mark.parametrize("fmt", ["jpg", "bmp"])
def test_reads_other_formats(tmp_path: Path, fmt: str) -> None:
    image = QImage(30, 20, QImage.Format.Format_RGB32)
    image.fill(0xFFFFFF)
    path = tmp_path / f"a.{fmt}"
    assert image.save(str(path))
    assert read_image(path).shape == (20, 30, 4)


def test_reads_the_first_frame_of_a_gif(tmp_path: Path) -> None:
    # A 1x1 GIF89a (Qt reads GIF but does not write it).
    gif = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00"
        b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    (tmp_path / "a.gif").write_bytes(gif)
    assert read_image(tmp_path / "a.gif").shape == (1, 1, 4)


def test_odd_widths_have_no_row_padding() -> None:
    image = QImage(3, 2, QImage.Format.Format_Grayscale8)
    image.fill(200)
    assert qimage_to_rgba(image).shape == (2, 3, 4)


def test_a_huge_image_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bytes(40_000, 40_000, b"\x00" * 100))  # claims 1.6 gigapixels, holds 100 bytes
    with pytest.raises(ImageFileError, match="40,000 x 40,000 pixels is more than"):
        read_image(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"hello, I am text", "not an image"),
        (png_bytes(10, 10, b"\x00" * 110)[:40], "corrupt or truncated"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(ImageFileError, match=message):
        read_image(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageFileError, match="no such file"):
        read_image(tmp_path / "none.png")
