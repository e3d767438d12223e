"""The `digitpad` command: with no subcommand it opens the app (with a file, if one is named);
`classify` reads files, `teach` and `profile` keep the person's samples.

Qt's own options (`-style fusion`, `-platform offscreen`) and everything after `--` go to Qt; any
other argument digitpad does not know is an error, so that a typo never opens an empty window.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from digitpad import __version__, explain_cli, profile_cli, qt_check
from digitpad.errors import ModelConventionError, ModelError
from digitpad.model.choice import model_choice
from digitpad.reading.batch import FileResult, classify_files, expand_paths, summary_line, supported_suffixes
from digitpad.reading.number import NumberReading
from digitpad.reading.prediction import CONFIDENCE_THRESHOLD, Prediction, percent
from digitpad.system import configure_process, usable_cpu_count

if TYPE_CHECKING:
    from digitpad.reading.recognizer import Recognizer

EXIT_OK, EXIT_FILE_ERRORS, EXIT_USAGE = 0, 1, 2
#: Exit status when the window cannot open (no display, missing libraries).
EXIT_NO_WINDOW = 1
#: The subcommands; without one, `digitpad` opens the app (and the FILE named, if any).
COMMANDS = ("classify", "teach", "profile", "explain")


def build_parser(commands: bool = True) -> argparse.ArgumentParser:
    """The command line; `--model` may come before or after `classify` and is read once.

    Without `commands` the one positional is the FILE the app opens.
    """
    model_option = argparse.ArgumentParser(add_help=False)
    model_option.add_argument(
        "--model",
        metavar="M",
        default=argparse.SUPPRESS,  # so that `classify` does not reset a --model given before it
        help="ONNX model to use instead of the app's choice or the shipped one",
    )
    parser = argparse.ArgumentParser(
        prog="digitpad",
        description="Draw a digit and watch a convnet read it. With no command, opens the app, with FILE "
        "(a drawing JSON or an image) on its canvas if given. Qt's own options (e.g. -style fusion, "
        "-platform offscreen) and anything after -- go to Qt.",
        usage="digitpad [--model M] [FILE] [QT OPTIONS] [-- QT ARGUMENTS]\n"
        "       digitpad [--model M] COMMAND ...\n       digitpad --self-test | --version | --help",
        parents=[model_option],
    )
    parser.add_argument("--version", action="version", version=f"digitpad {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation: load the model, read built-in drawings and images, open the window "
        "offscreen; exits 0 if all is well",
    )
    if not commands:
        parser.add_argument("file", nargs="?", type=Path, metavar="FILE",
                            help="a drawing JSON or an image to open in the app")
        parser.set_defaults(command=None)
        return parser
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", prog="digitpad")
    classify = subparsers.add_parser(
        "classify",
        help="classify images and drawing JSON files",
        description="Classify image files (PNG, JPEG, BMP, GIF, WebP) and drawing JSON files; "
        "folders are searched recursively. Exits 1 if any file could not be classified.",
        parents=[model_option],
    )
    classify.add_argument("paths", nargs="+", metavar="PATH", help="image, drawing JSON file or folder")
    classify.add_argument("--json", action="store_true", help="print one JSON object per input line")
    classify.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=usable_cpu_count(),
        metavar="N",
        help="worker processes for reading files (default: one per CPU core)",
    )
    # -- personalization (digitpad.profile_cli) --
    profile_cli.add_classify_options(classify)
    profile_cli.add_commands(subparsers, parents=[model_option])
    # -- Look Inside, headless (digitpad.explain_cli) --
    explain_cli.add_command(subparsers, parents=[model_option])
    return parser


def _json_line(result: FileResult) -> str:
    if result.number is None:
        return json.dumps({"path": str(result.path), "error": result.error})
    record: dict[str, object] = {"path": str(result.path)}
    if result.prediction is not None:  # exactly one digit: the fields every earlier version gave
        record.update(_digit_fields(result.prediction))
    record["number"] = result.number.text
    alone = _model_alone(result.number)
    if alone is not None:
        record["number_from_samples"], record["number_model_alone"] = True, alone
    record["digits"] = [
        {**_digit_fields(d.prediction), "box": [round(v, 1) for v in d.box]} for d in result.number.digits
    ]
    if result.label is not None:
        record["label"] = result.label
    return json.dumps(record)


def _digit_fields(p: Prediction) -> dict[str, object]:
    fields: dict[str, object] = {"digit": p.digit, "probabilities": [round(float(v), 6) for v in p.probabilities],
                                 "confident": p.confident}
    if p.network_probabilities is not None:  # read with the person's samples: what the model alone said
        alone = p.network_probabilities
        fields["from_samples"] = int(alone.argmax()) != p.digit
        fields["model_alone"] = {"digit": int(alone.argmax()),
                                 "probabilities": [round(float(v), 6) for v in alone]}
    return fields


def _model_alone(number: NumberReading) -> str | None:
    """The number the model alone read, when the person's samples changed any digit of it."""
    alone = [d.prediction.network_probabilities for d in number.digits]
    if any(a is None for a in alone):
        return None
    text = "".join(str(int(a.argmax())) for a in alone if a is not None)
    return None if text == number.text else text


def _table_line(result: FileResult) -> str:
    """The number, its least sure digit's confidence, the file; and where the samples decided."""
    number = result.number
    assert number is not None and number.digits
    weakest = min(d.prediction.confidence for d in number.digits)
    note = "" if number.confident else "  (not sure)"
    alone = _model_alone(number)
    if alone is not None:
        note += f"  (from your samples; the model alone: {alone})"
    elif not number.confident and all(d.prediction.network_probabilities is not None
                                      and float(np.max(d.prediction.network_probabilities)) >= CONFIDENCE_THRESHOLD
                                      for d in number.digits):
        note += "  (unsure because of your samples; the model alone is sure)"
    return f"{number.text:>10}  {percent(weakest):>10}  {result.path}{note}"


def label_summary(right: int, labelled: int) -> str:
    return f"digitpad: {right} of {labelled} labelled file(s) read right ({right / labelled:.1%})"


def _chosen_model(args: argparse.Namespace, err: TextIO) -> Path | None:
    """The model chosen in the app, if no --model is given; a warning when its file cannot be used."""
    if args.model:
        return None
    chosen, warning = model_choice()
    if warning:
        print(f"digitpad: warning: {warning}", file=err)
    return chosen


def run_classify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from digitpad.model.choice import load_model
    from digitpad.reading.recognizer import Recognizer

    try:
        # The model picked with the app's File > Open Model, so that the CLI reads as the app does.
        classifier, notice = load_model(args.model, _chosen_model(args, err))
    except ModelError as exc:
        choose = isinstance(exc, ModelConventionError) and exc.choices
        hint = "; open it once in the app (File ▸ Open Model) to choose, and the command line uses that choice too"
        print(f"digitpad: {exc}{hint if choose else ''}", file=err)
        return EXIT_USAGE
    if notice:
        print(f"digitpad: warning: {notice}", file=err)
    recognizer = Recognizer(classifier)
    paths = list(expand_paths(args.paths))
    if not paths:
        print(f"digitpad: no image or drawing files in {', '.join(args.paths)} "
              f"(looked for {', '.join(supported_suffixes())})", file=err)
        return EXIT_FILE_ERRORS
    profile = profile_cli.personalize_for_classify(args, recognizer, err)
    try:
        return _classify(args, paths, recognizer, out, err)
    finally:
        if profile is not None:
            profile.close()


def _classify(args: argparse.Namespace, paths: list[Path], recognizer: Recognizer, out: TextIO, err: TextIO) -> int:
    failures = labelled = right = from_samples = 0
    if not args.json:
        print(f"{'number':>10}  {'confidence':>10}  file", file=out)
    for result in classify_files(paths, recognizer, workers=max(args.jobs, 1)):
        if result.number is None:
            failures += 1
        if result.label is not None:
            labelled += 1
            right += result.number is not None and result.number.text == result.label
        from_samples += result.number is not None and _model_alone(result.number) is not None
        if args.json:
            print(_json_line(result), file=out)
        elif result.number is None:
            print(f"digitpad: error: {result.error}", file=err)
        else:
            print(_table_line(result), file=out)
    if not args.json:
        adapter = recognizer.adapter
        profile = "" if adapter is None else (
            f" and your profile ({len(adapter)} sample{'s' if len(adapter) != 1 else ''}; "
            f"{from_samples} answer{'s' if from_samples != 1 else ''} from your samples)")
        print(summary_line(len(paths) - failures, len(paths), recognizer.classifier.info) + profile, file=out)
    if labelled:
        print(label_summary(right, labelled), file=err)
    if failures:
        print(f"digitpad: {failures} file(s) could not be classified", file=err)
    return EXIT_FILE_ERRORS if failures else EXIT_OK


def run_teach(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Teach with the model the app reads with (its embeddings are derived now); without one, store only."""
    from digitpad.model.choice import load_model
    from digitpad.reading.recognizer import Recognizer

    recognizer: Recognizer | None = None
    try:
        classifier, notice = load_model(args.model, _chosen_model(args, err))
        recognizer = Recognizer(classifier)
        if notice:
            print(f"digitpad: warning: {notice}", file=err)
    except ModelError as exc:
        print(f"digitpad: note: {exc}; the samples are stored, their embeddings derived later", file=err)
    return profile_cli.run_teach(args, recognizer, out, err)


def unknown_command(word: str) -> str:
    """The error for a word that is neither a command nor a file, with the likeliest command."""
    close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (f"digitpad: error: {word!r} is not a command or a file{hint}; "
            f"the commands are {', '.join(COMMANDS)}; see digitpad --help")


#: The options of `digitpad` without a command (besides Qt's, in `qt_check`).
APP_OPTIONS = ("--model", "--version", "--self-test", "-h", "--help")


def unknown_option(option: str) -> str:
    """The error for an option neither digitpad nor Qt knows, with the likeliest of theirs."""
    name = option.split("=", 1)[0]
    known = [*APP_OPTIONS, *sorted(qt_check.QT_VALUE_OPTIONS | qt_check.QT_FLAG_OPTIONS)]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (f"digitpad: error: unknown option {name}{hint}; see digitpad --help "
            "(arguments for Qt go after --)")


def looks_like_a_command(word: Path) -> bool:
    """A word with no folder and no suffix that names no file: a command mistyped, not a file."""
    return not word.suffix and len(word.parts) == 1 and not word.exists()


def first_positional(argv: Sequence[str]) -> tuple[int, str] | None:
    """Where the first argument that is not an option (nor --model's value) is, and what it is."""
    skip = False
    for index, item in enumerate(argv):
        if skip:
            skip = False
        elif item == "--model":
            skip = True
        elif not item.startswith("-"):
            return index, item
    return None


def app_usage_error(ours: Sequence[str]) -> str | None:
    """What argparse would word less helpfully, for the app's own arguments (Qt's taken out): an
    option neither digitpad nor Qt knows, or a word that is a mistyped command rather than a file."""
    wrong_option = next((item for item in ours if item.startswith("-") and item.split("=", 1)[0] not in APP_OPTIONS),
                        None)
    if wrong_option is not None:
        return unknown_option(wrong_option)
    word = first_positional(ours)
    if word is not None and looks_like_a_command(Path(word[1])):
        return unknown_command(word[1])
    return None


def main(argv: Sequence[str] | None = None) -> int:
    configure_process()  # for worker processes; `python -m digitpad` did it before numpy loaded
    argv = sys.argv[1:] if argv is None else list(argv)
    positional = first_positional(argv)
    if positional is not None and positional[1] in COMMANDS or {"-h", "--help"} & set(argv):
        args = build_parser(commands=True).parse_args(argv)
        qt_args: list[str] = []
    else:
        ours, qt_args = qt_check.split_qt_options(argv)
        problem = app_usage_error(ours)
        if problem:
            print(problem, file=sys.stderr)
            return EXIT_USAGE
        args = build_parser(commands=False).parse_args(ours)
    args.model = getattr(args, "model", None)
    try:
        if args.command == "classify":
            return run_classify(args, sys.stdout, sys.stderr)
        if args.command == "teach":
            return run_teach(args, sys.stdout, sys.stderr)
        if args.command == "profile":
            return profile_cli.run_profile(args, sys.stdout, sys.stderr)
        if args.command == "explain":
            return explain_cli.run_explain(args, sys.stdout, sys.stderr)
        if args.self_test:
            if qt_args or args.file:
                print(f"digitpad: error: --self-test takes no {'file' if args.file else 'Qt options'}",
                      file=sys.stderr)
                return EXIT_USAGE
            from digitpad.selftest import run_self_test

            return run_self_test(args.model, sys.stdout)
        return open_app(args.model, args.file, qt_args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `digitpad classify ... | head`
        sys.stderr.close()
        return EXIT_OK


def open_app(model: str | None, file: Path | None, qt_args: list[str]) -> int:
    """The app, once the file named (if any) and Qt's prospects here are checked, all before Qt loads."""
    if file is not None and not file.exists():
        print(f"digitpad: error: no such file: {file}", file=sys.stderr)
        return EXIT_USAGE
    if file is not None and file.is_dir():
        print(f"digitpad: error: {file} is a folder; the app opens one drawing or image "
              "(digitpad classify reads folders)", file=sys.stderr)
        return EXIT_USAGE
    problem = qt_check.window_problem(qt_args, os.environ)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_NO_WINDOW
    release = qt_check.catch_qt_fatal(lambda text: print(text, file=sys.stderr, flush=True))
    from digitpad.ui.app import main as run_app

    return run_app(model, qt_args, file, started=release)
