"""Fetch the MNIST files from public mirrors: resumed when a connection drops, verified, then renamed.

Each file arrives in a partial file beside its final name (`<name>.gz.part`, which nothing reads as
data). A dropped connection, a timeout or a server error (HTTP 5xx) is retried a few times, each
retry asking with an HTTP Range header for only the bytes still missing. Once complete, the partial
file's decompressed content must match its MD5; only then is it renamed into place, so nothing
half-written or wrong ever looks like a valid data file. A mirror that keeps failing or serves
wrong content is reported and the next one is tried; the partial file goes when the call ends.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import os
import re
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from training.data import (
    DATA_DIR_ENV,
    MNIST_BYTES,
    MNIST_MD5,
    Mnist,
    find_file,
    load_mnist,
    missing_files,
    resolve_data_dir,
)
from training.errors import DatasetError, DownloadError

MIRROR_ENV = "DIGITPAD_MNIST_MIRRORS"

#: Public mirrors serving `<name>.gz`, tried in order (LeCun's own site no longer serves them reliably).
DEFAULT_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

CHUNK_BYTES = 64 * 1024
INFLATE_BYTES = 1 << 20  #: gzip read and inflated this much at a time
TIMEOUT_SECONDS = 30.0  #: a server silent for this long counts as failed
#: One attempt at one file may take this long in all: a server that sends a byte every few
#: seconds is never silent for TIMEOUT_SECONDS, and must still not hold the download forever.
DEADLINE_SECONDS = 600.0
#: A compressed file may be this much larger than its content (gzip's framing; MNIST compresses
#: well, so real files are far smaller): a server that sends more is refused, not followed forever.
GZIP_OVERHEAD_BYTES = 64 * 1024
ATTEMPTS = 3  #: tries per mirror when the connection drops, times out or the server errs (HTTP 5xx)
RETRY_DELAY_SECONDS = 1.0  #: wait before the first retry; doubled before each further one
PARTIAL_SUFFIX = ".part"


class TransientError(DownloadError):
    """A failure worth retrying on the same mirror: dropped connection, timeout, HTTP 5xx."""


def mirrors_from_env() -> tuple[str, ...]:
    """Mirrors from DIGITPAD_MNIST_MIRRORS (comma-separated base URLs), else the defaults."""
    raw = os.environ.get(MIRROR_ENV, "")
    chosen = tuple(url.strip() for url in raw.split(",") if url.strip())
    return chosen or DEFAULT_MIRRORS


def _file_url(mirror: str, name: str) -> str:
    if not mirror.startswith(("http://", "https://")):
        raise DownloadError(f"mirror {mirror!r} is not an http(s) URL")
    return f"{mirror.rstrip('/')}/{name}.gz"


def _total_size(response: http.client.HTTPResponse, start: int) -> int | None:
    """The whole file's size from Content-Range (a resumed download) or Content-Length."""
    match = re.fullmatch(r"bytes \d+-\d+/(\d+)", response.headers.get("Content-Range", ""))
    if match:
        return int(match.group(1))
    length = response.headers.get("Content-Length")
    return start + int(length) if length and length.isdigit() else None


def _write(sink: BinaryIO, data: bytes, path: Path) -> None:
    """A local write failure (disk full) is no mirror's fault: it stops the download at once."""
    try:
        sink.write(data)
    except OSError as exc:
        raise DatasetError(f"cannot write {path}: {exc.strerror or exc}") from None


def fetch_rest(url: str, part: Path, *, label: str, progress: bool = True, timeout: float = TIMEOUT_SECONDS,
               max_bytes: int | None = None, deadline: float | None = None) -> None:
    """Append to `part` the bytes of `url` that it lacks (all of them if it is empty), to the end.

    Raises TransientError for what a retry may cure (dropped connection, timeout, HTTP 5xx, a body
    that ends early) and DownloadError for what it will not (HTTP 4xx, a bad URL, a file larger
    than `max_bytes`, an attempt longer than `deadline` seconds).
    """
    deadline = DEADLINE_SECONDS if deadline is None else deadline
    give_up_at = time.monotonic() + deadline
    start = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={start}-"} if start else {})
    try:
        sink = open(part, "ab")  # noqa: SIM115 (closed by the `with` below)
    except OSError as exc:
        raise DatasetError(f"cannot write into {part.parent}: {exc.strerror or exc}") from None
    received = 0
    try:
        with sink, urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            if start and response.status != 206:  # the server ignored the range: start over
                sink.truncate(0)
                start = 0
            total = _total_size(response, start)
            if max_bytes is not None and total is not None and total > max_bytes:
                raise DownloadError(f"{url}: the server offers {total:,} bytes; the file is at most {max_bytes:,}")
            from tqdm import tqdm  # the [train] extra's: imported when used, so that --help needs none of it

            with tqdm(total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
                      disable=not progress, leave=False) as bar:
                while chunk := response.read1(CHUNK_BYTES):  # what has arrived: a stall loses none of it
                    _write(sink, chunk, part)
                    received += len(chunk)
                    bar.update(len(chunk))
                    if max_bytes is not None and start + received > max_bytes:
                        raise DownloadError(f"{url}: the server sent more than {max_bytes:,} bytes; "
                                            "the file is smaller")
                    if time.monotonic() > give_up_at:
                        raise DownloadError(f"{url}: too slow: {start + received:,} bytes in {deadline:g} s")
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:  # nothing beyond what we have: the check of the content decides
            return
        kind = TransientError if exc.code >= 500 or exc.code in (408, 429) else DownloadError
        raise kind(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except http.client.IncompleteRead:
        raise TransientError(
            f"{url}: truncated: the connection closed early, after {start + received:,} bytes"
        ) from None
    except http.client.HTTPException as exc:  # a malformed response
        raise TransientError(f"{url}: bad HTTP response ({type(exc).__name__}: {exc})") from None
    except (urllib.error.URLError, OSError) as exc:  # refused, DNS, timeout, connection reset
        reason = getattr(exc, "reason", None) or exc
        raise TransientError(f"{url}: {reason} (after {start + received:,} bytes)") from None
    if total is not None and start + received != total:
        raise TransientError(f"{url}: truncated: received {start + received:,} of {total:,} bytes")


def content_md5(path: Path, url: str, max_bytes: int | None = None) -> str:
    """MD5 of the decompressed content of the gzip file `path`, read in chunks (the same for every mirror).

    Inflating stops past `max_bytes` of content: a gzip bomb is refused, never inflated whole.
    """
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
    digest = hashlib.md5()
    inflated = 0
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(INFLATE_BYTES):
                while chunk:
                    data = decompressor.decompress(chunk, INFLATE_BYTES)  # bounded output per call
                    inflated += len(data)
                    if max_bytes is not None and inflated > max_bytes:
                        raise DownloadError(f"{url}: wrong content: more than the {max_bytes:,} bytes of the real file")
                    digest.update(data)
                    chunk = decompressor.unconsumed_tail
    except zlib.error as exc:
        raise DownloadError(f"{url}: not a valid gzip stream ({exc})") from None
    if not decompressor.eof:
        size = path.stat().st_size
        raise DownloadError(f"{url}: truncated: the gzip stream ends early after {size:,} bytes")
    return digest.hexdigest()


def _from_mirror(url: str, part: Path, expected_md5: str, expected_bytes: int, *, label: str, progress: bool,
                 timeout: float) -> None:
    """Fetch `url` into `part`, retrying transient failures with resumption; then check its MD5."""
    for attempt in range(ATTEMPTS):
        try:
            fetch_rest(url, part, label=label, progress=progress, timeout=timeout,
                       max_bytes=expected_bytes + GZIP_OVERHEAD_BYTES)
            break
        except TransientError as exc:
            if attempt + 1 == ATTEMPTS:
                raise DownloadError(f"{exc} (gave up after {ATTEMPTS} attempts)") from None
            time.sleep(RETRY_DELAY_SECONDS * 2**attempt)
    md5 = content_md5(part, url, expected_bytes)
    if md5 != expected_md5:
        raise DownloadError(f"{url}: wrong content: MD5 {md5}, expected {expected_md5}")


def download_file(name: str, folder: Path, mirrors: Sequence[str], *, progress: bool = True,
                  timeout: float = TIMEOUT_SECONDS) -> Path:
    """Download `name`.gz into `folder` from the first mirror whose content has the right MD5."""
    expected = MNIST_MD5[name]
    target = folder / f"{name}.gz"
    part = folder / f"{name}.gz{PARTIAL_SUFFIX}"
    failures = []
    try:
        for mirror in mirrors:
            url = _file_url(mirror, name)
            part.unlink(missing_ok=True)  # another mirror's bytes may differ: never splice them
            try:
                _from_mirror(url, part, expected, MNIST_BYTES[name], label=name, progress=progress, timeout=timeout)
            except DownloadError as exc:
                failures.append(str(exc))
                continue
            try:
                with part.open("rb") as stream:
                    os.fsync(stream.fileno())
                os.replace(part, target)
            except OSError as exc:
                raise DatasetError(f"cannot write {target}: {exc.strerror or exc}") from None
            return target
    finally:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
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
            from tqdm import tqdm

            tqdm.write(f"downloading MNIST into {folder}")
        download_mnist(folder, mirrors, names=missing, progress=progress)
    elif missing:
        raise DatasetError(f"{folder} lacks {', '.join(missing)} (as .gz or raw); "
                           f"fetch them with: python -m training download --data-dir {folder}")
    return load_mnist(folder)


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """Where MNIST comes from, for every command that reads it: --data-dir, --mirror, --quiet."""
    parser.add_argument("--data-dir", type=Path, metavar="DIR",
                        help=f"folder with the four MNIST IDX files (.gz or raw); default ${DATA_DIR_ENV}, "
                             "else a per-user cache folder that is filled by downloading")
    parser.add_argument("--mirror", action="append", metavar="URL",
                        help="base URL serving <file>.gz, tried in order (repeatable); "
                             f"default ${MIRROR_ENV}, else the standard public mirrors")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`python -m training download`."""
    parser.description = ("Download the MNIST files that the data folder lacks, verifying each one's content "
                          "MD5 before it is renamed into place.")
    add_data_options(parser)


def run(args: argparse.Namespace) -> int:
    folder = resolve_data_dir(args.data_dir)[0]
    fetched = download_mnist(folder, args.mirror, progress=not args.quiet)
    load_mnist(folder)  # verifies all four, including those that were already there
    print(f"{folder}: MNIST verified ({len(fetched)} file(s) downloaded)")
    return 0
