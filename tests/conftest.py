"""Shared fixtures. Qt runs offscreen everywhere, so the suite needs no display."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shipped_model() -> Path:
    path = REPO / "models" / "digitpad.onnx"
    assert path.is_file(), f"the shipped model is missing at {path}"
    return path
