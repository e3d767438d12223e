"""The core must stay free of Qt and torch: the GUI is a thin shell and torch is training-only."""

from __future__ import annotations

import subprocess
import sys

import digitpad

CORE_MODULES = [
    "digitpad",
    "digitpad.classifier",
    "digitpad.contract",
    "digitpad.drawing_file",
    "digitpad.errors",
    "digitpad.external_data",
    "digitpad.files",
    "digitpad.ink",
    "digitpad.model_files",
    "digitpad.normalize",
    "digitpad.raster",
    "digitpad.recognizer",
]


def test_core_imports_neither_qt_nor_torch() -> None:
    code = (
        "import sys\n"
        f"for name in {CORE_MODULES!r}: __import__(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'torch'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"the core imported: {result.stdout.strip()}"


def test_public_names_are_exported_and_sorted() -> None:
    assert digitpad.__all__ == sorted(digitpad.__all__)
    for name in digitpad.__all__:
        assert hasattr(digitpad, name), name
