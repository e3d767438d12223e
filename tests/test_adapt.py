"""Adaptation: a person's samples move the answers near them, and only those; the profile follows the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from digitpad.ink.drawing import Drawing
from digitpad.model.classifier import Classifier
from digitpad.personal.personalize import NO_EMBEDDING_NOTICE, Personalization, read_stored
from digitpad.personal.profile import Profile
from digitpad.reading.adapt import (
    VARIANTS,
    Adapter,
    Reading,
    Variant,
    leave_one_out,
    model_key,
    perturbed,
    read_drawings,
    sample_inputs,
)
from digitpad.reading.recognizer import Recognizer
from tests.drawings import densify, mouse_like, one, seven, zero
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


def test_a_read_made_elsewhere_keeps_the_changes_made_here_meanwhile(recognizer: Recognizer, classifier: Classifier,
                                                                     tmp_path: Path) -> None:
    """The app reads the profile on a worker (`read_stored`, a connection of its own) while the person
    may teach and undo on the GUI thread: what was changed after the read began wins, by sample id."""
    path = tmp_path / "p.sqlite3"
    with Profile(path) as profile:
        Personalization(profile, recognizer).teach_many([(seven(), 7), (zero(), 0)])
        kept, forgotten = (s.id for s in profile.samples())
    with Profile(path) as profile, Profile(path) as elsewhere:
        personalization = Personalization(profile, recognizer, key="", read=False)  # nothing read yet
        assert personalization.samples == [] and not personalization.loaded and recognizer.adapter is None
        personalization.start_read()
        stored = read_stored(elsewhere, model_key(classifier))  # read before the changes below
        taught = personalization.teach(one(), 1).added  # stored here, after the read
        personalization.apply(stored)
        assert sorted(s.label for s in personalization.samples) == [0, 1, 7] and personalization.loaded
        assert [s.id for s in personalization.take_pending(10)] == [taught[0].id]  # the only one to derive
        personalization.start_read()
        stored = read_stored(elsewhere, model_key(classifier))
        personalization.forget([forgotten])  # undone meanwhile: it stays forgotten
        personalization.apply(stored)
        assert [s.id for s in personalization.samples] == [kept, taught[0].id]
        assert recognizer.adapter is not None and list(recognizer.adapter.sample_ids) == [kept]


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


def flagged_one(seed: int = 0) -> Drawing:
    """A 1 with a long flag: the model alone reads it as a 1 for sure, a 7 second."""
    return mouse_like(Drawing((densify([(110, 90), (150, 50), (150, 230)]),)), seed=seed)


def _sure_one(recognizer: Recognizer) -> tuple[Drawing, int]:
    """A 1 the model alone reads for sure, and the model's second choice for it (a 7)."""
    drawing = flagged_one()
    alone = recognizer.recognize(drawing)
    assert alone is not None and alone.digit == 1 and alone.confidence >= 0.99
    return drawing, int(np.argsort(-alone.probabilities)[1])


def test_a_lone_sample_against_a_sure_model_makes_a_near_copy_unsure_never_sure(recognizer: Recognizer,
                                                                                tmp_path: Path) -> None:
    drawing, second = _sure_one(recognizer)
    with Profile(tmp_path / "p.sqlite3") as profile:
        Personalization(profile, recognizer).teach(drawing, second)  # a slip, or "my 1 is a 7"
        again = recognizer.recognize(drawing)
        assert again is not None and not again.confident  # not sure, with both candidates
        assert set(np.argsort(-again.probabilities)[:2].tolist()) == {1, second}
        copy = recognizer.recognize(flagged_one(seed=1))  # the same form drawn again: unsure too
        assert copy is not None and not copy.confident
        other = recognizer.recognize(one())  # a 1 that merely shares the general shape
        assert other is not None and other.digit == 1 and other.confident


def test_several_consistent_samples_reach_further_than_one(recognizer: Recognizer, tmp_path: Path) -> None:
    drawing, second = _sure_one(recognizer)
    with Profile(tmp_path / "p.sqlite3") as profile:
        personalization = Personalization(profile, recognizer)
        personalization.teach(drawing, second)
        one_sample = recognizer.recognize(drawing)
        personalization.teach_many([(flagged_one(seed=s), second) for s in (4, 5, 6, 7)])
        five = recognizer.recognize(drawing)
    assert one_sample is not None and five is not None
    assert five.probabilities[second] > one_sample.probabilities[second]
    assert five.digit == second


def test_capped_lift_bounds_what_one_sample_does() -> None:
    """Pure arithmetic: a sample at similarity 1 moves a 80%-sure answer by at most the cap."""
    embedding = np.eye(1, 8, dtype=np.float32)
    network_read = np.full(10, 0.1 / 9, np.float32)
    network_read[1] = 0.9  # the sample itself was a sure 1, taught as a 7: it "needs" 4.4 nats
    taught = Reading(network_read, np.repeat(embedding, len(VARIANTS), axis=0))
    adapter = Adapter.from_readings([taught], [7])
    assert adapter.lift[0] == pytest.approx(adapter.settings.cap)
    network = np.full((1, 10), 0.2 / 9, np.float32)
    network[0, 1] = 0.8
    answer = adapter.combine(network, np.array([[0.965]]))  # a near sample, not quite a near-copy
    assert answer[0].argmax() == 1 and answer[0, 7] < 0.8


def test_one_drawing_is_one_sample(recognizer: Recognizer, tmp_path: Path) -> None:
    with Profile(tmp_path / "p.sqlite3") as profile:
        personalization = Personalization(profile, recognizer)
        first = personalization.teach(seven(), 7)
        again = personalization.teach(seven(), 7)
        assert len(first.added) == 1 and not again.added and again.already == first.added
        assert "1 was already in your profile" in again.describe()
        relabelled = personalization.teach(seven(), 1)  # the same drawing as another digit replaces it
        assert relabelled.replaced == first.added and [s.label for s in profile.samples()] == [1]
        profile.export_to(tmp_path / "copy.sqlite3")
        imported = personalization.import_from(tmp_path / "copy.sqlite3")
        assert not imported.added and len(imported.already) == 1 and len(profile) == 1
