"""A personal model: the shipped network fine-tuned on one person's exported profile.

For power users; the app does not need it (its numpy adaptation reads with the profile directly).
The network is rebuilt from the ONNX file's own weights, trained for a few hundred steps on
batches that mix the profile's samples (rendered as the app renders taught samples, with their
small perturbations) with MNIST training digits, so that it learns the hand without forgetting
the digits; then the file's weights are replaced, everything else (graph, outputs, metadata) kept,
and the result is checked with the app's own classifier before it is written (atomically).

    python -m training personalize --profile me.sqlite3 --out personal.onnx [--model M] [--steps 300]
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

from digitpad.files import write_bytes_atomically
from digitpad.model.classifier import Classifier
from digitpad.model.contract import MetadataKey, normalization_from_metadata
from digitpad.personal.profile import Profile
from digitpad.reading.adapt import sample_inputs
from training.data import Mnist
from training.embedding_output import seednet_from_onnx
from training.errors import ExportError
from training.evaluate.mnist import predict_in_batches


@dataclass(frozen=True)
class PersonalReport:
    path: Path
    samples: int
    profile_accuracy_before: float  #: the profile's samples (as drawn) read right by the original model
    profile_accuracy_after: float
    mnist_accuracy_before: float
    mnist_accuracy_after: float

    def summary(self) -> str:
        return (f"{self.samples} profile samples read right {self.profile_accuracy_before:.1%} -> "
                f"{self.profile_accuracy_after:.1%} (the samples it was tuned on: not a measure of new drawings); "
                f"MNIST test {self.mnist_accuracy_before:.2%} -> {self.mnist_accuracy_after:.2%}")


def profile_images(profile_path: Path, model: onnx.ModelProto) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(renderings (N*V, 28, 28), their labels, index of each sample's as-drawn rendering)."""
    spec = normalization_from_metadata({p.key: p.value for p in model.metadata_props})
    with Profile(profile_path, read_only=True) as profile:  # never created, never changed
        samples = profile.samples()
    images: list[np.ndarray] = []
    labels: list[int] = []
    originals: list[int] = []
    for sample in samples:
        inputs = sample_inputs(sample.drawing, spec)
        if inputs is None:
            continue
        originals.append(sum(len(i) for i in images))
        images.append(inputs)
        labels.extend([sample.label] * len(inputs))
    if not images:
        raise ExportError(f"{profile_path} holds no samples with ink")
    return np.concatenate(images), np.asarray(labels, np.int64), np.asarray(originals, np.int64)


def _accuracy(classifier: Classifier, images: np.ndarray, labels: np.ndarray) -> float:
    return float((predict_in_batches(classifier, images).argmax(1) == labels).mean())


def personalize(model_path: Path, profile_path: Path, out: Path, mnist: Mnist, steps: int = 300,
                lr: float = 1e-4, seed: int = 0) -> PersonalReport:
    model = onnx.load(str(model_path))
    images, labels, originals = profile_images(profile_path, model)
    net = seednet_from_onnx(model)
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.0)
    mnist_images = torch.from_numpy(mnist.train_images.astype(np.float32) / 255).unsqueeze(1)
    mnist_labels = torch.from_numpy(mnist.train_labels.astype(np.int64))
    profile_images_t, profile_labels_t = torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels)
    net.train()
    for _ in range(steps):
        chosen = torch.randint(len(profile_images_t), (32,), generator=generator)
        other = torch.from_numpy(rng.integers(0, len(mnist_images), 96))
        batch = torch.cat([profile_images_t[chosen], mnist_images[other]])
        target = torch.cat([profile_labels_t[chosen], mnist_labels[other]])
        loss = F.cross_entropy(net(batch), target)
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
    net.eval()

    tuned = onnx.ModelProto()
    tuned.CopyFrom(model)
    state = {f"net.{k}": v.detach().numpy() for k, v in net.state_dict().items()}
    for initializer in tuned.graph.initializer:
        if initializer.name in state:
            initializer.CopyFrom(numpy_helper.from_array(state[initializer.name].astype(np.float32), initializer.name))
    test_images = mnist.test_images.astype(np.float32) / 255
    # A new file of its own (O_CREAT | O_EXCL), never a file or link already there: a link planted
    # at a fixed name once had its target overwritten with the model.
    handle, name = tempfile.mkstemp(prefix=f".{out.name[:100]}.", suffix=".candidate", dir=out.parent)
    candidate = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(tuned.SerializeToString())
        before, after = Classifier(model_path), Classifier(candidate)
        mine, mine_labels = images[originals], labels[originals]
        report = PersonalReport(
            out, len(originals), _accuracy(before, mine, mine_labels), _accuracy(after, mine, mine_labels),
            _accuracy(before, test_images, mnist.test_labels), _accuracy(after, test_images, mnist.test_labels))
    finally:
        candidate.unlink(missing_ok=True)
    metadata = {p.key: p.value for p in tuned.metadata_props}
    metadata[MetadataKey.NAME] = f"{metadata.get(MetadataKey.NAME, model_path.stem)} (personal)"
    metadata[MetadataKey.TEST_ACCURACY] = f"{report.mnist_accuracy_after:.4f}"
    metadata.pop(MetadataKey.DRAWING_ACCURACY, None)  # measured for the original, not for this one
    metadata[MetadataKey.PERSONALIZED] = json.dumps({"from": model_path.name, "profile_samples": report.samples,
                                             "steps": steps, "lr": lr, "seed": seed})
    onnx.helper.set_model_props(tuned, metadata)
    write_bytes_atomically(out, tuned.SerializeToString())
    return report
