"""Decoding image files with Qt (no QApplication needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from digitpad.errors import ImageFileError
from digitpad.images import MAX_IMAGE_PIXELS, image_input
from digitpad.ui.image_reader import qimage_to_rgba, read_image
from tests.bad_files import BAD_IMAGES, bad_image, blank_rgba_png, digit_image, png_header_fields, rgba_qimage
from tests.conftest import REPO
from tests.drawings import one, seven


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


@pytest.mark.parametrize("kind", list(BAD_IMAGES))
def test_bad_files_name_the_problem(tmp_path: Path, kind: str) -> None:
    path = bad_image(tmp_path, kind)
    with pytest.raises(ImageFileError) as caught:
        read_image(path)
    assert str(path) in str(caught.value) and BAD_IMAGES[kind][2] in str(caught.value)


def test_a_huge_valid_png_is_refused_without_decoding_it(tmp_path: Path) -> None:
    """8,000 x 8,000 RGBA zeros: 250 KB on disk, 256 MB decoded. The refusal must cost no memory."""
    side = 8_000
    assert side * side > MAX_IMAGE_PIXELS
    path = tmp_path / "bomb.png"
    path.write_bytes(blank_rgba_png(side, side))
    assert path.stat().st_size < 300_000
    script = (
        "import resource, sys\n"
        "from digitpad.ui.image_reader import read_image\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    read_image(sys.argv[1])\n"
        "except Exception as exc:\n"
        "    print(exc)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, cwd=REPO)
    message, grown_mib = result.stdout.splitlines()
    assert "8,000 x 8,000 pixels is more than the 50,000,000-pixel limit" in message
    assert int(grown_mib) < 32  # decoding it would take 244 MiB


def test_a_one_pixel_image_reads_as_blank(tmp_path: Path) -> None:
    image = QImage(1, 1, QImage.Format.Format_RGB32)
    image.fill(0x000000)
    image.save(str(tmp_path / "dot.png"))
    pixels = read_image(tmp_path / "dot.png")
    assert pixels.shape == (1, 1, 4) and image_input(pixels) is None


@pytest.mark.parametrize(
    ("qt_format", "depth", "color_type"),
    [
        pytest.param("Format_Grayscale16", 16, 0, id="16-bit gray"),
        pytest.param("Format_RGBA64", 16, 6, id="16-bit RGBA"),
        pytest.param("Format_Indexed8", 8, 3, id="palette"),
        pytest.param("Format_Mono", 1, 3, id="1-bit palette"),
    ],
)
def test_sixteen_bit_and_palette_pngs_read_like_eight_bit(
    tmp_path: Path, qt_format: str, depth: int, color_type: int
) -> None:
    reference = digit_image().convertToFormat(QImage.Format.Format_Grayscale8)
    reference.save(str(tmp_path / "reference.png"))
    path = tmp_path / f"{qt_format}.png"
    assert digit_image().convertToFormat(getattr(QImage.Format, qt_format)).save(str(path))
    assert png_header_fields(path) == (depth, color_type)  # the file really is of that kind
    expected = image_input(read_image(tmp_path / "reference.png"))
    got = image_input(read_image(path))
    assert expected is not None and got is not None
    assert np.abs(got - expected).max() <= (1 / 255 if depth > 1 else 0.1)  # 1-bit loses the antialiasing


def test_ink_in_the_alpha_channel_of_a_png(tmp_path: Path) -> None:
    """Black ink whose coverage is its alpha, on a transparent background: read as the digit."""
    coverage = 255 - qimage_to_rgba(digit_image())[..., 0]
    rgba = np.zeros((*coverage.shape, 4), np.uint8)
    rgba[..., 3] = coverage
    path = tmp_path / "alpha.png"
    assert rgba_qimage(rgba).save(str(path))
    assert png_header_fields(path) == (8, 6)
    got, expected = image_input(read_image(path)), image_input(qimage_to_rgba(digit_image()))
    assert got is not None and expected is not None and np.abs(got - expected).max() <= 1 / 255


def test_an_animated_gif_is_read_by_its_first_frame(tmp_path: Path) -> None:
    image_module = pytest.importorskip("PIL.Image")
    frames = [
        image_module.fromarray(qimage_to_rgba(digit_image(drawing))[..., 0]).convert("P")
        for drawing in (one(), seven())
    ]
    path = tmp_path / "animated.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=200, loop=0)
    assert image_module.open(path).n_frames == 2
    first = image_input(read_image(path))
    expected = image_input(qimage_to_rgba(digit_image(one())))
    assert first is not None and expected is not None and np.abs(first - expected).max() <= 1 / 255


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageFileError, match="no such file"):
        read_image(tmp_path / "none.png")
