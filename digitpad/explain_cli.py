"""`digitpad explain FILE...`: one PNG of Look Inside's views for each digit of each drawing or image.

Headless (Pillow, no Qt): for slides and notes. With `--json`, each PNG gets a JSON file of the
numbers behind it, and each digit a JSON line on standard output.
"""

from __future__ import annotations

import argparse
import io
import json
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TextIO

import numpy as np
from PIL import Image

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
    # PNG and JSON encoding (zlib, which runs without the GIL) overlaps the next digit's explanation.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="digitpad-explain-writer") as writer:
        waiting: deque[Future[tuple[str | None, str | None]]] = deque()
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
                    image = overview(explanation).image
                except DigitpadError as exc:
                    failures += 1
                    print(f"digitpad: error: {result.path}: {exc}", file=err)
                    continue
                waiting.append(writer.submit(_write, args.out / name, result.path, index, explanation, image,
                                             args.json))
                while len(waiting) > WRITES_AHEAD:
                    failures += _report(waiting.popleft().result(), out, err)
        while waiting:
            failures += _report(waiting.popleft().result(), out, err)
    if failures:
        print(f"digitpad: {failures} file(s) or digit(s) could not be explained", file=err)
    return EXIT_FILE_ERRORS if failures else EXIT_OK


#: Pictures explained but not yet written, at most: memory stays bounded (a picture is about 4 MB).
WRITES_AHEAD = 2


def _write(stem: Path, source: Path, index: int, explanation: Explanation, image: Image.Image,
           with_numbers: bool) -> tuple[str | None, str | None]:
    """Write one picture (and its numbers); (the line for standard output, None) or (None, the error)."""
    picture = stem.with_name(f"{stem.name}.png")
    try:
        encoded = io.BytesIO()
        image.save(encoded, format="PNG", compress_level=1)  # 10x faster than the default, files 1.3x larger
        write_bytes_atomically(picture, encoded.getvalue())
        record: dict[str, object] = {"path": str(source), "digit_index": index, "png": str(picture)}
        if with_numbers:
            details = stem.with_name(f"{stem.name}.json")
            write_bytes_atomically(details, json.dumps({**record, **numbers(explanation)}).encode())
            record |= {"json": str(details), "digit": explanation.digit, "confident": explanation.confident}
            return json.dumps(record), None
    except (DigitpadError, OSError) as exc:
        return None, f"digitpad: error: {source}: {exc}"
    confidence = percent(float(explanation.probabilities.max())) + ("" if explanation.confident else ", not sure")
    return f"{picture}: {explanation.digit} ({confidence}) from {source}", None


def _report(written: tuple[str | None, str | None], out: TextIO, err: TextIO) -> int:
    """Print a written picture's line or its error; 1 for an error."""
    line, error = written
    if error is not None:
        print(error, file=err)
        return 1
    print(line, file=out)
    return 0
