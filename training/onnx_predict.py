"""Probabilities from an ONNX model run by the app's own Classifier, a batch at a time to bound memory."""

from __future__ import annotations

import numpy as np

from digitpad.classifier import Classifier

BATCH = 1000


def predict_in_batches(classifier: Classifier, images: np.ndarray, batch: int = BATCH) -> np.ndarray:
    """(N, 10) probabilities for float32 images (N, 28, 28) in [0, 1]."""
    if not len(images):
        return np.zeros((0, 10), np.float32)
    return np.concatenate([classifier.predict(images[i : i + batch]) for i in range(0, len(images), batch)])
