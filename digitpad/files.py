"""Reading files from outside safely, and atomic writes: a reader sees the old file or the new one.

`read_regular_file` reads at most a given number of bytes, and only from a regular file: a FIFO
would block forever, and /dev/zero (or a link to it) reports a size of 0 and never ends.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from digitpad.errors import FileReadError

#: A temporary file of a save is named after its target, cut to this many characters, so that a
#: name near the file system's 255-byte limit still leaves room for the temporary file's.
TEMP_NAME_CHARS = 100
#: Temporary files of a save older than this are left over from a killed process; the next save
#: to the same file removes them (a younger one may belong to a save still in progress).
STALE_TEMP_SECONDS = 3600
_NEW_FILE_MODE = 0o644


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device")):
        if test(mode):
            return name
    return "a device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file"


def open_regular_file(path: str | os.PathLike[str]) -> BinaryIO:
    """The regular file at `path` (links followed), opened for reading in binary.

    Raises FileReadError, without the path, saying what is there instead: nothing, a folder, a
    FIFO, a device, a loop of links. Opened non-blocking, so that a FIFO without a writer cannot
    hang the open, and checked with fstat on the opened file, so nothing can swap it between the
    check and the read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        handle = os.open(path, flags)
    except FileNotFoundError:
        raise FileReadError("cannot read the file: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileReadError(f"cannot read the file: a loop of symbolic links ({exc.strerror})") from None
        if exc.errno == errno.EISDIR:
            raise FileReadError("cannot read the file: it is a folder, not a regular file") from None
        raise FileReadError(f"cannot read the file ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(handle).st_mode
        if not stat.S_ISREG(mode):
            raise FileReadError(f"cannot read the file: it is {_kind(mode)}, not a regular file")
        os.set_blocking(handle, True)
        return os.fdopen(handle, "rb")
    except BaseException:
        os.close(handle)
        raise


def read_regular_file(path: str | os.PathLike[str], max_bytes: int, what: str = "files") -> bytes:
    """The bytes of the regular file at `path` (links followed), at most `max_bytes` of them.

    Raises FileReadError, without the path, when it cannot be opened (see `open_regular_file`) or
    holds more than `max_bytes` (checked from its size and again while reading, for files whose
    size changes).
    """
    too_large = f"is larger than the {max_bytes:,}-byte limit for {what}"
    with open_regular_file(path) as stream:
        try:
            size = os.fstat(stream.fileno()).st_size
            if size > max_bytes:
                raise FileReadError(f"{size:,} bytes {too_large}")
            # As many bytes as it holds and one more (a read of max_bytes would allocate them all first),
            # then, if it grew since, on up to the limit.
            data = stream.read(size + 1)
            if len(data) > size:
                data += stream.read(max_bytes + 1 - len(data))
        except OSError as exc:
            raise FileReadError(f"cannot read the file ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise FileReadError(f"the file {too_large}")
    return data


def _temp_prefix(target: Path) -> str:
    return f".{target.name[:TEMP_NAME_CHARS]}."


def remove_stale_temp_files(target: Path, older_than: float = STALE_TEMP_SECONDS) -> None:
    """Remove temporary files that killed saves to `target` left behind."""
    cutoff = time.time() - older_than
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            name = entry.name
            if name.startswith(_temp_prefix(target)) and name.endswith(".tmp") and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(entry.path)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a temporary file beside `path`; on success it replaces `path`, on any error it vanishes.

    The data is flushed to disk before the rename, so a crash or power cut cannot leave a
    truncated file under the final name. A link is written through (its target is replaced and
    the link stays); an existing file keeps its permissions.
    """
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mode = _NEW_FILE_MODE
    remove_stale_temp_files(target)
    handle, temp_name = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise


def write_bytes_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_writer(path) as stream:
        stream.write(data)


def write_text_atomically(path: str | os.PathLike[str], text: str) -> None:
    write_bytes_atomically(path, text.encode("utf-8"))
