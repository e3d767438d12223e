"""Look Inside's core: the layers are the network's own, the why-map points at the ink that matters."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from digitpad.model.classifier import Classifier
from digitpad.model.contract import FILTER_OUTPUTS, LAYER_OUTPUTS, OUTPUT_NAME
from digitpad.reading.explain import PATCH, explain, occluded_inputs, patch_starts
from digitpad.reading.inside_picture import detail, overview
from digitpad.reading.recognizer import Recognizer
from tests import numpy_convnet
from tests.drawings import one, seven
from tests.onnx_models import linear_model

#: float32 ONNX Runtime against float64 numpy, on activations of a few units
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def shipped(shipped_model: Path) -> Classifier:
    return Classifier(shipped_model)


def test_the_layers_are_the_network_recomputed_in_numpy_from_its_own_weights(shipped: Classifier,
                                                                              shipped_model: Path) -> None:
    model_input = Recognizer(shipped).recognize(seven()).model_input
    explanation = explain(shipped, model_input)
    expected = numpy_convnet.layers(shipped_model, model_input)
    assert set(explanation.layers) == set(expected)
    for name, values in expected.items():
        assert explanation.layers[name].shape == values.shape
        assert np.abs(explanation.layers[name] - values).max() <= TOLERANCE, name
        assert values.max() > 0.1  # a real drawing lights the maps up: the comparison is not of zeros
    weights = numpy_convnet.weights(shipped_model)
    assert np.array_equal(explanation.filters["filter.conv1"], weights["conv1.weight"].astype(np.float32))
    assert np.array_equal(explanation.filters["filter.conv2"], weights["conv2.weight"].astype(np.float32))
    assert explanation.dense is not None and explanation.dense.shape == (1764,)
    assert explanation.logits is not None and explanation.missing == ()


def test_the_plain_answer_asks_onnx_runtime_for_the_probabilities_alone(shipped: Classifier,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[list[str]] = []
    run = shipped._run
    monkeypatch.setattr(shipped, "_run", lambda outputs, batch: asked.append(outputs) or run(outputs, batch))
    shipped.predict(np.zeros((1, 28, 28), np.float32))
    assert asked == [[OUTPUT_NAME]]


@pytest.mark.slow
def test_blanking_the_ink_the_why_map_marks_lowers_the_answer_more_than_blanking_other_ink(
        shipped: Classifier) -> None:
    """On 200 pen digits: the 16 inked pixels the map rates highest against 16 other inked pixels."""
    from training import unipen
    from training.unipen import place_samples

    recognizer = Recognizer(shipped)
    drawings = place_samples(itertools.islice(unipen.iter_samples(), 200), seed=0)
    rng = np.random.default_rng(0)
    marked, elsewhere = [], []
    for drawing in drawings:
        prediction = recognizer.recognize(drawing)
        assert prediction is not None
        image = prediction.model_input
        explanation = explain(shipped, image)
        ink = np.flatnonzero(image.ravel() > 0.1)
        ranked = ink[np.argsort(-explanation.why.values.ravel()[ink], kind="stable")]
        top, rest = ranked[:16], ranked[16:]
        other = rng.choice(rest, 16, replace=False)
        blanked = np.repeat(image.reshape(1, -1), 2, axis=0)
        blanked[0, top] = 0
        blanked[1, other] = 0
        after = shipped.predict(blanked.reshape(2, 28, 28))[:, explanation.digit]
        before = explanation.probabilities[explanation.digit]
        marked.append(before - after[0])
        elsewhere.append(before - after[1])
    marked_drop, other_drop = np.array(marked), np.array(elsewhere)
    assert len(marked_drop) == 200
    assert marked_drop.mean() > 5 * other_drop.mean()
    assert (marked_drop > other_drop).mean() >= 0.85


def test_all_blanked_squares_go_in_one_batch_and_only_those_with_ink(shipped: Classifier,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:16] = 1.0  # a 1
    batch, corners = occluded_inputs(image)
    assert len(corners) == len(batch) and 0 < len(corners) < len(patch_starts()) ** 2
    for blanked, (y, x) in zip(batch, corners):
        assert not blanked[y : y + PATCH, x : x + PATCH].any() and image[y : y + PATCH, x : x + PATCH].any()
    sizes: list[int] = []
    predict = shipped.predict
    monkeypatch.setattr(shipped, "predict", lambda images: sizes.append(len(images)) or predict(images))
    explanation = explain(shipped, image)
    assert sizes == [len(corners)] and explanation.positions == len(corners)
    assert patch_starts()[-1] == 28 - PATCH  # the last squares reach the edge


def test_an_unsure_answer_gets_a_why_map_for_its_runner_up_too(shipped: Classifier) -> None:
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:15] = 1.0
    image[4:6, 9:15] = 1.0  # a 1 with a flag: between 1 and 7 for the shipped model
    found = None
    for width in range(2, 12):
        image[4:6, 15 - width : 15] = 1.0
        explanation = explain(shipped, image)
        if not explanation.confident:
            found = explanation
            break
    assert found is not None, "no flag width made the model unsure"
    assert found.why_not is not None and found.why_not.digit == found.runner_up != found.digit
    assert found.why.values.shape == (28, 28) and np.abs(found.why_not.values).max() > 0


def _with_outputs(source: Path, target: Path, outputs: dict[str, str]) -> Path:
    """A model with extra outputs, each an Identity of a tensor the graph has (name -> tensor)."""
    model = onnx.load(str(source))
    for name, tensor in outputs.items():
        model.graph.node.append(helper.make_node("Identity", [tensor], [name]))
        model.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    onnx.save(model, str(target))
    return target


def test_a_model_without_layer_outputs_still_gets_its_why_map_and_says_what_it_lacks(tmp_path: Path) -> None:
    classifier = Classifier(linear_model(tmp_path / "linear.onnx"))
    assert classifier.layer_outputs == {} and classifier.filters == {}
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:16] = 1.0
    explanation = explain(classifier, image)
    assert explanation.missing == tuple(o.name for o in LAYER_OUTPUTS)
    assert explanation.layers == {} and np.abs(explanation.why.values).max() > 0
    picture = overview(explanation)
    assert picture.tiles == () and picture.image.width > 0


def test_layer_outputs_of_the_wrong_shape_are_not_shown_and_the_reason_is_kept(tmp_path: Path) -> None:
    source = linear_model(tmp_path / "linear.onnx")
    # The image as "conv1" is a valid 1-map layer; as "pool2" (7x7 wanted) and as a filter it is not.
    path = _with_outputs(source, tmp_path / "odd.onnx",
                         {"layer.conv1": "image", "layer.pool2": "image", "filter.conv1": "image"})
    classifier = Classifier(path)
    assert classifier.layer_outputs == {"layer.conv1": (1, 28, 28)}
    assert set(classifier.layer_problems) == {"layer.pool2", "filter.conv1"}
    assert "7" in classifier.layer_problems["layer.pool2"]
    image = np.zeros((28, 28), np.float32)
    image[10:20, 10:20] = 1.0
    explanation = explain(classifier, image)
    assert np.array_equal(explanation.layers["layer.conv1"][0], image)
    assert "layer.pool2" in explanation.missing


def test_the_pictures_have_a_tile_for_every_map_and_a_detail_for_each_kind(shipped: Classifier) -> None:
    explanation = explain(shipped, Recognizer(shipped).recognize(one()).model_input)
    picture = overview(explanation)
    counts = {name: sum(t.layer == name for t in picture.tiles) for name in explanation.layers}
    assert counts == {"layer.conv1": 32, "layer.pool1": 32, "layer.conv2": 36, "layer.pool2": 36}
    tile = next(t for t in picture.tiles if t.layer == "layer.conv2" and t.channel == 5)
    assert picture.tile_at((tile.box[0] + tile.box[2]) / 2, (tile.box[1] + tile.box[3]) / 2) == tile
    for name in explanation.layers:
        shown = detail(explanation, name, 3, (5, 6))
        left, top, right, bottom = shown.map_box
        assert shown.pixel_at(left + (right - left) * 6.5 / shown.map_shape[1],
                              top + (bottom - top) * 5.5 / shown.map_shape[0]) == (5, 6)
    assert {o.name for o in FILTER_OUTPUTS} == set(explanation.filters)
