"""Which strokes could make up one digit: geometry only, no model.

A number is written left to right, so the pieces of ink (strokes of a drawing, connected
components of an image) are put in reading order by their horizontal middle, and a digit is a
run of consecutive pieces. This module lists the runs worth reading and scores how plausible each
is as one digit, and each boundary as a gap between two digits, from the pieces' boxes alone; the
model's probabilities then decide among the groupings (`digitpad.reading.number`).

All lengths are relative to the ink's height, so the same rules hold for any canvas or writing size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

#: At most this many pieces make one digit (a 4 or 5 takes two or three strokes; a few writers use four).
MAX_PIECES = 4
#: A run whose ink is wider than this many ink heights is never read as one digit.
MAX_DIGIT_WIDTH = 2.2
#: Costs, in nats (the units of the digits' log probabilities), of what rarely happens inside a digit
#: or between two digits. Tuned on composed numbers (`python -m training evaluate-numbers`).
CLEAN_CUT_COST = 3.0  #: a run that a vertical line can cut without touching ink (rare inside one digit)
CUT_FULL = 0.3  #: the cut costs all of CLEAN_CUT_COST from this gap on (a fraction of the narrower side)
GAP_INSIDE_COST = 30.0  #: and per ink height of that clear horizontal gap
OVERLAP_COST = 12.0  #: per unit of two digits' horizontal overlap beyond OVERLAP_FREE of the narrower one
OVERLAP_FREE = 0.5  #: neighbouring digits' boxes may overlap this much of the narrower one at no cost
SHORT_COST = 20.0  #: per ink height that a digit falls short of SHORT_DIGIT (a dash, a dot, a bar)
SHORT_DIGIT = 0.35  #: digits are at least this tall, in typical digit heights
FLOAT_COST = 80.0  #: per ink height a digit's bottom sits above the line's bottom, past FLOAT_FREE
FLOAT_FREE = 0.15  #: digits sit on one baseline: the 4's first stroke alone does not
NEAR = 1.0  #: the baseline near a digit is that of the ink within this many ink heights
WIDE_COST = 6.0  #: per ink height a digit is wider than WIDE_DIGIT
WIDE_DIGIT = 1.0
CROWD_COST = 7.0  #: per typical piece width a digit is wider than CROWD_WIDTH of them (4+ pieces)
CROWD_WIDTH = 1.2
CROWD_PIECES = 4  #: only among this many pieces or more is the median piece a typical digit
DIGIT_COST = 0.3  #: every digit beyond the first: one digit is the simplest reading
#: Each digit's usual shape: mean and standard deviation of log(width / height) of its points, over
#: the 8,385 UNIPEN dev-set pen digits. Two digits read as one are much wider than that digit is.
DIGIT_ASPECT = (
    (-0.085, 0.331),
    (-1.208, 0.733),
    (-0.022, 0.261),
    (-0.322, 0.290),
    (-0.308, 0.259),
    (-0.162, 0.285),
    (-0.503, 0.262),
    (-0.223, 0.307),
    (-0.386, 0.266),
    (-0.500, 0.257),
)
ASPECT_COST = 3.0  #: times half the square of how many deviations past one a digit is too wide


@dataclass(frozen=True)
class Box:
    """A piece's extent: x0 <= x1, y0 <= y1 (points only, the pen's width not included)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def middle(self) -> float:
        return (self.x0 + self.x1) / 2

    def union(self, other: Box) -> Box:
        return Box(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))


def points_box(points: np.ndarray) -> Box:
    low, high = points.min(axis=0), points.max(axis=0)
    return Box(float(low[0]), float(low[1]), float(high[0]), float(high[1]))


@dataclass(frozen=True)
class Layout:
    """The pieces in reading order, and what is known about each run of them.

    `order[k]` is the index (in the caller's list) of the k-th piece from the left. A run is a
    half-open range (i, j) of positions in that order.
    """

    boxes: tuple[Box, ...]  #: in reading order
    order: tuple[int, ...]
    height: float  #: the ink's height (at least the pen width), the unit of every rule here
    digit_height: float  #: a typical digit's height: the pieces' median, within half to all the ink's height
    piece_width: float = 1.0  #: a typical piece's width: the pieces' median (at least the pen width)
    _unions: dict[tuple[int, int], Box] = field(default_factory=dict, compare=False, repr=False)
    _edges: np.ndarray = field(init=False, compare=False, repr=False)  #: (4, n): x0, x1, y1, middle

    def __post_init__(self) -> None:
        edges = np.array([[b.x0, b.x1, b.y1, b.middle] for b in self.boxes], np.float64).reshape(-1, 4).T
        object.__setattr__(self, "_edges", edges)

    def box(self, i: int, j: int) -> Box:
        """The box around the run's pieces (remembered: every rule asks for it)."""
        box = self._unions.get((i, j))
        if box is None:
            box = self.boxes[i]
            for other in self.boxes[i + 1 : j]:
                box = box.union(other)
            self._unions[(i, j)] = box
        return box

    def pieces(self, i: int, j: int) -> tuple[int, ...]:
        """The caller's indices of the run's pieces, in the caller's (drawing) order."""
        return tuple(sorted(self.order[i:j]))

    def cleanest_cut(self, i: int, j: int, pen: float) -> tuple[float, float]:
        """The vertical cut through the run that touches least ink: (its gap in ink heights,
        its gap as a fraction of the narrower side's width); both negative when the sides overlap."""
        x0, x1 = self._edges[0, i:j], self._edges[1, i:j]
        left_low, left_high = np.minimum.accumulate(x0)[:-1], np.maximum.accumulate(x1)[:-1]
        right_low = np.minimum.accumulate(x0[::-1])[::-1][1:]
        right_high = np.maximum.accumulate(x1[::-1])[::-1][1:]
        gaps = right_low - left_high
        narrower = np.maximum(np.minimum(left_high - left_low, right_high - right_low), pen)
        best = int(np.argmax(gaps / narrower))
        return float(gaps[best]) / self.height, float(gaps[best] / narrower[best])

    def digit_cost(self, i: int, j: int, pen: float = 0.0) -> float:
        """How unlike one digit the run looks (>= 0): a cut that (nearly) clears its ink, too
        short, too wide. The pieces of one digit cross or overlap a lot; neighbouring digits do not."""
        box = self.box(i, j)
        cost = 0.0
        if j - i > 1:
            gap, share = self.cleanest_cut(i, j, pen)
            cost += CLEAN_CUT_COST * min(max((share + OVERLAP_FREE) / (OVERLAP_FREE + CUT_FULL), 0.0), 1.0)
            cost += GAP_INSIDE_COST * max(gap, 0.0)
        cost += SHORT_COST * max(SHORT_DIGIT - box.height / self.digit_height, 0.0)
        cost += FLOAT_COST * max((self.local_bottom(box) - box.y1) / self.height - FLOAT_FREE, 0.0)
        cost += WIDE_COST * max(box.width / self.height - WIDE_DIGIT, 0.0)
        if len(self.boxes) >= CROWD_PIECES:
            cost += CROWD_COST * max(box.width / self.piece_width - CROWD_WIDTH, 0.0)
        return cost

    def local_bottom(self, box: Box) -> float:
        """The line the digits near `box` sit on: the lowest ink within NEAR ink heights of its middle,
        so that a number written slightly uphill keeps its baseline."""
        x0, x1, bottom, middle = self._edges
        near = (np.abs(middle - box.middle) <= NEAR * self.height) | ((x0 <= box.middle) & (box.middle <= x1))
        return float(bottom[near].max(initial=box.y1))

    def shape_cost(self, i: int, j: int, digit: int) -> float:
        """How much wider the run is than `digit` usually is (>= 0)."""
        box = self.box(i, j)
        mean, deviation = DIGIT_ASPECT[digit]
        excess = (np.log(max(box.width, 1e-9) / max(box.height, 1e-9)) - mean) / deviation - 1.0
        return ASPECT_COST * max(float(excess), 0.0) ** 2 / 2

    def boundary_cost(self, left: tuple[int, int], right: tuple[int, int], pen: float) -> float:
        """How unlike two neighbouring digits the runs look (>= 0): how far they overlap."""
        a, b = self.box(*left), self.box(*right)
        overlap = a.x1 - b.x0
        if overlap <= 0:
            return DIGIT_COST
        narrower = max(min(a.width, b.width), pen)
        return DIGIT_COST + OVERLAP_COST * max(overlap / narrower - OVERLAP_FREE, 0.0)

    def runs(self) -> list[tuple[int, int]]:
        """Every run that may be one digit: up to MAX_PIECES pieces, not too wide."""
        found = []
        for i in range(len(self.boxes)):
            for j in range(i + 1, min(i + MAX_PIECES, len(self.boxes)) + 1):
                if j - i > 1 and self.box(i, j).width > MAX_DIGIT_WIDTH * self.height:
                    break
                found.append((i, j))
        return found


def layout(boxes: Sequence[Box], pen: float = 0.0) -> Layout:
    """The pieces' layout; `pen` (the ink's line width) is the smallest height and width that counts."""
    order = tuple(sorted(range(len(boxes)), key=lambda k: (boxes[k].middle, k)))
    if boxes:
        height = max(b.y1 for b in boxes) - min(b.y0 for b in boxes)
    else:
        height = 0.0
    height = max(height, pen, 1e-9)
    typical = float(np.median([b.height for b in boxes])) if boxes else height
    typical = min(max(typical, height / 2), height)
    piece_width = max(float(np.median([b.width for b in boxes])) if boxes else 0.0, pen, 1e-9)
    return Layout(tuple(boxes[k] for k in order), order, height, typical, piece_width)


#: A blob of image ink smaller than this share of the largest one is a speck: it joins its
#: nearest neighbour instead of standing for a digit.
SPECK_SHARE = 0.02
#: Blobs are found on a copy of the ink at most this many pixels wide and high (one pixel per
#: block of ink), so that a large or noisy photo cannot take long; ink in one block stays together.
BLOB_RESOLUTION = 1024


def image_pieces(mask: np.ndarray) -> tuple[np.ndarray, list[Box]]:
    """The blobs of an image's ink (specks given to their neighbours): full-size int32 labels
    (0 = none, k + 1 = piece k) and each piece's box. Found on a copy at most BLOB_RESOLUTION
    pixels wide and high (one pixel per block of ink), so a large or noisy photo cannot take long;
    the boxes are the blocks' (a little larger than the ink), the labels are the ink's own pixels."""
    factor = max(-(-max(mask.shape) // BLOB_RESOLUTION), 1)
    height, width = -(-mask.shape[0] // factor), -(-mask.shape[1] // factor)
    padded = np.zeros((height * factor, width * factor), bool)
    padded[: mask.shape[0], : mask.shape[1]] = mask
    small = np.asarray(padded.reshape(height, factor, width, factor).any(axis=(1, 3)))
    labels, count = blobs(small)
    if count:
        labels, count = absorb_specks(labels, count)
    rows, cols = np.nonzero(labels)
    piece = labels[rows, cols] - 1
    low = np.full((2, count), np.iinfo(np.int64).max)
    high = np.full((2, count), -1)
    for axis, where in enumerate((cols, rows)):
        np.minimum.at(low[axis], piece, where)
        np.maximum.at(high[axis], piece, where)
    limit = (mask.shape[1], mask.shape[0])
    boxes = [
        Box(
            float(low[0, k] * factor),
            float(low[1, k] * factor),
            float(min((high[0, k] + 1) * factor, limit[0])),
            float(min((high[1, k] + 1) * factor, limit[1])),
        )
        for k in range(count)
    ]
    if factor > 1:
        rows_index, cols_index = np.arange(mask.shape[0]) // factor, np.arange(mask.shape[1]) // factor
        labels = np.where(mask, labels[rows_index[:, None], cols_index[None, :]], 0).astype(np.int32)
    return labels, boxes


def blobs(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Label the 8-connected blobs of a boolean image: (int32 labels, 0 = none, 1..count; count).

    Union-find over each row's runs of ink, merged row by row: linear in the number of runs.
    scipy.ndimage.label would do it, but scipy would add tens of megabytes to the app for this.
    """
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), bool)
    padded[:, 1:-1] = mask
    edges = np.diff(padded.astype(np.int8), axis=1)
    run_rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)  # both row-major, so they pair up; ends are exclusive
    run_rows, starts, ends = run_rows.tolist(), starts.tolist(), ends.tolist()
    parent = list(range(len(run_rows)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    first = np.searchsorted(run_rows, np.arange(mask.shape[0] + 1)).tolist()
    for row in range(1, mask.shape[0]):
        a, above_end = first[row - 1], first[row]
        for k in range(first[row], first[row + 1]):
            while a < above_end and ends[a] < starts[k]:  # wholly left of run k (diagonals touch)
                a += 1
            b = a
            while b < above_end and starts[b] <= ends[k]:
                ra, rk = root(b), root(k)
                if ra != rk:
                    parent[max(ra, rk)] = min(ra, rk)
                b += 1
    roots = [root(k) for k in range(len(parent))]
    names = {r: n + 1 for n, r in enumerate(sorted(set(roots)))}
    labels = np.zeros(mask.shape, np.int32)
    for k, r in enumerate(roots):
        labels[run_rows[k], starts[k] : ends[k]] = names[r]
    return labels, len(names)


def absorb_specks(labels: np.ndarray, count: int) -> tuple[np.ndarray, int]:
    """Give each speck (a blob under SPECK_SHARE of the largest) to the nearest real blob, by
    horizontal distance, so that every bit of ink still belongs to some digit."""
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    real = np.flatnonzero(sizes >= SPECK_SHARE * sizes.max())
    if len(real) == count:
        return labels, count
    _, cols = np.nonzero(labels)
    piece = labels[labels > 0] - 1  # row-major, as np.nonzero
    left = np.full(count, np.iinfo(np.int64).max)
    right = np.full(count, -1)
    np.minimum.at(left, piece, cols)
    np.maximum.at(right, piece, cols)
    middles = (left + right) / 2
    target = np.zeros(count + 1, np.int32)
    target[real + 1] = np.arange(1, len(real) + 1)
    for k in np.setdiff1d(np.arange(count), real):
        target[k + 1] = target[real[np.argmin(np.abs(middles[real] - middles[k]))] + 1]
    return target[labels], len(real)
