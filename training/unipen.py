"""UNIPEN pen-drawn digits: read the jsonl file, split it by writer, place the digits on the app's canvas.

Each sample is one isolated digit written with a pen on a digitizing tablet (UNIPEN train_r01_v07,
category 1a, CC BY 4.0; Guyon et al., ICPR 1994, DOI 10.5281/zenodo.1195803). Writers are only
unique within a donor institution, so every split keys on (donor, writer): a model must never be
judged on a writer whose other digits it was trained on.

Replayed on the canvas (`place`), a digit is placed and sized as a person draws it: a person fills a
good part of the canvas, though not always the middle, so its height is drawn uniformly from
35-85 % of the canvas and its position uniformly from where it fits. Points are rounded to whole
canvas pixels, as mouse events arrive. The result is a `digitpad.ink.drawing.Drawing`, so it goes
through the app's own rasterizer and normalization.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.errors import DigitpadError
from digitpad.ink.drawing import DEFAULT_CANVAS_SIZE, DEFAULT_PEN_WIDTH, Drawing

#: Characters of one line (one sample) read at most: lines are read with this cap, so that a
#: file of one 4 GiB line (a gzip of a few MB) is refused in bounded memory, not read whole.
MAX_LINE_CHARS = 1024 * 1024
#: The dev set, carried by the repo with its licence note (data/unipen-dev/README.md).
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "unipen-dev" / "digits.jsonl.gz"


class DrawingDataError(DigitpadError):
    """A pen-digit file is missing or holds a line that is not a valid sample."""


@dataclass(frozen=True, eq=False)
class PenSample:
    """One pen-written digit: strokes in the donor's tablet units, y growing downward."""

    label: int
    donor: str
    writer: str
    strokes: tuple[np.ndarray, ...]  #: float64 (n, 2) arrays, in drawing order

    @property
    def group(self) -> str:
        """The writer's identity across donors: the key for writer-disjoint splits."""
        return f"{self.donor}/{self.writer}"


def _sample(record: object, where: str) -> PenSample:
    if not isinstance(record, dict):
        raise DrawingDataError(f"{where}: expected a JSON object, got {type(record).__name__}")
    try:
        label, donor, writer, raw = record["label"], record["donor"], record["writer"], record["strokes"]
    except KeyError as exc:
        raise DrawingDataError(f"{where}: missing key {exc}") from None
    if isinstance(label, bool) or label not in range(10):
        raise DrawingDataError(f"{where}: label must be a digit 0-9, got {label!r}")
    if not isinstance(raw, list) or not raw:
        raise DrawingDataError(f"{where}: strokes must be a non-empty list")
    strokes = []
    for i, stroke in enumerate(raw):
        try:
            points = np.asarray(stroke, dtype=np.float64)
        except (TypeError, ValueError):
            raise DrawingDataError(f"{where}: stroke {i} is not a list of [x, y] numbers") from None
        if points.ndim != 2 or points.shape[1] != 2 or not len(points) or not np.isfinite(points).all():
            raise DrawingDataError(f"{where}: stroke {i} must be a non-empty list of finite [x, y] pairs")
        strokes.append(points)
    return PenSample(int(label), str(donor), str(writer), tuple(strokes))


def iter_samples(path: str | Path = DEFAULT_PATH) -> Iterator[PenSample]:
    """The samples of a jsonl or jsonl.gz file, in file order."""
    path = Path(path)
    if not path.is_file():
        raise DrawingDataError(f"no pen-digit file at {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(iter(lambda: lines.readline(MAX_LINE_CHARS + 1), ""), 1):
                if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
                    raise DrawingDataError(f"{path}:{number}: the line is longer than {MAX_LINE_CHARS:,} characters "
                                           "(a sample takes a few thousand)")
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise DrawingDataError(f"{path}:{number}: not valid JSON ({exc})") from None
                yield _sample(record, f"{path}:{number}")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DrawingDataError(f"{path}: cannot be read ({exc})") from None


def load_samples(path: str | Path = DEFAULT_PATH) -> list[PenSample]:
    samples = list(iter_samples(path))
    if not samples:
        raise DrawingDataError(f"{path} holds no samples")
    return samples


def groups(samples: Sequence[PenSample]) -> np.ndarray:
    """The (donor, writer) key of every sample, for scikit-learn's group splitters."""
    return np.array([s.group for s in samples])


def labels(samples: Sequence[PenSample]) -> np.ndarray:
    return np.array([s.label for s in samples], dtype=np.int64)


def writer_folds(samples: Sequence[PenSample], n_folds: int = 5) -> np.ndarray:
    """The fold (0 to n_folds-1) of every sample; all of a writer's samples share one fold.

    GroupKFold balances the folds' sample counts, which matters here: a few writers wrote
    hundreds of digits, most wrote one set. Deterministic: it depends on the data only.
    """
    from sklearn.model_selection import GroupKFold

    keys = groups(samples)
    if len(set(keys)) < n_folds:
        raise DrawingDataError(f"{len(set(keys))} writers cannot make {n_folds} writer-disjoint folds")
    fold = np.empty(len(samples), dtype=np.int64)
    for index, (_, test) in enumerate(GroupKFold(n_splits=n_folds).split(keys, groups=keys)):
        fold[test] = index
    return fold


@dataclass(frozen=True)
class Placement:
    """How digits are put on the canvas."""

    canvas: int = DEFAULT_CANVAS_SIZE  #: canvas side, pixels
    pen_width: float = DEFAULT_PEN_WIDTH  #: the app's pen, canvas pixels
    min_height: float = 0.35  #: smallest digit height, fraction of the canvas
    max_height: float = 0.85  #: largest digit height, fraction of the canvas
    max_width: float = 0.90  #: a wide digit is shrunk so its width stays within this fraction
    round_to_pixels: bool = True  #: snap points to whole pixels, as mouse events do


#: As people draw on the app's canvas (the issue's protocol: height 35-85 % of the canvas).
CANVAS_PLACEMENT = Placement()


def place(
    strokes: tuple[np.ndarray, ...], rng: np.random.Generator, placement: Placement = CANVAS_PLACEMENT
) -> Drawing:
    """The strokes scaled and moved to a random spot on the canvas, keeping the aspect ratio.

    A flat fragment (a dash, a dot) has no height to size by, so its width is sized instead.
    """
    points = np.concatenate(strokes)
    low = points.min(axis=0)
    width, height = points.max(axis=0) - low
    size = rng.uniform(placement.min_height, placement.max_height) * placement.canvas
    scale = min(size / max(height, 1e-9), placement.max_width * placement.canvas / max(width, 1e-9))
    margin = placement.pen_width / 2
    room = placement.canvas - 2 * margin - np.array([width, height]) * scale
    offset = margin + rng.uniform(0.0, 1.0, size=2) * np.maximum(room, 0.0)
    placed = []
    for stroke in strokes:
        xy = (stroke - low) * scale + offset
        if placement.round_to_pixels:
            xy = np.round(xy)
            keep = np.concatenate(([True], (np.diff(xy, axis=0) != 0).any(axis=1)))  # mouse sends no repeats
            xy = xy[keep]
        placed.append(xy)
    return Drawing(tuple(placed), placement.canvas, placement.canvas, placement.pen_width)


def place_samples(
    samples: Iterable[PenSample], seed: int = 0, placement: Placement = CANVAS_PLACEMENT
) -> list[Drawing]:
    """Every sample placed with one generator from `seed`: the same drawings on every run."""
    rng = np.random.default_rng(seed)
    return [place(sample.strokes, rng, placement) for sample in samples]
