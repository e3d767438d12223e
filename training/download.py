"""Fetch the MNIST files from public mirrors: streamed, verified while they arrive, then renamed.

Each file is written to a temporary file beside its final name while its decompressed content is
hashed on the fly; only a file whose MD5 matches is renamed into place, so nothing half-written or
wrong ever looks like a valid data file. A mirror that fails (HTTP error, timeout, wrong or
truncated content) is reported and the next one is tried.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from digitpad.files import atomic_writer
from training.data import MNIST_MD5, Mnist, find_file, load_mnist, missing_files, resolve_data_dir
from training.errors import DatasetError, DownloadError

MIRROR_ENV = "DIGITPAD_MNIST_MIRRORS"

#: Public mirrors serving `<name>.gz`, tried in order (LeCun's own site no longer serves them reliably).
DEFAULT_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

CHUNK_BYTES = 64 * 1024
TIMEOUT_SECONDS = 30.0  #: a server silent for this long counts as failed


@dataclass(frozen=True)
class Fetched:
    """What arrived from one URL: byte count and the MD5 of the decompressed content."""

    compressed_bytes: int
    content_bytes: int
    content_md5: str


def mirrors_from_env() -> tuple[str, ...]:
    """Mirrors from DIGITPAD_MNIST_MIRRORS (comma-separated base URLs), else the defaults."""
    raw = os.environ.get(MIRROR_ENV, "")
    chosen = tuple(url.strip() for url in raw.split(",") if url.strip())
    return chosen or DEFAULT_MIRRORS


def _file_url(mirror: str, name: str) -> str:
    if not mirror.startswith(("http://", "https://")):
        raise DownloadError(f"mirror {mirror!r} is not an http(s) URL")
    return f"{mirror.rstrip('/')}/{name}.gz"


def fetch_gzip(url: str, sink: BinaryIO, *, label: str, progress: bool = True,
               timeout: float = TIMEOUT_SECONDS) -> Fetched:
    """Stream the gzip file at `url` into `sink`, decompressing and hashing it on the way.

    Raises DownloadError for HTTP and network errors, a body shorter than its Content-Length, or
    a gzip stream that is corrupt or ends early.
    """
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
    digest = hashlib.md5()
    received = content = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            with tqdm(total=expected, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
                      disable=not progress, leave=False) as bar:
                while chunk := response.read(CHUNK_BYTES):
                    sink.write(chunk)
                    received += len(chunk)
                    data = decompressor.decompress(chunk)
                    digest.update(data)
                    content += len(data)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except zlib.error as exc:
        raise DownloadError(f"{url}: not a valid gzip stream ({exc})") from None
    except http.client.IncompleteRead:
        raise DownloadError(f"{url}: truncated: the connection closed early, after {received:,} bytes") from None
    except http.client.HTTPException as exc:  # a malformed response
        raise DownloadError(f"{url}: bad HTTP response ({type(exc).__name__}: {exc})") from None
    except (urllib.error.URLError, OSError) as exc:  # refused, DNS, timeout, connection reset
        reason = getattr(exc, "reason", None) or exc
        raise DownloadError(f"{url}: {reason}") from None
    if expected is not None and received != expected:
        raise DownloadError(f"{url}: truncated: received {received:,} of {expected:,} bytes")
    if not decompressor.eof:
        raise DownloadError(f"{url}: truncated: the gzip stream ends early after {received:,} bytes")
    return Fetched(received, content, digest.hexdigest())


def download_file(name: str, folder: Path, mirrors: Sequence[str], *, progress: bool = True,
                  timeout: float = TIMEOUT_SECONDS) -> Path:
    """Download `name`.gz into `folder` from the first mirror whose content has the right MD5."""
    expected = MNIST_MD5[name]
    target = folder / f"{name}.gz"
    failures = []
    for mirror in mirrors:
        url = _file_url(mirror, name)
        try:
            # The temporary file is renamed only if the `with` body finishes: a failure deletes it.
            with atomic_writer(target) as sink:
                fetched = fetch_gzip(url, sink, label=name, progress=progress, timeout=timeout)
                if fetched.content_md5 != expected:
                    raise DownloadError(f"{url}: wrong content: MD5 {fetched.content_md5}, expected {expected}")
            return target
        except DownloadError as exc:
            failures.append(str(exc))
    raise DownloadError(f"could not download {name}.gz (expected content MD5 {expected}) into {folder}:\n  "
                        + "\n  ".join(failures or ["no mirrors given"]))


def download_mnist(folder: str | os.PathLike[str], mirrors: Sequence[str] | None = None, *,
                   names: Sequence[str] | None = None, progress: bool = True,
                   timeout: float = TIMEOUT_SECONDS) -> list[Path]:
    """Download the MNIST files that `folder` lacks (all four unless `names` says which)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create the data folder {folder}: {exc.strerror or exc}") from None
    mirrors = tuple(mirrors) if mirrors else mirrors_from_env()
    wanted = [name for name in (names or MNIST_MD5) if find_file(folder, name) is None]
    return [download_file(name, folder, mirrors, progress=progress, timeout=timeout) for name in wanted]


def obtain_mnist(data_dir: str | os.PathLike[str] | None = None, mirrors: Sequence[str] | None = None, *,
                 progress: bool = True) -> Mnist:
    """MNIST from --data-dir, else $DIGITPAD_MNIST_DIR, else the user cache (downloaded if missing).

    A folder given explicitly is only read, never downloaded into: a missing file there is an
    error that says how to fetch it (`python -m training download --data-dir ...`).
    """
    folder, is_cache = resolve_data_dir(data_dir)
    missing = missing_files(folder)
    if missing and is_cache:
        if progress:
            tqdm.write(f"downloading MNIST into {folder}")
        download_mnist(folder, mirrors, names=missing, progress=progress)
    elif missing:
        raise DatasetError(f"{folder} lacks {', '.join(missing)} (as .gz or raw); "
                           f"fetch them with: python -m training download --data-dir {folder}")
    return load_mnist(folder)
