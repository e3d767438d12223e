"""The commands whose work needs torch or onnx: each one's `add_*_arguments` and `run_*` pair.

The work's modules load torch or onnx as they are imported, so a command's options cannot live there:
`python -m training COMMAND --help` must work without the [train] extra (the app's wheel has none of
it). Each `run_*` imports the work it runs. The commands whose modules load without the extra keep
their pair at home: `download`, and the four of `training/evaluate/`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from digitpad.errors import DigitpadError
from training.download import add_data_options, obtain_mnist
from training.evaluate.mnist import DEFAULT_MODEL

DEFAULT_RUN = Path("runs") / "seed"
#: MNIST's test set, which the repo carries (data/mnist-test/README.md).
MNIST_TEST_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist-test"
PRECISION_CHOICES = ("auto", "bf16", "fp32")  #: training.machine.PRECISIONS, which imports torch

#: --flag → TrainConfig field, for the recipe settings the command line can change.
CONFIG_FLAGS = {
    "epochs": int, "batch_size": int, "peak_lr": float, "weight_decay": float, "label_smoothing": float,
    "ema_decay": float, "seed": int, "val_size": int, "train_subset": int,
}


def add_machine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--precision", choices=PRECISION_CHOICES,
                        help="the training forward pass: bf16 (autocast) or fp32; auto (the default for a new run) "
                             "takes bf16 only where the CPU computes it natively (AVX512-BF16, AMX), where it is "
                             "about twice as fast; emulated, it is up to ten times slower. A resumed run keeps its own")
    parser.add_argument("--fp32", action="store_const", const="fp32", dest="precision",
                        help="the same as --precision fp32")
    parser.add_argument("--threads", type=int, metavar="N", help="CPU threads (default: all cores)")


# --- recipe --------------------------------------------------------------------------------------------

def add_recipe_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Train on MNIST, fine-tune on pen drawings, interpolate the weights, export to ONNX and "
                          "evaluate, into one run folder. Ctrl-C or a kill at any point loses at most the epoch in "
                          "progress: rerun the same command to continue.")
    add_data_options(parser)
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="run folder; the model is DIR/NAME.onnx, NAME being the folder's name")
    parser.add_argument("--quick", action="store_true",
                        help="a short recipe: a usable model (MNIST test >= 99%%) in a few minutes")
    parser.add_argument("--cv", action="store_true",
                        help="also measure the accuracy on unseen writers' drawings (writer-disjoint 5-fold "
                             "cross-validation: the pen stage five more times); it goes into the model's metadata")
    parser.add_argument("--drawings", type=Path, metavar="FILE",
                        help="pen-drawn digits (.jsonl[.gz]) for the pen stage (default: the repository's UNIPEN set)")
    parser.add_argument("--distill", type=int, default=0, metavar="K", choices=range(5),  # recipe.TEACHER_VARIANTS
                        help="train K teachers (1-4; stage 2 varied: pen width, seed, augmentation) and make the "
                             "pen stage their student (issue 15; experimental, see models/README.md)")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="include a person's samples: fine-tune the model on this profile's samples at the "
                             "end, as `personalize` does (a digitpad profile: `digitpad profile --export FILE`); "
                             "the run keeps a copy, made at its first call")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out with the settings it was started with (its recipe.json), "
                             "without repeating its flags")
    parser.add_argument("--progress-json", metavar="FILE",
                        help="also write the progress as JSON lines to FILE ('-': standard output, then the "
                             "rest of the output goes to standard error); see README, Training")
    add_machine_options(parser)


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


# --- train ---------------------------------------------------------------------------------------------

def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Train the seed convnet with the recipe in training/config.py. Ctrl-C saves a "
                          "checkpoint; --resume continues exactly where it stopped.")
    add_data_options(parser)
    parser.add_argument("--out", type=Path, default=DEFAULT_RUN, metavar="DIR",
                        help=f"run folder for last.pt, best.pt and history.json (default {DEFAULT_RUN})")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its last.pt")
    for name, kind in CONFIG_FLAGS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, metavar=kind.__name__.upper(),
                            help=f"recipe setting {name} (default: training/config.py)")
    parser.add_argument("--init-from", metavar="CHECKPOINT",
                        help="start from this checkpoint's weights (fine-tuning) instead of random ones")
    parser.add_argument("--drawings", metavar="FILE",
                        help="pen-drawn digits (.jsonl[.gz]) to render through the app's pipeline and train on")
    parser.add_argument("--drawing-copies", type=int, metavar="N",
                        help="augmented renderings of every drawing (default: training/config.py)")
    parser.add_argument("--drawing-seed", type=int, metavar="N",
                        help="seeds the drawings' renderings (default: training/config.py); another seed, other "
                             "renderings: for a second network of an ensemble")
    parser.add_argument("--hold-out-fold", type=int, metavar="K",
                        help="leave the writers of writer-disjoint fold K (of 5) out, to judge the model on them")
    parser.add_argument("--input-pen", type=float, metavar="PX",
                        help="the model's input: strokes redrawn with a pen of PX pixels of the 28x28 frame "
                             "(stroke-width normalization; default: MNIST's normalization)")
    parser.add_argument("--no-augment", action="store_true", help="train on the images as they are")
    parser.add_argument("--teachers", nargs="+", metavar="CHECKPOINT",
                        help="distillation: also learn the mean logits of these networks (soft targets at "
                             "temperature 4), each fed the images as it was trained to read them")
    parser.add_argument("--stroke-copies", type=int, metavar="N",
                        help="with --teachers and --drawings: N more renderings of every drawing with stroke-level "
                             "augmentation, learnt from the teachers only (default 2)")
    add_machine_options(parser)
    parser.add_argument("--device", metavar="NAME", help="torch device, e.g. cpu or cuda (default: a GPU if present)")


def config_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The TrainConfig fields that `train`'s flags set."""
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


def run_train(args: argparse.Namespace) -> int:
    from training.checkpoint import load_checkpoint
    from training.config import TrainConfig
    from training.train import train

    changes = config_changes(args)
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


# --- export, interpolate, quantize ----------------------------------------------------------------------

def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Export a checkpoint to ONNX with metadata; the file is replaced only if onnx.checker, "
                          "the app's validation and the test-set parity pass.")
    parser.add_argument("checkpoint", type=Path, nargs="?", default=DEFAULT_RUN / "best.pt",
                        help=f"checkpoint to export (default {DEFAULT_RUN / 'best.pt'})")
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="ONNX file to write (default: model.onnx beside the checkpoint)")
    parser.add_argument("--name", metavar="TEXT",
                        help="the model's name, shown by the app (default: the checkpoint's folder's name)")
    parser.add_argument("--no-calibration", action="store_true",
                        help="keep the raw softmax (no temperature fitted on the validation split)")
    parser.add_argument("--drawing-report", type=Path, metavar="FILE",
                        help="report.json of `evaluate-drawings --fold-models ...`: its writer-disjoint accuracy "
                             "on pen drawings is written into the model's metadata")
    add_data_options(parser)


def run_export(args: argparse.Namespace) -> int:
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


def add_interpolate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Write a checkpoint whose weights are (1 - W) * BASE + W * TUNED: most of the "
                          "fine-tuning's gain, most of the base network's MNIST accuracy. Export it like any "
                          "checkpoint.")
    parser.add_argument("base", type=Path, help="the checkpoint the fine-tuning started from (--init-from)")
    parser.add_argument("tuned", type=Path, help="the fine-tuned checkpoint")
    parser.add_argument("--weight", type=float, default=0.7, metavar="W",
                        help="share of the fine-tuned weights, in [0, 1] (default 0.7)")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE", help="checkpoint to write")


def run_interpolate(args: argparse.Namespace) -> int:
    from training.checkpoint import interpolate_checkpoints

    interpolate_checkpoints(args.base, args.tuned, args.weight, args.out)
    print(f"wrote {args.out}: {1 - args.weight:g} x {args.base} + {args.weight:g} x {args.tuned}")
    return 0


def add_quantize_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Quantize an exported model's convolutions and dense layers to int8 (per channel, "
                          "calibrated on MNIST training images) and write it only if it answers like the float "
                          "model.")
    parser.add_argument("model", type=Path, help="the float ONNX model (`export`'s output)")
    parser.add_argument("--out", type=Path, metavar="FILE", help="default: MODEL-int8.onnx beside it")
    parser.add_argument("--drawings", type=Path, metavar="FILE",
                        help="pen drawings whose answers must agree too (default: the repository's UNIPEN set)")
    add_data_options(parser)


def run_quantize(args: argparse.Namespace) -> int:
    from training import unipen
    from training.config import TrainConfig
    from training.quantize import quantize_checked

    mnist = obtain_mnist(args.data_dir, args.mirror, progress=not args.quiet)
    out = args.out or args.model.with_name(f"{args.model.stem}-int8.onnx")
    report = quantize_checked(args.model, out, mnist, TrainConfig(), args.drawings or unipen.DEFAULT_PATH)
    print(report.summary())
    return 0


# --- personalize, add-layer-outputs ---------------------------------------------------------------------

def add_personalize_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("A personal model: the shipped network fine-tuned on one person's exported profile "
                          "(for power users; the app adapts without it).")
    parser.add_argument("--profile", type=Path, required=True, help="a profile file (`digitpad profile --export`)")
    parser.add_argument("--model", type=Path, default=None, help="the ONNX model to start from (default: shipped)")
    parser.add_argument("--out", type=Path, required=True, help="the personal ONNX model to write")
    parser.add_argument("--steps", type=int, default=300, help="training steps of 32 samples + 96 MNIST digits")
    parser.add_argument("--data-dir", type=Path, metavar="DIR", help="MNIST folder (default: as for `train`)")


def run_personalize(args: argparse.Namespace) -> int:
    from digitpad.model.choice import shipped_model_path
    from digitpad.personal.profile import Profile
    from training.personal_model import personalize

    with Profile(args.profile, read_only=True):  # a mistyped or unusable profile is said before MNIST is read
        pass
    mnist = obtain_mnist(args.data_dir, None, progress=False)
    report = personalize(args.model or shipped_model_path(), args.profile, args.out, mnist, steps=args.steps)
    print(f"wrote {report.path}: {report.summary()}")
    return 0


def add_layer_outputs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Add the layer and filter outputs of digitpad's contract to an ONNX file written by "
                          "`export` (graph surgery, no retraining); the file is replaced only if its probabilities "
                          "stay bit-identical and the layers match PyTorch's.")
    parser.add_argument("model", type=Path, nargs="?", default=DEFAULT_MODEL,
                        help=f"ONNX file exported by `python -m training export` (default {DEFAULT_MODEL})")
    parser.add_argument("--out", type=Path, metavar="FILE", help="file to write (default: replace MODEL)")
    parser.add_argument("--data-dir", type=Path, metavar="DIR", default=MNIST_TEST_DIR,
                        help=f"folder with MNIST's test-set IDX files, the check's images (default {MNIST_TEST_DIR}, "
                             "which the repo carries)")


def run_add_layer_outputs(args: argparse.Namespace) -> int:
    from training.data import TEST_IMAGES, load_file
    from training.layer_outputs import add_layer_outputs_to_file, summary

    images = load_file(args.data_dir, TEST_IMAGES).astype("float32") / 255
    print(summary(add_layer_outputs_to_file(args.model, args.out or args.model, images)))
    return 0
