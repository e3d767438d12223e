"""UNIPEN pen-drawn digits: read the jsonl file and split it by writer.

Each sample is one isolated digit written with a pen on a digitizing tablet (UNIPEN train_r01_v07,
category 1a, CC BY 4.0; Guyon et al., ICPR 1994, DOI 10.5281/zenodo.1195803). Writers are only
unique within a donor institution, so every split keys on (donor, writer): a model must never be
judged on a writer whose other digits it was trained on.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.errors import DigitpadError

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
