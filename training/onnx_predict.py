"""Probabilities (and embeddings) from an ONNX model run by the app's own Classifier, a batch at a time
to bound memory."""

from __future__ import annotations

import numpy as np

from digitpad.model.classifier import Classifier

BATCH = 1000


def predict_in_batches(classifier: Classifier, images: np.ndarray, batch: int = BATCH) -> np.ndarray:
    """(N, 10) probabilities for float32 images (N, 28, 28) in [0, 1]."""
    if not len(images):
        return np.zeros((0, 10), np.float32)
    return np.concatenate([classifier.predict(images[i : i + batch]) for i in range(0, len(images), batch)])


def predict_with_embeddings_in_batches(
    classifier: Classifier, images: np.ndarray, batch: int = BATCH
) -> tuple[np.ndarray, np.ndarray | None]:
    """(N, 10) probabilities and (N, D) embeddings, None when the model has no `embedding` output."""
    runs = [classifier.predict_with_embeddings(images[i : i + batch]) for i in range(0, len(images), batch)]
    probabilities = np.concatenate([p for p, _ in runs]) if runs else np.zeros((0, 10), np.float32)
    if not runs or classifier.embedding_size is None:
        return probabilities, None
    return probabilities, np.concatenate([e for _, e in runs if e is not None])
