"""`digitpad explain FILE...`: one PNG of Look Inside's views for each digit of each drawing or image.

Headless (Pillow, no Qt): for slides and notes. With `--json`, each PNG gets a JSON file of the
numbers behind it, and each digit a JSON line on standard output.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from digitpad.errors import DigitpadError, ModelError
from digitpad.files import write_bytes_atomically
from digitpad.model.choice import load_model, read_model_choice
from digitpad.model.contract import LAYER_OUTPUTS
from digitpad.reading.batch import classify_files, expand_paths, supported_suffixes
from digitpad.reading.explain import REEXPORT_HINT, Explanation, explain
from digitpad.reading.inside_picture import overview
from digitpad.reading.prediction import percent
from digitpad.reading.recognizer import Recognizer

EXIT_OK, EXIT_FILE_ERRORS, EXIT_USAGE = 0, 1, 2


def add_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
                parents: Sequence[argparse.ArgumentParser]) -> None:
    explain_parser = subparsers.add_parser(
        "explain",
        help="draw what the network does with each digit: its layers, why-map and probabilities, as PNG",
        description="For each drawing JSON or image file (each digit of a number), write one PNG of what "
        "digitpad's Look Inside shows: the model input, the why-map, every layer the model exposes, the "
        "dense layer, logits and softmax. Headless: no display needed. Exits 1 if any file could not be read.",
        parents=list(parents),
    )
    explain_parser.add_argument("paths", nargs="+", metavar="FILE", help="image, drawing JSON file or folder")
    explain_parser.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                                help="folder for the pictures (default: the current folder)")
    explain_parser.add_argument("--json", action="store_true",
                                help="also write the numbers behind each picture (FILE.json beside it) and "
                                "print one JSON line per digit")


def _rounded(values: np.ndarray) -> object:
    return np.round(values.astype(np.float64), 5).tolist()


def numbers(explanation: Explanation) -> dict[str, object]:
    """Everything a picture shows, as plain JSON values."""
    return {
        "digit": explanation.digit,
        "confident": explanation.confident,
        "runner_up": explanation.runner_up,
        "probabilities": _rounded(explanation.probabilities),
        "logits": None if explanation.logits is None else _rounded(explanation.logits),
        "model_input": _rounded(explanation.model_input),
        "why": {"digit": explanation.why.digit, "drop": _rounded(explanation.why.values)},
        "why_not": None if explanation.why_not is None else
        {"digit": explanation.why_not.digit, "drop": _rounded(explanation.why_not.values)},
        "blanked_squares": explanation.positions,
        "layers": {name: _rounded(values) for name, values in explanation.layers.items()},
        "dense": None if explanation.dense is None else _rounded(explanation.dense),
        "filters": {name: _rounded(values) for name, values in explanation.filters.items()},
        "missing_layers": list(explanation.missing),
    }


def _free_name(folder: Path, stem: str, used: set[str]) -> str:
    """`stem`, or `stem-2`, `stem-3`... when another input of this run already took it."""
    name, count = stem, 1
    while name in used:
        count += 1
        name = f"{stem}-{count}"
    used.add(name)
    return name


def run_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        classifier, notice = load_model(args.model, None if args.model else read_model_choice())
    except ModelError as exc:
        print(f"digitpad: {exc}", file=err)
        return EXIT_USAGE
    if notice:
        print(f"digitpad: warning: {notice}", file=err)
    paths = list(expand_paths(args.paths))
    if not paths:
        print(f"digitpad: no image or drawing files in {', '.join(args.paths)} "
              f"(looked for {', '.join(supported_suffixes())})", file=err)
        return EXIT_FILE_ERRORS
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"digitpad: cannot create {args.out}: {exc.strerror or exc}", file=err)
        return EXIT_USAGE
    missing = tuple(o.name for o in LAYER_OUTPUTS if o.name not in classifier.layer_outputs)
    if missing:
        print(f"digitpad: note: {classifier.info.name} does not expose {', '.join(missing)}; the pictures show "
              f"the why-map and the answer. To see the layers, {REEXPORT_HINT}.", file=err)
    failures = 0
    used: set[str] = set()
    for result in classify_files(paths, Recognizer(classifier)):
        if result.number is None:
            failures += 1
            print(f"digitpad: error: {result.error}", file=err)
            continue
        digits = result.number.digits
        for index, digit in enumerate(digits):
            stem = result.path.stem if len(digits) == 1 else f"{result.path.stem}-digit{index + 1}"
            name = _free_name(args.out, stem, used)
            try:
                explanation = explain(classifier, digit.prediction.model_input)
                picture = args.out / f"{name}.png"
                overview(explanation).image.save(picture, format="PNG", compress_level=1)  # 10x faster than the default
                record: dict[str, object] = {"path": str(result.path), "digit_index": index, "png": str(picture)}
                if args.json:
                    details = args.out / f"{name}.json"
                    write_bytes_atomically(details, json.dumps({**record, **numbers(explanation)}).encode())
                    record |= {"json": str(details), "digit": explanation.digit, "confident": explanation.confident}
                    print(json.dumps(record), file=out)
                else:
                    sure = "" if explanation.confident else ", not sure"
                    print(f"{picture}: {explanation.digit} "
                          f"({percent(float(explanation.probabilities.max()))}{sure}) from {result.path}", file=out)
            except (DigitpadError, OSError) as exc:
                failures += 1
                print(f"digitpad: error: {result.path}: {exc}", file=err)
    if failures:
        print(f"digitpad: {failures} file(s) or digit(s) could not be explained", file=err)
    return EXIT_FILE_ERRORS if failures else EXIT_OK
