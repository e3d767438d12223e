"""The drawing JSON format: the app's save format and an input of `digitpad classify`.

    {"format": "digitpad-drawing", "version": 1, "width": W, "height": H,
     "strokes": [[[x, y], ...], ...], "pen_width": P, "label": "4071"}

Canvas pixels, origin top-left, y down; `pen_width` is optional and defaults to the app's pen.
`label` is optional: what the drawing is, as a string of digits (a number is one drawing).
"""

from __future__ import annotations

import itertools
import json
import math
import os
from pathlib import Path
from typing import Any

from digitpad.errors import DrawingError, FileReadError
from digitpad.files import read_regular_file, write_text_atomically
from digitpad.ink.drawing import DEFAULT_PEN_WIDTH, MAX_POINTS, MAX_STROKES, Drawing
from digitpad.ink.raster import check_complexity

FORMAT_NAME = "digitpad-drawing"
FORMAT_VERSION = 1
#: Larger files are refused before reading: a million points take about 18 MB of JSON.
MAX_FILE_BYTES = 32 * 1024 * 1024
#: Most values (numbers, lists) a drawing file may hold, counted from its commas and brackets
#: before it is parsed: its points' coordinates, its strokes and a few fields. Parsing costs
#: about 100 bytes of memory a value, so this keeps a file of ten million tiny numbers from
#: taking gigabytes before the point limit could refuse it.
MAX_VALUES = 2 * MAX_POINTS + 2 * MAX_STROKES + 100
#: Longest accepted label: the app reads numbers of up to 10 digits; a label may say more.
MAX_LABEL_DIGITS = 64


def drawing_to_json(drawing: Drawing, label: str | None = None) -> dict[str, Any]:
    data = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "width": drawing.width,
        "height": drawing.height,
        "pen_width": drawing.pen_width,
        "strokes": [[[round(float(x), 2), round(float(y), 2)] for x, y in s] for s in drawing.strokes],
    }
    if label is not None:
        data["label"] = check_label(label)
    return data


def check_label(label: Any) -> str:
    """A drawing's label: a non-empty string of the digits 0-9 ("7", "4071").

    A whole number written without quotes (`"label": 7`) is read as its digits, as a person meant it.
    """
    if isinstance(label, int) and not isinstance(label, bool) and 0 <= label < 10**MAX_LABEL_DIGITS:
        label = str(label)
    if (
        not isinstance(label, str)
        or not label
        or len(label) > MAX_LABEL_DIGITS
        or not label.isascii()
        or not label.isdigit()
    ):
        raise DrawingError(
            f'"label" must be a string of 1 to {MAX_LABEL_DIGITS} digits 0-9, got {json.dumps(label)[:40]}'
        )
    return label


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DrawingError(f"{what} must be a number, got {json.dumps(value)[:40]}")
    try:
        number = float(value)
    except OverflowError:
        raise DrawingError(f"{what} is far too large ({len(str(abs(value)))} digits)") from None
    if not math.isfinite(number):
        raise DrawingError(f"{what} must be finite, got {value}")
    return number


def _stroke_points(stroke: Any, i: int) -> list[Any]:
    """Check one stroke's types quickly; only a bad stroke pays for the per-point error search."""
    if not isinstance(stroke, list):
        raise DrawingError(f"stroke {i} must be a list of [x, y] points")
    try:  # map and chain loop in C: this check runs on every point of every file read
        types = set(map(type, itertools.chain.from_iterable(stroke)))
        pairs = set(map(type, stroke)) <= {list} and set(map(len, stroke)) <= {2}
    except TypeError:
        types, pairs = {object}, False
    if pairs and types <= {int, float}:
        return stroke
    for j, point in enumerate(stroke):
        if not isinstance(point, list) or len(point) != 2:
            raise DrawingError(f"stroke {i}, point {j} must be a list [x, y]")
        _number(point[0], f"stroke {i}, point {j}: x")
        _number(point[1], f"stroke {i}, point {j}: y")
    raise AssertionError("unreachable: a stroke failed the fast check but passed the slow one")


def _strokes(value: Any) -> list[list[Any]]:
    if not isinstance(value, list):
        raise DrawingError('"strokes" must be a list of strokes')
    if len(value) > MAX_STROKES:
        raise DrawingError(f"the drawing has {len(value):,} strokes; at most {MAX_STROKES:,} are accepted")
    return [_stroke_points(stroke, i) for i, stroke in enumerate(value)]


def drawing_from_json(data: Any) -> Drawing:
    """Validate a parsed drawing JSON document; errors name the field at fault.

    A drawing too complex to render (MAX_SEGMENTS) is refused here, where a file is opened, rather
    than later, when the app draws it.
    """
    if not isinstance(data, dict):
        raise DrawingError("a drawing file must hold a JSON object")
    if data.get("format") != FORMAT_NAME:
        raise DrawingError(
            f'not a digitpad drawing: "format" is {json.dumps(data.get("format"))}, expected "{FORMAT_NAME}"'
        )
    version = data.get("version")
    if type(version) is not int or version != FORMAT_VERSION:  # `true == 1` in Python
        raise DrawingError(
            f"unsupported drawing version {json.dumps(data.get('version'))}; "
            f"this digitpad reads version {FORMAT_VERSION}"
        )
    for key in ("width", "height", "strokes"):
        if key not in data:
            raise DrawingError(f'the drawing has no "{key}"')
    pen_width = _number(data.get("pen_width", DEFAULT_PEN_WIDTH), '"pen_width"')
    width = _number(data["width"], '"width"')
    height = _number(data["height"], '"height"')
    drawing = Drawing(_strokes(data["strokes"]), width, height, pen_width)  # type: ignore[arg-type]
    check_complexity(drawing)  # raises DrawingError if it is too complex to render
    return drawing


def parse_drawing_json(raw: bytes) -> Any:
    """The parsed document, refused before parsing if it holds more values than a drawing may.

    A value inside a list or object is followed by a comma or opened by a bracket, so their
    count bounds what parsing builds (commas inside strings count too: such a file is refused).
    """
    values = raw.count(b",") + raw.count(b"[")
    if values > MAX_VALUES:
        raise DrawingError(f"the file holds about {values:,} values; a drawing has at most {MAX_VALUES:,}")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: also a number of over 4,300 digits
        raise DrawingError(f"not valid JSON ({exc})") from None
    except RecursionError:
        raise DrawingError("the JSON is nested too deeply") from None


def load_drawing(path: str | os.PathLike[str]) -> Drawing:
    """Read a drawing JSON file; any problem is a DrawingError that names the file."""
    return load_labelled_drawing(path)[0]


def load_labelled_drawing(path: str | os.PathLike[str]) -> tuple[Drawing, str | None]:
    """Read a drawing JSON file and its optional label; a bad label is an error like a bad stroke.

    Only a regular file is read, and at most MAX_FILE_BYTES of it: a FIFO or a link to /dev/zero
    is refused at once.
    """
    path = Path(path)
    try:
        data = parse_drawing_json(read_regular_file(path, MAX_FILE_BYTES, "drawings"))
    except (DrawingError, FileReadError) as exc:
        raise DrawingError(f"{path}: {exc}") from None
    try:
        drawing = drawing_from_json(data)
        label = check_label(data["label"]) if "label" in data else None
    except DrawingError as exc:
        raise DrawingError(f"{path}: {exc}") from None
    return drawing, label


def save_drawing(path: str | os.PathLike[str], drawing: Drawing, label: str | None = None) -> None:
    """Write the drawing JSON atomically: an existing file is replaced whole or not at all."""
    write_text_atomically(path, json.dumps(drawing_to_json(drawing, label), separators=(",", ":")) + "\n")
