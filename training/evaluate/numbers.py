"""How well are whole numbers read? Numbers composed from each writer's own pen digits.

For every writer, the writer's digits are shuffled and cut into numbers of 2-10 digits (one
writer per number), laid out left to right as that writer wrote them: the digits keep their
relative sizes, sit on a baseline with a little jitter, and are spaced as people space digits:
mostly apart, sometimes touching, sometimes with boxes that overlap a little. Each number is
placed on the app's wide canvas (height 35-85 % of the canvas, shrunk to fit its width), and read
by the app's own `Recognizer.read_number`. Single digits are read the same way, placed anywhere on
the wide canvas, to measure how often one digit is split.

Writer-disjoint like `evaluate-drawings`: `--fold-models M0..M4` has model k read only the
writers of fold k (the folds of `training.unipen.writer_folds`). A model trained on these writers
(the shipped one saw every dev writer) gives optimistic figures: the report says so.

    python -m training evaluate-numbers [FILE] [--model M | --fold-models M0 ...] [--rounds R]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.files import write_text_atomically
from digitpad.ink.drawing import CANVAS_WIDTH, DEFAULT_CANVAS_SIZE, DEFAULT_PEN_WIDTH, Drawing
from digitpad.ink.raster import rasterize
from digitpad.model.choice import shipped_model_path
from digitpad.model.classifier import Classifier
from digitpad.reading.number import NumberReading
from digitpad.reading.recognizer import Recognizer
from training import unipen
from training.evaluate.drawings import add_data_and_model_arguments, canvas_thumbnail, save_captioned_mosaic
from training.unipen import CANVAS_PLACEMENT, place

MIN_LENGTH, MAX_LENGTH = 2, 10


@dataclass(frozen=True)
class Spacing:
    """Gaps between neighbouring digits' boxes, in the writer's digit heights (negative: overlap)."""

    tight_share: float = 0.15  #: digits that nearly touch: gap 0 to `tight`
    tight: float = 0.06
    overlap_share: float = 0.10  #: boxes that overlap by up to `overlap` (and a third of the narrower)
    overlap: float = 0.10
    normal: tuple[float, float] = (0.06, 0.45)  #: the rest
    baseline_jitter: float = 0.04  #: standard deviation of each digit's bottom
    slope: float = 0.05  #: the baseline climbs or falls by up to this much per digit height of width

    def gap(self, rng: np.random.Generator, narrower: float) -> float:
        kind = rng.uniform()
        if kind < self.overlap_share:
            return -min(rng.uniform(0.0, self.overlap), narrower / 3)
        if kind < self.overlap_share + self.tight_share:
            return float(rng.uniform(0.0, self.tight))
        return float(rng.uniform(*self.normal))


SPACING = Spacing()


def writer_sizes(samples: Sequence[unipen.PenSample]) -> list[tuple[np.ndarray, ...]]:
    """A writer's digits in one unit (the writer's median digit height = 1), relative sizes kept.

    Some donors recorded a writer's digits in two units (IBM: about 70x apart); each digit is
    measured against the digits recorded in its own unit (those within 8x of its height).
    """
    heights = np.array([max(float(np.ptp(np.concatenate(s.strokes)[:, 1])), 1e-9) for s in samples])
    scaled = []
    for sample, height in zip(samples, heights):
        alike = heights[(heights > height / 8) & (heights < height * 8)]
        unit = float(np.median(alike))
        scaled.append(tuple(stroke / unit for stroke in sample.strokes))
    return scaled


def compose(digits: Sequence[tuple[np.ndarray, ...]], rng: np.random.Generator, spacing: Spacing = SPACING) -> Drawing:
    """A number on the app's canvas from one writer's digits, each in the writer's digit heights."""
    strokes: list[np.ndarray] = []
    cursor = 0.0
    previous_width = 0.0
    slope = rng.uniform(-spacing.slope, spacing.slope)
    for index, digit in enumerate(digits):
        points = np.concatenate(digit)
        low, high = points.min(axis=0), points.max(axis=0)
        width = float(high[0] - low[0])
        if index:
            cursor += spacing.gap(rng, max(min(width, previous_width), 0.05))
        bottom = rng.normal(0.0, spacing.baseline_jitter) - slope * cursor
        shift = np.array([cursor - low[0], bottom - high[1]])
        strokes.extend(stroke + shift for stroke in digit)
        cursor += width
        previous_width = width
    return _on_canvas(strokes, rng)


def _on_canvas(strokes: list[np.ndarray], rng: np.random.Generator) -> Drawing:
    """The strokes scaled to a height of 35-85 % of the canvas (narrower if too wide) and placed
    anywhere they fit, points rounded to whole pixels as mouse events are."""
    points = np.concatenate(strokes)
    low = points.min(axis=0)
    width, height = points.max(axis=0) - low
    placement = CANVAS_PLACEMENT
    size = rng.uniform(placement.min_height, placement.max_height) * DEFAULT_CANVAS_SIZE
    margin = DEFAULT_PEN_WIDTH / 2
    scale = min(size / max(height, 1e-9), (CANVAS_WIDTH - 4 * margin) / max(width, 1e-9))
    room = np.array([CANVAS_WIDTH, DEFAULT_CANVAS_SIZE]) - 2 * margin - np.array([width, height]) * scale
    offset = margin + rng.uniform(0.0, 1.0, size=2) * np.maximum(room, 0.0)
    placed = []
    for stroke in strokes:
        xy = np.round((stroke - low) * scale + offset)
        keep = np.concatenate(([True], (np.diff(xy, axis=0) != 0).any(axis=1)))
        placed.append(xy[keep])
    return Drawing(tuple(placed), CANVAS_WIDTH, DEFAULT_CANVAS_SIZE, DEFAULT_PEN_WIDTH)


def single_on_canvas(sample: unipen.PenSample, rng: np.random.Generator) -> Drawing:
    """One digit placed as `evaluate-drawings` places it, then moved anywhere along the wide canvas."""
    square = place(sample.strokes, rng)
    shift = np.array([rng.uniform(0, CANVAS_WIDTH - DEFAULT_CANVAS_SIZE), 0.0]).round()
    return Drawing(tuple(s + shift for s in square.strokes), CANVAS_WIDTH, square.height, square.pen_width)


@dataclass
class Case:
    """One drawing to read: the true number, whose it is, and (after reading) what was read."""

    drawing: Drawing
    truth: str
    writer: str
    fold: int
    read: str = ""
    confident: bool = True


def number_cases(
    samples: Sequence[unipen.PenSample], fold: np.ndarray, rounds: int, seed: int, spacing: Spacing = SPACING
) -> list[Case]:
    """Each round cuts every writer's shuffled digits into numbers of 2-10 digits."""
    rng = np.random.default_rng(seed)
    by_writer: dict[str, list[int]] = defaultdict(list)
    for i, sample in enumerate(samples):
        by_writer[sample.group].append(i)
    cases = []
    for _ in range(rounds):
        for writer in sorted(by_writer):
            chosen = by_writer[writer]
            if len(chosen) < MIN_LENGTH:
                continue
            sizes = writer_sizes([samples[i] for i in chosen])
            order = rng.permutation(len(chosen))
            start = 0
            while len(order) - start >= MIN_LENGTH:
                length = min(int(rng.integers(MIN_LENGTH, MAX_LENGTH + 1)), len(order) - start)
                picked = order[start : start + length]
                start += length
                digits = [sizes[k] for k in picked]
                truth = "".join(str(samples[chosen[k]].label) for k in picked)
                cases.append(Case(compose(digits, rng, spacing), truth, writer, int(fold[chosen[picked[0]]])))
    return cases


def writer_numbers(
    samples: Sequence[unipen.PenSample], count: int, seed: int, lengths: tuple[int, int] = (MIN_LENGTH, MAX_LENGTH),
    spacing: Spacing = SPACING,
) -> list[tuple[str, Drawing]]:
    """`count` numbers (truth, drawing), each of one writer's own digits, of a length drawn from `lengths`.

    Writers are drawn at random among those with 40 digits or more; unlike `number_cases`, a digit
    may come up in several numbers. For tests and benchmarks that need a few numbers fast.
    """
    rng = np.random.default_rng(seed)
    by_writer: dict[str, list[unipen.PenSample]] = defaultdict(list)
    for sample in samples:
        by_writer[sample.group].append(sample)
    writers = sorted(w for w, own in by_writer.items() if len(own) >= 40)
    numbers = []
    for _ in range(count):
        own = by_writer[writers[rng.integers(len(writers))]]
        sizes = writer_sizes(own)
        length = lengths[0] if lengths[0] == lengths[1] else int(rng.integers(lengths[0], lengths[1] + 1))
        chosen = rng.choice(len(own), size=length, replace=False)
        truth = "".join(str(own[k].label) for k in chosen)
        numbers.append((truth, compose([sizes[k] for k in chosen], rng, spacing)))
    return numbers


def single_cases(samples: Sequence[unipen.PenSample], fold: np.ndarray, seed: int) -> list[Case]:
    rng = np.random.default_rng(seed + 1)
    return [Case(single_on_canvas(s, rng), str(s.label), s.group, int(fold[i])) for i, s in enumerate(samples)]


def read_all(
    cases: Sequence[Case], recognizers: Sequence[Recognizer], as_images: bool = False, pen: float | None = None
) -> None:
    """Read every case with the model of its fold: its strokes, or (`as_images`) a picture of it,
    dark ink on white as the app saves a PNG (or drawn with a `pen` of another width), read as any
    image file is."""
    for case in cases:
        recognizer = recognizers[case.fold]
        if as_images:
            d = case.drawing
            picture = d if pen is None else Drawing(d.strokes, d.width, d.height, pen)
            pixels = np.round(255 * (1 - rasterize(picture))).astype(np.uint8)
            reading: NumberReading = recognizer.read_number_in_image(pixels)
        else:
            reading = recognizer.read_number(case.drawing)
        case.read, case.confident = reading.text, reading.confident


def summary(cases: Sequence[Case]) -> dict[str, object]:
    """Exact-number accuracy (overall and by length), digit accuracy, wrong digit counts."""
    lengths = np.array([len(c.truth) for c in cases])
    exact = np.array([c.read == c.truth for c in cases])
    count_wrong = np.array([len(c.read) != len(c.truth) for c in cases])
    same_count = [c for c in cases if len(c.read) == len(c.truth)]
    digits_right = sum(sum(a == b for a, b in zip(c.read, c.truth)) for c in same_count)
    digits_total = sum(len(c.truth) for c in cases)
    by_length = {
        int(n): {"numbers": int((lengths == n).sum()), "exact": float(exact[lengths == n].mean())}
        for n in sorted(set(lengths.tolist()))
    }
    return {
        "numbers": len(cases),
        "exact": float(exact.mean()),
        "count_wrong": float(count_wrong.mean()),
        "count_wrong_numbers": int(count_wrong.sum()),
        "too_many": int(sum(len(c.read) > len(c.truth) for c in cases)),
        "too_few": int(sum(len(c.read) < len(c.truth) for c in cases)),
        "digit_accuracy": digits_right / max(digits_total, 1),
        "by_length": by_length,
    }


def failure_grid(cases: Sequence[Case], title: str, path: Path, limit: int = 60) -> int:
    """A PNG of the misread drawings as the canvas shows them, captioned true > read."""
    wrong = [c for c in cases if c.read != c.truth][:limit]
    side, caption, columns = 70, 14, 4
    cell_w, cell_h = 3 * side + 8, side + caption
    rows = max(1, int(np.ceil(len(wrong) / columns)))
    mosaic = np.full((rows * cell_h, columns * cell_w), 0.5, np.float32)
    for slot, case in enumerate(wrong):
        y, x = (slot // columns) * cell_h + caption, (slot % columns) * cell_w
        thumbnail = 1.0 - canvas_thumbnail(case.drawing, side)
        mosaic[y : y + side, x : x + thumbnail.shape[1]] = thumbnail
    captions = [
        ((slot % columns) * cell_w, (slot // columns) * cell_h + caption - 2,
         f"{case.truth} > {case.read or '-'}  {case.writer}")
        for slot, case in enumerate(wrong)
    ]
    total = sum(c.read != c.truth for c in cases)
    save_captioned_mosaic(mosaic, captions, f"{title}: {len(wrong)} of {total} misread (true > read, writer)", path)
    return len(wrong)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`python -m training evaluate-numbers`."""
    parser.description = __doc__.split("\n\n")[0]
    add_data_and_model_arguments(parser)
    parser.add_argument("--rounds", type=int, default=3, help="times every writer's digits are cut into numbers")
    parser.add_argument("--seed", type=int, default=0, help="seed of the composition and placement (default 0)")
    parser.add_argument("--out", type=Path, default=Path("runs/numbers"), help="folder for report.json and PNGs")
    parser.add_argument(
        "--images", action="store_true", help="also read each number from a picture of it (as a PNG of the canvas)"
    )
    parser.add_argument(
        "--image-pen",
        type=float,
        default=None,
        metavar="PX",
        help="draw the pictures with a pen this wide (default: the app's 20 px; a scan of ink on paper is thinner)",
    )


def _line(name: str, s: dict[str, object]) -> str:
    by_length = s["by_length"]
    assert isinstance(by_length, dict)
    lengths = "  ".join(f"{n}: {v['exact']:.2%} (n={v['numbers']})" for n, v in by_length.items())
    return (
        f"== {name}: exact {s['exact']:.2%} of {s['numbers']:,}; digit count wrong {s['count_wrong']:.2%} "
        f"({s['count_wrong_numbers']}: {s['too_many']} too many, {s['too_few']} too few); "
        f"digit accuracy {s['digit_accuracy']:.2%}\n   by length: {lengths}"
    )


def measure(args: argparse.Namespace) -> dict[str, object]:
    """The report: printed, written to --out/report.json and returned."""
    samples = unipen.load_samples(args.file)
    model_paths = args.fold_models or [args.model or shipped_model_path()]
    if args.fold_models and len(args.fold_models) != args.folds:
        raise SystemExit(f"--fold-models needs {args.folds} models (one per fold), got {len(args.fold_models)}")
    folds = unipen.writer_folds(samples, args.folds)
    fold = folds if args.fold_models else np.zeros(len(samples), np.int64)
    if args.only_fold is not None:
        chosen = np.flatnonzero(folds == args.only_fold)
        samples, fold = [samples[i] for i in chosen], fold[chosen]
    recognizers = [Recognizer(Classifier(path)) for path in model_paths]
    if args.fold_models is None:
        print(
            f"note: one model ({model_paths[0]}) reads every writer; the shipped model was trained on all the "
            "dev-set writers, so these figures are on writers it has seen (optimistic). "
            "For writer-disjoint figures give --fold-models.",
            flush=True,
        )
    numbers = number_cases(samples, fold, args.rounds, args.seed)
    singles = single_cases(samples, fold, args.seed)
    read_all(numbers, recognizers)
    read_all(singles, recognizers)
    result: dict[str, object] = {
        "file": str(args.file),
        "models": [str(p) for p in model_paths],
        "writer_disjoint": args.fold_models is not None,
        "seed": args.seed,
        "rounds": args.rounds,
        "numbers": summary(numbers),
        "single_digits": summary(singles),
    }
    single = result["single_digits"]
    assert isinstance(single, dict)
    accuracy = float(single["digit_accuracy"])
    by_length = result["numbers"]["by_length"]  # type: ignore[index]
    result["expected_exact_by_length"] = {n: accuracy**n for n in by_length}
    print(_line("numbers", result["numbers"]), flush=True)  # type: ignore[arg-type]
    print(
        f"== single digits: {single['exact']:.2%} read right of {single['numbers']:,}; split into several "
        f"{single['too_many']} ({int(single['too_many']) / max(int(single['numbers']), 1):.3%})",
        flush=True,
    )
    print(
        "   target exact >= accuracy^length - 1 point: "
        + "  ".join(f"{n}: {v['exact']:.2%} vs {accuracy**n - 0.01:.2%}" for n, v in by_length.items()),
        flush=True,
    )
    for name, cases in (("numbers", numbers), ("single-digits", singles)):
        shown = failure_grid(cases, name, args.out / f"failures-{name}.png")
        print(f"failure grid: {args.out / f'failures-{name}.png'} ({shown} shown)", flush=True)
    if args.images:
        pictures = [Case(c.drawing, c.truth, c.writer, c.fold) for c in numbers]
        read_all(pictures, recognizers, as_images=True, pen=args.image_pen)
        result["numbers_from_images"] = summary(pictures)
        print(_line("numbers read from pictures of them", result["numbers_from_images"]), flush=True)  # type: ignore[arg-type]
        shown = failure_grid(pictures, "numbers-from-images", args.out / "failures-numbers-from-images.png")
        print(f"failure grid: {args.out / 'failures-numbers-from-images.png'} ({shown} shown)", flush=True)
    write_text_atomically(args.out / "report.json", json.dumps(result, indent=1))
    return result


def run(args: argparse.Namespace) -> int:
    measure(args)
    return 0
