"""MNIST from its four IDX files: find them, verify their content checksums, decode them; the validation split.

The files may be gzip-compressed (`name.gz`) or raw (`name`). The gzip wrapper differs between
sources, so the MD5 is taken over the *decompressed* bytes, which are the same everywhere.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.errors import DatasetError

DATA_DIR_ENV = "DIGITPAD_MNIST_DIR"

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"

#: MD5 of each file's decompressed content (LeCun's originals, as every mirror serves them).
MNIST_MD5 = {
    TRAIN_IMAGES: "6bbc9ace898e44ae57da46a324031adb",
    TRAIN_LABELS: "a25bea736e30d166cdddb491f175f624",
    TEST_IMAGES: "2646ac647ad5339dbf082846283269ea",
    TEST_LABELS: "27ae3e4e09519cfbb04c329615203637",
}

#: Size of each file's decompressed content: reading stops there, so that a gzip bomb named like
#: an MNIST file (4 MB that inflate to gigabytes) costs no more memory than the real file.
MNIST_BYTES = {
    TRAIN_IMAGES: 16 + 60_000 * 28 * 28,
    TRAIN_LABELS: 8 + 60_000,
    TEST_IMAGES: 16 + 10_000 * 28 * 28,
    TEST_LABELS: 8 + 10_000,
}

#: IDX magic numbers: 0x00000801 = unsigned bytes, 1 dimension; 0x00000803 = 3 dimensions.
_MAGIC = {1: 0x0801, 3: 0x0803}


@dataclass(frozen=True)
class Mnist:
    """The decoded data set: uint8 images (N, 28, 28), 0 = background, and int64 labels (N,)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    md5: dict[str, str]  #: file name → MD5 of its decompressed content, as verified


def default_data_dir() -> Path:
    """The per-user cache folder that downloads go to when no folder is given."""
    import platformdirs  # the [train] extra's: imported when used, so `--help` works without it

    return Path(platformdirs.user_cache_dir("digitpad")) / "mnist"


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> tuple[Path, bool]:
    """The MNIST folder, and whether it is the default cache (which may be filled by downloading).

    In order: the --data-dir flag, the DIGITPAD_MNIST_DIR environment variable, the user cache.
    """
    for candidate in (explicit, os.environ.get(DATA_DIR_ENV)):
        if candidate:
            return Path(candidate).expanduser(), False
    return default_data_dir(), True


def find_file(folder: Path, name: str) -> Path | None:
    """`name.gz` or raw `name` inside `folder`, whichever exists (gzip first)."""
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def missing_files(folder: Path) -> list[str]:
    return [name for name in MNIST_MD5 if find_file(folder, name) is None]


def read_verified(path: Path, expected_md5: str, expected_bytes: int) -> bytes:
    """The decompressed content of `path`, checked against `expected_md5`.

    Read as a stream that stops one byte past `expected_bytes`: a file that holds more is refused
    without being inflated whole.
    """
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")) as stream:
            content = stream.read(expected_bytes + 1)
    except EOFError:
        raise DatasetError(f"{path} is truncated (the gzip stream ends early); "
                           f"expected content MD5 {expected_md5}") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise DatasetError(f"{path} is not a valid gzip file ({exc}); expected content MD5 {expected_md5}") from None
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(content) > expected_bytes:
        raise DatasetError(f"{path} has the wrong content: more than the {expected_bytes:,} bytes of the real "
                           f"file (a gzip bomb or a different file); expected content MD5 {expected_md5}")
    actual = hashlib.md5(content).hexdigest()
    if actual != expected_md5:
        raise DatasetError(
            f"{path} has the wrong content: MD5 {actual}, expected {expected_md5} "
            f"({len(content):,} bytes decompressed); the file is corrupt, truncated or a different file"
        )
    return content


def decode_idx(content: bytes, dims: int, source: Path) -> np.ndarray:
    """An IDX array of unsigned bytes with `dims` dimensions, from its verified content."""
    header = 4 + 4 * dims
    magic = int.from_bytes(content[:4], "big") if len(content) >= 4 else None
    if magic != _MAGIC[dims] or len(content) < header:
        raise DatasetError(f"{source} is not an IDX file of {dims}-dimensional unsigned bytes")
    shape = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    if len(content) != header + int(np.prod(shape)):
        raise DatasetError(f"{source}: header says shape {shape} "
                           f"but the file holds {len(content) - header:,} bytes of data")
    array: np.ndarray = np.frombuffer(content, np.uint8, offset=header).reshape(shape).copy()  # writable, owned
    return array


def load_file(folder: Path, name: str) -> np.ndarray:
    """One verified, decoded MNIST file: images (N, 28, 28) uint8 or labels (N,) uint8."""
    path = find_file(folder, name)
    if path is None:
        raise DatasetError(f"{folder} has neither {name}.gz nor {name} (expected content MD5 {MNIST_MD5[name]})")
    return decode_idx(read_verified(path, MNIST_MD5[name], MNIST_BYTES[name]), 3 if "images" in name else 1, path)


def load_mnist(folder: str | os.PathLike[str]) -> Mnist:
    """All four files from `folder`, verified; a missing or bad file raises DatasetError naming it."""
    folder = Path(folder)
    arrays = {name: load_file(folder, name) for name in MNIST_MD5}
    for images, labels in ((TRAIN_IMAGES, TRAIN_LABELS), (TEST_IMAGES, TEST_LABELS)):
        if len(arrays[images]) != len(arrays[labels]):
            raise DatasetError(f"{folder}: {images} has {len(arrays[images])} images "
                               f"but {labels} has {len(arrays[labels])} labels")
    return Mnist(
        train_images=arrays[TRAIN_IMAGES],
        train_labels=arrays[TRAIN_LABELS].astype(np.int64),
        test_images=arrays[TEST_IMAGES],
        test_labels=arrays[TEST_LABELS].astype(np.int64),
        md5=dict(MNIST_MD5),
    )



def split_train_val(labels: np.ndarray, val_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and validation images: a stratified, seeded hold-out (scikit-learn).

    The validation digits choose the epoch to deploy and fit the export's calibration temperature.
    """
    indices = np.arange(len(labels))
    if val_size == 0:
        return indices, indices[:0]
    from sklearn.model_selection import (
        train_test_split,  # imported when used: the command line loads this module without the extra
    )

    train, val = train_test_split(indices, test_size=val_size, stratify=labels, random_state=seed)
    return np.sort(train), np.sort(val)
