"""Models ▸ Train a Model and Your Models, driven offscreen through a real (tiny) training subprocess."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from digitpad.model.choice import shipped_model_path
from digitpad.personal.model_figures import DRAWINGS_DIR, MNIST_DIR, figures_folder
from digitpad.ui.main_window import MainWindow
from tests.drawings import digit_drawing

pytest.importorskip("torch", reason="training from the window needs the [train] extra")

from tests.training.conftest import FEW_TEST_DIGITS, small_stand_in  # noqa: E402
from tests.training.drawing_fixtures import write_digits  # noqa: E402
from tests.training.tiny_recipe import tiny_quick_recipe_code  # noqa: E402
from training import data  # noqa: E402

pytestmark = pytest.mark.gui

#: Generous bounds on waits for a subprocess on a loaded 2-core machine; they only stop a hang.
START_S, RUN_S = 120, 400


@dataclass(frozen=True)
class Folders:
    runs: Path
    mnist: Path  #: MNIST's small stand-in: the repo's first test digits under all four names
    digits: Path  #: pen digits
    accept: str  #: the code that makes a training subprocess accept the stand-in


@pytest.fixture
def training_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Folders]:
    folders = Folders(tmp_path / "runs", tmp_path / "mnist", tmp_path / "digits.jsonl.gz",
                      small_stand_in(tmp_path / "mnist").accept_code)
    write_digits(folders.digits, writers=5, per_writer=3)
    monkeypatch.setenv("DIGITPAD_RUNS_DIR", str(folders.runs))
    monkeypatch.setenv(data.DATA_DIR_ENV, str(folders.mnist))
    yield folders


def _command(folders: Folders, mnist_epochs: int) -> list[str]:
    """`python -m training` in a subprocess that accepts the stand-in MNIST and makes --quick tiny."""
    return [sys.executable, "-c", folders.accept + tiny_quick_recipe_code(folders.digits, mnist_epochs) +
            "import sys\nfrom training.__main__ import main\nsys.exit(main(sys.argv[1:]))"]


@pytest.mark.slow
def test_train_stop_resume_compare_and_use_a_model_from_the_window(
        training_folders: Folders, window: MainWindow, qtbot: Any, tmp_path: Path) -> None:
    menu = window.models_menu
    assert menu.available and menu.train_action.isEnabled()
    session = menu.session
    assert session.root == training_folders.runs
    session.command = _command(training_folders, mnist_epochs=8)
    session.threads, session.pen_digits = 1, training_folders.digits
    assert window.personal is not None and window.personal.profile is not None
    window.personal.profile.add_many([(digit_drawing(1), 1), (digit_drawing(7), 7), (digit_drawing(0), 0)])

    trainer = menu.show_training()
    trainer.name.setText("tiny")
    with qtbot.waitSignal(session.progress, timeout=START_S * 1000,
                          check_params_cb=lambda record: record.get("loss") is not None):
        trainer.start_button.click()
    assert session.training and not trainer.start_button.isEnabled() and trainer.stop_button.isEnabled()
    assert trainer.bar.maximum() > 1 and trainer.bar.value() > 0 and trainer.curves.loss
    assert trainer.stage.text().startswith("Stage 1 MNIST")
    second = session.lock.holder()
    assert second is not None and Path(second["run"]).name == "tiny"  # the lock holds the training's pid

    with qtbot.waitSignal(session.run_ended, timeout=RUN_S * 1000) as ended:
        trainer.stop_button.click()
    assert ended.args[1] == "stopped" and session.lock.holder() is None
    assert trainer.resume_button.isEnabled() and not trainer.result_panel.isVisible()
    models = menu.show_models()
    assert [entry.run.state(session.lock) if entry.run else "built-in" for entry in models.entries] == \
        ["built-in", "stopped"]
    models.select(1)
    assert models.buttons["Resume"].isEnabled() and not models.buttons["Use"].isEnabled()

    with qtbot.waitSignal(session.measured, timeout=RUN_S * 1000) as measured:
        models.buttons["Resume"].click()  # continues in the Train window, then measures both models
    run = trainer.run
    assert run is not None and run.finished and run.name == "tiny"
    figures = measured.args[0]
    assert [f.model.resolve() for f in figures] == [run.model.resolve(), shipped_model_path().resolve()]
    assert trainer.result_panel.isVisible()
    assert {(stage, epoch) for stage, epoch in trainer.curves.accuracy} >= {("mnist", 1), ("mnist", 8), ("pen", 1)}

    # the comparison's figures are those `python -m training evaluate` and `evaluate-drawings` wrote
    for column, model in enumerate([run.model, shipped_model_path()]):
        out = figures_folder(model, session.figures_root, training_folders.digits)
        mnist = json.loads((out / MNIST_DIR / "metrics.json").read_text())
        pen = json.loads((out / DRAWINGS_DIR / "report.json").read_text())["app"]
        assert trainer.comparison.cell(0, column) == f"{mnist['accuracy']:.2%} of {mnist['test_images']:,} test digits"
        assert trainer.comparison.cell(1, column) == f"{pen['accuracy']:.2%} of {pen['samples']:,} pen digits"
        assert figures[column].mnist.accuracy == mnist["accuracy"]
        assert figures[column].samples is not None and figures[column].samples.count == 3
    assert trainer.comparison.cell(0, 0) == f"{json.loads((run.folder / 'metrics.json').read_text())['accuracy']:.2%}" \
        f" of {FEW_TEST_DIGITS:,} test digits"  # the run's own evaluation stage measured the same

    models.refresh()
    assert [entry.run.name if entry.run else "built-in" for entry in models.entries] == ["built-in", "tiny"]
    assert models.table.item(1, 3).text() == "finished"
    assert models.table.item(1, 4).text() == f"{run.mnist_accuracy:.2%}"
    with qtbot.waitSignal(window.model_opened, timeout=START_S * 1000) as opened:
        trainer.use_button.click()  # the model opens on the window's model thread
    assert opened.args == [True] and trainer.status.text() == "digitpad now reads with tiny."
    assert window.controller.model_info is not None and window.controller.model_info.path.resolve() == \
        run.model.resolve()
    models.refresh()
    assert models.table.item(1, 0).text() == "tiny (in use)"
    exported = models.export(tmp_path / "exported") if models.select(1) is None else []
    assert sorted(p.name for p in exported) == ["tiny-model-card.md", "tiny.onnx"]


#: Makes the training subprocess's disk "full" once the pen stage writes its first checkpoint: the
#: fsync of any file under a `pen` folder fails with ENOSPC, as it does on a full disk, whatever
#: module writes it (Linux: the file's path is read from /proc).
DISK_FULL_AT_PEN = (
    "import errno as _e, os as _o\n"
    "_fsync = _o.fsync\n"
    "def _full(fd):\n"
    "    if _o.sep + 'pen' + _o.sep in _o.readlink(f'/proc/self/fd/{fd}'):\n"
    "        raise OSError(_e.ENOSPC, _o.strerror(_e.ENOSPC))\n"
    "    return _fsync(fd)\n"
    "_o.fsync = _full\n"
)
#: The personalize stage's steps in these tests (the recipe's 300 take longer than the rest of the tiny run).
FEW_PERSONAL_STEPS = "import training.recipe as _recipe\n_recipe.PERSONAL_STEPS = 20\n"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="finds a file's path in /proc (Linux)")
def test_include_my_samples_survives_a_full_disk_and_trains_a_model_fine_tuned_on_a_copy_of_them(
        training_folders: Folders, window: MainWindow, qtbot: Any) -> None:
    menu = window.models_menu
    session = menu.session
    command = _command(training_folders, mnist_epochs=1)
    command = [*command[:2], FEW_PERSONAL_STEPS + command[2]]
    session.command = [*command[:2], DISK_FULL_AT_PEN + command[2]]
    session.threads, session.pen_digits = 1, training_folders.digits
    assert window.personal is not None and window.personal.profile is not None
    trainer = menu.show_training()
    assert not trainer.include_samples.isEnabled() and "none taught yet" in trainer.include_samples.text()
    window.personal.profile.add_many([(digit_drawing(d), d) for d in (1, 7, 0, 4)])
    trainer.hide()
    trainer = menu.show_training()  # shown again: it counts the samples taught since
    assert trainer.include_samples.isEnabled() and "your 4 taught samples" in trainer.include_samples.text()
    trainer.name.setText("mine")
    trainer.include_samples.setChecked(True)
    with qtbot.waitSignal(session.run_ended, timeout=RUN_S * 1000) as ended:
        trainer.start_button.click()
        assert session.state == "preparing" and not trainer.start_button.isEnabled()
    # the disk fills up in the pen stage: the recipe's own message, the stage before it kept, resumable
    assert "No space left on device" in ended.args[1] and "Traceback" not in ended.args[1]
    assert "No space left on device" in trainer.status.text() and trainer.message_box is not None
    trainer.message_box.close()
    stopped = trainer.run
    assert stopped is not None and stopped.state(session.lock) == "stopped" and trainer.resume_button.isEnabled()
    assert (stopped.folder / "stages" / "mnist.done").exists() and not (stopped.folder / "stages" / "pen.done").exists()
    session.command = command  # space again
    with qtbot.waitSignal(session.measured, timeout=RUN_S * 1000) as measured:
        trainer.resume_button.click()
    run = trainer.run
    assert run is not None and run.finished and run.kind.endswith(", with your samples")
    assert (run.folder / "profile.sqlite3").is_file() and (run.folder / "general.onnx").is_file()
    assert measured.args[0][0].trained_on_samples and not measured.args[0][1].trained_on_samples
    assert trainer.comparison.cell(3, 0).endswith("of 4 samples (it was trained on them)")
    assert "trained on them" not in trainer.comparison.cell(3, 1)
    assert trainer.time.text().endswith(" from start to model")  # not a time left any more


def test_include_my_samples_with_none_left_says_so_and_leaves_no_folder(
        training_folders: Folders, window: MainWindow, qtbot: Any) -> None:
    menu = window.models_menu
    assert window.personal is not None and window.personal.profile is not None
    trainer = menu.show_training()
    window.personal.profile.add_many([(digit_drawing(1), 1)])
    trainer.hide()
    trainer = menu.show_training()
    trainer.include_samples.setChecked(True)
    window.personal.profile.clear()  # forgotten (in another window) after the box was ticked
    trainer.name.setText("nothing")
    with qtbot.waitSignal(menu.session.run_ended, timeout=START_S * 1000) as ended:
        trainer.start_button.click()
    assert ended.args == ["", "your profile holds no samples yet: teach digitpad some digits first"]
    assert not (training_folders.runs / "nothing").exists() and menu.session.state == "idle"
    assert trainer.start_button.isEnabled() and "holds no samples" in trainer.status.text()
