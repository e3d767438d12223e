"""The menu entry opens the file a person opens with digitpad, also once install.sh has pointed it at a bundle."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

DESKTOP = REPO / "packaging" / "desktop"


def entry(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def test_the_entry_passes_one_file_and_names_image_types() -> None:
    fields = entry((DESKTOP / "digitpad.desktop").read_text())
    assert fields["Exec"] == "digitpad %f"  # one window per file: the app holds one drawing
    assert fields["TryExec"] == "digitpad"
    assert {"image/png", "image/jpeg"} <= set(fields["MimeType"].strip(";").split(";"))


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_install_sh_keeps_the_file_argument(tmp_path: Path) -> None:
    bundle = tmp_path / "my apps" / "digitpad"
    (bundle / "share" / "applications").mkdir(parents=True)
    (bundle / "share" / "icons" / "hicolor" / "48x48" / "apps").mkdir(parents=True)
    (bundle / "share" / "icons" / "hicolor" / "48x48" / "apps" / "digitpad.png").write_bytes(b"")
    shutil.copy(DESKTOP / "digitpad.desktop", bundle / "share" / "applications")
    shutil.copy(DESKTOP / "install.sh", bundle)
    (bundle / "digitpad").write_text("#!/bin/sh\n")
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run(["sh", str(bundle / "install.sh")], env=env, check=True, capture_output=True, timeout=60)
    fields = entry((home / ".local" / "share" / "applications" / "digitpad.desktop").read_text())
    assert fields["Exec"] == f'"{bundle / "digitpad"}" %f'
    assert fields["TryExec"] == str(bundle / "digitpad")
