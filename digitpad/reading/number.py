"""Read a whole number: find the digits in a drawing or an image and read each one.

Segmentation by recognition: `digitpad.reading.segment` lists the runs of strokes (or of an image's ink
blobs) that could be one digit; every run is normalized on its own, exactly as a single digit is
(`drawing_input`), and all of a drawing's runs go to the model in one call; a dynamic programme
then picks the grouping whose digits read best, less the geometric costs of unlikely digits and
boundaries. So a detached top bar of a 5 joins its digit because "5" reads better than "1" plus a
dash, and one digit drawn anywhere gives exactly today's model input and answer.

Runs already read are remembered (by their strokes' points), so after a new stroke only the runs
that contain it are read again: a 10-digit number costs a few renders per stroke, not forty.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from digitpad.errors import DrawingError, ImageFileError
from digitpad.ink.drawing import Drawing
from digitpad.ink.image_ink import NOISE_LEVEL
from digitpad.ink.model_input import drawing_input
from digitpad.ink.normalize import SUPERSAMPLING, Normalization, ink_bounds, normalize
from digitpad.reading.prediction import Prediction
from digitpad.reading.segment import Layout, image_pieces, layout, points_box

#: How much a digit's log probability counts against the geometric costs: the model is sure of
#: many things that are not digits (two digits squeezed into one frame), so its doubt weighs more.
READING_WEIGHT = 4.0
#: Runs remembered between calls: a 10-digit number has about 40.
CACHE_SIZE = 512
#: More pieces than this (strokes or blobs; a 10-digit number takes about 15-40) are read as one
#: digit, as before numbers were read: the runs to render grow with the pieces, and a file with
#: thousands of strokes must not take minutes.
MAX_NUMBER_PIECES = 80
#: The budget of a whole drawing read as a number, checked before any run is rendered: pen
#: segment ends (the points of each run's strokes, plus the splits of long segments) summed over
#: every run, since each stroke is rendered once for each run that holds it, scaled up to the
#: digit box on its own. 80 stacked tiny spirals once took 250 s; within this, about a second.
MAX_NUMBER_POINTS = 500_000
#: The same for pixels: an image's run boxes (each run's ink is cut out and normalized), or the
#: canvas of each run for a model that reads the canvas raster. 80 nested rings once took 15 s.
MAX_NUMBER_PIXELS = 40_000_000
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

    @property
    def single(self) -> Prediction | None:
        """The answer when exactly one digit was found (what a digit reader gave before numbers were read)."""
        return self.digits[0].prediction if len(self.digits) == 1 else None


def best_grouping(plan: Layout, scores: dict[tuple[int, int], float], pen: float) -> list[tuple[int, int]]:
    """The runs, left to right, that cover every piece once with the highest total score.

    A run's score is its digit's log probability less `Layout.digit_cost`; each boundary
    between two digits costs `Layout.boundary_cost`. Exact dynamic programme over the last run.
    """
    found = _best_grouping(plan, scores, pen)
    assert found is not None, "the runs cover no grouping of the pieces"
    return found[1]


def _best_grouping(
    plan: Layout, scores: dict[tuple[int, int], float], pen: float
) -> tuple[float, list[tuple[int, int]]] | None:
    """(total score, runs) of the best grouping the scored runs allow; None if they cover none."""
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
    complete = [run for run in ending.get(len(plan.boxes), []) if run in best]
    if not complete:
        return None
    last = max(complete, key=lambda run: best[run][0])
    chosen: list[tuple[int, int]] = []
    step: tuple[int, int] | None = last
    while step is not None:
        chosen.append(step)
        step = best[step][1]
    return best[last][0], chosen[::-1]


def run_score(plan: Layout, run: tuple[int, int], prediction: Prediction, pen: float) -> float:
    """How well the run reads as one digit: its log probability, weighted, less the geometric costs."""
    probabilities = prediction.probabilities
    digit = int(probabilities.argmax())
    reading = READING_WEIGHT * float(np.log(max(float(probabilities[digit]), 1e-12)))
    return reading - plan.digit_cost(*run, pen) - plan.shape_cost(*run, digit)


def split_ceiling(plan: Layout, runs: Sequence[tuple[int, int]], pen: float) -> float:
    """The most any reading of two digits or more can score, whatever the model says of them.

    Each digit's weighted log probability is at most 0 and its shape cost at least 0, so no split
    beats the best grouping of the runs scored by their geometric costs alone. A reading of all
    the ink as one digit that scores above this is the best reading, without reading the others.
    """
    whole = (0, len(plan.boxes))
    scores = {run: -plan.digit_cost(*run, pen) for run in runs if run != whole}
    found = _best_grouping(plan, scores, pen) if scores else None
    return -math.inf if found is None else found[0]


@dataclass(frozen=True, eq=False)
class Candidates:
    """A page's pieces and the runs worth reading, with each run's model input: everything needed
    to pick the number once the model has read the inputs. Plain data, so worker processes can
    make it (`digitpad classify`)."""

    plan: Layout
    pen: float  #: the ink's line width, the smallest width that counts
    runs: tuple[tuple[int, int], ...]
    inputs: np.ndarray  #: float32 (len(runs), 28, 28)
    size: tuple[int, int]  #: the canvas (or image) width and height: boxes end there
    #: Set when only the run of all the ink was rendered (`whole_first_candidates`): its reading
    #: settles the number when it scores above this (`split_ceiling`); else every run must be read.
    ceiling: float | None = None

    def ink_box(self, run: tuple[int, int]) -> BoxTuple:
        """The run's ink, pen included, within the canvas: `Drawing.ink_bounds` of its strokes."""
        box, radius = self.plan.box(*run), self.pen / 2 if self.pen > 1 else 0.0
        width, height = self.size
        return (
            max(box.x0 - radius, 0.0),
            max(box.y0 - radius, 0.0),
            min(box.x1 + radius, float(width)),
            min(box.y1 + radius, float(height)),
        )


def choose(candidates: Candidates, predictions: Sequence[Prediction]) -> NumberReading:
    """The number that reads best, given the model's answer for every candidate run."""
    plan, pen = candidates.plan, candidates.pen
    if not candidates.runs:
        return NumberReading(())
    scores = {run: run_score(plan, run, prediction, pen) for run, prediction in zip(candidates.runs, predictions)}
    found = dict(zip(candidates.runs, predictions))
    chosen = best_grouping(plan, scores, pen)
    return NumberReading(tuple(DigitReading(found[r], candidates.ink_box(r), plan.pieces(*r)) for r in chosen))


def decide(candidates: Candidates, predictions: Sequence[Prediction]) -> NumberReading | None:
    """`choose`, or None when the candidates hold only the whole page's run and its reading does not
    settle the number (then `drawing_candidates` must render every run)."""
    if candidates.ceiling is None:
        return choose(candidates, predictions)
    (whole,), (prediction,) = candidates.runs, predictions
    if run_score(candidates.plan, whole, prediction, candidates.pen) <= candidates.ceiling:
        return None
    return NumberReading((DigitReading(prediction, candidates.ink_box(whole), candidates.plan.pieces(*whole)),))


def _runs(plan: Layout) -> list[tuple[int, int]]:
    pieces = len(plan.boxes)
    return plan.runs() if pieces <= MAX_NUMBER_PIECES else [(0, pieces)]


def _drawing_plan(drawing: Drawing) -> tuple[Layout, list[tuple[int, int]]]:
    limit = np.array([drawing.width, drawing.height], np.float64)
    plan = layout([points_box(np.clip(stroke, 0.0, limit)) for stroke in drawing.strokes], drawing.pen_width)
    return plan, (_runs(plan) if drawing.ink_bounds() is not None else [])


def _check_drawing_budget(drawing: Drawing, plan: Layout, runs: list[tuple[int, int]], spec: Normalization) -> None:
    """Raise DrawingError ("too complex") if rendering every run would pass the budget: an upper
    bound of the pen segments (every point an end, every long stretch split) in each run's scale.
    Called before every run is rendered (not before the run of all the ink alone: one rendering)."""
    if len(runs) < 2:
        return
    if spec.pen <= 0:  # each run is rasterized on the whole canvas
        pixels = len(runs) * drawing.width * drawing.height
        if pixels > MAX_NUMBER_PIXELS:
            raise DrawingError(f"the drawing is too complex to read as a number: its {len(runs):,} runs of strokes "
                               f"would render {pixels:,} canvas pixels; at most {MAX_NUMBER_PIXELS:,}")
        return
    limit = np.array([drawing.width, drawing.height], np.float64)
    clipped = [np.clip(stroke, 0.0, limit) for stroke in drawing.strokes]
    points = np.array([len(stroke) for stroke in clipped], np.float64)
    lengths = np.array([float(np.hypot(*np.diff(stroke, axis=0).T).sum()) for stroke in clipped])
    split = max(spec.pen * SUPERSAMPLING / 2, 2.0)  # the longest segment `segments` keeps whole
    total = 0.0
    for run in runs:
        pieces = list(plan.pieces(*run))
        box = plan.box(*run)
        longer = max(box.width, box.height)
        scale = (spec.box - spec.pen) * SUPERSAMPLING / longer if longer > 0 else 1.0
        total += points[pieces].sum() + lengths[pieces].sum() * scale / split
    if total > MAX_NUMBER_POINTS:
        raise DrawingError(f"the drawing is too complex to read as a number: its {len(runs):,} runs of strokes "
                           f"would render about {total:,.0f} pen segments; at most {MAX_NUMBER_POINTS:,}")


def _check_ink_budget(plan: Layout, runs: list[tuple[int, int]], size: int) -> None:
    """Raise ImageFileError ("too complex") if cutting out every run's ink would pass the pixel budget."""
    if len(runs) <= 1:
        return
    pixels = sum(size if j - i == len(plan.boxes) else plan.box(i, j).width * plan.box(i, j).height
                 for i, j in runs)
    if pixels > MAX_NUMBER_PIXELS:
        raise ImageFileError(f"the image is too complex to read as a number: its {len(runs):,} runs of ink blobs "
                             f"would take {pixels:,.0f} pixels to read; at most {MAX_NUMBER_PIXELS:,}")


def _part(drawing: Drawing, pieces: tuple[int, ...]) -> Drawing:
    """The drawing of some of the strokes, on the same canvas, in drawing order."""
    if len(pieces) == len(drawing.strokes):  # all of them (pieces are distinct): no new Drawing to validate
        return drawing
    return Drawing(tuple(drawing.strokes[k] for k in pieces), drawing.width, drawing.height, drawing.pen_width)


def _input(model_input: np.ndarray | None, spec: Normalization) -> np.ndarray:
    return np.zeros((spec.frame, spec.frame), np.float32) if model_input is None else model_input


def whole_first_candidates(drawing: Drawing, spec: Normalization) -> Candidates:
    """`drawing_candidates`, except that a page of several strokes that may all be one digit has
    only that run rendered, to be read first (`decide`): most such pages are one digit, and a
    digit of two strokes costs one rendering instead of three (`digitpad classify`)."""
    plan, runs = _drawing_plan(drawing)
    whole = (0, len(plan.boxes))
    if len(runs) < 2 or whole not in runs:
        return drawing_candidates(drawing, spec, (plan, runs))
    inputs = np.array([_input(drawing_input(drawing, spec), spec)], np.float32)
    ceiling = split_ceiling(plan, runs, drawing.pen_width)
    return Candidates(plan, drawing.pen_width, (whole,), inputs, (drawing.width, drawing.height), ceiling)


def drawing_candidates(
    drawing: Drawing, spec: Normalization, planned: tuple[Layout, list[tuple[int, int]]] | None = None
) -> Candidates:
    """Each stroke is a piece; each run is read as a drawing of its own strokes on the same canvas,
    so a one-digit reading gets exactly `drawing_input(drawing)`. (`planned`: its plan and runs, if made.)"""
    plan, runs = planned or _drawing_plan(drawing)
    _check_drawing_budget(drawing, plan, runs, spec)
    parts = [_part(drawing, plan.pieces(*run)) for run in runs]
    inputs = np.array([_input(drawing_input(part, spec), spec) for part in parts], np.float32)
    return Candidates(plan, drawing.pen_width, tuple(runs), inputs, (drawing.width, drawing.height))


def ink_candidates(ink: np.ndarray, spec: Normalization) -> Candidates:
    """Each blob of touching ink is a piece (specks join their neighbour); each run is normalized
    as an image of its own blobs (a one-digit reading: exactly `image_input`'s normalization).
    Call it on ink of bounded size (`MAX_IMAGE_PIXELS`): its time grows with the ink's row runs."""
    labels, boxes = image_pieces(ink > 0)
    plan = layout(boxes, 1.0)
    runs = _runs(plan)
    _check_ink_budget(plan, runs, ink.size)
    inputs = []
    for i, j in runs:
        if j - i == len(boxes):  # all the ink: exactly as `image_input` reads it
            bounds, part = ink_bounds(ink, NOISE_LEVEL), ink
        else:  # only the run's box is looked at: less work for many runs on a large image
            box = plan.box(i, j)
            x0, y0, x1, y1 = int(box.x0), int(box.y0), int(box.x1), int(box.y1)
            member = np.zeros(len(boxes) + 1, bool)  # a lookup table: np.isin sorts, at 30 ns a pixel
            member[[k + 1 for k in plan.pieces(i, j)]] = True
            inside = member[labels[y0:y1, x0:x1]]
            part = np.where(inside, ink[y0:y1, x0:x1], 0.0).astype(np.float32)
            bounds = ink_bounds(part, NOISE_LEVEL)
        blank = np.zeros((spec.frame, spec.frame), np.float32)
        inputs.append(blank if bounds is None else normalize(part, bounds, spec))
    frames = np.array(inputs, np.float32).reshape(-1, spec.frame, spec.frame)
    return Candidates(plan, 0.0, tuple(runs), frames, (ink.shape[1], ink.shape[0]))


class NumberReader:
    """Reads numbers with one model, and remembers the runs of strokes it has read, so that after
    a new stroke only the runs that hold it are rendered and read (thread-safe)."""

    def __init__(self, predict: Predict, spec: Normalization) -> None:
        self._predict = predict
        self._spec = spec
        self._cache: OrderedDict[tuple[object, ...], Prediction] = OrderedDict()
        self._lock = threading.Lock()

    def read_drawing(self, drawing: Drawing, raster: np.ndarray | None = None) -> NumberReading:
        """The number in a drawing: `choose(drawing_candidates(...))`, rendering only new runs.

        `raster` may pass in `rasterize(drawing)` when the caller keeps it (the app does, for a
        model that reads the canvas raster): the run of all the strokes then need not render it."""
        plan, runs = _drawing_plan(drawing)
        if not runs:
            return NumberReading(())
        canvas = (drawing.width, drawing.height, drawing.pen_width, self._spec)
        stroke_keys = [stroke.tobytes() for stroke in drawing.strokes]
        keys = [(canvas, *(stroke_keys[k] for k in plan.pieces(*run))) for run in runs]
        with self._lock:
            found: list[Prediction | None] = [self._cache.get(key) for key in keys]
        missing = [k for k, prediction in enumerate(found) if prediction is None]
        _check_drawing_budget(drawing, plan, [runs[k] for k in missing], self._spec)  # the runs to render now
        if missing:
            inputs = []
            for k in missing:
                part = _part(drawing, plan.pieces(*runs[k]))
                whole = raster if len(part.strokes) == len(drawing.strokes) else None
                inputs.append(_input(drawing_input(part, self._spec, whole), self._spec))
            with self._lock:
                for k, prediction in zip(missing, self._predict(np.array(inputs))):
                    found[k] = prediction
                    self._cache[keys[k]] = prediction
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        predictions = [p for p in found if p is not None]
        empty = np.zeros((0, self._spec.frame, self._spec.frame), np.float32)
        return choose(
            Candidates(plan, drawing.pen_width, tuple(runs), empty, (drawing.width, drawing.height)), predictions
        )

    def read_ink(self, ink: np.ndarray) -> NumberReading:
        """The number in an image's ink (float (H, W) in [0, 1], 0 = background, as
        `digitpad.ink.image_ink.luminance_to_ink` gives it)."""
        candidates = ink_candidates(ink, self._spec)
        return choose(candidates, self._predict(candidates.inputs) if candidates.runs else [])


