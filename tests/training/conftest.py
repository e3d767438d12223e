"""Fixtures for the training tests: the shared MNIST copy (never the network) and a small trained run."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the training tests need the [train] extra")

from training.config import TrainConfig  # noqa: E402
from training.data import Mnist, load_mnist  # noqa: E402
from training.export import ExportReport, export_checkpoint  # noqa: E402
from training.train import TrainResult, train  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MNIST_DIR = REPO.parent / "shared" / "data" / "mnist"

#: A run small enough for a test (seconds), big enough to learn: ~90% validation accuracy.
SMOKE_CONFIG = TrainConfig(epochs=2, train_subset=2048, val_size=1000, batch_size=64)
#: One thread: on a shared 2-core machine, two threads per process run slower than one, not faster.
THREADS = 1


@pytest.fixture(autouse=True)
def only_loopback_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests talk to 127.0.0.1 only: a connection anywhere else fails the test instead of reaching out."""
    connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"a training test tried to connect to {address}; tests must stay on 127.0.0.1")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    assert MNIST_DIR.is_dir(), f"the shared MNIST copy is missing at {MNIST_DIR}"
    return MNIST_DIR


@pytest.fixture(scope="session")
def mnist(mnist_dir: Path) -> Mnist:
    return load_mnist(mnist_dir)


@pytest.fixture(scope="session")
def smoke_run(mnist: Mnist, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    return train(SMOKE_CONFIG, mnist, tmp_path_factory.mktemp("smoke-run"), progress=False, threads=THREADS)


@pytest.fixture(scope="session")
def exported(smoke_run: TrainResult, mnist: Mnist, tmp_path_factory: pytest.TempPathFactory) -> ExportReport:
    """The smoke run's best checkpoint, exported to ONNX."""
    return export_checkpoint(smoke_run.best_path, tmp_path_factory.mktemp("export") / "model.onnx", mnist)
