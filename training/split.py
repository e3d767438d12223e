"""The validation split: MNIST training digits held out to choose the epoch and fit the calibration."""

from __future__ import annotations

import numpy as np


def split_train_val(labels: np.ndarray, val_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and validation images: a stratified, seeded hold-out (scikit-learn)."""
    indices = np.arange(len(labels))
    if val_size == 0:
        return indices, indices[:0]
    from sklearn.model_selection import train_test_split  # imported when used: export needs it only to calibrate

    train, val = train_test_split(indices, test_size=val_size, stratify=labels, random_state=seed)
    return np.sort(train), np.sort(val)
