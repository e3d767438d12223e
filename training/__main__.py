"""python -m training COMMAND: recipe, download, train, interpolate, export, evaluate, evaluate-drawings,
evaluate-numbers, evaluate-adaptation, personalize, add-layer-outputs.

The entry point sets the OpenMP wait policy before anything loads torch, and without the [train]
extra every command ends in a one-line install hint instead of a traceback.
"""

from __future__ import annotations

from training import set_thread_policy

set_thread_policy()  # before torch is first imported, by any module below

import argparse  # noqa: E402
import contextlib  # noqa: E402
import importlib.util  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from digitpad.errors import DigitpadError  # noqa: E402
from training.data import DATA_DIR_ENV, resolve_data_dir  # noqa: E402

DEFAULT_RUN = Path("runs") / "seed"
DEFAULT_MODEL = Path("models") / "digitpad.onnx"
#: MNIST's test set, which the repo carries (data/mnist-test/README.md).
MNIST_TEST_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist-test"
PRECISION_CHOICES = ("auto", "bf16", "fp32")  #: training.machine.PRECISIONS, which imports torch

#: The [train] extra's modules (import names), and the hint when any is missing.
TRAIN_EXTRA = ("torch", "onnx", "onnxscript", "sklearn", "matplotlib", "tqdm", "platformdirs")
INSTALL_HINT = "python -m training needs the [train] extra: pip install -e '.[train]' (see README, Training)"


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


#: --flag → TrainConfig field, for the recipe settings the command line can change.
CONFIG_FLAGS = {
    "epochs": int, "batch_size": int, "peak_lr": float, "weight_decay": float, "label_smoothing": float,
    "ema_decay": float, "seed": int, "val_size": int, "train_subset": int,
}


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, metavar="DIR",
                        help=f"folder with the four MNIST IDX files (.gz or raw); default ${DATA_DIR_ENV}, "
                             "else a per-user cache folder that is filled by downloading")
    parser.add_argument("--mirror", action="append", metavar="URL",
                        help="base URL serving <file>.gz, tried in order (repeatable); "
                             "default $DIGITPAD_MNIST_MIRRORS, else the standard public mirrors")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=(
        "Train digitpad's convnet on MNIST and pen drawings, evaluate it and export it to ONNX. "
        "`recipe --out runs/NAME` makes a model the way the shipped one was made (models/README.md)."))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add = commands.add_parser

    recipe = add(
        "recipe", help="the shipped model's whole recipe in one command (resumable: rerun it to continue)",
        description="Train on MNIST, fine-tune on pen drawings, interpolate the weights, export to ONNX and "
                    "evaluate, into one run folder. Ctrl-C or a kill at any point loses at most the epoch in "
                    "progress: rerun the same command to continue.")
    _add_data_options(recipe)
    recipe.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="run folder; the model is DIR/NAME.onnx, NAME being the folder's name")
    recipe.add_argument("--quick", action="store_true",
                        help="a short recipe: a usable model (MNIST test >= 99%%) in a few minutes")
    recipe.add_argument("--cv", action="store_true",
                        help="also measure the accuracy on unseen writers' drawings (writer-disjoint 5-fold "
                             "cross-validation: the pen stage five more times); it goes into the model's metadata")
    recipe.add_argument("--drawings", type=Path, metavar="FILE",
                        help="pen-drawn digits (.jsonl[.gz]) for the pen stage (default: the repository's UNIPEN set)")
    recipe.add_argument("--distill", type=int, default=0, metavar="K", choices=range(5),  # recipe.TEACHER_VARIANTS
                        help="train K teachers (1-4; stage 2 varied: pen width, seed, augmentation) and make the "
                             "pen stage their student (issue 15; experimental, see models/README.md)")
    recipe.add_argument("--profile", type=Path, metavar="FILE",
                        help="include a person's samples: fine-tune the model on this profile's samples at the "
                             "end, as `personalize` does (a digitpad profile: `digitpad profile --export FILE`); "
                             "the run keeps a copy, made at its first call")
    recipe.add_argument("--resume", action="store_true",
                        help="continue the run in --out with the settings it was started with (its recipe.json), "
                             "without repeating its flags")
    recipe.add_argument("--progress-json", metavar="FILE",
                        help="also write the progress as JSON lines to FILE ('-': standard output, then the "
                             "rest of the output goes to standard error); see README, Training")
    _add_machine_options(recipe)

    download = add("download", help="fetch and verify the MNIST files",
                                   description="Download the MNIST files that the data folder lacks, verifying "
                                               "each one's content MD5 before it is renamed into place.")
    _add_data_options(download)

    train = add("train", help="train the seed convnet (checkpoint every epoch; Ctrl-C saves one)",
                                description="Train the seed convnet with the recipe in training/config.py. "
                                            "Ctrl-C saves a checkpoint; --resume continues exactly where it stopped.")
    _add_data_options(train)
    train.add_argument("--out", type=Path, default=DEFAULT_RUN, metavar="DIR",
                       help=f"run folder for last.pt, best.pt and history.json (default {DEFAULT_RUN})")
    train.add_argument("--resume", action="store_true", help="continue the run in --out from its last.pt")
    for name, kind in CONFIG_FLAGS.items():
        train.add_argument(f"--{name.replace('_', '-')}", type=kind, metavar=kind.__name__.upper(),
                           help=f"recipe setting {name} (default: training/config.py)")
    train.add_argument("--init-from", metavar="CHECKPOINT",
                       help="start from this checkpoint's weights (fine-tuning) instead of random ones")
    train.add_argument("--drawings", metavar="FILE",
                       help="pen-drawn digits (.jsonl[.gz]) to render through the app's pipeline and train on")
    train.add_argument("--drawing-copies", type=int, metavar="N",
                       help="augmented renderings of every drawing (default: training/config.py)")
    train.add_argument("--drawing-seed", type=int, metavar="N",
                       help="seeds the drawings' renderings (default: training/config.py); another seed, other "
                            "renderings: for a second network of an ensemble")
    train.add_argument("--hold-out-fold", type=int, metavar="K",
                       help="leave the writers of writer-disjoint fold K (of 5) out, to judge the model on them")
    train.add_argument("--input-pen", type=float, metavar="PX",
                       help="the model's input: strokes redrawn with a pen of PX pixels of the 28x28 frame "
                            "(stroke-width normalization; default: MNIST's normalization)")
    train.add_argument("--no-augment", action="store_true", help="train on the images as they are")
    train.add_argument("--teachers", nargs="+", metavar="CHECKPOINT",
                       help="distillation: also learn the mean logits of these networks (soft targets at "
                            "temperature 4), each fed the images as it was trained to read them")
    train.add_argument("--stroke-copies", type=int, metavar="N",
                       help="with --teachers and --drawings: N more renderings of every drawing with stroke-level "
                            "augmentation, learnt from the teachers only (default 2)")
    _add_machine_options(train)
    train.add_argument("--device", metavar="NAME", help="torch device, e.g. cpu or cuda (default: a GPU if present)")

    evaluate = add("evaluate", help="test-set accuracy, per-class figures, confusion matrix, mistakes",
                                   description="Evaluate a checkpoint (.pt) or an ONNX model (.onnx, run by the "
                                               "app's classifier) on the MNIST test set.")
    evaluate.add_argument("model", type=Path, nargs="?", default=DEFAULT_MODEL,
                          help=f"checkpoint or ONNX file (default {DEFAULT_MODEL})")
    evaluate.add_argument("--out", type=Path, metavar="DIR",
                          help="folder for metrics.json, confusion_matrix.png and misclassified.png "
                               "(default: the model's folder)")
    _add_data_options(evaluate)

    export = add("export", help="export a checkpoint to ONNX, checked for parity with PyTorch",
                                 description="Export a checkpoint to ONNX with metadata; the file is replaced only "
                                             "if onnx.checker, the app's validation and the test-set parity pass.")
    export.add_argument("checkpoint", type=Path, nargs="?", default=DEFAULT_RUN / "best.pt",
                        help=f"checkpoint to export (default {DEFAULT_RUN / 'best.pt'})")
    export.add_argument("--out", type=Path, metavar="FILE",
                        help="ONNX file to write (default: model.onnx beside the checkpoint)")
    export.add_argument("--name", metavar="TEXT",
                        help="the model's name, shown by the app (default: the checkpoint's folder's name)")
    export.add_argument("--no-calibration", action="store_true",
                        help="keep the raw softmax (no temperature fitted on the validation split)")
    export.add_argument("--drawing-report", type=Path, metavar="FILE",
                        help="report.json of `evaluate-drawings --fold-models ...`: its writer-disjoint accuracy "
                             "on pen drawings is written into the model's metadata")
    _add_data_options(export)

    interpolate = add(
        "interpolate", help="average a fine-tuned network with the one it started from (WiSE-FT)",
        description="Write a checkpoint whose weights are (1 - W) * BASE + W * TUNED: most of the fine-tuning's "
                    "gain, most of the base network's MNIST accuracy. Export it like any checkpoint.")
    interpolate.add_argument("base", type=Path, help="the checkpoint the fine-tuning started from (--init-from)")
    interpolate.add_argument("tuned", type=Path, help="the fine-tuned checkpoint")
    interpolate.add_argument("--weight", type=float, default=0.7, metavar="W",
                             help="share of the fine-tuned weights, in [0, 1] (default 0.7)")
    interpolate.add_argument("--out", type=Path, required=True, metavar="FILE", help="checkpoint to write")

    from training.evaluate import drawings as evaluate_drawings

    drawings = add("evaluate-drawings", help="accuracy on pen-drawn digits replayed on the canvas",
                                   description=evaluate_drawings.__doc__.split("\n\n")[0])
    evaluate_drawings.add_arguments(drawings)

    from training.evaluate import numbers as evaluate_numbers

    numbers = commands.add_parser("evaluate-numbers", help="accuracy on numbers composed from each writer's pen digits",
                                  description=evaluate_numbers.__doc__.split("\n\n")[0])
    evaluate_numbers.add_arguments(numbers)
    from training.evaluate import adaptation as evaluate_adaptation

    adaptation = commands.add_parser("evaluate-adaptation", help="does a profile help its writer? (enrolment and "
                                     "corrections replayed per writer)",
                                     description=evaluate_adaptation.__doc__.split("\n\n")[0])
    evaluate_adaptation.add_arguments(adaptation)

    quantize = commands.add_parser(
        "quantize", help="an exported model in int8 (static QDQ), checked against the float model",
        description="Quantize an exported model's convolutions and dense layers to int8 (per channel, calibrated "
                    "on MNIST training images) and write it only if it answers like the float model.")
    quantize.add_argument("model", type=Path, help="the float ONNX model (`export`'s output)")
    quantize.add_argument("--out", type=Path, metavar="FILE", help="default: MODEL-int8.onnx beside it")
    quantize.add_argument("--drawings", type=Path, metavar="FILE",
                          help="pen drawings whose answers must agree too (default: the repository's UNIPEN set)")
    _add_data_options(quantize)

    # Defined here, not in training.personal_model, which loads torch: --help works without the extra.
    personal = commands.add_parser("personalize", help="fine-tune a model on one person's exported profile",
                                   description="A personal model: the shipped network fine-tuned on one person's "
                                   "exported profile (for power users; the app adapts without it).")
    personal.add_argument("--profile", type=Path, required=True, help="a profile file (`digitpad profile --export`)")
    personal.add_argument("--model", type=Path, default=None, help="the ONNX model to start from (default: shipped)")
    personal.add_argument("--out", type=Path, required=True, help="the personal ONNX model to write")
    personal.add_argument("--steps", type=int, default=300, help="training steps of 32 samples + 96 MNIST digits")
    personal.add_argument("--data-dir", type=Path, metavar="DIR", help="MNIST folder (default: as for `train`)")

    # Defined here, not in training.layer_outputs, which loads onnx: --help works without the extra.
    layers = commands.add_parser("add-layer-outputs", help="give an exported ONNX model the layer outputs that "
                                 "Look Inside shows, probabilities unchanged",
                                 description="Add the layer and filter outputs of digitpad's contract to an ONNX "
                                 "file written by `export` (graph surgery, no retraining); the file is replaced "
                                 "only if its probabilities stay bit-identical and the layers match PyTorch's.")
    layers.add_argument("model", type=Path, nargs="?", default=DEFAULT_MODEL,
                        help=f"ONNX file exported by `python -m training export` (default {DEFAULT_MODEL})")
    layers.add_argument("--out", type=Path, metavar="FILE", help="file to write (default: replace MODEL)")
    layers.add_argument("--data-dir", type=Path, metavar="DIR", default=MNIST_TEST_DIR,
                        help=f"folder with MNIST's test-set IDX files, the check's images (default {MNIST_TEST_DIR}, "
                             "which the repo carries)")
    return parser


def _add_machine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--precision", choices=PRECISION_CHOICES,
                        help="the training forward pass: bf16 (autocast) or fp32; auto (the default for a new run) "
                             "takes bf16 only where the CPU computes it natively (AVX512-BF16, AMX), where it is "
                             "about twice as fast; emulated, it is up to ten times slower. A resumed run keeps its own")
    parser.add_argument("--fp32", action="store_const", const="fp32", dest="precision",
                        help="the same as --precision fp32")
    parser.add_argument("--threads", type=int, metavar="N", help="CPU threads (default: all cores)")


def _config_changes(args: argparse.Namespace) -> dict[str, Any]:
    from digitpad.ink.normalize import Normalization
    from training.augment import NO_AUGMENTATION
    from training.config import PenDrawings

    changes = {name: getattr(args, name) for name in CONFIG_FLAGS if getattr(args, name) is not None}
    if args.no_augment:
        changes["augment"] = NO_AUGMENTATION
    if args.precision is not None or not args.resume:  # a resumed run keeps its precision unless told
        from training.machine import choose_precision, default_device

        changes["bf16"] = choose_precision(args.precision or "auto", args.device or default_device())
    if args.init_from is not None:
        changes["init_from"] = args.init_from
    if args.input_pen is not None:
        changes["normalization"] = Normalization(pen=args.input_pen)
    if args.teachers is not None:
        from training.config import Distillation

        extra = {} if args.stroke_copies is None else {"extra_copies": args.stroke_copies}
        changes["distill"] = Distillation(tuple(args.teachers), **extra)
    elif args.stroke_copies is not None:
        raise SystemExit("--stroke-copies needs --teachers CHECKPOINT ...")
    drawing_options = {"copies": args.drawing_copies, "hold_out_fold": args.hold_out_fold, "seed": args.drawing_seed}
    if args.drawings is not None:
        changes["drawings"] = PenDrawings(args.drawings, **{k: v for k, v in drawing_options.items() if v is not None})
    elif any(v is not None for v in drawing_options.values()):
        raise SystemExit("--drawing-copies, --drawing-seed and --hold-out-fold need --drawings FILE")
    return changes


def run_download(args: argparse.Namespace) -> int:
    from training.data import load_mnist
    from training.download import download_mnist

    folder = resolve_data_dir(args.data_dir)[0]
    fetched = download_mnist(folder, args.mirror, progress=not args.quiet)
    load_mnist(folder)  # verifies all four, including those that were already there
    print(f"{folder}: MNIST verified ({len(fetched)} file(s) downloaded)")
    return 0


def run_train(args: argparse.Namespace) -> int:
    from training.checkpoint import load_checkpoint
    from training.config import TrainConfig
    from training.download import obtain_mnist
    from training.train import train

    changes = _config_changes(args)
    if args.resume:
        saved = TrainConfig.from_dict(load_checkpoint(args.out / "last.pt")["config"])
        config = saved.replace(**changes)
    else:
        config = TrainConfig().replace(**changes)
    mnist = obtain_mnist(args.data_dir, args.mirror, progress=not args.quiet)
    result = train(config, mnist, args.out, resume=args.resume, device=args.device, threads=args.threads,
                   progress=not args.quiet)
    if result.interrupted:
        print(f"stopped; continue with: python -m training train --resume --out {args.out}", file=sys.stderr)
        return 130
    best = f", best validation accuracy {result.best_val_accuracy:.4f}" if result.best_val_accuracy is not None else ""
    print(f"trained {len(result.history)} epochs in {result.train_seconds:.0f} s of training steps "
          f"({result.images_per_second:.0f} images/s){best}; checkpoints in {args.out}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from training.download import obtain_mnist
    from training.evaluate.mnist import evaluate_probabilities, probabilities_of, write_report

    mnist = obtain_mnist(args.data_dir, args.mirror, progress=not args.quiet)
    evaluation = evaluate_probabilities(probabilities_of(args.model, mnist.test_images), mnist.test_labels)
    paths = write_report(evaluation, mnist.test_images, mnist.test_labels, args.out or args.model.parent,
                         source=str(args.model))
    print(f"{args.model}: MNIST test accuracy {evaluation.accuracy:.4f} "
          f"({int(len(mnist.test_labels) - round(evaluation.accuracy * len(mnist.test_labels)))} errors)")
    for label in evaluation.report:
        if label in ("accuracy",):
            continue
        row = evaluation.report[label]
        print(f"  {label:>12}: precision {row['precision']:.4f}  recall {row['recall']:.4f}  "
              f"support {row['support']:.0f}")
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def run_evaluate_drawings(args: argparse.Namespace) -> int:
    from training.evaluate import drawings as evaluate_drawings

    evaluate_drawings.run(args)
    return 0


def run_evaluate_numbers(args: argparse.Namespace) -> int:
    from training.evaluate import numbers as evaluate_numbers

    evaluate_numbers.run(args)
    return 0


def run_interpolate(args: argparse.Namespace) -> int:
    from training.checkpoint import interpolate_checkpoints

    interpolate_checkpoints(args.base, args.tuned, args.weight, args.out)
    print(f"wrote {args.out}: {1 - args.weight:g} x {args.base} + {args.weight:g} x {args.tuned}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from training.download import obtain_mnist
    from training.export import export_checkpoint, read_drawing_accuracy

    mnist = obtain_mnist(args.data_dir, args.mirror, progress=not args.quiet)
    drawing_accuracy = None if args.drawing_report is None else read_drawing_accuracy(args.drawing_report)
    out = args.out or args.checkpoint.parent / "model.onnx"
    report = export_checkpoint(args.checkpoint, out, mnist, name=args.name, calibrate=not args.no_calibration,
                               drawing_accuracy=drawing_accuracy)
    print(f"wrote {report.path} ({report.bytes:,} bytes), named {report.name!r}: "
          f"MNIST test accuracy {report.test_accuracy:.4f}, "
          f"max |p_onnx - p_torch| {report.max_abs_difference:.2g} over the test set, "
          f"temperature {report.temperature:.3f}")
    return 0


def run_recipe(args: argparse.Namespace) -> int:
    if args.progress_json is None:
        return _run_recipe(args, None)
    from training.recipe import ProgressStream

    if args.progress_json == "-":  # standard output carries the JSON lines only
        with contextlib.redirect_stdout(sys.stderr):
            return _run_recipe_streamed(args, ProgressStream(sys.__stdout__ or sys.stdout))
    with open(args.progress_json, "w", encoding="utf-8", buffering=1) as file:
        return _run_recipe_streamed(args, ProgressStream(file))


def _run_recipe_streamed(args: argparse.Namespace, stream: Any) -> int:
    """The recipe, its stream ended by `{"error": ...}` when it fails (main still reports the failure)."""
    try:
        return _run_recipe(args, stream)
    except DigitpadError as exc:
        stream.write({"error": str(exc)})
        raise
    except OSError as exc:
        stream.write({"error": f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}"})
        raise
    except Exception as exc:
        stream.write({"error": f"{type(exc).__name__}: {exc}"})
        raise


def _run_recipe(args: argparse.Namespace, stream: Any) -> int:
    from training.download import obtain_mnist
    from training.recipe import run_recipe as run
    from training.recipe import saved_recipe

    again = (f"python -m training recipe --out {args.out}{' --quick' if args.quick else ''}"
             f"{' --cv' if args.cv else ''}{f' --distill {args.distill}' if args.distill else ''}"
             f"{f' --profile {args.profile}' if args.profile else ''}")
    saved = saved_recipe(args.out) if args.resume else None
    if saved is not None:
        again = f"python -m training recipe --out {args.out} --resume"
    mnist = obtain_mnist(args.data_dir, args.mirror, progress=not args.quiet)
    try:
        outcome = run(args.out, mnist, quick=args.quick, cv=args.cv, drawings=args.drawings,
                      precision=args.precision, threads=args.threads, progress=not args.quiet, distill=args.distill,
                      profile=args.profile, stream=stream, recipe=saved)
    except KeyboardInterrupt:  # between two training steps' checkpoints: the finished stages are kept
        outcome = None
    if outcome is None or outcome.interrupted:
        if stream is not None:
            stream.write({"stopped": True, "resume": again})
        print(f"stopped; rerun the same command to continue: {again}", file=sys.stderr)
        return 130
    if stream is not None:
        assert outcome.model is not None and outcome.metrics is not None
        stream.write({"done": True, "model": str(outcome.model.resolve()),
                      "mnist_test_accuracy": outcome.metrics["accuracy"],
                      "drawing_accuracy": outcome.drawing_accuracy, "elapsed_s": stream.elapsed()})
    print(outcome.summary())
    return 0


def run_evaluate_adaptation(args: argparse.Namespace) -> int:
    from training.evaluate import adaptation as evaluate_adaptation

    evaluate_adaptation.run(args)
    return 0


def run_quantize(args: argparse.Namespace) -> int:
    import numpy as np

    from training import unipen
    from training.config import TrainConfig
    from training.download import obtain_mnist
    from training.quantize import calibration_images, pen_inputs, quantize_file

    mnist = obtain_mnist(args.data_dir, args.mirror, progress=not args.quiet)
    defaults = TrainConfig()
    out = args.out or args.model.with_name(f"{args.model.stem}-int8.onnx")
    report = quantize_file(
        args.model, out, calibration_images(mnist.train_images, mnist.train_labels, defaults.val_size, defaults.seed),
        mnist.test_images.astype(np.float32) / 255, mnist.test_labels,
        pen_inputs(args.drawings or unipen.DEFAULT_PATH, args.model))
    print(report.summary())
    return 0


def run_add_layer_outputs(args: argparse.Namespace) -> int:
    from training.data import TEST_IMAGES, load_file
    from training.layer_outputs import add_layer_outputs_to_file, summary

    images = load_file(args.data_dir, TEST_IMAGES).astype("float32") / 255
    print(summary(add_layer_outputs_to_file(args.model, args.out or args.model, images)))
    return 0


def run_personalize(args: argparse.Namespace) -> int:
    from training import personal_model

    personal_model.run(args)
    return 0


COMMANDS = {
    "recipe": run_recipe,
    "download": run_download,
    "train": run_train,
    "evaluate": run_evaluate,
    "export": run_export,
    "interpolate": run_interpolate,
    "quantize": run_quantize,
    "evaluate-drawings": run_evaluate_drawings,
    "evaluate-numbers": run_evaluate_numbers,
    "evaluate-adaptation": run_evaluate_adaptation,
    "personalize": run_personalize,
    "add-layer-outputs": run_add_layer_outputs,
}


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
        return COMMANDS[args.command](args)
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
