"""The MNIST loader: reads .gz and raw IDX files, and rejects any file whose content is not MNIST's."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from training.data import (
    DATA_DIR_ENV,
    MNIST_MD5,
    TEST_IMAGES,
    TEST_LABELS,
    Mnist,
    default_data_dir,
    load_file,
    resolve_data_dir,
    split_train_val,
)
from training.download import obtain_mnist
from training.errors import DatasetError


def test_the_data_folder_decodes_to_mnist(mnist: Mnist, mnist_is_full: bool) -> None:
    """The repo's test set always; the real training set too when $DIGITPAD_MNIST_DIR names a full copy."""
    train_count = 60000 if mnist_is_full else 10000  # else the stand-in (see conftest)
    assert mnist.train_images.shape == (train_count, 28, 28) and mnist.train_images.dtype == np.uint8
    assert mnist.test_images.shape == (10000, 28, 28)
    assert mnist.train_labels.shape == (train_count,) and mnist.test_labels.shape == (10000,)
    assert set(np.unique(mnist.train_labels)) == set(range(10))
    assert mnist.train_images.max() == 255
    assert (mnist.train_images[:, 0, :] == 0).mean() > 0.99  # ink inside an almost always blank border
    assert mnist.md5 == MNIST_MD5


def test_raw_and_gzip_files_read_alike(mnist_dir: Path, tmp_path: Path) -> None:
    raw = gzip.decompress((mnist_dir / f"{TEST_LABELS}.gz").read_bytes())
    (tmp_path / TEST_LABELS).write_bytes(raw)
    from_raw = load_file(tmp_path, TEST_LABELS)
    from_gzip = load_file(mnist_dir, TEST_LABELS)
    assert np.array_equal(from_raw, from_gzip) and len(from_raw) == 10000


def _expect_error(folder: Path, name: str, *phrases: str) -> None:
    with pytest.raises(DatasetError) as caught:
        load_file(folder, name)
    message = str(caught.value)
    assert name in message and MNIST_MD5[name] in message, message
    for phrase in phrases:
        assert phrase in message, message


def test_truncated_gzip_is_named_with_its_checksum(mnist_dir: Path, tmp_path: Path) -> None:
    data = (mnist_dir / f"{TEST_LABELS}.gz").read_bytes()
    (tmp_path / f"{TEST_LABELS}.gz").write_bytes(data[: len(data) // 2])
    _expect_error(tmp_path, TEST_LABELS, "truncated")


def test_truncated_raw_file_fails_its_checksum(mnist_dir: Path, tmp_path: Path) -> None:
    raw = gzip.decompress((mnist_dir / f"{TEST_LABELS}.gz").read_bytes())
    (tmp_path / TEST_LABELS).write_bytes(raw[:-100])
    _expect_error(tmp_path, TEST_LABELS, "wrong content")


def test_one_changed_byte_fails_the_checksum(mnist_dir: Path, tmp_path: Path) -> None:
    raw = bytearray(gzip.decompress((mnist_dir / f"{TEST_LABELS}.gz").read_bytes()))
    raw[5000] = (raw[5000] + 1) % 10  # still a valid label: only the checksum can tell
    (tmp_path / f"{TEST_LABELS}.gz").write_bytes(gzip.compress(bytes(raw)))
    _expect_error(tmp_path, TEST_LABELS, "wrong content")


def test_a_different_file_under_the_name_is_rejected(mnist_dir: Path, tmp_path: Path) -> None:
    shutil.copy(mnist_dir / f"{TEST_IMAGES}.gz", tmp_path / f"{TEST_LABELS}.gz")
    _expect_error(tmp_path, TEST_LABELS, "wrong content")


def test_garbage_is_not_gzip(tmp_path: Path) -> None:
    (tmp_path / f"{TEST_LABELS}.gz").write_bytes(b"<html>not found</html>")
    _expect_error(tmp_path, TEST_LABELS, "not a valid gzip")


def test_missing_file_is_named(tmp_path: Path) -> None:
    _expect_error(tmp_path, TEST_LABELS, str(tmp_path))


def test_data_folder_order_is_flag_then_env_then_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "env"))
    assert resolve_data_dir(tmp_path / "flag") == (tmp_path / "flag", False)
    assert resolve_data_dir(None) == (tmp_path / "env", False)
    monkeypatch.delenv(DATA_DIR_ENV)
    assert resolve_data_dir(None) == (default_data_dir(), True)


def test_a_given_folder_is_never_downloaded_into(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="python -m training download"):
        obtain_mnist(tmp_path, mirrors=["http://127.0.0.1:9/"], progress=False)
    assert list(tmp_path.iterdir()) == []


def test_validation_split_is_stratified_seeded_and_disjoint(mnist: Mnist) -> None:
    train, val = split_train_val(mnist.train_labels, 5000, seed=0)
    assert len(train) == len(mnist.train_labels) - 5000 and len(val) == 5000 and not set(train) & set(val)
    expected = np.bincount(mnist.train_labels) * 5000 / len(mnist.train_labels)
    assert np.abs(np.bincount(mnist.train_labels[val]) - expected).max() <= 1
    again = split_train_val(mnist.train_labels, 5000, seed=0)[1]
    other = split_train_val(mnist.train_labels, 5000, seed=1)[1]
    assert np.array_equal(val, again) and not np.array_equal(val, other)
