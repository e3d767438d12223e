"""benchmarks/soak.py runs end to end (its real figures come from a full run, in docs/robustness.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_the_soak_script_prints_memory_and_time_for_core_and_gui() -> None:
    result = subprocess.run(
        [sys.executable, "benchmarks/soak.py", "--classifications", "40", "--cycles", "4", "--drawings", "4"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "core: 40 classifications" in out and "GUI: 4 cycles" in out
    assert out.count("growth") == 2 and "CPU ms per classification" in out and "CPU ms per cycle" in out
