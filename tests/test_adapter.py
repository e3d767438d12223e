"""Bring your own model: models in other conventions, built around the real network, read as the shipped one does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from digitpad.errors import ModelContractError, ModelConventionError
from digitpad.ink.drawing import Drawing
from digitpad.model import classifier as classifier_module
from digitpad.model.classifier import Classifier
from digitpad.model.convention_cache import ConventionCache, model_digest
from digitpad.model.conventions import Convention, Layout, Output, Pixels, Scale
from digitpad.model.probe import Trial, probe_digits
from digitpad.reading.recognizer import Recognizer
from tests.onnx_models import foreign_model, linear_model, rename_io
from training.unipen import load_samples

#: MNIST test digits that are not among the probe's (those are the first 100 of each digit).
UNSEEN = slice(5000, 5300)


@pytest.fixture(scope="module")
def shipped(shipped_model: Path) -> Classifier:
    return Classifier(shipped_model)


@pytest.fixture(scope="module")
def pen_drawings() -> list[Drawing]:
    """40 UNIPEN pen digits, each fitted into the app's canvas as a person would draw it."""
    drawings = []
    for sample in load_samples()[:40]:
        points = np.concatenate(sample.strokes)
        low, size = points.min(axis=0), max(float(np.ptp(points, axis=0).max()), 1.0)
        drawings.append(Drawing([(s - low) * (200 / size) + 40 for s in sample.strokes]))
    return drawings


def cache(tmp_path: Path) -> ConventionCache:
    return ConventionCache(tmp_path / "conventions.json")


def assert_reads_as_shipped(
    model: Classifier, shipped: Classifier, mnist_test: tuple[np.ndarray, np.ndarray], drawings: list[Drawing]
) -> None:
    images = mnist_test[0][UNSEEN]
    ours, theirs = model.predict(images), shipped.predict(images)
    assert (ours.argmax(axis=1) == theirs.argmax(axis=1)).all()
    assert np.abs(ours - theirs).max() < 1e-4
    # A model without digitpad's metadata gets MNIST's own preprocessing (the shipped one asks for its
    # pen): the same drawing's model input must get the same answer from both.
    mine = Recognizer(model)
    for drawing in drawings:
        answer = mine.recognize(drawing)
        assert answer is not None
        reference = shipped.predict(answer.model_input[None])[0]
        assert answer.digit == int(reference.argmax()) and np.abs(answer.probabilities - reference).max() < 1e-4


#: (builder arguments, what the status bar says): the conventions of Keras, the ONNX zoo, PyTorch's examples.
CONVENTIONS = {
    "keras": (dict(layout="NHWC", scale="BYTE", input_name="input_1", output_name="dense_1"),
              "Keras layout, 0-255, logits"),
    "zoo": (dict(scale="BYTE", dark_ink=True, batch=1, input_name="Input3", output_name="Plus214_Output_0"),
            "PyTorch layout, 0-255, dark ink on white, logits, a fixed batch of 1"),
    "flat": (dict(layout="FLAT", output="PROBABILITIES"), "flat layout, 0-1, probabilities"),
    "pytorch example": (dict(scale="STANDARDIZED", output="LOG_PROBABILITIES"),
                        "PyTorch layout, MNIST mean/std, log-probabilities"),
    "flatten first": (dict(layout="NHW", scale="SYMMETRIC"), "28x28 layout, -1 to 1, logits"),
    "dark 0-1": (dict(dark_ink=True, batch=4), "PyTorch layout, 0-1, dark ink on white, logits, a fixed batch of 4"),
    # [N, d0, d1, d2]: the shape does not say NCHW or NHWC, so both are tried (and NCHW fails to run)
    "symbolic shape": (dict(layout="NHWC", scale="BYTE", unnamed_dims=True), "Keras layout, 0-255, logits"),
}


@pytest.mark.parametrize(
    "kind", [pytest.param(k, marks=[] if k in ("keras", "zoo", "symbolic shape") else [pytest.mark.slow])
             for k in CONVENTIONS]
)
def test_a_model_of_another_convention_is_found_out_and_reads_as_the_shipped_one(
    shipped_model: Path, shipped: Classifier, mnist_test: tuple[np.ndarray, np.ndarray], pen_drawings: list[Drawing],
    tmp_path: Path, kind: str,
) -> None:
    arguments, described = CONVENTIONS[kind]
    path = foreign_model(shipped_model, tmp_path / f"{kind}.onnx", **arguments)  # type: ignore[arg-type]
    model = Classifier(path, cache=cache(tmp_path))
    feeding = model.info.feeding
    assert feeding is not None and feeding.description == described and not feeding.chosen
    assert feeding.note().startswith(f"{described}; ") and feeding.note().endswith("% on 500 MNIST test digits")
    assert feeding.trial.count == 500 and feeding.trial.accuracy >= 0.99
    assert_reads_as_shipped(model, shipped, mnist_test, pen_drawings)


def test_the_convention_is_remembered_by_content_and_the_probe_runs_once(
    shipped_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = foreign_model(shipped_model, tmp_path / "keras.onnx", layout="NHWC", scale="BYTE")
    first = Classifier(path, cache=cache(tmp_path)).info.feeding
    assert first is not None and not first.remembered

    def no_probe(*_: object, **__: object) -> None:
        raise AssertionError("probed again")

    monkeypatch.setattr(classifier_module, "probe", no_probe)
    copy = shutil.copy(path, tmp_path / "renamed copy.onnx")
    again = Classifier(copy, cache=cache(tmp_path)).info.feeding
    assert again is not None and again.remembered and again.trial == first.trial
    document = json.loads((tmp_path / "conventions.json").read_text())
    assert list(document["models"]) == [model_digest(path)]

    edited = foreign_model(shipped_model, tmp_path / "edited.onnx", layout="NHWC", scale="BYTE", output_name="y")
    with pytest.raises(AssertionError, match="probed again"):  # other bytes: probed, not taken from the cache
        Classifier(edited, cache=cache(tmp_path))


@pytest.mark.parametrize("damage", [b"{not json", b'{"models": {"%s": {"convention": 7}}}', b"[]" * 600_000])
def test_a_damaged_cache_is_an_empty_one(shipped_model: Path, tmp_path: Path, damage: bytes) -> None:
    path = foreign_model(shipped_model, tmp_path / "flat.onnx", layout="FLAT")
    (tmp_path / "conventions.json").write_bytes(damage.replace(b"%s", model_digest(path).encode()))
    feeding = Classifier(path, cache=cache(tmp_path)).info.feeding
    assert feeding is not None and not feeding.remembered and feeding.description == "flat layout, 0-1, logits"
    assert ConventionCache(tmp_path / "conventions.json").get(model_digest(path)) is not None  # rewritten


def test_two_conventions_that_read_alike_are_the_persons_choice_and_it_is_remembered(
    shipped_model: Path, shipped: Classifier, mnist_test: tuple[np.ndarray, np.ndarray], tmp_path: Path,
) -> None:
    """A model that divides each image by its brightest pixel reads 0-1 and 0-255 exactly alike: digitpad asks."""
    path = foreign_model(shipped_model, tmp_path / "own-scale.onnx", own_scale=True)
    tie = (r"it reads 1,000 MNIST test digits as well fed in more than one way \(99\.\d% as PyTorch layout, 0-.*; "
           r"99\.\d% as PyTorch layout, 0-.*\): digitpad cannot tell which one it was trained with")
    with pytest.raises(ModelConventionError, match=tie) as caught:
        Classifier(path, cache=cache(tmp_path))
    choices = [c for c in caught.value.choices if isinstance(c, Trial)]
    assert len(choices) == len(caught.value.choices) == 2
    assert {c.convention.pixels for c in choices} == {Pixels(Scale.UNIT), Pixels(Scale.BYTE)}
    assert not (tmp_path / "conventions.json").exists()  # nothing remembered until the person chooses
    right = next(c for c in choices if c.convention.pixels.scale is Scale.UNIT)
    model = Classifier(path, choice=right, cache=cache(tmp_path))
    assert model.info.feeding is not None and model.info.feeding.chosen
    assert model.info.feeding.note() == "PyTorch layout, 0-1, logits; 99.8% on 1,000 MNIST test digits, your choice"
    images = mnist_test[0][UNSEEN]
    own_scale = images / images.max(axis=(1, 2), keepdims=True)
    assert np.abs(model.predict(images) - shipped.predict(own_scale)).max() < 1e-4
    again = Classifier(path, cache=cache(tmp_path)).info.feeding  # no question the next time
    assert again is not None and again.chosen and again.remembered and again.trial == right


def test_a_model_that_reads_digits_poorly_may_be_used_only_when_chosen(shipped_model: Path, tmp_path: Path) -> None:
    path = foreign_model(shipped_model, tmp_path / "muddled.onnx", layout="FLAT", mislabel=3)  # 0, 1, 2 rotated
    with pytest.raises(ModelConventionError, match=r"it reads only 69.8% of 500 MNIST test digits at best") as caught:
        Classifier(path, cache=cache(tmp_path))
    (best,) = caught.value.choices
    assert isinstance(best, Trial) and best.convention == Convention(Layout.FLAT, Pixels(), Output.LOGITS)
    feeding = Classifier(path, choice=best, cache=cache(tmp_path)).info.feeding
    assert feeding is not None and feeding.chosen


@pytest.mark.parametrize("kind", ["noise", "ten other things"])
def test_a_model_that_is_not_a_digit_classifier_is_refused(shipped_model: Path, tmp_path: Path, kind: str) -> None:
    options = {"scramble": True} if kind == "noise" else {"mislabel": 10}
    path = foreign_model(shipped_model, tmp_path / "other.onnx", **options)  # type: ignore[arg-type]
    with pytest.raises(ModelConventionError, match=r"reads only \d+% of 500 MNIST test digits however digitpad feeds"
                       r" it \(guessing reads 10%\): it does not look like a digit classifier") as caught:
        Classifier(path, cache=cache(tmp_path))
    assert caught.value.choices == ()
    assert not (tmp_path / "conventions.json").exists()  # nothing remembered


def test_an_embedding_output_is_used_for_personalization(shipped_model: Path, shipped: Classifier,
                                                          tmp_path: Path) -> None:
    path = foreign_model(shipped_model, tmp_path / "e.onnx", layout="NHWC", scale="BYTE", embedding=True)
    model = Classifier(path, cache=cache(tmp_path))
    assert model.embedding_size == shipped.embedding_size is not None
    images = probe_digits()[0][:8]
    (_, ours), (_, theirs) = model.predict_with_embeddings(images), shipped.predict_with_embeddings(images)
    assert ours is not None and theirs is not None and np.abs(ours - theirs).max() < 1e-4
    plain = Classifier(foreign_model(shipped_model, tmp_path / "p.onnx", layout="NHWC", scale="BYTE"),
                       cache=cache(tmp_path))
    assert plain.embedding_size is None  # the existing notice: reads with the model alone


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_shape": ("N", 3, 28, 28)}, "has shape ['N', 3, 28, 28], not a 28x28 digit"),
        ({"input_shape": ("N", 28, 28, 3)}, "not a 28x28 digit"),
        ({"input_shape": ("N", 785)}, "not a 28x28 digit"),
        ({"input_shape": (2048, 784)}, "fixed batch of 2,048"),
        ({"classes": 26, "output_name": "letters"}, "no output of 10 scores"),
    ],
)
def test_what_cannot_be_fed_is_named(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    path = linear_model(tmp_path / "m.onnx", input_name="x", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ModelContractError, match="does not fit digitpad") as caught:
        Classifier(path, cache=cache(tmp_path))
    assert message in str(caught.value)


def test_a_hostile_model_of_another_convention_is_stopped_by_the_time_limit(tmp_path: Path) -> None:
    from tests.onnx_models import looping_model

    path = rename_io(looping_model(tmp_path / "loops.onnx", "always"), "x", "out")
    with pytest.raises(ModelContractError, match="the model fails on MNIST test digits: .*was stopped"):
        Classifier(path, run_seconds=0.2, cache=cache(tmp_path))


def test_the_probe_digits_are_mnist_test_digits(mnist_test: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = probe_digits()
    with np.load(Path(classifier_module.__file__).with_name("probe_digits.npz")) as data:
        indices = data["indices"]
    assert len(images) == 1000 and (np.bincount(labels) == 100).all()
    assert (np.bincount(labels[:20]) == 2).all() and (np.bincount(labels[:500]) == 50).all()
    assert np.array_equal(images, mnist_test[0][indices]) and np.array_equal(labels, mnist_test[1][indices])
    assert (indices < UNSEEN.start).all()


def test_the_shipped_model_keeps_the_contract_and_is_not_probed(shipped: Classifier) -> None:
    assert shipped.info.feeding is None


def test_classify_reads_with_a_keras_model_and_says_how_it_was_fed(
    shipped_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from digitpad.cli import main
    from digitpad.ink.drawing_file import save_drawing
    from digitpad.model import convention_cache
    from tests.drawings import one

    monkeypatch.setattr(convention_cache, "default_cache_file", lambda: tmp_path / "conventions.json")
    save_drawing(tmp_path / "a_one.json", one())
    keras = foreign_model(shipped_model, tmp_path / "keras.onnx", layout="NHWC", scale="BYTE")
    assert main(["classify", "--model", str(keras), str(tmp_path / "a_one.json")]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[1].split()[0] == "1" and err == ""
    assert out.splitlines()[-1] == (f"1 of 1 file(s) read with keras ({keras}); fed as Keras layout, 0-255, logits; "
                                    "99.8% on 500 MNIST test digits")
    tied = foreign_model(shipped_model, tmp_path / "tied.onnx", own_scale=True)
    assert main(["classify", "--model", str(tied), str(tmp_path / "a_one.json")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "cannot tell which one it was trained with" in err
    assert "open it once in the app (File ▸ Open Model) to choose, and the command line uses that choice too" in err
