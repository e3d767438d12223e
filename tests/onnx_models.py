"""Small ONNX models built in code: one that keeps the contract and many that break it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def linear_model(
    path: Path,
    *,
    input_name: str = "image",
    input_shape: tuple[object, ...] = ("N", 1, 28, 28),
    input_type: int = TensorProto.FLOAT,
    output_name: str = "probabilities",
    classes: int = 10,
    softmax: bool = True,
    metadata: dict[str, str] | None = None,
) -> Path:
    """image -> flatten -> linear -> softmax; every argument can be bent to break the contract."""
    rng = np.random.default_rng(0)
    features = int(np.prod([d for d in input_shape[1:] if isinstance(d, int)]))
    weight = numpy_helper.from_array(rng.normal(0, 0.05, (features, classes)).astype(np.float32), "weight")
    nodes = []
    source = input_name
    if input_type != TensorProto.FLOAT:
        nodes.append(helper.make_node("Cast", [input_name], ["as_float"], to=TensorProto.FLOAT))
        source = "as_float"
    nodes.append(helper.make_node("Flatten", [source], ["flat"], axis=1))
    nodes.append(helper.make_node("MatMul", ["flat", "weight"], ["logits" if softmax else output_name]))
    if softmax:
        nodes.append(helper.make_node("Softmax", ["logits"], [output_name], axis=1))
    graph = helper.make_graph(
        nodes,
        "test-model",
        [helper.make_tensor_value_info(input_name, input_type, list(input_shape))],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["N", classes])],
        initializer=[weight],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return path
