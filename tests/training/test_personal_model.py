"""`python -m training personalize`: a fine-tuned copy of the model, everything but the weights kept."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import onnx
import pytest

from digitpad.model.classifier import Classifier
from digitpad.model.contract import MetadataKey
from digitpad.personal.profile import Profile
from tests.drawings import mouse_like, seven, zero
from tests.hostile_profiles import make_refused_profiles
from training.data import Mnist
from training.personal_model import personalize


@pytest.mark.slow
def test_a_personal_model_learns_the_profile_and_keeps_the_contract(shipped_model: Path, mnist: Mnist,
                                                                    tmp_path: Path) -> None:
    small = dataclasses.replace(mnist, test_images=mnist.test_images[:500], test_labels=mnist.test_labels[:500])
    with Profile(tmp_path / "me.sqlite3") as profile:  # this person's 7-shaped drawings are 1s
        profile.add_many([(mouse_like(seven(), seed=s), 1) for s in range(6)] + [(zero(), 0)])
    report = personalize(shipped_model, tmp_path / "me.sqlite3", tmp_path / "personal.onnx", small, steps=60, lr=3e-4)
    assert report.samples == 7 and report.profile_accuracy_before < 0.2 and report.profile_accuracy_after == 1.0
    assert report.mnist_accuracy_after >= report.mnist_accuracy_before - 0.01
    personal = Classifier(tmp_path / "personal.onnx")
    assert personal.embedding_size == 1764  # the same graph: the app can still adapt on top of it
    assert personal.predict(np.zeros((1, 28, 28), np.float32)).shape == (1, 10)
    assert personal.info.name.endswith("(personal)")
    assert json.loads(personal.info.metadata[MetadataKey.PERSONALIZED])["profile_samples"] == 7
    original = {p.key for p in onnx.load(str(shipped_model)).metadata_props} - {MetadataKey.DRAWING_ACCURACY}
    assert original <= set(personal.info.metadata)


@pytest.mark.slow
def test_personalize_never_writes_through_a_link_planted_beside_its_output(shipped_model: Path, mnist: Mnist,
                                                                          tmp_path: Path) -> None:
    """A link at .personal.onnx.candidate once had its target overwritten with the model, and was removed."""
    small = dataclasses.replace(mnist, test_images=mnist.test_images[:100], test_labels=mnist.test_labels[:100])
    with Profile(tmp_path / "me.sqlite3") as profile:
        profile.add_many([(seven(), 7), (zero(), 0)])
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    planted = tmp_path / ".personal.onnx.candidate"
    planted.symlink_to(victim)
    personalize(shipped_model, tmp_path / "me.sqlite3", tmp_path / "personal.onnx", small, steps=2)
    assert victim.read_text() == "keep me" and planted.is_symlink() and planted.resolve() == victim
    assert Classifier(tmp_path / "personal.onnx").info.name.endswith("(personal)")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".personal.onnx.candidate", "me.sqlite3",
                                                          "personal.onnx", "victim.txt"]


def test_personalize_with_a_mistyped_or_unusable_profile_is_one_line_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`personalize --profile` with a mistyped path once created an empty profile file; bad profiles gave tracebacks."""
    from training.__main__ import main

    profiles = {tmp_path / "mistyped.sqlite3": "no profile file at", **make_refused_profiles(tmp_path / "hostile")}
    for path, message in profiles.items():
        before = path.read_bytes() if path.exists() else None
        code = main(["personalize", "--profile", str(path), "--out", str(tmp_path / "personal.onnx"), "--steps", "1"])
        err = capsys.readouterr().err
        assert code == 1 and err.startswith("error: ") and message in err and "Traceback" not in err, path.name
        assert (path.read_bytes() if path.exists() else None) == before
    assert not (tmp_path / "personal.onnx").exists()
