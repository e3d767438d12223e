"""The person's trained models: run folders under the per-user runs folder, found from their own files.

A run folder is what `python -m training recipe --out FOLDER` makes: `recipe.json` (its settings),
`stages/*.done`, and once finished `NAME.onnx`, `model-card.md` and `metrics.json`. Nothing else
records the runs, so a run trained from the command line into the same folder shows up as one made
in the app, and a folder deleted by hand is simply gone. No torch here: the app reads these files.

One training at a time per user: `TrainingLock` is a small file in the runs folder holding the pid
of the training process and its run; a lock whose process is gone is stale and taken over.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import platformdirs

from digitpad.errors import FileReadError, TrainingRunError
from digitpad.files import read_regular_file, write_text_atomically

#: Overrides the runs folder (for a script, or a test that must not touch the person's own).
RUNS_DIR_ENV = "DIGITPAD_RUNS_DIR"
SETTINGS_FILE = "recipe.json"  #: training.recipe.SETTINGS_FILE
PROFILE_FILE = "profile.sqlite3"  #: training.recipe.PROFILE_FILE: a run's copy of the samples it includes
METRICS_FILE = "metrics.json"  #: training.evaluate.mnist.METRICS_FILE
CARD_FILE = "model-card.md"
LAST_STAGE = "quantize"  #: the recipe's last stage (training.recipe.RecipeRun.stages), unless "int8" is false
LOCK_FILE = "training.lock"
COMPARE_DIR = "compare"  #: where the window's comparison keeps its measurements, inside the run
#: Most bytes read from a run's small JSON files (a hostile folder must not exhaust memory).
MAX_JSON_BYTES = 4 * 1024 * 1024
#: (MNIST epochs, pen epochs) of the recipes the window offers (training.recipe.QUICK and SHIPPED).
KINDS = {(2, 1): "quick", (30, 3): "full"}


def runs_folder() -> Path:
    """Where the app trains and finds runs: $DIGITPAD_RUNS_DIR, else the per-user data folder's runs/."""
    override = os.environ.get(RUNS_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path("digitpad", appauthor=False) / "runs"


def read_json(path: Path) -> Any:
    """A small JSON file's content, or None when it is missing, too large or not JSON."""
    try:
        return json.loads(read_regular_file(path, MAX_JSON_BYTES, "run files"))
    except (FileReadError, ValueError, RecursionError):
        return None


@dataclass(frozen=True)
class Run:
    """One run folder, as its files describe it."""

    folder: Path
    recipe: dict[str, Any]
    usable: bool  #: the model and its figures exist (the evaluation stage's marker is there)
    started: datetime  #: when recipe.json was written (the run's first call)
    metrics: dict[str, Any] = field(default_factory=dict)  #: metrics.json: MNIST test figures

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def model(self) -> Path:
        return self.folder / f"{self.name}.onnx"

    @property
    def card(self) -> Path:
        return self.folder / CARD_FILE

    @property
    def cv(self) -> bool:
        return bool(self.recipe.get("cv"))

    @property
    def kind(self) -> str:
        """quick, full or custom (settings the window does not offer, e.g. from the command line)."""
        epochs = (self.recipe.get("mnist", {}).get("epochs"), self.recipe.get("pen", {}).get("epochs"))
        kind = KINDS.get(epochs, "custom")
        extras = [*(["cross-validated"] if self.cv else []), *(["with your samples"] if self.recipe.get("profile")
                                                                 else [])]
        return ", ".join([kind, *extras])

    @property
    def mnist_accuracy(self) -> float | None:
        value = self.metrics.get("accuracy")
        return float(value) if isinstance(value, (int, float)) else None

    @property
    def finished(self) -> bool:
        """Every stage is done: the model is usable and the last stage (int8, if the recipe has it) has ended."""
        last = LAST_STAGE if self.recipe.get("int8", True) is not False else "evaluate"
        return self.usable and (self.folder / "stages" / f"{last}.done").is_file()

    def state(self, lock: TrainingLock) -> str:
        """finished, training (its process is alive) or stopped (resumable: rerun the same recipe). A run
        stopped after its model was made (in the int8 stage) is stopped too, and its model usable."""
        holder = lock.holder()
        if holder is not None and Path(holder["run"]) == self.folder:
            return "training"
        return "finished" if self.finished else "stopped"


def read_run(folder: Path) -> Run | None:
    """The run in `folder`, or None when it is no run folder (no readable recipe.json)."""
    recipe = read_json(folder / SETTINGS_FILE)
    if not isinstance(recipe, dict):
        return None
    try:
        started = datetime.fromtimestamp((folder / SETTINGS_FILE).stat().st_mtime, timezone.utc)
    except OSError:
        return None
    usable = (folder / "stages" / "evaluate.done").is_file() and (folder / f"{folder.name}.onnx").is_file()
    metrics = read_json(folder / METRICS_FILE) if usable else None
    return Run(folder, recipe, usable, started, metrics if isinstance(metrics, dict) else {})


def discover_runs(folder: Path | None = None) -> list[Run]:
    """Every run in the runs folder, newest first."""
    folder = folder or runs_folder()
    try:
        children = [child for child in folder.iterdir() if child.is_dir() and not child.is_symlink()]
    except OSError:
        return []
    runs = [run for run in map(read_run, children) if run is not None]
    return sorted(runs, key=lambda run: run.started, reverse=True)


def new_run_folder(name: str, folder: Path | None = None) -> Path:
    """The folder for a new run named `name` (a plain file name; refused when taken or unsafe)."""
    cleaned = name.strip()
    if not cleaned or cleaned in (".", "..") or any(c in cleaned for c in '/\\:*?"<>|') or cleaned.startswith("."):
        raise TrainingRunError(f"{name!r} cannot name a model: use letters, digits, spaces, - or _")
    target = (folder or runs_folder()) / cleaned
    if target.exists():
        raise TrainingRunError(f"a model named {cleaned!r} exists already: choose another name")
    return target


def delete_run(run: Run, lock: TrainingLock) -> None:
    """Remove a run folder (never one that is training, never anything outside the runs folder)."""
    if run.state(lock) == "training":
        raise TrainingRunError(f"{run.name} is training: stop it first")
    if run.folder.resolve().parent != lock.folder.resolve():
        raise TrainingRunError(f"{run.folder} is not in the runs folder {lock.folder}")
    shutil.rmtree(run.folder)


def export_run(run: Run, destination: Path) -> list[Path]:
    """Copy the run's ONNX model (with its external data, if any) and model card into `destination`."""
    if not run.usable:
        raise TrainingRunError(f"{run.name} has no model yet: finish its training first")
    destination.mkdir(parents=True, exist_ok=True)
    sources = [run.model, *(p for p in (run.folder / f"{run.model.name}.data", run.card) if p.is_file())]
    targets = [destination / (f"{run.name}-{source.name}" if source == run.card else source.name) for source in sources]
    taken = [target.name for target in targets if target.exists()]
    if taken:
        raise TrainingRunError(f"{destination} has {', '.join(taken)} already: export to another folder")
    for source, target in zip(sources, targets):
        shutil.copyfile(source, target)
    return targets


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, run by someone else
        return True
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class TrainingLock:
    """`training.lock` in the runs folder: {"pid", "run"} of the one training in progress."""

    folder: Path

    @property
    def path(self) -> Path:
        return self.folder / LOCK_FILE

    def holder(self) -> dict[str, Any] | None:
        """The training in progress ({"pid", "run"}), or None (no lock, or a stale one)."""
        held = read_json(self.path)
        if not isinstance(held, dict) or not isinstance(held.get("pid"), int) or not isinstance(held.get("run"), str):
            return None
        return held if _process_alive(held["pid"]) else None

    def acquire(self, run: Path, pid: int, replacing: int | None = None) -> None:
        """Record that process `pid` trains `run`; refused while another live training holds the lock.

        `replacing`: the pid that held it for this run so far (the app, until its training process started).
        """
        held = self.holder()
        if held is not None and held["pid"] not in (pid, replacing):
            raise TrainingRunError(f"a training is in progress ({Path(held['run']).name}, process {held['pid']}): "
                                   "one at a time; stop it or wait for it to end")
        self.folder.mkdir(parents=True, exist_ok=True)
        write_text_atomically(self.path, json.dumps({"pid": pid, "run": str(run)}) + "\n")

    def release(self, pid: int) -> None:
        """Remove the lock if process `pid` holds it."""
        held = read_json(self.path)
        if isinstance(held, dict) and held.get("pid") == pid:
            with contextlib.suppress(OSError):
                self.path.unlink()
