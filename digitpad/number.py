"""Read a whole number: find the digits in a drawing or an image and read each one.

Segmentation by recognition: `digitpad.segment` lists the runs of strokes (or of an image's ink
blobs) that could be one digit; every run is normalized on its own, exactly as a single digit is
(`drawing_input`), and all of a drawing's runs go to the model in one call; a dynamic programme
then picks the grouping whose digits read best, less the geometric costs of unlikely digits and
boundaries. So a detached top bar of a 5 joins its digit because "5" reads better than "1" plus a
dash, and one digit drawn anywhere gives exactly today's model input and answer.

Runs already read are remembered (by their strokes' points), so after a new stroke only the runs
that contain it are read again: a 10-digit number costs a few renders per stroke, not forty.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from digitpad.images import NOISE_LEVEL
from digitpad.ink import DEFAULT_CANVAS_SIZE, Drawing
from digitpad.normalize import Normalization, normalize
from digitpad.recognizer import Prediction, drawing_input
from digitpad.segment import Box, Layout, layout, points_box

#: The app's canvas is three squares wide, so a number of up to 10 digits fits at a natural size;
#: its height, and so the pen and a single digit's model input, stay as on the square canvas.
CANVAS_WIDTH = 3 * DEFAULT_CANVAS_SIZE
#: How much a digit's log probability counts against the geometric costs: the model is sure of
#: many things that are not digits (two digits squeezed into one frame), so its doubt weighs more.
READING_WEIGHT = 4.0
#: Runs remembered between calls: a 10-digit number has about 40.
CACHE_SIZE = 512
#: A blob of image ink smaller than this share of the largest one is a speck: it joins its
#: nearest neighbour instead of standing for a digit.
SPECK_SHARE = 0.02

#: (left, top, right, bottom) in canvas (or image) pixels, pen included.
BoxTuple = tuple[float, float, float, float]
Predict = Callable[[np.ndarray], "list[Prediction]"]


@dataclass(frozen=True, eq=False)
class DigitReading:
    """One digit of a number: the model's answer, where it is and which pieces of ink it holds."""

    prediction: Prediction
    box: BoxTuple
    pieces: tuple[int, ...]  #: indices of its strokes (drawings) or blobs (images)

    @property
    def digit(self) -> int:
        return self.prediction.digit


@dataclass(frozen=True, eq=False)
class NumberReading:
    """The digits found, left to right; none for a blank page."""

    digits: tuple[DigitReading, ...]

    @property
    def text(self) -> str:
        return "".join(str(d.digit) for d in self.digits)

    @property
    def confident(self) -> bool:
        return all(d.prediction.confident for d in self.digits)


def best_grouping(plan: Layout, scores: dict[tuple[int, int], float], pen: float) -> list[tuple[int, int]]:
    """The runs, left to right, that cover every piece once with the highest total score.

    A run's score is its digit's log probability less `Layout.digit_cost`; each boundary
    between two digits costs `Layout.boundary_cost`. Exact dynamic programme over the last run.
    """
    best: dict[tuple[int, int], tuple[float, tuple[int, int] | None]] = {}
    ending: dict[int, list[tuple[int, int]]] = {}
    for run in sorted(scores, key=lambda r: (r[1], r[0])):
        i, _ = run
        if i == 0:
            best[run] = (scores[run], None)
        else:
            options = [
                (best[prev][0] - plan.boundary_cost(prev, run, pen) + scores[run], prev)
                for prev in ending.get(i, [])
                if prev in best
            ]
            if not options:
                continue
            best[run] = max(options, key=lambda option: option[0])
        ending.setdefault(run[1], []).append(run)
    last = max(ending[len(plan.boxes)], key=lambda run: best[run][0])
    chosen: list[tuple[int, int]] = []
    step: tuple[int, int] | None = last
    while step is not None:
        chosen.append(step)
        step = best[step][1]
    return chosen[::-1]


class NumberReader:
    """Reads numbers with one model; remembers the runs it has read (thread-safe)."""

    def __init__(self, predict: Predict, spec: Normalization) -> None:
        self._predict = predict
        self._spec = spec
        self._cache: OrderedDict[tuple[object, ...], Prediction] = OrderedDict()
        self._lock = threading.Lock()

    def _read_runs(
        self, keys: Sequence[tuple[object, ...]], make_input: Callable[[int], np.ndarray | None]
    ) -> list[Prediction]:
        """A prediction for every run: remembered ones from the cache, the others in one call."""
        with self._lock:
            found: list[Prediction | None] = [self._cache.get(key) for key in keys]
        missing = [k for k, p in enumerate(found) if p is None]
        if missing:
            blank = np.zeros((self._spec.frame, self._spec.frame), np.float32)
            inputs = [make_input(k) for k in missing]
            fresh = self._predict(np.stack([blank if x is None else x for x in inputs]))
            with self._lock:
                for k, prediction in zip(missing, fresh):
                    found[k] = prediction
                    self._cache[keys[k]] = prediction
                    self._cache.move_to_end(keys[k])
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return [p for p in found if p is not None]

    def _read(
        self,
        boxes: Sequence[Box],
        pen: float,
        piece_keys: Sequence[object],
        make_input: Callable[[tuple[int, ...]], np.ndarray | None],
        ink_box: Callable[[tuple[int, ...]], BoxTuple],
    ) -> NumberReading:
        if not boxes:
            return NumberReading(())
        plan = layout(boxes, pen)
        runs = plan.runs()
        pieces = [plan.pieces(i, j) for i, j in runs]
        keys = [tuple(piece_keys[p] for p in group) for group in pieces]
        predictions = self._read_runs(keys, lambda k: make_input(pieces[k]))
        scores, by_run = {}, {}
        for run, prediction in zip(runs, predictions):
            reading = READING_WEIGHT * float(np.log(max(prediction.confidence, 1e-12)))
            scores[run] = reading - plan.digit_cost(*run, pen) - plan.shape_cost(*run, prediction.digit)
            by_run[run] = prediction
        chosen = best_grouping(plan, scores, pen)
        return NumberReading(
            tuple(DigitReading(by_run[run], ink_box(plan.pieces(*run)), plan.pieces(*run)) for run in chosen)
        )

    def read_drawing(self, drawing: Drawing) -> NumberReading:
        """The number in a drawing; each stroke is one piece, and each digit is read as a drawing
        of its own strokes on the same canvas (a single digit: exactly `drawing_input(drawing)`)."""
        if drawing.ink_bounds() is None:
            return NumberReading(())
        limit = np.array([drawing.width, drawing.height], np.float64)
        boxes = [points_box(np.clip(stroke, 0.0, limit)) for stroke in drawing.strokes]
        shape = (drawing.width, drawing.height, drawing.pen_width, self._spec)
        piece_keys = [(shape, stroke.tobytes()) for stroke in drawing.strokes]

        def part(group: tuple[int, ...]) -> Drawing:
            return Drawing(tuple(drawing.strokes[k] for k in group), drawing.width, drawing.height, drawing.pen_width)

        def ink_box(group: tuple[int, ...]) -> BoxTuple:
            bounds = part(group).ink_bounds()
            return bounds if bounds is not None else (0.0, 0.0, 0.0, 0.0)

        return self._read(
            boxes, drawing.pen_width, piece_keys, lambda group: drawing_input(part(group), self._spec), ink_box
        )

    def read_ink(self, ink: np.ndarray) -> NumberReading:
        """The number in an image's ink (float (H, W) in [0, 1], 0 = background, as
        `digitpad.images.ink_image` gives); each blob of touching ink is one piece."""
        labels, count = blobs(ink > NOISE_LEVEL)
        if not count:
            return NumberReading(())
        labels, count = absorb_specks(labels, count)
        boxes = []
        for k in range(count):
            rows, cols = np.nonzero(labels == k + 1)
            boxes.append(Box(float(cols.min()), float(rows.min()), float(cols.max() + 1), float(rows.max() + 1)))
        fingerprint = (ink.shape, hashlib.blake2b(np.ascontiguousarray(ink).tobytes()).digest(), self._spec)

        def masked(group: tuple[int, ...]) -> np.ndarray:
            return np.where(np.isin(labels, [k + 1 for k in group]), ink, 0.0).astype(np.float32)

        def make_input(group: tuple[int, ...]) -> np.ndarray | None:
            box = boxes[group[0]]
            for k in group[1:]:
                box = box.union(boxes[k])
            return normalize(masked(group), (box.x0, box.y0, box.x1, box.y1), self._spec)

        def ink_box(group: tuple[int, ...]) -> BoxTuple:
            box = boxes[group[0]]
            for k in group[1:]:
                box = box.union(boxes[k])
            return box.x0, box.y0, box.x1, box.y1

        return self._read(boxes, 1.0, [(fingerprint, k) for k in range(count)], make_input, ink_box)


def blobs(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Label the 8-connected blobs of a boolean image: (int32 labels, 0 = none, 1..count; count).

    Union-find over each row's runs of ink, in numpy and plain Python: scipy.ndimage.label would
    do it, but scipy would add tens of megabytes to the app for these few lines.
    """
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), bool)
    padded[:, 1:-1] = mask
    edges = np.diff(padded.astype(np.int8), axis=1)
    run_rows, run_starts = np.nonzero(edges == 1)
    _, run_ends = np.nonzero(edges == -1)  # both in row-major order, so they pair up
    parent = list(range(len(run_rows)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    row_first = np.searchsorted(run_rows, np.arange(mask.shape[0] + 1))
    for row in range(1, mask.shape[0]):
        above = range(row_first[row - 1], row_first[row])
        for k in range(row_first[row], row_first[row + 1]):
            for a in above:  # 8-connected: runs touch when they overlap by a diagonal step
                if run_starts[a] <= run_ends[k] and run_starts[k] <= run_ends[a]:
                    ra, rk = root(a), root(k)
                    if ra != rk:
                        parent[max(ra, rk)] = min(ra, rk)
    roots = [root(k) for k in range(len(parent))]
    names = {r: n + 1 for n, r in enumerate(sorted(set(roots)))}
    labels = np.zeros(mask.shape, np.int32)
    for k, r in enumerate(roots):
        labels[run_rows[k], run_starts[k] : run_ends[k]] = names[r]
    return labels, len(names)


def absorb_specks(labels: np.ndarray, count: int) -> tuple[np.ndarray, int]:
    """Give each speck (a blob under SPECK_SHARE of the largest) to the nearest real blob, by
    horizontal distance, so that every bit of ink still belongs to some digit."""
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    real = np.flatnonzero(sizes >= SPECK_SHARE * sizes.max())
    if len(real) == count:
        return labels, count
    cols = [np.nonzero(labels == k + 1)[1] for k in range(count)]
    middles = np.array([(c.min() + c.max()) / 2 for c in cols])
    target = np.zeros(count + 1, np.int32)
    target[real + 1] = np.arange(1, len(real) + 1)
    for k in np.setdiff1d(np.arange(count), real):
        target[k + 1] = target[real[np.argmin(np.abs(middles[real] - middles[k]))] + 1]
    return target[labels], len(real)
