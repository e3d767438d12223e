"""Image files to small gray pixels, with Pillow: the documented formats only, bounded memory.

Pillow decodes only the formats named here, so an SVG, PDF or TIFF named `.png` is refused rather
than decoded; it raises on truncated data (digitpad never sets `LOAD_TRUNCATED_IMAGES`); and the
size in the header is checked against MAX_IMAGE_PIXELS before any pixel is decoded. The pixels
become 8-bit gray (plus alpha when the file has transparency) as soon as they are decoded, and big
images are box-reduced to about WORKING_PIXELS, so reading costs a few bytes per pixel of the file
and the float work that follows stays small. The GUI and the CLI both read images through here.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digitpad.errors import FileReadError, ImageFileError
from digitpad.files import open_regular_file

#: File name endings read as images by the CLI and offered by the app's Open dialog.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
#: Pillow's names for the formats digitpad reads (the README's list); no other decoder runs.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")
#: Images with more pixels are refused from the header, before decoding (a large phone photo).
MAX_IMAGE_PIXELS = 50_000_000
#: Bigger images are box-reduced by a whole factor to at most about this many pixels: plenty for a
#: 28x28 input, and the float arrays made from them stay around 16 MB.
WORKING_PIXELS = 4_000_000
#: How files of those formats begin: a file that does but does not open is broken, not foreign.
_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")
#: Pillow modes with an alpha channel (a palette's transparency is in `info` instead).
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def _open_image_file(path: Path) -> BinaryIO:
    """The file opened for reading (see `digitpad.files.open_regular_file`), or an ImageFileError."""
    try:
        stream = open_regular_file(path)
    except FileReadError as exc:
        raise ImageFileError(f"{path}: {exc}") from None
    if os.fstat(stream.fileno()).st_size == 0:
        stream.close()
        raise ImageFileError(f"{path}: the file is empty")
    return stream


def _too_large(path: Path, width: int, height: int) -> ImageFileError:
    return ImageFileError(
        f"{path}: {width:,} x {height:,} pixels is more than the {MAX_IMAGE_PIXELS:,}-pixel limit; "
        "scale the image down first"
    )


def reduction_factor(width: int, height: int) -> int:
    """The whole factor that brings width x height down to at most about WORKING_PIXELS."""
    return max(1, math.ceil(math.sqrt(width * height / WORKING_PIXELS)))


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in _ALPHA_MODES or "transparency" in image.info


def _reduced(image: Image.Image, factor: int) -> Image.Image:
    return image.reduce(factor) if factor > 1 else image


def gray_pixels(image: Image.Image) -> np.ndarray:
    """The (first frame of the) opened image as uint8 gray (H, W), or gray+alpha (H, W, 2).

    JPEG decodes straight to gray, scaled down while decoding (`draft`). Other formats decode in
    their own mode (Pillow keeps RGB and RGBA at 4 bytes a pixel) and become 8-bit gray before
    anything else is made at full size: an RGB image is box-reduced first (in place of a gray
    copy), an image with alpha is split into gray and alpha planes of 1 byte a pixel (reducing
    RGBA would make a premultiplied full-size copy). Peak: about 4 bytes a pixel, 6 with alpha.
    """
    alpha = _has_alpha(image)
    if image.format == "JPEG":
        factor = reduction_factor(*image.size)
        image.draft("L", (image.width // factor, image.height // factor))  # decodes at 1/2, 1/4 or 1/8
    factor = reduction_factor(*image.size)
    if image.mode.startswith("I"):  # 16-bit gray PNG: Pillow's convert("L") would clip, not scale
        wide = np.asarray(image).astype(np.uint32)
        planes = [Image.fromarray(((wide * 255 + 32767) // 65535).astype(np.uint8))]
    elif alpha:
        # A palette's or a color key's transparency becomes an alpha channel through RGBA.
        rgba = image if image.mode in ("RGBA", "LA") else image.convert("RGBA")
        planes = [rgba.convert("L"), rgba.getchannel("A")]
    elif image.mode in ("1", "P", "L"):  # 1 byte a pixel already (or less)
        planes = [image if image.mode == "L" else image.convert("L")]
    else:  # RGB, CMYK: reduce at 4 bytes a pixel, then convert the small image
        planes = [_reduced(image, factor).convert("L")]
        factor = 1
    planes = [ImageOps.exif_transpose(_reduced(plane, factor)) for plane in planes]  # photos stored sideways
    arrays = [np.array(plane, dtype=np.uint8) for plane in planes]
    return arrays[0] if len(arrays) == 1 else np.stack(arrays, axis=-1)


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """The first frame of an image file as uint8 gray (H, W), or gray+alpha (H, W, 2).

    Images over WORKING_PIXELS come back box-reduced. Raises ImageFileError naming the file and
    the problem: missing, not a regular file, empty, not one of the formats, too large, truncated
    or corrupt.
    """
    path = Path(path)
    with _open_image_file(path) as stream:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit is lower
                image = Image.open(stream, formats=FORMATS)
        except Image.DecompressionBombError:
            raise ImageFileError(
                f"{path}: the image is more than the {MAX_IMAGE_PIXELS:,}-pixel limit; scale the image down first"
            ) from None
        except UnidentifiedImageError:
            stream.seek(0)
            start = stream.read(12)
            if start.startswith(_SIGNATURES) or (start[:4] == b"RIFF" and start[8:12] == b"WEBP"):
                raise ImageFileError(f"{path}: the image is corrupt or truncated (its header is broken)") from None
            raise ImageFileError(
                f"{path}: not an image digitpad can read (it reads PNG, JPEG, BMP, GIF and WebP)"
            ) from None
        except Exception as exc:  # Pillow's format plugins report bad headers with many exception types
            raise ImageFileError(f"{path}: the image is corrupt or truncated ({exc})") from None
        with image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise _too_large(path, image.width, image.height)
            try:
                return gray_pixels(image)
            except MemoryError:
                raise ImageFileError(f"{path}: not enough memory to decode the image") from None
            except Exception as exc:  # truncated data (OSError), bad codes (ValueError, SyntaxError, ...)
                raise ImageFileError(f"{path}: the image is corrupt or truncated ({exc})") from None
