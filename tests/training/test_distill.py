"""Distillation: the loss, teachers fed the batch as they read it, and a distilled run end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from digitpad.ink.normalize import MNIST, Normalization
from tests.training.conftest import THREADS
from tests.training.drawing_fixtures import write_digits
from training.augment import AugmentConfig, augment
from training.checkpoint import save_checkpoint
from training.config import Distillation, PenDrawings, TrainConfig
from training.data import Mnist
from training.distill import Distiller, distillation_loss
from training.model import SeedNet
from training.train import configured_drawings, train
from training.trainer import Trainer

PEN = Normalization(pen=2.5)
TINY = TrainConfig(epochs=1, train_subset=256, val_size=200, batch_size=32, bf16=False, peak_lr=1e-3)


def _teacher(path: Path, spec: Normalization, seed: int) -> str:
    torch.manual_seed(seed)
    save_checkpoint(path, {"config": TINY.replace(normalization=spec).to_dict(), "deploy": SeedNet().state_dict(),
                           "data": {}})
    return str(path)


@pytest.fixture
def distilled(tmp_path: Path) -> TrainConfig:
    """A tiny student config: pen drawings, two teachers reading different normalizations."""
    digits = tmp_path / "digits.jsonl"
    write_digits(digits, writers=5, per_writer=3)
    teachers = (_teacher(tmp_path / "a.pt", PEN, 1), _teacher(tmp_path / "b.pt", MNIST, 2))
    return TINY.replace(normalization=PEN, drawings=PenDrawings(str(digits), copies=2, hold_out_fold=0),
                        distill=Distillation(teachers, extra_copies=1))


def test_the_loss_blends_the_teachers_soft_targets_with_the_trusted_hard_labels() -> None:
    torch.manual_seed(0)
    logits, teacher, labels = torch.randn(6, 10), torch.randn(6, 10), torch.randint(0, 10, (6,))
    trusted = torch.tensor([1.0, 1, 1, 0, 0, 0])
    hard_only = distillation_loss(logits, teacher, labels, trusted, Distillation(("t",), soft_weight=0.0), 0.1)
    assert hard_only == pytest.approx(F.cross_entropy(logits[:3], labels[:3], label_smoothing=0.1).item())
    soft = Distillation(("t",), temperature=3.0, soft_weight=1.0)
    assert distillation_loss(teacher, teacher, labels, trusted, soft, 0.1) == pytest.approx(0.0, abs=1e-6)
    expected = 9.0 * F.kl_div(F.log_softmax(logits / 3, 1), F.softmax(teacher / 3, 1), reduction="batchmean")
    assert distillation_loss(logits, teacher, labels, trusted, soft, 0.1) == pytest.approx(expected.item())
    relabelled = labels.clone()
    relabelled[3:] = (labels[3:] + 1) % 10  # an untrusted image's label does not count
    blend = Distillation(("t",), soft_weight=0.5)
    assert distillation_loss(logits, teacher, relabelled, trusted, blend, 0.1) == \
        distillation_loss(logits, teacher, labels, trusted, blend, 0.1)


def test_each_teacher_reads_its_own_rendering_augmented_like_the_students(mnist: Mnist, distilled: TrainConfig) -> None:
    extra = configured_drawings(distilled)
    assert [(e.name, e.trusted) for e in extra] == [("rendered pen drawings", True),
                                                   ("stroke-augmented pen drawings", False)]
    assert distilled.distill is not None
    hook = Distiller(distilled.distill)
    trainer = Trainer(distilled.replace(augment=AugmentConfig()), mnist, extra, torch.device("cpu"), loss_hook=hook)
    assert list(hook.views) == [MNIST]  # the student's own normalization needs no second pool
    view = hook.views[MNIST]
    assert torch.equal(view[: trainer.mnist_count], trainer.images[: trainer.mnist_count])  # MNIST: same images
    assert not torch.equal(view[trainer.mnist_count:], trainer.images[trainer.mnist_count:])  # drawings: rendered
    trusted = trainer.mnist_count + len(extra[0].labels)
    assert hook.trusted.tolist() == [1.0] * trusted + [0.0] * len(extra[1].labels)
    # with the MNIST view made equal to the student's pool, both teachers must see the very same augmented batch
    hook.views[MNIST] = trainer.images.clone()
    batch = torch.arange(len(trainer.labels) - 40, len(trainer.labels))
    torch.manual_seed(7)
    images = augment(trainer.images[batch], trainer.config.augment)
    after_student = torch.rand(3)
    torch.manual_seed(7)
    augment(trainer.images[batch], trainer.config.augment)
    teacher_logits = hook.teacher_logits(batch, images, 7)
    assert torch.equal(torch.rand(3), after_student)  # the teachers leave the student's random state alone
    with torch.no_grad():
        expected = sum(network(images) for _, network in hook.teachers.networks) / 2
    assert torch.allclose(teacher_logits, expected, atol=1e-5)


@pytest.mark.slow
def test_a_distilled_run_trains_resumes_and_records_its_teachers(mnist: Mnist, distilled: TrainConfig,
                                                                 tmp_path: Path) -> None:
    assert TrainConfig.from_dict(distilled.to_dict()) == distilled  # what a checkpoint and resume rely on
    assert "distill" not in TINY.to_dict()  # a plain run's config is as it was before distillation
    out = tmp_path / "student"
    first = train(distilled.replace(epochs=2), mnist, out, threads=THREADS, progress=False,
                  on_step=lambda report: report.global_step == 3)
    assert first.interrupted
    result = train(None, mnist, out, resume=True, threads=THREADS, progress=False)
    assert not result.interrupted and len(result.history) == 2
    checkpoint = torch.load(out / "last.pt", weights_only=True)
    assert len(checkpoint["data"]["teachers_md5"]) == 2
    assert [e.get("trusted", True) for e in checkpoint["data"]["extra"]] == [True, False]
