"""The `digitpad` command: with no subcommand it opens the app; `digitpad classify` reads files."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from digitpad import __version__, profile_cli
from digitpad.batch import FileResult, classify_files, default_workers, expand_paths
from digitpad.errors import ModelError

if TYPE_CHECKING:
    from digitpad.recognizer import Recognizer

EXIT_OK, EXIT_FILE_ERRORS, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitpad",
        description="Draw a digit and watch a convnet read it. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"digitpad {__version__}")
    parser.add_argument("--model", metavar="M", help="ONNX model to use instead of the app's choice or the shipped one")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation: load the model, read built-in drawings and images, open the window "
        "offscreen; exits 0 if all is well",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    classify = commands.add_parser(
        "classify",
        help="classify images and drawing JSON files",
        description="Classify image files (PNG, JPEG, BMP, GIF, WebP) and drawing JSON files; "
        "folders are searched recursively. Exits 1 if any file could not be classified.",
    )
    classify.add_argument("paths", nargs="+", metavar="PATH", help="image, drawing JSON file or folder")
    classify.add_argument("--json", action="store_true", help="print one JSON object per input line")
    classify.add_argument("--model", metavar="M", dest="classify_model", help="ONNX model to use")
    classify.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=default_workers(),
        metavar="N",
        help="worker processes for reading files (default: one per CPU core)",
    )
    # -- personalization (digitpad.profile_cli) --
    profile_cli.add_classify_options(classify)
    profile_cli.add_commands(commands)
    return parser


def _json_line(result: FileResult) -> str:
    if result.prediction is None:
        return json.dumps({"path": str(result.path), "error": result.error})
    p = result.prediction
    return json.dumps(
        {
            "path": str(result.path),
            "digit": p.digit,
            "probabilities": [round(float(v), 6) for v in p.probabilities],
            "confident": p.confident,
        }
    )


def _table_line(result: FileResult) -> str:
    p = result.prediction
    assert p is not None
    note = "" if p.confident else "  (not sure)"
    return f"{p.digit:>5}  {p.confidence:>10.1%}  {result.path}{note}"


def model_chosen_in_app() -> Path | None:
    """The model picked with the app's File > Open Model, so the CLI reads as the app does."""
    from digitpad.ui.settings import AppSettings

    return AppSettings().model_path


def run_classify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from digitpad.classifier import Classifier
    from digitpad.model_files import resolve_model_path
    from digitpad.recognizer import Recognizer

    explicit = args.classify_model or args.model
    try:
        recognizer = Recognizer(Classifier(resolve_model_path(explicit, None if explicit else model_chosen_in_app())))
    except ModelError as exc:
        print(f"digitpad: {exc}", file=err)
        return EXIT_USAGE
    profile = profile_cli.personalize_for_classify(args, recognizer, err)
    try:
        return _classify(args, recognizer, out, err)
    finally:
        if profile is not None:
            profile.close()


def _classify(args: argparse.Namespace, recognizer: Recognizer, out: TextIO, err: TextIO) -> int:
    failures = 0
    if not args.json:
        print(f"{'digit':>5}  {'confidence':>10}  file", file=out)
    for result in classify_files(expand_paths(args.paths), recognizer, workers=max(args.jobs, 1)):
        if result.prediction is None:
            failures += 1
        if args.json:
            print(_json_line(result), file=out)
        elif result.prediction is None:
            print(f"digitpad: error: {result.error}", file=err)
        else:
            print(_table_line(result), file=out)
    if failures:
        print(f"digitpad: {failures} file(s) could not be classified", file=err)
    return EXIT_FILE_ERRORS if failures else EXIT_OK


def run_teach(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Teach with the model the app reads with (its embeddings are derived now); without one, store only."""
    from digitpad.classifier import Classifier
    from digitpad.model_files import resolve_model_path
    from digitpad.recognizer import Recognizer

    explicit = args.command_model or args.model
    try:
        recognizer = Recognizer(Classifier(resolve_model_path(explicit, None if explicit else model_chosen_in_app())))
    except ModelError as exc:
        print(f"digitpad: note: {exc}; the samples are stored, their embeddings derived later", file=err)
        recognizer = None
    return profile_cli.run_teach(args, recognizer, out, err)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        if args.command == "classify":
            return run_classify(args, sys.stdout, sys.stderr)
        if args.command == "teach":
            return run_teach(args, sys.stdout, sys.stderr)
        if args.command == "profile":
            return profile_cli.run_profile(args, sys.stdout, sys.stderr)
        if args.self_test:
            from digitpad.selftest import run_self_test

            return run_self_test(args.model, sys.stdout)
        from digitpad.ui.app import main as run_app

        return run_app(["--model", args.model] if args.model else [])
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `digitpad classify ... | head`
        sys.stderr.close()
        return EXIT_OK
