"""Fixtures for the training tests: MNIST from the repo (never the network, nothing outside it) and a small run.

The repo carries MNIST's real test set (data/mnist-test/, 1.6 MB) but not the 9.9 MB training set, which a
user downloads. Unless $DIGITPAD_MNIST_DIR names a folder with all four files (then the tests use it), the
tests train on a stand-in: the test set's digits written under all four names (`StandIn`), with the
checksum table pointed at them for the test session only. Smoke runs need digits, not MNIST's exact split.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the training tests need the [train] extra")

from training import data  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.data import Mnist, load_mnist  # noqa: E402
from training.export import ExportReport, export_checkpoint  # noqa: E402
from training.train import TrainResult, train  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MNIST_TEST_DIR = REPO / "data" / "mnist-test"
#: The real checksums, as the shipped model's metadata records them (taken before any stand-in patch).
REAL_MNIST_MD5 = dict(data.MNIST_MD5)

#: Test digits in `few_mnist` and `small_stand_in`: exports and evaluations of tiny runs check and
#: measure on these instead of all 10,000 (each recipe's export and evaluation 30 s -> a few).
FEW_TEST_DIGITS = 2000
#: Digits in MNIST's test set: the stand-in of every file that the training tests read when there is no full copy.
MNIST_TEST_DIGITS = 10_000


@dataclasses.dataclass(frozen=True)
class StandIn:
    """An MNIST folder whose four files each hold the repo's first test digits, and their checksums.

    The training files hold test digits too: smoke runs need digits, not MNIST's exact split."""

    folder: Path
    checks: dict[str, tuple[str, int]]  #: file name -> MD5 and size of its decompressed content

    @property
    def accept_code(self) -> str:
        """Python code that makes a training subprocess accept the stand-in."""
        return "import training.data as d\n" + "".join(
            f"d.MNIST_MD5[{name!r}], d.MNIST_BYTES[{name!r}] = {md5!r}, {size}\n"
            for name, (md5, size) in self.checks.items())

    def accept(self, monkeypatch: pytest.MonkeyPatch) -> Path:
        """Make this process accept the stand-in (for one test); returns its folder."""
        for name, (md5, size) in self.checks.items():
            monkeypatch.setitem(data.MNIST_MD5, name, md5)
            monkeypatch.setitem(data.MNIST_BYTES, name, size)
        return self.folder


def small_stand_in(folder: Path, digits: int = FEW_TEST_DIGITS) -> StandIn:
    """Write a `StandIn` of the repo's first `digits` test digits into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    images, labels = data.load_file(MNIST_TEST_DIR, data.TEST_IMAGES), data.load_file(MNIST_TEST_DIR, data.TEST_LABELS)
    contents = {
        "images": (0x0803).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in (digits, 28, 28))
        + images[:digits].tobytes(),
        "labels": (0x0801).to_bytes(4, "big") + digits.to_bytes(4, "big") + labels[:digits].tobytes(),
    }
    checks = {}
    for name in data.MNIST_MD5:
        content = contents["images" if "images" in name else "labels"]
        with gzip.open(folder / f"{name}.gz", "wb", compresslevel=1) as out:  # a test folder: fast beats small
            out.write(content)
        checks[name] = (hashlib.md5(content).hexdigest(), len(content))
    return StandIn(folder, checks)


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


def full_mnist_dir() -> Path | None:
    """$DIGITPAD_MNIST_DIR when it holds all four MNIST files: then the tests run on the real training set."""
    folder = os.environ.get(data.DATA_DIR_ENV)
    return Path(folder) if folder and not data.missing_files(Path(folder)) else None


@pytest.fixture(scope="session")
def full_stand_in(tmp_path_factory: pytest.TempPathFactory) -> StandIn | None:
    """None with the user's full MNIST copy, else the stand-in of the whole repo test set that `mnist_dir` is."""
    if full_mnist_dir() is not None:
        return None
    return small_stand_in(tmp_path_factory.mktemp("mnist-stand-in"), MNIST_TEST_DIGITS)


@pytest.fixture(scope="session")
def mnist_dir(full_stand_in: StandIn | None) -> Iterator[Path]:
    """A folder with the four MNIST files: the user's full copy, else the stand-in made from the repo's test set."""
    if full_stand_in is None:
        full = full_mnist_dir()
        assert full is not None
        yield full
        return
    with pytest.MonkeyPatch.context() as patch:
        yield full_stand_in.accept(patch)


@pytest.fixture(scope="session")
def mnist_is_full(mnist_dir: Path) -> bool:
    """Whether `mnist_dir` is a full MNIST copy (else the stand-in made from the test set)."""
    return full_mnist_dir() is not None


@pytest.fixture(scope="session")
def real_mnist_md5() -> dict[str, str]:
    """MNIST's real content checksums, whatever stand-in the session reads."""
    return REAL_MNIST_MD5


@pytest.fixture(scope="session")
def subprocess_prelude(full_stand_in: StandIn | None) -> str:
    """Code to run first in a `python -c` subprocess that reads `mnist_dir`: accepts the stand-in's checksums."""
    return "" if full_stand_in is None else full_stand_in.accept_code


@pytest.fixture(scope="session")
def training_command(subprocess_prelude: str) -> list[str]:
    """`python -m training` for a subprocess that reads `mnist_dir`."""
    return [sys.executable, "-c", subprocess_prelude + "import sys\nfrom training.__main__ import main\n"
            "sys.exit(main(sys.argv[1:]))"]


@pytest.fixture(scope="session")
def mnist(mnist_dir: Path) -> Mnist:
    return load_mnist(mnist_dir)


@pytest.fixture(scope="session")
def smoke_run(mnist: Mnist, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    return train(SMOKE_CONFIG, mnist, tmp_path_factory.mktemp("smoke-run"), progress=False, threads=THREADS)


@pytest.fixture(scope="session")
def few_mnist(mnist: Mnist) -> Mnist:
    """`mnist` with its first FEW_TEST_DIGITS test digits: for the exports and evaluations of tiny runs."""
    return dataclasses.replace(mnist, test_images=mnist.test_images[:FEW_TEST_DIGITS],
                               test_labels=mnist.test_labels[:FEW_TEST_DIGITS])


@pytest.fixture(scope="session")
def small_mnist(tmp_path_factory: pytest.TempPathFactory) -> StandIn:
    """MNIST's small stand-in, for the commands that export or evaluate a tiny run."""
    return small_stand_in(tmp_path_factory.mktemp("mnist-small"))


@pytest.fixture
def small_mnist_dir(small_mnist: StandIn, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder of `small_mnist`, accepted by this process for this test."""
    return small_mnist.accept(monkeypatch)


@pytest.fixture(scope="session")
def exported(smoke_run: TrainResult, few_mnist: Mnist, tmp_path_factory: pytest.TempPathFactory) -> ExportReport:
    """The smoke run's best checkpoint, exported to ONNX, its parity checked on `few_mnist`'s test digits."""
    return export_checkpoint(smoke_run.best_path, tmp_path_factory.mktemp("export") / "model.onnx", few_mnist)
