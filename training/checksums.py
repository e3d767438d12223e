"""MD5 checksums of data files and arrays: what a model's metadata records it was trained on."""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

CHUNK_BYTES = 1 << 20


def file_md5(path: str | os.PathLike[str]) -> str:
    """MD5 of a file's bytes, read in chunks."""
    digest = hashlib.md5()
    with Path(path).open("rb") as stream:
        while block := stream.read(CHUNK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def bytes_md5(content: bytes) -> str:
    return hashlib.md5(content).hexdigest()


class ContentTooLargeError(ValueError):
    """A gzip file inflates to more than the real file's size: a gzip bomb or another file."""


def gzip_content_md5(path: str | os.PathLike[str], max_bytes: int | None = None) -> str:
    """MD5 of the decompressed content of a gzip file, read in chunks (the same for every mirror).

    Inflating stops past `max_bytes` of content (ContentTooLargeError), so a gzip bomb is never
    inflated whole. Raises zlib.error for a stream that is not gzip and EOFError for one that ends early.
    """
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
    digest = hashlib.md5()
    inflated = 0
    with Path(path).open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            while chunk:
                data = decompressor.decompress(chunk, CHUNK_BYTES)  # bounded output per call
                inflated += len(data)
                if max_bytes is not None and inflated > max_bytes:
                    raise ContentTooLargeError(f"more than {max_bytes:,} bytes of content")
                digest.update(data)
                chunk = decompressor.unconsumed_tail
    if not decompressor.eof:
        raise EOFError("the gzip stream ends early")
    return digest.hexdigest()


def arrays_md5(images: np.ndarray, labels: np.ndarray) -> str:
    """MD5 of a labelled image set: float32 images, then int64 labels."""
    digest = hashlib.md5(np.ascontiguousarray(images, np.float32).tobytes())
    digest.update(np.ascontiguousarray(labels, np.int64).tobytes())
    return digest.hexdigest()
