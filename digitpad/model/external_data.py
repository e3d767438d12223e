"""How many bytes of external data an ONNX file pulls in, read from its protobuf without loading it.

An ONNX model may keep its weights in other files beside it ("external data"), which ONNX Runtime
reads in full when it loads the model: a 400-byte .onnx naming a 3 GB file would take 3 GB of
memory. The model size limit must count them before the model is loaded. The `onnx` package is
not an app dependency, so the few protobuf fields that lead to tensors are walked here directly.
"""

from __future__ import annotations

import mmap
import os
import stat
from collections.abc import Iterator
from pathlib import Path

#: For each message kind, the fields (by number, from onnx.proto) that hold messages which may
#: contain tensors, and the kind of each.
_CHILDREN: dict[str, dict[int, str]] = {
    "model": {7: "graph", 25: "function"},
    "function": {7: "node"},
    "graph": {1: "node", 5: "tensor", 15: "sparse"},
    "node": {5: "attribute"},
    "attribute": {5: "tensor", 6: "graph", 10: "tensor", 11: "graph", 22: "sparse", 23: "sparse"},
    "sparse": {1: "tensor", 2: "tensor"},
}
_TENSOR_EXTERNAL_DATA = 13  # repeated StringStringEntryProto (key = 1, value = 2)
#: Graphs nest in Loop and If bodies; ONNX Runtime's protobuf parser refuses deeper nesting anyway.
_MAX_DEPTH = 100
_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


def _varint(data: memoryview, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while pos < end and shift < 64:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
    raise ValueError("its protobuf is malformed")


def _fields(data: memoryview, pos: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(field number, wire type, start, end) of each field of the message in data[pos:end]."""
    while pos < end:
        key, pos = _varint(data, pos, end)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            _, after = _varint(data, pos, end)
        elif wire == _LENGTH:
            length, pos = _varint(data, pos, end)
            after = pos + length
        elif wire in (_FIXED64, _FIXED32):
            after = pos + (8 if wire == _FIXED64 else 4)
        else:
            raise ValueError("its protobuf is malformed")
        if after > end:
            raise ValueError("its protobuf is truncated")
        yield number, wire, pos, after
        pos = after


def _external_entries(data: memoryview, start: int, end: int) -> dict[str, str]:
    """A tensor's external_data entries (location, offset, length), empty if its data is inside."""
    entries = {}
    for number, wire, pos, after in _fields(data, start, end):
        if number == _TENSOR_EXTERNAL_DATA and wire == _LENGTH:
            pair = {n: bytes(data[p:a]).decode("utf-8", "replace") for n, w, p, a in _fields(data, pos, after)}
            entries[pair.get(1, "")] = pair.get(2, "")
    return entries


def _tensors(data: memoryview) -> Iterator[dict[str, str]]:
    """The external_data entries of every tensor anywhere in the model that has some."""
    stack = [("model", 0, len(data), 0)]
    while stack:
        kind, start, end, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise ValueError("its graphs are nested too deeply")
        if kind == "tensor":
            entries = _external_entries(data, start, end)
            if entries:
                yield entries
            continue
        children = _CHILDREN[kind]
        for number, wire, pos, after in _fields(data, start, end):
            if wire == _LENGTH and number in children:
                stack.append((children[number], pos, after, depth + 1))


def _entry_bytes(folder: Path, entries: dict[str, str]) -> int:
    location = entries.get("location", "")
    target = folder / location
    try:
        status = target.stat()
    except OSError as exc:
        raise ValueError(f"its external data file {location!r} cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(status.st_mode):
        raise ValueError(f"its external data {location!r} is not a regular file")
    try:
        offset = int(entries.get("offset") or 0)
        length = int(entries["length"]) if entries.get("length") else status.st_size - offset
    except ValueError:
        raise ValueError(f"its external data {location!r} has a malformed offset or length") from None
    return max(length, 0)


def external_data_bytes(path: str | os.PathLike[str], stop_above: int) -> int:
    """Bytes of external data the ONNX file at `path` names (each tensor counted), 0 if none.

    Counting stops once the total passes `stop_above`. Raises ValueError for a file whose
    protobuf cannot be walked or whose external data is missing or not a regular file.
    """
    path = Path(path)
    with open(path, "rb") as stream:
        if os.fstat(stream.fileno()).st_size == 0:
            return 0  # ONNX Runtime refuses it with its own message
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            data = memoryview(mapped)
            try:
                total = 0
                for entries in _tensors(data):
                    total += _entry_bytes(path.parent, entries)
                    if total > stop_above:
                        break
                return total
            finally:
                data.release()
