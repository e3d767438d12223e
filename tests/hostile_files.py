"""Drawing files made to hurt: each breaks the reader in one way, and the message it must get.

Shared by the core, CLI and GUI tests so that every front end is tried on the same files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from digitpad.ink.drawing import MAX_STROKES, Drawing

HEADER = '{"format": "digitpad-drawing", "version": 1, "width": 280, "height": 280, '


def _text(body: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(HEADER + body + "}")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _link_to_dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _link_loop(path: Path) -> None:
    path.symlink_to(path.name)


def _million_one_point_strokes(path: Path) -> None:
    path.write_text(HEADER + '"strokes": [' + ",".join(["[[140,140]]"] * 1_000_000) + "]}")


def _wide_pen_zigzag(path: Path) -> None:
    """A 256 px pen crossing a 4096 px canvas 200 times: few segments, billions of pixels."""
    points = [[0, 0] if i % 2 else [4095, 4095] for i in range(200)]
    path.write_text(
        json.dumps(
            {
                **json.loads(HEADER + '"strokes": []}'),
                "width": 4096,
                "height": 4096,
                "pen_width": 256,
                "strokes": [points],
            }
        )
    )


#: name -> (how to make it, a part of the error message it must get)
HOSTILE_DRAWINGS: dict[str, tuple[Callable[[Path], None], str]] = {
    "huge_int.json": (_text('"strokes": [[[1' + "0" * 400 + ", 5]]]"), "too large for a number"),
    "huge_version.json": (_text('"x": 1' + "0" * 5000 + ', "strokes": []'), "not valid JSON"),
    "version_true.json": (
        lambda path: path.write_text(HEADER.replace('"version": 1', '"version": true') + '"strokes": []}'),
        "unsupported drawing version true",
    ),
    "fifo.json": (_fifo, "a FIFO, not a regular file"),
    "dev_zero.json": (_link_to_dev_zero, "a device, not a regular file"),
    "link_loop.json": (_link_loop, "Too many levels of symbolic links"),
    "million_strokes.json": (_million_one_point_strokes, "values; a drawing has at most"),
    "many_strokes.json": (
        _text('"strokes": [' + ",".join(["[[140,140]]"] * (MAX_STROKES + 1)) + "]"),
        "strokes; at most",
    ),
    "wide_pen.json": (_wide_pen_zigzag, "too complex"),
}


def make_hostile_drawings(folder: Path) -> dict[Path, str]:
    """Every hostile drawing file in `folder`: path -> the message it must get."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for name, (make, message) in HOSTILE_DRAWINGS.items():
        make(folder / name)
        made[folder / name] = message
    return made


def stacked_spirals(count: int = 80, points: int = 8_000) -> Drawing:
    """Tiny spirals (3 px across, 100 turns each) stacked in one column: every run of up to four is a
    digit candidate, each scaled up to the 20 px box on its own. 80 of them once took 250 s."""
    turns = np.linspace(0.0, 200 * np.pi, points)
    radius = 1.5 * turns / turns[-1]
    return Drawing([np.stack([140 + radius * np.cos(turns), 10 + k * 260 / count + radius * np.sin(turns)], axis=1)
                    for k in range(count)], 280, 280, 20.0)


def nested_rings(count: int = 80, side: int = 2000) -> np.ndarray:
    """`count` concentric 3 px rings, black on white (uint8 gray): every run of rings is a candidate
    whose box is nearly the whole image. As a PNG of 100 KB, 80 of them once took 15-27 s."""
    y, x = np.mgrid[:side, :side]
    distance = np.hypot(x - side / 2, y - side / 2)
    ink = np.zeros((side, side), bool)
    for k in range(count):
        ink |= np.abs(distance - (k + 1) * (side / 2 - 4) / count) < 1.5
    return np.where(ink, 0, 255).astype(np.uint8)
