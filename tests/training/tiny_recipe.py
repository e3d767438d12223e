"""A recipe small enough for a test to run as a real `python -m training recipe --quick` subprocess."""

from __future__ import annotations

from pathlib import Path


def tiny_quick_recipe_code(digits: Path, mnist_epochs: int = 2) -> str:
    """Python code that makes `--quick` in this process mean a tiny recipe on the pen digits in `digits`.

    Put it before `main(...)` in a `python -c` subprocess (after the stand-in's checksum patch): the
    subprocess is then the real command, stream, signals and all, at a size that takes seconds. Like
    the real quick recipe it makes no int8 copy (`test_recipe.py` runs that stage).
    """
    return (
        "import training.recipe as _r\n"
        "from training.augment import NO_AUGMENTATION as _NA\n"
        "from training.config import PenDrawings as _PD, TrainConfig as _TC\n"
        "from digitpad.ink.normalize import Normalization as _N\n"
        f"_small = _TC(epochs={mnist_epochs}, train_subset=1024, val_size=500, batch_size=64, augment=_NA)\n"
        "_r.QUICK = _r.Recipe(mnist=_small, pen=_small.replace(epochs=1, peak_lr=1e-3, normalization=_N(pen=2.5),"
        f" drawings=_PD({str(digits)!r}, copies=2)),"
        " int8=False)\n"
    )
