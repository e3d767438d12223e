"""The app's own state files as FIFOs: the window still appears, with its defaults and a warning."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from digitpad.model.choice import shipped_model_path

pytestmark = pytest.mark.gui


#: Starts the app's window offscreen with the person's own settings, and says what it was warned of.
APP_START = """
from digitpad.ui.app import create_application, create_window
from digitpad.ui.settings import AppSettings
app = create_application()
settings = AppSettings()
window = create_window(None, settings, profile=None)
window.show()
app.processEvents()
print("WARNINGS", settings.warnings)
print("NOTICE", window._startup_notice)
print("MODEL", window.controller.model_info.path)
"""


@pytest.mark.slow
@pytest.mark.parametrize("planted", ["digitpad.conf", "model.json", "both"])
def test_the_app_starts_with_defaults_when_its_state_files_are_fifos(tmp_path: Path, planted: str) -> None:
    """`model.json` or `digitpad.conf` as a FIFO once hung the app: its window never appeared."""
    import subprocess
    import sys

    from tests.conftest import REPO

    config = tmp_path / "config"
    (config / "digitpad").mkdir(parents=True)
    for name in ("digitpad.conf", "model.json"):
        if planted in (name, "both"):
            os.mkfifo(config / "digitpad" / name)
    env = {**os.environ, "XDG_CONFIG_HOME": str(config), "XDG_DATA_HOME": str(tmp_path / "data"),
           "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", APP_START], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"MODEL {shipped_model_path()}" in done.stdout
    if planted != "model.json":
        assert "digitpad.conf is not a regular file" in done.stdout and "starts with its defaults" in done.stdout
    if planted != "digitpad.conf":
        assert "model.json) cannot be read" in done.stdout and "a FIFO, not a regular file" in done.stdout
