"""python -m training COMMAND: recipe, download, train, interpolate, export, evaluate, evaluate-drawings,
evaluate-numbers, evaluate-adaptation, personalize, add-layer-outputs.

The entry point sets the OpenMP wait policy before anything loads torch, and without the [train]
extra every command ends in a one-line install hint instead of a traceback.
"""

from __future__ import annotations

from training import set_thread_policy

set_thread_policy()  # before torch is first imported, by any module below

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from typing import NamedTuple  # noqa: E402

from digitpad.errors import DigitpadError  # noqa: E402
from training import commands, download  # noqa: E402
from training.evaluate import adaptation, drawings, mnist, numbers  # noqa: E402

#: The [train] extra's modules (import names), and the hint when any is missing.
TRAIN_EXTRA = ("torch", "onnx", "onnxscript", "sklearn", "matplotlib", "tqdm", "platformdirs")
INSTALL_HINT = "python -m training needs the [train] extra: pip install -e '.[train]' (see README, Training)"


class Command(NamedTuple):
    help: str  #: its line in `python -m training --help`
    add_arguments: Callable[[argparse.ArgumentParser], None]  #: its description and options
    run: Callable[[argparse.Namespace], int]  #: the exit status


#: Every command, in the order --help lists them. Each pair lives in a module that loads without torch
#: and onnx (the work is imported by `run`), so that --help needs no extra.
COMMANDS = {
    "recipe": Command("the shipped model's whole recipe in one command (resumable: rerun it to continue)",
                      commands.add_recipe_arguments, commands.run_recipe),
    "download": Command("fetch and verify the MNIST files", download.add_arguments, download.run),
    "train": Command("train the seed convnet (checkpoint every epoch; Ctrl-C saves one)",
                     commands.add_train_arguments, commands.run_train),
    "evaluate": Command("test-set accuracy, per-class figures, confusion matrix, mistakes",
                        mnist.add_arguments, mnist.run),
    "export": Command("export a checkpoint to ONNX, checked for parity with PyTorch",
                      commands.add_export_arguments, commands.run_export),
    "interpolate": Command("average a fine-tuned network with the one it started from (WiSE-FT)",
                           commands.add_interpolate_arguments, commands.run_interpolate),
    "evaluate-drawings": Command("accuracy on pen-drawn digits replayed on the canvas",
                                 drawings.add_arguments, drawings.run),
    "evaluate-numbers": Command("accuracy on numbers composed from each writer's pen digits",
                                numbers.add_arguments, numbers.run),
    "evaluate-adaptation": Command("does a profile help its writer? (enrolment and corrections replayed per writer)",
                                   adaptation.add_arguments, adaptation.run),
    "quantize": Command("an exported model in int8 (static QDQ), checked against the float model",
                        commands.add_quantize_arguments, commands.run_quantize),
    "personalize": Command("fine-tune a model on one person's exported profile",
                           commands.add_personalize_arguments, commands.run_personalize),
    "add-layer-outputs": Command("give an exported ONNX model the layer outputs that Look Inside shows, "
                                 "probabilities unchanged",
                                 commands.add_layer_outputs_arguments, commands.run_add_layer_outputs),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=(
        "Train digitpad's convnet on MNIST and pen drawings, evaluate it and export it to ONNX. "
        "`recipe --out runs/NAME` makes a model the way the shipped one was made (models/README.md)."))
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        command.add_arguments(subparsers.add_parser(name, help=command.help))
    return parser


def missing_extra() -> list[str]:
    """The [train] extra's modules that cannot be imported here."""
    missing = []
    for name in TRAIN_EXTRA:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
            found = False
        if not found:
            missing.append(name)
    return missing


def main(argv: Sequence[str] | None = None) -> int:
    missing = missing_extra()
    hint = f"{INSTALL_HINT} (missing here: {', '.join(missing)})" if missing else None
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:  # --help, or a usage error: argparse has had its say; the hint ends it
        if hint is not None:
            print(hint, file=sys.stderr)
        raise
    if hint is not None:
        print(f"error: {hint}", file=sys.stderr)
        return 1
    try:
        return COMMANDS[args.command].run(args)
    except ModuleNotFoundError as exc:  # a part of the extra that is broken rather than absent
        print(f"error: {INSTALL_HINT} (cannot import {exc.name})", file=sys.stderr)
        return 1
    except DigitpadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. a run folder that cannot be created
        print(f"error: {exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
