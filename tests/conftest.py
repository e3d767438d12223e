"""Shared fixtures. Qt runs offscreen everywhere, so the suite needs no display."""

from __future__ import annotations

import gzip
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Settings written or read by the app and the CLI go to a throwaway folder, never the person's own.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="digitpad-test-config-")
# ...and so does the person's profile (digitpad.personal.profile.default_profile_path).
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="digitpad-test-data-")

REPO = Path(__file__).resolve().parent.parent
#: MNIST's test set, carried by the repo (data/mnist-test/README.md): the tests read nothing outside it.
MNIST_TEST_DIR = REPO / "data" / "mnist-test"


@pytest.fixture(scope="session")
def shipped_model() -> Path:
    path = REPO / "models" / "digitpad.onnx"
    assert path.is_file(), f"the shipped model is missing at {path}"
    return path


def _idx(name: str, offset: int) -> np.ndarray:
    with gzip.open(MNIST_TEST_DIR / name) as stream:
        return np.frombuffer(stream.read(), np.uint8, offset=offset)


@pytest.fixture(scope="session")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """MNIST's 10,000 test images as float32 (N, 28, 28) in [0, 1], and their labels."""
    images = _idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28).astype(np.float32) / 255
    return images, _idx("t10k-labels-idx1-ubyte.gz", 8)


#: The worker threads of the app's windows and controllers: stopped explicitly when they close.
WORKER_THREADS = ("digitpad-recognition", "digitpad-models")
#: The classifier's watchdog thread ends on its own, about RunWatchdog.IDLE_SECONDS after its last run.
WATCHDOG_THREAD = "digitpad-run-watchdog"


@pytest.fixture(scope="session", autouse=True)
def helper_threads_end_before_the_interpreter() -> Iterator[None]:
    """The session waits for digitpad's helper threads to end, so that the interpreter never shuts
    down around dozens of them (a full run once crashed at exit with a hundred waiting). The workers
    were stopped by the tests that made them (a window closing, `controller.shutdown`): only one
    still running a job is waited for; the watchdogs end within seconds of their last run."""
    yield
    deadline = time.monotonic() + 20  # bounds a hang only
    for thread in threading.enumerate():
        if thread.name in (*WORKER_THREADS, WATCHDOG_THREAD):
            thread.join(max(0.0, deadline - time.monotonic()))
