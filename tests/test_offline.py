"""digitpad keeps to itself: loading and running the model leaves nothing in the person's home.

ONNX Runtime 1.32 on Linux writes a telemetry device id and an event cache under ~/.cache when it
is imported, unless ORT_DISABLE_TELEMETRY is set first; digitpad sets it before importing it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_classifying_writes_nothing_into_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    code = (
        "from digitpad import Classifier, Recognizer, shipped_model_path\n"
        "from digitpad.selftest import drawn_seven\n"
        "recognizer = Recognizer(Classifier(shipped_model_path()))\n"
        "assert recognizer.recognize(drawn_seven()).digit == 7\n"
    )
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}  # no ORT_DISABLE_TELEMETRY from outside
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True, timeout=120)
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*")) == []
