"""Classify many files in one go: images, drawing JSON files and whole folders.

Files are read and preprocessed (in worker processes when there are many), then classified in
batches of BATCH_SIZE, so 10,000 files take one pass and bounded memory. A bad file yields its own
error; the rest go on.
"""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np

from digitpad.errors import BlankInputError, DigitpadError, InferenceError, ModelTimeoutError, UnsupportedFileError
from digitpad.ink.drawing_file import load_labelled_drawing
from digitpad.ink.image_file import IMAGE_SUFFIXES, read_image
from digitpad.ink.image_ink import pixels_to_ink
from digitpad.ink.normalize import Normalization
from digitpad.model.classifier import ModelInfo
from digitpad.reading.number import (
    Candidates,
    NumberReading,
    choose,
    decide,
    drawing_candidates,
    ink_candidates,
    whole_first_candidates,
)
from digitpad.reading.prediction import Prediction
from digitpad.reading.recognizer import Recognizer

DRAWING_SUFFIXES = (".json",)
#: How many inputs go to ONNX Runtime in one call.
BATCH_SIZE = 256
#: Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 200
#: glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


@dataclass(frozen=True)
class FileResult:
    """The outcome for one input file: the number read, or an error message, never both."""

    path: Path
    prediction: Prediction | None = None  #: the digit's answer when exactly one digit was found
    error: str | None = None
    number: NumberReading | None = None  #: every digit found, left to right
    label: str | None = None  #: what a drawing file says it is, if it says


def summary_line(read: int, total: int, info: ModelInfo) -> str:
    """'3 of 3 file(s) read with NAME (PATH)', and how a model of another convention was fed, for `classify`."""
    fed = f"; fed as {info.feeding.note()}" if info.feeding is not None else ""
    return f"{read} of {total} file(s) read with {info.name} ({info.path}){fed}"


def supported_suffixes() -> tuple[str, ...]:
    """The file name endings `classify` reads, and looks for inside folders."""
    return DRAWING_SUFFIXES + IMAGE_SUFFIXES


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files named directly, then the files inside named folders (recursively, sorted, by suffix)."""
    suffixes = supported_suffixes()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if name.lower().endswith(suffixes):
                        yield Path(root) / name
        else:
            yield path


def candidates_for_file(path: Path, spec: Normalization, whole_first: bool = True) -> tuple[Candidates, str | None]:
    """The candidate digits of one image or drawing file, and the drawing's label if it has one.

    `whole_first`: a drawing whose strokes may all be one digit gets only that run rendered
    (`whole_first_candidates`); `classify_files` renders the rest only if its reading does not settle it.
    """
    if path.suffix.lower() in DRAWING_SUFFIXES:
        drawing, label = load_labelled_drawing(path)
        if drawing.ink_bounds() is None:
            raise BlankInputError(f"{path}: the drawing is blank (no ink on the canvas)")
        return (whole_first_candidates if whole_first else drawing_candidates)(drawing, spec), label
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        supported = ", ".join(supported_suffixes())
        raise UnsupportedFileError(f"{path}: unsupported file type; digitpad reads {supported}")
    ink = pixels_to_ink(read_image(path))
    candidates = None if ink is None else ink_candidates(ink, spec)
    if candidates is None or not candidates.runs:
        raise BlankInputError(f"{path}: the image is blank (no ink found)")
    return candidates, None


Prepared = tuple["Candidates | None", "str | None", "str | None"]  #: (candidates, label, error)


def _prepare(path: Path, spec: Normalization, whole_first: bool = True) -> Prepared:
    """(candidates, label, None) or (None, None, error message): picklable, for worker processes."""
    try:
        return (*candidates_for_file(path, spec, whole_first), None)
    except DigitpadError as exc:
        return None, None, str(exc)
    except MemoryError:
        return None, None, f"{path}: not enough memory to read the file"
    except Exception as exc:  # whatever else makes one file unreadable is that file's error
        return None, None, f"{path}: cannot read the file ({type(exc).__name__}: {exc})"


def _keep_freed_memory() -> None:
    """Worker start-up: let glibc's malloc keep freed memory instead of handing it back at once.

    Rendering a drawing allocates and frees a few hundred KB of arrays; by default each free near
    the top of the heap shrinks it (a brk system call) and the next drawing grows it again. In
    worker processes that churn cost more system time than the rendering itself took in user
    time (measured: 2.9 s of system time for 6,000 files, 0.4 s with this). No-op off glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_TRIM_THRESHOLD, 256 << 20)
        libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
    except (OSError, AttributeError):
        pass


def _prepared(paths: list[Path], spec: Normalization, workers: int) -> Iterator[Prepared]:
    prepare = functools.partial(_prepare, spec=spec)
    if workers <= 1 or len(paths) < PARALLEL_THRESHOLD:
        yield from map(prepare, paths)
        return
    # "spawn": a forked child would inherit ONNX Runtime's threads in an unknown state.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_keep_freed_memory) as pool:
        yield from pool.map(prepare, paths, chunksize=32)


def classify_files(
    paths: Iterable[Path], recognizer: Recognizer, batch_size: int = BATCH_SIZE, workers: int = 1
) -> Iterator[FileResult]:
    """Results in input order; the candidate digits of each batch of files go to the model in one call.

    A drawing that may be one digit is read as one first; only when that reading does not settle
    it (`number.decide`: rare) are its other runs rendered, here, and read. A model that runs past
    its time limit once is not run again: every later file gets the same error at once, so a
    hostile model costs one time limit, not one per batch.
    """
    paths = list(paths)
    spec = recognizer.normalization
    prepared = _prepared(paths, spec, workers)
    stopped: str | None = None
    for start in range(0, len(paths), batch_size):
        batch = list(zip(paths[start : start + batch_size], islice(prepared, batch_size)))
        good = {k: candidates for k, (_, (candidates, _, _)) in enumerate(batch) if candidates is not None}
        predictions, failure, stopped = _predict(recognizer, list(good.values()), stopped)
        numbers: dict[int, NumberReading] = {}
        errors: dict[int, str] = {}
        if failure is None:
            undecided = []
            for k, page in good.items():
                number = decide(page, list(islice(predictions, len(page.runs))))
                if number is None:
                    undecided.append(k)
                else:
                    numbers[k] = number
            full = {k: _prepare(batch[k][0], spec, whole_first=False) for k in undecided}
            again = {k: candidates for k, (candidates, _, _) in full.items() if candidates is not None}
            errors.update({k: error or "" for k, (candidates, _, error) in full.items() if candidates is None})
            predictions, late_failure, stopped = _predict(recognizer, list(again.values()), stopped)
            for k, page in again.items():
                if late_failure is None:
                    numbers[k] = choose(page, list(islice(predictions, len(page.runs))))
                else:
                    errors[k] = f"{batch[k][0]}: {late_failure}"
        for k, (path, (read, label, error)) in enumerate(batch):
            if read is None:
                yield FileResult(path, error=error, label=label)
            elif failure is not None:
                yield FileResult(path, error=f"{path}: {failure}", label=label)
            elif k in errors:
                yield FileResult(path, error=errors[k], label=label)
            else:
                yield FileResult(path, numbers[k].single, number=numbers[k], label=label)


def _predict(
    recognizer: Recognizer, candidates: list[Candidates], stopped: str | None
) -> tuple[Iterator[Prediction], str | None, str | None]:
    """(the answers for every run, in order; the failure all these files share, if any; the time
    limit's message once the model ran past it, after which it is never run again)."""
    if stopped is not None:
        return iter(()), stopped, stopped
    if not candidates:
        return iter(()), None, None
    try:
        return iter(recognizer.predict_inputs(np.concatenate([c.inputs for c in candidates]))), None, None
    except ModelTimeoutError as exc:
        return iter(()), str(exc), str(exc)
    except InferenceError as exc:  # the model itself failed: every file of the batch says so
        return iter(()), str(exc), None
