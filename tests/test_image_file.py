"""Decoding image files in the core, with Pillow: formats, bad files, memory. No Qt."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad.errors import ImageFileError
from digitpad.ink.image_file import MAX_IMAGE_PIXELS, WORKING_PIXELS, read_image
from digitpad.ink.model_input import image_input
from tests.bad_files import BAD_IMAGES, bad_image, blank_rgba_png, digit_image, digit_pixels, png_header_fields
from tests.conftest import REPO
from tests.drawings import one, seven


def test_reads_a_gray_png_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "seven.png"
    digit_image().save(path)
    pixels = read_image(path)
    assert pixels.dtype == np.uint8 and np.array_equal(pixels, digit_pixels())


def test_reads_color_as_luminance_and_keeps_alpha_only_when_there_is_some(tmp_path: Path) -> None:
    Image.new("RGB", (7, 5), (0x33, 0x66, 0x99)).save(tmp_path / "rgb.png")
    Image.new("RGBA", (7, 5), (0x33, 0x66, 0x99, 128)).save(tmp_path / "rgba.png")
    gray = read_image(tmp_path / "rgb.png")
    assert gray.shape == (5, 7) and abs(int(gray[2, 3]) - round(0.299 * 0x33 + 0.587 * 0x66 + 0.114 * 0x99)) <= 1
    with_alpha = read_image(tmp_path / "rgba.png")
    assert with_alpha.shape == (5, 7, 2) and tuple(with_alpha[2, 3]) == (gray[2, 3], 128)


@pytest.mark.parametrize("fmt", ["JPEG", "BMP", "GIF", "WEBP"])
def test_reads_every_listed_format_as_the_same_digit(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"seven.{fmt.lower()}"
    digit_image().save(path, fmt)
    got, expected = image_input(read_image(path)), image_input(digit_pixels())
    assert got is not None and expected is not None
    assert np.abs(got - expected).max() * 255 <= 20  # JPEG and WebP are lossy


@pytest.mark.parametrize("kind", list(BAD_IMAGES))
def test_bad_files_name_the_problem(tmp_path: Path, kind: str) -> None:
    path = bad_image(tmp_path, kind)
    with pytest.raises(ImageFileError) as caught:
        read_image(path)
    assert str(path) in str(caught.value) and BAD_IMAGES[kind][2] in str(caught.value)


def _grown_mib(script: str, *args: str) -> tuple[str, int]:
    """Run `script` in a fresh interpreter; its last line says how much its peak memory grew."""
    measured = (
        "import resource, sys\n"
        "from digitpad.ink.image_file import read_image\n"
        "from digitpad.ink.model_input import image_input\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"{script}\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    result = subprocess.run([sys.executable, "-c", measured, *args], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    *lines, grown = result.stdout.splitlines()
    return "\n".join(lines), int(grown)


def test_a_huge_valid_png_is_refused_without_decoding_it(tmp_path: Path) -> None:
    """8,000 x 8,000 RGBA zeros: 250 KB on disk, 256 MB decoded. The refusal must cost no memory."""
    side = 8_000
    assert side * side > MAX_IMAGE_PIXELS
    path = tmp_path / "bomb.png"
    path.write_bytes(blank_rgba_png(side, side))
    assert path.stat().st_size < 300_000
    script = "try:\n    read_image(sys.argv[1])\nexcept Exception as exc:\n    print(exc)"
    message, grown_mib = _grown_mib(script, str(path))
    assert "8,000 x 8,000 pixels is more than the 50,000,000-pixel limit" in message
    assert grown_mib < 32  # decoding it would take 244 MiB


@pytest.mark.slow
def test_a_big_png_costs_a_few_bytes_a_pixel(tmp_path: Path) -> None:
    """7,000 x 7,000 RGBA (49 megapixels, 200 KB on disk): read and made into model input in 7 bytes a pixel.

    Pillow holds RGBA at 4 bytes a pixel while decoding; digitpad splits it into 1-byte gray and
    alpha planes at once and box-reduces them to WORKING_PIXELS before any float work (measured:
    291 MiB, about 6 bytes a pixel; reading it through Qt into float arrays peaked at 1.2 GB).
    """
    path = tmp_path / "big.png"
    path.write_bytes(blank_rgba_png(7_000, 7_000))
    shape, grown_mib = _grown_mib(
        "pixels = read_image(sys.argv[1])\nprint(pixels.shape)\nimage_input(pixels)", str(path)
    )
    assert shape == "(1750, 1750, 2)" and 1750 * 1750 <= WORKING_PIXELS
    assert grown_mib < 49 * 7


def test_a_big_image_reads_like_a_small_one(tmp_path: Path) -> None:
    """Box-reducing a big image before the float work changes its 28x28 input by little."""
    small = digit_pixels()
    big = np.repeat(np.repeat(small, 8, axis=0), 8, axis=1)  # 2,240 x 2,240: reduced by 2
    Image.fromarray(big).save(tmp_path / "big.png")
    pixels = read_image(tmp_path / "big.png")
    assert pixels.shape == (1120, 1120)
    got, expected = image_input(pixels), image_input(small)
    assert got is not None and expected is not None and np.abs(got - expected).max() * 255 <= 8


def test_a_one_pixel_image_reads_as_blank(tmp_path: Path) -> None:
    Image.new("RGB", (1, 1)).save(tmp_path / "dot.png")
    pixels = read_image(tmp_path / "dot.png")
    assert pixels.shape == (1, 1) and image_input(pixels) is None


@pytest.mark.parametrize(
    ("mode", "depth", "color_type"),
    [
        pytest.param("I;16", 16, 0, id="16-bit gray"),
        pytest.param("P", 8, 3, id="palette"),
        pytest.param("1", 1, 0, id="1-bit"),
    ],
)
def test_sixteen_bit_and_palette_pngs_read_like_eight_bit(
    tmp_path: Path, mode: str, depth: int, color_type: int
) -> None:
    reference = digit_pixels()
    path = tmp_path / f"{mode}.png"
    if mode == "I;16":
        Image.fromarray(reference.astype(np.uint16) * 257).save(path)
    else:
        digit_image().convert(mode).save(path)
    assert png_header_fields(path) == (depth, color_type)  # the file really is of that kind
    got, expected = image_input(read_image(path)), image_input(reference)
    assert got is not None and expected is not None
    assert np.abs(got - expected).max() <= (1 / 255 if depth > 1 else 0.2)  # 1-bit loses the antialiasing


@pytest.mark.parametrize("ink", ["black", "white"])
def test_ink_in_the_alpha_channel_of_a_png(tmp_path: Path, ink: str) -> None:
    """Ink whose coverage is its alpha, on a transparent background: read as the digit on paper."""
    coverage = 255 - digit_pixels()
    rgba = np.zeros((*coverage.shape, 4), np.uint8)
    rgba[..., :3] = 0 if ink == "black" else 255
    rgba[..., 3] = coverage
    path = tmp_path / "alpha.png"
    Image.fromarray(rgba).save(path)
    assert png_header_fields(path) == (8, 6)
    got, expected = image_input(read_image(path)), image_input(digit_pixels())
    assert got is not None and expected is not None and np.abs(got - expected).max() <= 1 / 255


@pytest.mark.parametrize("mode", ["L", "RGB", "P"])
def test_a_transparent_color_reads_as_transparent(tmp_path: Path, mode: str) -> None:
    """PNG's other way to say transparent (a tRNS chunk: one gray value, color or palette entry)."""
    paper = digit_image().convert(mode)
    key = {"L": 255, "RGB": (255, 255, 255), "P": paper.getpixel((0, 0))}[mode]
    paper.save(tmp_path / "keyed.png", transparency=key)
    pixels = read_image(tmp_path / "keyed.png")
    assert pixels.shape == (280, 280, 2) and pixels[0, 0, 1] == 0 and pixels[60, 140, 1] == 255  # paper, ink
    got, expected = image_input(pixels), image_input(digit_pixels())
    assert got is not None and expected is not None and np.abs(got - expected).max() * 255 <= 1


def test_an_animated_gif_is_read_by_its_first_frame(tmp_path: Path) -> None:
    frames = [digit_image(drawing).convert("P") for drawing in (one(), seven())]
    path = tmp_path / "animated.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=200, loop=0)
    assert Image.open(path).n_frames == 2
    first, expected = image_input(read_image(path)), image_input(digit_pixels(one()))
    assert first is not None and expected is not None and np.abs(first - expected).max() <= 1 / 255


def test_a_photo_taken_sideways_is_turned_upright(tmp_path: Path) -> None:
    """JPEG's EXIF orientation tag is honoured, as photo viewers do."""
    upright = digit_pixels()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: turn 90 degrees clockwise to show
    buffer = io.BytesIO()
    Image.fromarray(np.rot90(upright, 1)).save(buffer, "JPEG", quality=95, exif=exif)
    (tmp_path / "sideways.jpg").write_bytes(buffer.getvalue())
    got, expected = image_input(read_image(tmp_path / "sideways.jpg")), image_input(upright)
    assert got is not None and expected is not None and np.abs(got - expected).max() * 255 <= 20


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageFileError, match="no such file"):
        read_image(tmp_path / "none.png")


def test_a_folder_named_png_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(ImageFileError, match="is a folder, not a regular file"):
        read_image(tmp_path / "folder.png")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.timeout(10)
def test_a_fifo_named_png_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.png")
    with pytest.raises(ImageFileError, match="not a regular file"):
        read_image(tmp_path / "pipe.png")


def test_a_symlink_loop_named_png_is_a_loop(tmp_path: Path) -> None:
    (tmp_path / "a.png").symlink_to(tmp_path / "b.png")
    (tmp_path / "b.png").symlink_to(tmp_path / "a.png")
    with pytest.raises(ImageFileError, match="a loop of symbolic links"):
        read_image(tmp_path / "a.png")
