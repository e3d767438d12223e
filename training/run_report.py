"""A recipe run's figures for its model card: training curves (PNG) and a Markdown summary.

Written into the run folder beside the model, so that a model made on another machine comes
with the numbers a person needs to judge it, in the form models/README.md gives them.
"""

from __future__ import annotations

import io
import json
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure  # the object API draws off screen: no pyplot, no window

from digitpad.files import write_bytes_atomically, write_text_atomically
from digitpad.model.contract import LABELS
from training.evaluate.mnist import Evaluation


def read_history(run: Path) -> list[dict[str, float]]:
    """A training run's per-epoch history (history.json), empty if it has none."""
    try:
        history = json.loads((run / "history.json").read_text())
    except (OSError, ValueError):
        return []
    return history if isinstance(history, list) else []


def curves_png(histories: Mapping[str, list[dict[str, float]]]) -> bytes:
    """Training loss and validation accuracy per epoch, the stages one after another."""
    figure = Figure(figsize=(10, 4))
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    start = 0
    for title, history in histories.items():
        epochs = [start + entry["epoch"] for entry in history]
        loss_axes.plot(epochs, [entry["train_loss"] for entry in history], marker=".", label=title)
        validated = [(x, entry["val_accuracy"]) for x, entry in zip(epochs, history) if "val_accuracy" in entry]
        if validated:
            accuracy_axes.plot(*zip(*validated), marker=".", label=title)
        start += len(history)
    loss_axes.set(title="training loss (with label smoothing)", xlabel="epoch")
    accuracy_axes.set(title="validation accuracy (held-out MNIST training digits)", xlabel="epoch")
    for axes in (loss_axes, accuracy_axes):
        axes.grid(alpha=0.3)
        axes.legend()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def write_curves(path: Path, runs: Mapping[str, Path]) -> None:
    write_bytes_atomically(path, curves_png({title: read_history(run) for title, run in runs.items()}))


def model_card(name: str, model: Path, evaluation: Evaluation, recipe: dict[str, Any],
               stage_seconds: Mapping[str, float], drawing_accuracy: float | None) -> str:
    """The run's figures in the model card's form (see models/README.md for the shipped model's)."""
    errors = int(evaluation.confusion.sum() - evaluation.confusion.trace())
    total = int(evaluation.confusion.sum())
    drawing = (f"| Pen-drawn digits by unseen writers | **{drawing_accuracy:.2%}** (writer-disjoint 5-fold "
               "cross-validation, `cv/report.json`) |\n" if drawing_accuracy is not None else
               "| Pen-drawn digits by unseen writers | not measured (rerun the recipe with `--cv`) |\n")
    precision = "bfloat16 autocast" if recipe["mnist"]["bf16"] else "float32"
    lines = [
        f"# Model card: `{model.name}`, \"{name}\"",
        "",
        "Made by `python -m training recipe` (the stages and settings are in `recipe.json`).",
        "",
        "| | |",
        "|---|---|",
        f"| File | `{model.name}`, {os.path.getsize(model) / 1e6:.1f} MB |",
        f"| MNIST test accuracy | **{evaluation.accuracy:.2%}** ({errors} errors in {total:,}) |",
        drawing.rstrip("\n"),
        f"| Training | stage 1: {recipe['mnist']['epochs']} epoch(s) on MNIST; stage 2: {recipe['pen']['epochs']} "
        f"epoch(s) on MNIST and pen drawings; weights {1 - recipe['weight']:.1f} x stage 1 + "
        f"{recipe['weight']:.1f} x stage 2; forward pass in {precision} |",
        *(["| Your samples | then fine-tuned on the samples of a person's profile (the run's `profile.sqlite3`; "
           "before and after in `personal.json`): every figure here is the personal model's |"]
          if recipe.get("profile") else []),
        f"| Machine | {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} |",
        "",
        "## Time per stage (wall time of the call that finished it)",
        "",
        "| stage | seconds |",
        "|---|---:|",
        *(f"| {stage} | {seconds:,.0f} |" for stage, seconds in stage_seconds.items()),
        "",
        "## Results on the MNIST test set",
        "",
        "| digit | precision | recall | test digits |",
        "|---|---|---|---|",
        *(f"| {label} | {evaluation.report[label]['precision']:.4f} | {evaluation.report[label]['recall']:.4f} | "
          f"{evaluation.report[label]['support']:,.0f} |" for label in LABELS),
        "",
        "![Training curves](training_curves.png)",
        "",
        "![Confusion matrix on the MNIST test set](confusion_matrix.png)",
        "",
        "![The misclassified test digits](misclassified.png)",
        "",
    ]
    return "\n".join(lines)


def write_model_card(path: Path, name: str, model: Path, evaluation: Evaluation, recipe: dict[str, Any],
                     stage_seconds: Mapping[str, float], drawing_accuracy: float | None) -> None:
    write_text_atomically(path, model_card(name, model, evaluation, recipe, stage_seconds, drawing_accuracy))
