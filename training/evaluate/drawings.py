"""How well does a model read what people really draw? Replay pen digits through the app's pipeline.

Each UNIPEN sample is placed on the 280x280 canvas as a person would draw it (`training.unipen.place`),
turned into the model input by the app's own `digitpad.ink.model_input.drawing_input` with the
normalization the model asks for, and classified by the app's `Recognizer`. The report gives
accuracy overall, per donor, per writer, per digit, the confusion matrix, and a PNG grid of the
failures with the 28x28 model input beside each drawing.

For writer-disjoint cross-validation give one model per writer fold (`--fold-models`): model k
judges only the writers of fold k, which it was trained without.

    python -m training evaluate-drawings [FILE] [--model M | --fold-models M0 M1 ...] [--baselines]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitpad.files import atomic_writer, write_text_atomically
from digitpad.ink.drawing import Drawing
from digitpad.ink.model_input import drawing_input
from digitpad.ink.normalize import MNIST, Normalization, resampling_matrix
from digitpad.ink.raster import rasterize
from digitpad.model.choice import shipped_model_path
from digitpad.model.classifier import Classifier
from digitpad.reading.prediction import CONFIDENCE_THRESHOLD
from digitpad.reading.recognizer import Recognizer
from training import unipen
from training.evaluate.mnist import predict_in_batches
from training.unipen import place_samples

#: A preprocessing: a drawing and the model's normalization in, a (28, 28) image (or None) out.
Preprocess = Callable[[Drawing, Normalization], "np.ndarray | None"]


def app_input(drawing: Drawing, spec: Normalization) -> np.ndarray | None:
    """The app's own pipeline, exactly as the GUI calls it."""
    return drawing_input(drawing, spec)


def whole_canvas_input(drawing: Drawing, spec: Normalization) -> np.ndarray | None:
    """Baseline: the whole canvas shrunk to 28x28 (area average), as the Windows ML sample does."""
    if drawing.is_blank:
        return None
    image = rasterize(drawing)
    resample = resampling_matrix(spec.frame, drawing.width, spec.frame / drawing.width, 0.0)
    return resample @ image @ resample.T if drawing.height == drawing.width else None


def bbox_crop_input(drawing: Drawing, spec: Normalization) -> np.ndarray | None:
    """Baseline: the ink's bounding box padded to a square, longer side 20 px, centered by box.

    What the ONNX.js MNIST demo and most tutorials do: no center of mass.
    """
    bounds = drawing.ink_bounds()
    if bounds is None:
        return None
    left, top, right, bottom = bounds
    scale = spec.box / max(right - left, bottom - top)
    middle = spec.frame / 2
    image = rasterize(drawing)
    columns = resampling_matrix(spec.frame, drawing.width, scale, middle - scale * (left + right) / 2)
    rows = resampling_matrix(spec.frame, drawing.height, scale, middle - scale * (top + bottom) / 2)
    cropped: np.ndarray = np.clip(rows @ image @ columns.T, 0.0, 1.0)
    return cropped


def mnist_com_input(drawing: Drawing, spec: Normalization) -> np.ndarray | None:
    """Baseline: MNIST's own normalization (box 20 px, center of mass at 14) of the canvas raster."""
    return drawing_input(drawing, MNIST)


PREPROCESSINGS: dict[str, Preprocess] = {
    "app": app_input,
    "whole-canvas": whole_canvas_input,
    "bbox-crop": bbox_crop_input,
    "mnist-com": mnist_com_input,
}


@dataclass
class Report:
    """Predictions for a set of samples, with the breakdowns a person reads."""

    name: str
    labels: np.ndarray  #: (N,) true digits
    predicted: np.ndarray  #: (N,) the model's digits
    confidence: np.ndarray  #: (N,) the model's top probability
    donors: np.ndarray  #: (N,) donor of each sample
    writers: np.ndarray  #: (N,) "donor/writer" of each sample
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        return float((self.labels == self.predicted).mean())

    def accuracy_by(self, keys: np.ndarray) -> dict[str, tuple[float, int]]:
        """{key: (accuracy, count)}, keys sorted."""
        right = self.labels == self.predicted
        return {str(k): (float(right[keys == k].mean()), int((keys == k).sum())) for k in sorted(set(keys.tolist()))}

    def confidence_split(self, threshold: float = CONFIDENCE_THRESHOLD) -> dict[str, float]:
        """How the app's "not sure" threshold splits the answers: shown share and accuracy of each side."""
        right = self.labels == self.predicted
        sure = self.confidence >= threshold
        return {
            "threshold": threshold,
            "confident_share": float(sure.mean()),
            "confident_accuracy": float(right[sure].mean()) if sure.any() else float("nan"),
            "unsure_accuracy": float(right[~sure].mean()) if (~sure).any() else float("nan"),
            "errors_flagged_unsure": float((~sure[~right]).mean()) if (~right).any() else float("nan"),
        }

    def confusion(self) -> np.ndarray:
        from sklearn.metrics import confusion_matrix

        counts: np.ndarray = confusion_matrix(self.labels, self.predicted, labels=list(range(10)))
        return counts

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "samples": len(self.labels),
            "accuracy": self.accuracy,
            "errors": int((self.labels != self.predicted).sum()),
            "by_donor": self.accuracy_by(self.donors),
            "by_writer": self.accuracy_by(self.writers),
            "by_digit": self.accuracy_by(self.labels.astype(str)),
            "confusion": self.confusion().tolist(),
            "confidence": self.confidence_split(),
            **self.extra,
        }

    def text(self, worst_writers: int = 8) -> str:
        errors = int((self.labels != self.predicted).sum())
        lines = [f"== {self.name}: {self.accuracy:.2%} of {len(self.labels):,} drawings ({errors} wrong)"]
        lines.append(
            "per donor:  " + "  ".join(f"{k} {a:.2%} (n={n})" for k, (a, n) in self.accuracy_by(self.donors).items())
        )
        by_digit = self.accuracy_by(self.labels.astype(str))
        lines.append("per digit:  " + "  ".join(f"{k}: {a:.2%}" for k, (a, n) in by_digit.items()))
        writers = sorted(self.accuracy_by(self.writers).items(), key=lambda kv: kv[1][0])
        lines.append("worst writers: " + "  ".join(f"{k} {a:.1%} (n={n})" for k, (a, n) in writers[:worst_writers]))
        split = self.confidence_split()
        lines.append(
            f"confidence >= {split['threshold']:.2f}: {split['confident_share']:.1%} of answers, "
            f"{split['confident_accuracy']:.2%} right; {split['errors_flagged_unsure']:.0%} of the errors "
            f"are shown as not sure"
        )
        lines.append("confusion (rows: true 0-9, columns: predicted 0-9):")
        lines.extend(
            "  " + str(digit) + " " + " ".join(f"{v:4d}" for v in row) for digit, row in enumerate(self.confusion())
        )
        return "\n".join(lines)


def model_inputs(drawings: Sequence[Drawing], spec: Normalization, preprocess: Preprocess = app_input) -> np.ndarray:
    """(N, 28, 28) model inputs; a drawing with no ink on the canvas gives a blank frame."""
    blank = np.zeros((spec.frame, spec.frame), np.float32)
    images = [preprocess(d, spec) for d in drawings]
    return np.stack([blank if image is None else image for image in images]).astype(np.float32)


def evaluate(
    samples: Sequence[unipen.PenSample],
    drawings: Sequence[Drawing],
    recognizers: Sequence[Recognizer],
    fold: np.ndarray,
    name: str,
    preprocess: Preprocess = app_input,
) -> tuple[Report, np.ndarray]:
    """Report and model inputs; sample i is judged by recognizers[fold[i]] (fold = 0 for one model)."""
    n = len(samples)
    inputs = np.zeros((n, 28, 28), np.float32)
    probabilities = np.zeros((n, 10), np.float32)
    for k, recognizer in enumerate(recognizers):
        chosen = np.flatnonzero(fold == k)
        if not len(chosen):
            continue
        inputs[chosen] = model_inputs([drawings[int(i)] for i in chosen], recognizer.normalization, preprocess)
        probabilities[chosen] = predict_in_batches(recognizer.classifier, inputs[chosen])
    report = Report(
        name=name,
        labels=unipen.labels(samples),
        predicted=probabilities.argmax(axis=1),
        confidence=probabilities.max(axis=1),
        donors=np.array([s.donor for s in samples]),
        writers=unipen.groups(samples),
    )
    return report, inputs


def canvas_thumbnail(drawing: Drawing, height: int) -> np.ndarray:
    """The drawing as the canvas shows it, shrunk (area average) to `height` rows, its shape kept."""
    scale = height / drawing.height
    rows = resampling_matrix(height, drawing.height, scale, 0.0)
    columns = resampling_matrix(round(drawing.width * scale), drawing.width, scale, 0.0)
    thumbnail: np.ndarray = rows @ rasterize(drawing) @ columns.T
    return thumbnail


def save_captioned_mosaic(
    mosaic: np.ndarray, captions: Sequence[tuple[float, float, str]], title: str, path: Path
) -> None:
    """A gray mosaic of failure thumbnails as a PNG, each cell's caption written above it: one image
    with text, so that hundreds of failures draw in a second. Shared by the drawing and number reports."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dpi = 100
    figure = plt.figure(figsize=(mosaic.shape[1] / dpi, (mosaic.shape[0] + 30) / dpi), dpi=dpi)
    axes = figure.add_axes((0.0, 0.0, 1.0, mosaic.shape[0] / (mosaic.shape[0] + 30)))
    axes.imshow(mosaic, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    axes.axis("off")
    for x, y, text in captions:
        axes.text(x, y, text, fontsize=6, color="yellow", va="bottom", ha="left")
    figure.suptitle(title, fontsize=8, y=1.0, va="top")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path) as out:
        figure.savefig(out, format="png", dpi=dpi)
    plt.close(figure)


def failure_grid(report: Report, drawings: Sequence[Drawing], inputs: np.ndarray, path: Path, limit: int = 240) -> int:
    """A PNG of the failures: each drawing (as the canvas shows it) beside its 28x28 model input.

    One mosaic image with captions, so that hundreds of failures draw in a second. Shows the first
    `limit` failures in file order; returns how many it shows.
    """
    import matplotlib

    matplotlib.use("Agg")

    wrong = np.flatnonzero(report.labels != report.predicted)[:limit]
    side, caption, columns = 56, 14, 10  # cell: canvas thumbnail | model input (2x), caption above
    rows = max(1, int(np.ceil(len(wrong) / columns)))
    cell_w, cell_h = 2 * side + 6, side + caption
    mosaic = np.full((rows * cell_h, columns * cell_w), 0.5, np.float32)
    for slot, i in enumerate(wrong):
        y, x = (slot // columns) * cell_h + caption, (slot % columns) * cell_w
        mosaic[y : y + side, x : x + side] = 1.0 - canvas_thumbnail(drawings[i], side)  # ink dark on white
        mosaic[y : y + side, x + side + 2 : x + 2 * side + 2] = np.kron(inputs[i], np.ones((2, 2)))
    captions = [
        ((slot % columns) * cell_w, (slot // columns) * cell_h + caption - 2,
         f"{report.labels[i]}>{report.predicted[i]} {report.confidence[i]:.0%} {report.writers[i]}")
        for slot, i in enumerate(wrong)
    ]
    total = int((report.labels != report.predicted).sum())
    title = (f"{report.name}: {len(wrong)} of {total} failures (true>predicted confidence donor/writer; "
             "canvas, then model input)")
    save_captioned_mosaic(mosaic, captions, title, path)
    return len(wrong)


def add_data_and_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The pen digits and the models that judge them, writer-disjoint: shared by the evaluations
    that replay pen digits (`evaluate-drawings`, `evaluate-numbers`)."""
    parser.add_argument(
        "file", nargs="?", type=Path, default=unipen.DEFAULT_PATH, help="pen digits (.jsonl or .jsonl.gz)"
    )
    models = parser.add_mutually_exclusive_group()
    models.add_argument("--model", type=Path, default=None, help="ONNX model to judge (default: the shipped one)")
    models.add_argument(
        "--fold-models",
        type=Path,
        nargs="+",
        default=None,
        help="one model per writer fold, each trained without that fold's writers: model k judges fold k",
    )
    parser.add_argument("--folds", type=int, default=5, help="writer-disjoint folds, for --fold-models and --only-fold")
    parser.add_argument("--only-fold", type=int, default=None, help="judge only the writers of this fold")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`python -m training evaluate-drawings`."""
    parser.description = __doc__.split("\n\n")[0]
    add_data_and_model_arguments(parser)
    parser.add_argument("--only-donor", default=None, help="judge only this donor's writers (leave-one-donor-out)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the placement on the canvas (default 0)")
    parser.add_argument(
        "--baselines",
        action="store_true",
        help="also judge the model with the common preprocessings (whole canvas, bbox crop, MNIST COM)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("runs/drawings"), help="folder for report.json and failures PNGs"
    )


def measure(args: argparse.Namespace) -> dict[str, object]:
    """The report: printed, written to --out/report.json and returned."""
    samples = unipen.load_samples(args.file)
    model_paths = args.fold_models or [args.model or shipped_model_path()]
    if args.fold_models and len(args.fold_models) != args.folds:
        raise SystemExit(f"--fold-models needs {args.folds} models (one per fold), got {len(args.fold_models)}")
    needs_folds = args.fold_models is not None or args.only_fold is not None
    fold = unipen.writer_folds(samples, args.folds) if needs_folds else np.zeros(len(samples), np.int64)
    drawings = place_samples(samples, args.seed)  # placed before any selection: the same drawing per sample
    if args.only_fold is not None or args.only_donor is not None:
        chosen = np.arange(len(samples))
        if args.only_fold is not None:
            chosen = chosen[fold[chosen] == args.only_fold]
        if args.only_donor is not None:
            chosen = chosen[[samples[i].donor == args.only_donor for i in chosen]]
            if not len(chosen):
                raise SystemExit(f"no samples by donor {args.only_donor!r}")
        samples, drawings = [samples[i] for i in chosen], [drawings[i] for i in chosen]
        fold = np.zeros(len(chosen), np.int64) if args.fold_models is None else fold[chosen]
    recognizers = [Recognizer(Classifier(path)) for path in model_paths]
    names = ["app"] + (["whole-canvas", "bbox-crop", "mnist-com"] if args.baselines else [])
    results: dict[str, object] = {"file": str(args.file), "models": [str(p) for p in model_paths], "seed": args.seed}
    for name in names:
        report, inputs = evaluate(samples, drawings, recognizers, fold, name, PREPROCESSINGS[name])
        print(report.text(), flush=True)
        shown = failure_grid(report, drawings, inputs, args.out / f"failures-{name}.png")
        print(f"failure grid: {args.out / f'failures-{name}.png'} ({shown} shown)\n", flush=True)
        results[name] = report.as_dict()
    write_text_atomically(args.out / "report.json", json.dumps(results, indent=1))
    return results


def run(args: argparse.Namespace) -> int:
    measure(args)
    return 0
