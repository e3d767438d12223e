"""`digitpad teach` and `digitpad profile`, and the profile that `digitpad classify` reads with.

Qt-free: the same `Profile` and `Personalization` as the app, at the same default path.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from digitpad.errors import BlankInputError, DigitpadError, ProfileError, SampleLabelError, UnsupportedFileError
from digitpad.ink.drawing import Drawing
from digitpad.ink.drawing_file import load_labelled_drawing
from digitpad.personal.personalize import Personalization, Taught, drawing_key, import_profile
from digitpad.personal.profile import Profile, default_profile_path, open_profile_safely
from digitpad.reading.recognizer import Recognizer

PROFILE_HELP = "profile file (SQLite; created when missing); default: your own, as the app uses: {}"


def add_profile_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", type=Path, metavar="PATH", help=PROFILE_HELP.format(default_profile_path()))


def add_commands(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """The `teach` and `profile` subcommands, on the `digitpad` parser's subparsers (`parents`: --model)."""
    teach = commands.add_parser(
        "teach",
        parents=parents,
        help="teach digitpad your hand: add labelled drawings to your profile",
        description='Add drawing JSON files to a profile: each file\'s "label", or --label D for every file. '
        'A file with one digit is one sample; a number drawing whose "label" has one digit per digit found '
        "(\"2026\" for four digits) gives one sample per digit, as the app's correction of a selected digit does. "
        "A drawing already in the profile is kept once. From then on `digitpad classify` and the app read with "
        "these samples.",
    )
    teach.add_argument("paths", nargs="+", type=Path, metavar="FILE", help="drawing JSON file")
    teach.add_argument("--label", type=digit_label, metavar="D",
                       help="the digit every FILE shows, 0-9 (each FILE must hold one digit)")
    add_profile_option(teach)
    profile = commands.add_parser(
        "profile",
        help="show a profile's samples per digit; export or import one",
        description="Show how many samples of each digit a profile holds; --export copies it to a file and "
        "--import adds another profile's samples.",
    )
    add_profile_option(profile)
    moves = profile.add_mutually_exclusive_group()
    moves.add_argument("--export", type=Path, metavar="FILE", help="write a copy of the profile to FILE")
    moves.add_argument("--import", type=Path, metavar="FILE", dest="import_from", help="add FILE's samples")
    profile.add_argument("--json", action="store_true", help="print the counts as JSON")


def digit_label(text: str) -> int:
    """One ASCII digit, as a drawing file's label must be: `int()` would also take "٣" and "３"."""
    if len(text) != 1 or text not in "0123456789":
        raise argparse.ArgumentTypeError(f"{text!r} is not a digit 0-9")
    return int(text)


def add_classify_options(classify: argparse.ArgumentParser) -> None:
    group = classify.add_mutually_exclusive_group()
    group.add_argument("--profile", type=Path, metavar="PATH",
                       help="read with this profile (default: your own, if you have one; see `digitpad teach`)")
    group.add_argument("--no-profile", action="store_true", help="read with the model alone")


def labelled_samples(path: Path, label: int | None, recognizer: Recognizer | None) -> list[tuple[Drawing, int]]:
    """The samples of a drawing file: one per digit found, labelled by `label` (--label) or the file's "label".

    The file is read as any drawing is (bounded, regular files only). The digits are found as the
    app finds them (`Recognizer.read_number`); a label that does not give one digit per digit found
    is refused, never guessed at: a sample must be one digit.
    """
    drawing, written = load_labelled_drawing(path)
    if label is not None:
        written = str(label)
    elif written is None:
        raise SampleLabelError(f'{path}: no "label" in the file; give the digit with --label D')
    if drawing.ink_bounds() is None:
        raise BlankInputError(f"{path}: the drawing has no ink")
    if recognizer is None:  # no model to find the digits with: only a one-digit label is safe
        if len(written) != 1:
            raise SampleLabelError(f'{path}: "label" {written!r} has {len(written)} digits, and without a model '
                                "digitpad cannot find them in the drawing; a sample is one digit")
        return [(drawing, int(written))]
    digits = recognizer.read_number(drawing).digits
    if len(digits) != len(written):
        found = f"{len(digits)} digit{'s' if len(digits) != 1 else ''}"
        given = "--label gives one" if label is not None else f'"label" {written!r} gives {len(written)}'
        raise SampleLabelError(f"{path}: digitpad finds {found} in the drawing but {given}; a sample is one digit, "
                            'so give a "label" with one digit per digit drawn (e.g. "2026"), or split the drawing')
    if len(digits) == 1:
        return [(drawing, int(written))]
    return [(Drawing(tuple(drawing.strokes[i] for i in d.pieces), drawing.width, drawing.height, drawing.pen_width),
             int(digit)) for d, digit in zip(digits, written)]


def _open(path: Path | None, err: TextIO, create: bool = True) -> Profile | None:
    target = path or default_profile_path()
    if not create and not target.exists():
        return None
    profile, message = open_profile_safely(target)
    if message:
        print(f"digitpad: {message}", file=err)
    return profile


def personalize_for_classify(args: argparse.Namespace, recognizer: Recognizer, err: TextIO) -> Profile | None:
    """Attach the profile classify should read with: --profile, else the person's own if it exists."""
    if args.no_profile:
        return None
    profile = _open(args.profile, err, create=args.profile is not None)
    if profile is None:
        return None
    personalization = Personalization(profile, recognizer)
    if personalization.notice and len(profile):
        print(f"digitpad: note: {personalization.notice}", file=err)
    return profile


def teach_without_model(profile: Profile, items: list[tuple[Drawing, int]]) -> Taught:
    """Store samples with no model to embed them (they are derived when a model reads the profile), each once."""
    held = {drawing_key(s.drawing): s for s in profile.samples()}
    new, already = {}, []
    for drawing, label in items:
        key = drawing_key(drawing)
        if key in held and held[key].label == label:
            already.append(held[key])
        else:
            new[key] = (drawing, label)
    return Taught(profile.add_many(list(new.values())), already)


def run_teach(args: argparse.Namespace, recognizer: Recognizer | None, out: TextIO, err: TextIO) -> int:
    """Returns 0, 1 if any file could not be taught (the others are), 2 if the profile cannot be used."""
    items: list[tuple[Drawing, int]] = []
    failures = 0
    for path in args.paths:
        try:
            if path.suffix.lower() != ".json":
                raise UnsupportedFileError(
                    f"{path}: only drawing JSON files can be taught (a profile keeps the strokes)")
            items.extend(labelled_samples(path, args.label, recognizer))
        except DigitpadError as exc:
            print(f"digitpad: error: {exc}", file=err)
            failures += 1
    profile = _open(args.profile, err)
    if profile is None:
        return 2
    with profile:
        try:
            if recognizer is not None:
                personalization = Personalization(profile, recognizer)
                if personalization.notice:
                    print(f"digitpad: note: {personalization.notice}", file=err)
                taught = personalization.teach_many(items)
            else:
                taught = teach_without_model(profile, items)
        except ProfileError as exc:
            print(f"digitpad: {exc}", file=err)
            return 2
        print(f"{taught.describe()}; {profile.path} holds {len(profile)}", file=out)
    return 1 if failures else 0


def run_profile(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    profile = _open(args.profile, err)
    if profile is None:
        return 2
    with profile:
        try:
            if args.export:
                profile.export_to(args.export)
                print(f"wrote {args.export}: {len(profile)} sample(s)", file=out)
                return 0
            if args.import_from:
                taught = import_profile(profile, args.import_from)
                kept = f"; {len(taught.already)} already in the profile, kept once" if taught.already else ""
                skipped = f"; {taught.skipped} unusable row(s) skipped" if taught.skipped else ""
                print(f"added {len(taught.added)} sample(s) from {args.import_from}{kept}{skipped}", file=out)
        except ProfileError as exc:
            print(f"digitpad: {exc}", file=err)
            return 1
        counts = profile.counts()
        if profile.skipped:
            print(f"digitpad: note: {profile.path} has {profile.skipped} unusable row(s), which are not read",
                  file=err)
        if args.json:
            print(json.dumps({"profile": str(profile.path), "samples": {str(d): n for d, n in counts.items()}}),
                  file=out)
        else:
            print(f"{profile.path}: {sum(counts.values())} sample(s)", file=out)
            print("digit   " + "  ".join(f"{d:>3}" for d in counts), file=out)
            print("samples " + "  ".join(f"{n:>3}" for n in counts.values()), file=out)
    return 0
