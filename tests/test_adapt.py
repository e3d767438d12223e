"""Adaptation: a person's samples move the answers near them, and only those; the profile follows the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from digitpad.model.classifier import Classifier
from digitpad.personal.personalize import NO_EMBEDDING_NOTICE, Personalization
from digitpad.personal.profile import Profile
from digitpad.reading.adapt import (
    VARIANTS,
    Adapter,
    Variant,
    leave_one_out,
    model_key,
    perturbed,
    read_drawings,
    sample_inputs,
)
from digitpad.reading.recognizer import Recognizer
from tests.drawings import mouse_like, one, seven, zero
from tests.onnx_models import linear_model


@pytest.fixture(scope="module")
def classifier(shipped_model: Path) -> Classifier:
    return Classifier(shipped_model)


@pytest.fixture()
def recognizer(classifier: Classifier) -> Recognizer:
    return Recognizer(classifier)


def test_renderings_are_small_changes_of_the_drawing(recognizer: Recognizer) -> None:
    drawing = seven()
    assert perturbed(drawing, Variant()) is drawing
    inputs = sample_inputs(seven(), recognizer.normalization)
    assert inputs is not None and inputs.shape == (len(VARIANTS), 28, 28)
    differences = np.abs(inputs[1:] - inputs[0]).mean(axis=(1, 2))
    assert (differences > 0.005).all() and (differences < 0.2).all()
    assert sample_inputs(seven().cleared(), recognizer.normalization) is None


def test_no_samples_change_nothing(recognizer: Recognizer) -> None:
    before = recognizer.recognize(seven())
    recognizer.adapter = Adapter.from_readings([], [])
    after = recognizer.recognize(seven())
    assert before is not None and after is not None
    assert np.array_equal(before.probabilities, after.probabilities) and after.network_probabilities is None


def test_a_correction_rereads_near_copies_and_leaves_other_digits_alone(recognizer: Recognizer,
                                                                        tmp_path: Path) -> None:
    drawn = mouse_like(seven(), seed=1)
    alone = recognizer.recognize(drawn)
    assert alone is not None and alone.digit == 7
    with Profile(tmp_path / "p.sqlite3") as profile:
        personalization = Personalization(profile, recognizer)
        assert personalization.notice is None and recognizer.adapter is None
        personalization.teach(drawn, 1)  # "this one is a 1, in my hand"
        again = recognizer.recognize(drawn)
        similar = recognizer.recognize(mouse_like(seven(), seed=2))  # the same form drawn again
        assert again is not None and again.digit == 1 and again.network_probabilities is not None
        assert np.array_equal(again.network_probabilities, alone.probabilities)
        assert similar is not None and similar.digit == 1
        for other, digit in ((zero(), 0), (one(), 1)):
            prediction = recognizer.recognize(other)
            assert prediction is not None and prediction.digit == digit
        personalization.forget([s.id for s in personalization.samples])
        assert recognizer.adapter is None
        back = recognizer.recognize(drawn)
        assert back is not None and back.digit == 7


def test_the_measured_effect_counts_what_the_samples_fix_for_each_other(recognizer: Recognizer,
                                                                        tmp_path: Path) -> None:
    with Profile(tmp_path / "p.sqlite3") as profile:
        personalization = Personalization(profile, recognizer)
        personalization.teach_many([(mouse_like(seven(), seed=s), 1) for s in (1, 2)] + [(zero(), 0)])
        effect = personalization.effect()
    assert (effect.samples, effect.model_wrong, effect.fixed, effect.broken) == (3, 2, 2, 0)


def test_readings_are_cached_in_the_profile_and_reused(recognizer: Recognizer, classifier: Classifier,
                                                       tmp_path: Path) -> None:
    with Profile(tmp_path / "p.sqlite3") as profile:
        Personalization(profile, recognizer).teach(seven(), 7)
        ((sample_id, cached),) = Profile(profile.path).cached_readings(model_key(classifier)).items()
        (fresh,) = read_drawings(classifier, recognizer.normalization, [seven()])
        assert fresh is not None and np.allclose(cached.embeddings, fresh.embeddings, atol=1e-5)
        again = Recognizer(classifier)
        Personalization(profile, again)
        assert again.adapter is not None and list(again.adapter.sample_ids) == [sample_id]


def test_a_model_without_embedding_reads_alone_and_says_why(tmp_path: Path) -> None:
    recognizer = Recognizer(Classifier(linear_model(tmp_path / "plain.onnx")))
    with Profile(tmp_path / "p.sqlite3") as profile:
        personalization = Personalization(profile, recognizer)
        personalization.teach(seven(), 1)
        assert personalization.notice == NO_EMBEDDING_NOTICE and recognizer.adapter is None
        assert len(profile) == 1  # the ink is kept for a model that can use it
        assert recognizer.recognize(seven()) is not None


def test_leave_one_out_of_nothing() -> None:
    assert leave_one_out(Adapter.from_readings([], [])).samples == 0
