"""Small ONNX models built in code: ones that keep the contract and many that break it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from digitpad.contract import MetadataKey


def _save(graph: onnx.GraphProto, path: Path, metadata: dict[str, str] | None) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, metadata or {})
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return path


def linear_model(
    path: Path,
    *,
    input_name: str = "image",
    input_shape: tuple[object, ...] = ("N", 1, 28, 28),
    input_type: int = TensorProto.FLOAT,
    output_name: str = "probabilities",
    classes: int = 10,
    softmax: bool = True,
    logits: Sequence[float] | None = None,
    metadata: dict[str, str] | None = None,
) -> Path:
    """image -> flatten -> linear -> softmax; every argument can be bent to break the contract.

    With `logits` the weights are zero and the answer ignores the image: softmax(logits).
    """
    features = int(np.prod([d for d in input_shape[1:] if isinstance(d, int)]))
    if logits is None:
        weight = np.random.default_rng(0).normal(0, 0.05, (features, classes)).astype(np.float32)
        bias = np.zeros(classes, np.float32)
    else:
        weight, bias = np.zeros((features, classes), np.float32), np.asarray(logits, np.float32)
    nodes = []
    source = input_name
    if input_type != TensorProto.FLOAT:
        nodes.append(helper.make_node("Cast", [input_name], ["as_float"], to=TensorProto.FLOAT))
        source = "as_float"
    nodes.append(helper.make_node("Flatten", [source], ["flat"], axis=1))
    nodes.append(helper.make_node("MatMul", ["flat", "weight"], ["product"]))
    nodes.append(helper.make_node("Add", ["product", "bias"], ["logits" if softmax else output_name]))
    if softmax:
        nodes.append(helper.make_node("Softmax", ["logits"], [output_name], axis=1))
    graph = helper.make_graph(
        nodes,
        "test-model",
        [helper.make_tensor_value_info(input_name, input_type, list(input_shape))],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["N", classes])],
        initializer=[numpy_helper.from_array(weight, "weight"), numpy_helper.from_array(bias, "bias")],
    )
    return _save(graph, path, metadata)


def constant_model(path: Path, logits: Sequence[float], name: str | None = "tiny") -> Path:
    """A model whose answer ignores the image: softmax(logits); with a name, an accuracy of 50 % too.

    With other than ten logits it breaks digitpad's contract on purpose.
    """
    metadata = {MetadataKey.NAME: name, MetadataKey.TEST_ACCURACY: "0.5"} if name else {}
    return linear_model(path, classes=len(logits), logits=logits, metadata=metadata)


def fails_on_ink_model(path: Path) -> Path:
    """A valid model that keeps the contract on blank images but fails at run time on any ink.

    It reshapes the batch to (-1, 784 + ceil(max pixel)): fine for the all-zero batch that
    Classifier probes with, an impossible shape as soon as a pixel is above 0.
    """
    nodes = [
        helper.make_node("ReduceMax", ["image"], ["peak"], keepdims=0),
        helper.make_node("Ceil", ["peak"], ["peak_up"]),
        helper.make_node("Cast", ["peak_up"], ["extra"], to=TensorProto.INT64),
        helper.make_node("Add", ["extra", "features"], ["width"]),
        helper.make_node("Reshape", ["width", "one"], ["width_1d"]),
        helper.make_node("Concat", ["minus_one", "width_1d"], ["shape"], axis=0),
        helper.make_node("Reshape", ["image", "shape"], ["flat"]),
        helper.make_node("Slice", ["flat", "zero", "ten", "one"], ["logits"]),  # 10 of the features
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    constants = {"features": 784, "one": [1], "minus_one": [-1], "zero": [0], "ten": [10]}
    graph = helper.make_graph(
        nodes,
        "fails-on-ink",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10])],
        initializer=[numpy_helper.from_array(np.array(v, np.int64), k) for k, v in constants.items()],
    )
    return _save(graph, path, {MetadataKey.NAME: "fails on ink"})
