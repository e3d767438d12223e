"""Does a profile help its writer? Replay each pen writer's digits as a person teaching digitpad.

Every UNIPEN sample is placed on the canvas as in `evaluate-drawings`, rendered as the app renders a
taught sample (`digitpad.reading.adapt.sample_inputs`) and read by the app's classifier; the adaptation is
the app's own `digitpad.reading.adapt.Adapter`. Each writer is judged alone, with a profile of their own
digits only, under two protocols:

- enrolment: the first sample of each digit is taught (as "Teach me your hand" asks); the writer's
  other digits are judged with and without the profile;
- corrections: the writer's digits in file order; each is judged, and when the answer (with the
  profile so far) is wrong, it is taught with its right label, as a person correcting would do;
- mistaught: for each digit d, the writer's first d, when the network reads it right, is taught
  alone as the network's second choice (a slip of the finger, or a form the person calls otherwise:
  a long-flag 1 taught as a 7); of the writer's other d digits that the network reads right with
  >= 80%, how many change answer, and how many become a confident (>= 80%) wrong answer.

`--unseen-by FILE` judges only the writers who are not in FILE (the pen digits a model was trained
on): with the repo's data/unipen-dev file, the writers the shipped model never saw.

Writer-disjoint only with `--fold-models` (model k judges the writers of fold k, trained without
them); with the shipped model, which was trained on all dev-set writers, the figures are not.

    python -m training evaluate-adaptation [FILE] [--model M | --fold-models M0 ... M4] [--unseen-by FILE]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from digitpad.files import write_text_atomically
from digitpad.ink.normalize import Normalization
from digitpad.model.choice import shipped_model_path
from digitpad.model.classifier import Classifier
from digitpad.reading.adapt import (
    DEFAULT_SETTINGS,
    VARIANTS,
    Adapter,
    AdaptSettings,
    Reading,
    sample_inputs,
    unit_reading,
)
from training import unipen
from training.unipen import place_samples

PROTOCOLS = ("enrolment", "corrections")
#: The network's own confidence above which a mistaught sample must not make a confident wrong answer.
SURE = 0.80


@dataclass(frozen=True)
class Readings:
    """The network's view of every sample: probabilities of the drawing as drawn, all renderings' embeddings."""

    probabilities: np.ndarray  #: float32 (N, 10), rendering 0
    embeddings: np.ndarray  #: float32 (N, V, D)


def read_samples(classifier: Classifier, spec: Normalization, drawings: Sequence[object], batch: int = 256) -> Readings:
    probabilities, embeddings = [], []
    blank = np.zeros((len(VARIANTS), spec.frame, spec.frame), np.float32)
    for start in range(0, len(drawings), batch):
        inputs = [sample_inputs(d, spec) for d in drawings[start : start + batch]]  # type: ignore[arg-type]
        stacked = np.concatenate([blank if x is None else x for x in inputs])
        p, e = classifier.predict_with_embeddings(stacked)
        if e is None:
            raise SystemExit(f"{classifier.path} has no 'embedding' output: add it with python -m "
                             "training.embedding_output, or export it again")
        probabilities.append(p.reshape(len(inputs), len(VARIANTS), 10)[:, 0])
        embeddings.append(e.reshape(len(inputs), len(VARIANTS), -1).astype(np.float32))
    return Readings(np.concatenate(probabilities), np.concatenate(embeddings))


@dataclass(frozen=True)
class WriterResult:
    writer: str
    judged: int
    errors_alone: int
    errors_adapted: int
    taught: int


def _read_with(taught: Sequence[Reading], taught_labels: Sequence[int], queries: Sequence[Reading],
               settings: AdaptSettings) -> np.ndarray:
    """The app's answers (digits) for `queries` with a profile of the `taught` samples."""
    probabilities = np.stack([q.probabilities for q in queries])
    if not taught:
        alone: np.ndarray = probabilities.argmax(axis=1)
        return alone
    adapter = Adapter.from_readings(taught, taught_labels, settings=settings, normalized=True)
    answers: np.ndarray = adapter.adjust(probabilities, np.stack([q.embeddings[0] for q in queries])).argmax(axis=1)
    return answers


def enrolment(readings: Sequence[Reading], labels: np.ndarray,
              settings: AdaptSettings) -> tuple[np.ndarray, np.ndarray]:
    """(judged mask, answers): the first sample of each digit taught, the writer's others judged."""
    taught = np.zeros(len(labels), bool)
    for digit in np.unique(labels):
        taught[np.flatnonzero(labels == digit)[0]] = True
    answers = _read_with([readings[int(i)] for i in np.flatnonzero(taught)], labels[taught].tolist(), readings,
                         settings)
    return ~taught, answers


def corrections(readings: Sequence[Reading], labels: np.ndarray,
                settings: AdaptSettings) -> tuple[np.ndarray, np.ndarray]:
    """(judged mask, answers): in order, each wrong answer taught before the next digit."""
    taught: list[int] = []
    answers = np.zeros(len(labels), np.int64)
    for i in range(len(labels)):
        answers[i] = _read_with([readings[j] for j in taught], labels[taught].tolist(), [readings[i]], settings)[0]
        if answers[i] != labels[i]:
            taught.append(i)
    return np.ones(len(labels), bool), answers


@dataclass(frozen=True)
class MistaughtResult:
    writer: str
    judged: int  #: the writer's other d digits the network reads right with >= SURE, over every taught d
    changed: int  #: of those, read otherwise with the one mistaught sample
    confident: int  #: of those, read otherwise with >= SURE


def mistaught(readings: Sequence[Reading], labels: np.ndarray, settings: AdaptSettings) -> tuple[int, int, int]:
    """(judged, changed, confident) for one writer: see the module docstring."""
    judged = changed = confident = 0
    for digit in np.unique(labels):
        rows = np.flatnonzero(labels == digit)
        first, others = readings[int(rows[0])], rows[1:]
        if int(first.probabilities.argmax()) != digit:
            continue
        second = int(np.argsort(-first.probabilities)[1])
        sure = [int(i) for i in others if int(readings[int(i)].probabilities.argmax()) == digit
                and float(readings[int(i)].probabilities.max()) >= SURE]
        if not sure:
            continue
        adapter = Adapter.from_readings([first], [second], settings=settings, normalized=True)
        answers = adapter.adjust(np.stack([readings[i].probabilities for i in sure]),
                                 np.stack([readings[i].embeddings[0] for i in sure]))
        wrong = answers.argmax(axis=1) != digit
        judged += len(sure)
        changed += int(wrong.sum())
        confident += int((wrong & (answers.max(axis=1) >= SURE)).sum())
    return judged, changed, confident


def evaluate_mistaught(readings: Readings, labels: np.ndarray, writers: np.ndarray,
                       settings: AdaptSettings = DEFAULT_SETTINGS) -> list[MistaughtResult]:
    results = []
    for writer in sorted(set(writers.tolist())):
        rows = np.flatnonzero(writers == writer)
        writer_readings = [unit_reading(Reading(readings.probabilities[i], readings.embeddings[i])) for i in rows]
        results.append(MistaughtResult(writer, *mistaught(writer_readings, labels[rows], settings)))
    return results


def mistaught_summary(results: Sequence[MistaughtResult]) -> dict[str, object]:
    judged = sum(r.judged for r in results)
    changed, confident = sum(r.changed for r in results), sum(r.confident for r in results)
    return {"writers": len(results), "judged": judged, "changed": changed, "confident": confident,
            "changed_share": changed / judged if judged else float("nan"),
            "confident_share": confident / judged if judged else float("nan"),
            "per_writer": {r.writer: [r.judged, r.changed, r.confident] for r in results}}


def mistaught_text(results: Sequence[MistaughtResult]) -> str:
    s = mistaught_summary(results)
    return (f"== mistaught: {s['writers']} writers, {s['judged']:,} digits the model alone reads right with >= "
            f"{SURE:.0%}, judged with one sample of their digit taught as the model's second choice\n"
            f"changed answer {s['changed']} ({s['changed_share']:.1%}), confidently wrong {s['confident']} "
            f"({s['confident_share']:.2%})")


def evaluate_writers(readings: Readings, labels: np.ndarray, writers: np.ndarray, protocol: str,
                     settings: AdaptSettings = DEFAULT_SETTINGS) -> list[WriterResult]:
    run = enrolment if protocol == "enrolment" else corrections
    results = []
    for writer in sorted(set(writers.tolist())):
        rows = np.flatnonzero(writers == writer)
        writer_readings = [unit_reading(Reading(readings.probabilities[i], readings.embeddings[i])) for i in rows]
        judged, predicted = run(writer_readings, labels[rows], settings)
        alone = readings.probabilities[rows].argmax(axis=1)
        wrong_alone = (alone != labels[rows]) & judged
        wrong_adapted = (predicted != labels[rows]) & judged
        taught = int((~judged).sum()) if protocol == "enrolment" else int((predicted != labels[rows]).sum())
        results.append(WriterResult(writer, int(judged.sum()), int(wrong_alone.sum()), int(wrong_adapted.sum()),
                                    taught))
    return results


def summary(results: Sequence[WriterResult]) -> dict[str, object]:
    alone = sum(r.errors_alone for r in results)
    adapted = sum(r.errors_adapted for r in results)
    worse = [r for r in results if r.errors_adapted > r.errors_alone]
    return {
        "writers": len(results),
        "judged": sum(r.judged for r in results),
        "taught": sum(r.taught for r in results),
        "errors_alone": alone,
        "errors_adapted": adapted,
        "ratio": adapted / alone if alone else float("nan"),
        "writers_better": sum(r.errors_adapted < r.errors_alone for r in results),
        "writers_worse": len(worse),
        "most_worse_by": max((r.errors_adapted - r.errors_alone for r in results), default=0),
        "per_writer": {r.writer: [r.judged, r.errors_alone, r.errors_adapted, r.taught] for r in results},
    }


def text(protocol: str, results: Sequence[WriterResult], worst: int = 8) -> str:
    s = summary(results)
    lines = [f"== {protocol}: {s['writers']} writers, {s['judged']:,} digits judged, {s['taught']} taught",
             f"errors: model alone {s['errors_alone']}, with the profile {s['errors_adapted']} "
             f"({s['ratio']:.0%} of the model alone); writers better {s['writers_better']}, worse "
             f"{s['writers_worse']} (most by {s['most_worse_by']} digit(s))"]
    ranked = sorted(results, key=lambda r: (-r.errors_alone, r.writer))[:worst]
    lines.append("worst writers (judged, errors alone -> with profile, taught): " + "  ".join(
        f"{r.writer} {r.judged}: {r.errors_alone}->{r.errors_adapted} ({r.taught})" for r in ranked))
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`python -m training evaluate-adaptation`."""
    parser.description = __doc__.split("\n\n")[0]
    parser.add_argument("file", nargs="?", type=Path, default=unipen.DEFAULT_PATH,
                        help="pen digits (.jsonl or .jsonl.gz; default training.unipen.DEFAULT_PATH)")
    models = parser.add_mutually_exclusive_group()
    models.add_argument("--model", type=Path, help="ONNX model with an 'embedding' output (default: the shipped one)")
    models.add_argument("--fold-models", type=Path, nargs=5, metavar="M",
                        help="one model per writer fold (5), each trained without that fold's writers")
    parser.add_argument("--seed", type=int, default=0, help="seed of the placement on the canvas (default 0)")
    parser.add_argument("--only-fold", type=int, metavar="K",
                        help="judge only the writers of writer fold K (of 5), e.g. those a --model was trained without")
    parser.add_argument("--unseen-by", type=Path, metavar="FILE",
                        help="judge only the writers (donor, writer) not in this pen-digit file, e.g. the one the "
                        "--model was trained on")
    for field in fields(AdaptSettings):  # to study the settings; the app uses the defaults
        parser.add_argument(f"--{field.name.replace('_', '-')}", dest=field.name, type=float,
                            default=getattr(DEFAULT_SETTINGS, field.name), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=Path("runs/adaptation"), help="folder for report.json")


def measure(args: argparse.Namespace) -> dict[str, object]:
    """The report: printed, written to --out/report.json and returned."""
    samples = unipen.load_samples(args.file)
    drawings = place_samples(samples, args.seed)  # placed before any selection: the same drawing per sample
    if args.only_fold is not None:
        if args.fold_models:
            raise SystemExit("--only-fold goes with --model: the model trained without that fold's writers")
        fold_of = unipen.writer_folds(samples, 5)
        samples = [s for s, k in zip(samples, fold_of) if k == args.only_fold]
        drawings = [d for d, k in zip(drawings, fold_of) if k == args.only_fold]
    if args.unseen_by is not None:
        seen = set(unipen.groups(unipen.load_samples(args.unseen_by)).tolist())
        keep = [s.group not in seen for s in samples]
        samples = [s for s, k in zip(samples, keep) if k]
        drawings = [d for d, k in zip(drawings, keep) if k]
        if not samples:
            raise SystemExit(f"every writer of {args.file} is in {args.unseen_by}: none is left to judge")
    labels, writers = unipen.labels(samples), unipen.groups(samples)
    paths = list(args.fold_models or [args.model or shipped_model_path()])
    fold = unipen.writer_folds(samples, len(paths)) if len(paths) > 1 else np.zeros(len(samples), np.int64)
    probabilities = np.zeros((len(samples), 10), np.float32)
    embeddings: np.ndarray | None = None
    for k, path in enumerate(paths):
        classifier = Classifier(path)
        chosen = np.flatnonzero(fold == k)
        readings = read_samples(classifier, classifier.info.normalization, [drawings[i] for i in chosen])
        if embeddings is None:
            embeddings = np.zeros((len(samples), *readings.embeddings.shape[1:]), np.float32)
        probabilities[chosen], embeddings[chosen] = readings.probabilities, readings.embeddings
    assert embeddings is not None
    readings = Readings(probabilities, embeddings)
    settings = AdaptSettings(**{field.name: getattr(args, field.name) for field in fields(AdaptSettings)})
    disjoint = "writer-disjoint if the fold models were trained without their folds" if args.fold_models else \
        f"writer-disjoint if {paths[0].name} was trained on {args.unseen_by} only" if args.unseen_by else \
        f"writer-disjoint only if {paths[0].name} was trained without fold {args.only_fold}'s writers" \
        if args.only_fold is not None else \
        "NOT writer-disjoint if the model was trained on these writers (the shipped one was, on all of them)"
    print(f"{len(samples):,} drawings by {len(set(writers.tolist()))} writers; {disjoint}; {settings}", flush=True)
    report: dict[str, object] = {"file": str(args.file), "models": [str(p) for p in paths], "seed": args.seed,
                                 "only_fold": args.only_fold, "unseen_by": str(args.unseen_by or ""),
                                 "settings": vars(settings)}
    for protocol in PROTOCOLS:
        results = evaluate_writers(readings, labels, writers, protocol, settings)
        print(text(protocol, results), flush=True)
        report[protocol] = summary(results)
    wrongly = evaluate_mistaught(readings, labels, writers, settings)
    print(mistaught_text(wrongly), flush=True)
    report["mistaught"] = mistaught_summary(wrongly)
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomically(args.out / "report.json", json.dumps(report, indent=1))
    print(f"wrote {args.out / 'report.json'}")
    return report


def run(args: argparse.Namespace) -> int:
    measure(args)
    return 0
