"""Small ONNX models built in code: ones that keep the contract and many that break it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from digitpad.model.contract import MetadataKey


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


def _gray_ink(source: str, output: str) -> list[onnx.NodeProto]:
    """Nodes that set `output` to 1.0 when any pixel is gray (between 0.01 and 0.99), else 0.0.

    Antialiased real drawings always have gray pixels; the blank and the pure black-and-white
    images that `Classifier` tries a model on when it loads have none. A model that misbehaves
    only on gray ink therefore passes the load check and fails on the first drawing.
    """
    return [
        helper.make_node("Greater", [source, "gray_low"], [f"{output}_above"]),
        helper.make_node("Less", [source, "gray_high"], [f"{output}_below"]),
        helper.make_node("And", [f"{output}_above", f"{output}_below"], [f"{output}_gray"]),
        helper.make_node("Cast", [f"{output}_gray"], [f"{output}_float"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMax", [f"{output}_float"], [output], keepdims=0),
    ]


_GRAY_BOUNDS = [
    numpy_helper.from_array(np.array(0.01, np.float32), "gray_low"),
    numpy_helper.from_array(np.array(0.99, np.float32), "gray_high"),
]


def fails_on_ink_model(path: Path) -> Path:
    """A valid model that passes the load check but fails at run time on real (antialiased) ink.

    It reshapes the batch to (-1, 784 + [any gray pixel]): fine for the blank and the black-and-
    white images that Classifier probes with, an impossible shape as soon as a pixel is gray.
    """
    nodes = [
        *_gray_ink("image", "peak"),
        helper.make_node("Cast", ["peak"], ["extra"], to=TensorProto.INT64),
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
        initializer=[numpy_helper.from_array(np.array(v, np.int64), k) for k, v in constants.items()] + _GRAY_BOUNDS,
    )
    return _save(graph, path, {MetadataKey.NAME: "fails on ink"})


def unnormalized_on_ink_model(path: Path, trigger: str = "ink") -> Path:
    """Softmax times (1 + the image's max): probabilities on a blank image, sums of 2 on ink.

    With trigger "gray", only gray (antialiased) ink breaks it, so it passes the load check.
    """
    factor = (
        _gray_ink("image", "peak")
        if trigger == "gray"
        else [helper.make_node("ReduceMax", ["image"], ["peak"], keepdims=0)]
    )
    nodes = [
        *factor,
        helper.make_node("Add", ["peak", "one_f"], ["factor"]),
        helper.make_node("Flatten", ["image"], ["flat"], axis=1),
        helper.make_node("Slice", ["flat", "zero", "ten", "axis"], ["first_ten"]),
        helper.make_node("Softmax", ["first_ten"], ["softmax"], axis=1),
        helper.make_node("Mul", ["softmax", "factor"], ["probabilities"]),
    ]
    constants = [
        numpy_helper.from_array(np.array(1.0, np.float32), "one_f"),
        numpy_helper.from_array(np.array([0], np.int64), "zero"),
        numpy_helper.from_array(np.array([10], np.int64), "ten"),
        numpy_helper.from_array(np.array([1], np.int64), "axis"),
        *_GRAY_BOUNDS,
    ]
    graph = helper.make_graph(
        nodes,
        "unnormalized-on-ink",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10])],
        initializer=constants,
    )
    return _save(graph, path, {MetadataKey.NAME: "unnormalized on ink"})


def looping_model(path: Path, trigger: str = "ink") -> Path:
    """A valid model whose ONNX `Loop` never ends in practice, to test the time limit.

    trigger "ink": the trip count is ReduceSum(image) * 1e9, instant on a blank image, endless on
    any ink; "gray": 10^12 trips on gray (antialiased) ink only, so it passes the load check;
    "always": 10^12 trips whatever the input.
    """
    body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Add", ["v_in", "one_f"], ["v_out"]),
        ],
        "count",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v_in", TensorProto.FLOAT, []),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v_out", TensorProto.FLOAT, []),
        ],
        initializer=[numpy_helper.from_array(np.array(1.0, np.float32), "one_f")],
    )
    if trigger == "always":
        trips = [helper.make_node("Identity", ["fixed_trips"], ["trips"])]
    elif trigger == "gray":
        trips = [
            *_gray_ink("image", "peak"),
            helper.make_node("Mul", ["peak", "per_gray"], ["scaled"]),
            helper.make_node("Cast", ["scaled"], ["trips"], to=TensorProto.INT64),
        ]
    else:
        trips = [
            helper.make_node("ReduceSum", ["image"], ["ink"], keepdims=0),
            helper.make_node("Mul", ["ink", "per_ink"], ["scaled"]),
            helper.make_node("Cast", ["scaled"], ["trips"], to=TensorProto.INT64),
        ]
    nodes = [
        *trips,
        helper.make_node("Loop", ["trips", "true", "zero_f"], ["count"], body=body),
        helper.make_node("Flatten", ["image"], ["flat"], axis=1),
        helper.make_node("Slice", ["flat", "zero", "ten", "axis"], ["first_ten"]),
        helper.make_node("Mul", ["count", "zero_f"], ["nothing"]),
        helper.make_node("Add", ["first_ten", "nothing"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    constants = [
        numpy_helper.from_array(np.array(1e9, np.float32), "per_ink"),
        numpy_helper.from_array(np.array(1e12, np.float32), "per_gray"),
        numpy_helper.from_array(np.array(10**12, np.int64), "fixed_trips"),
        *_GRAY_BOUNDS,
        numpy_helper.from_array(np.array(True), "true"),
        numpy_helper.from_array(np.array(0.0, np.float32), "zero_f"),
        numpy_helper.from_array(np.array([0], np.int64), "zero"),
        numpy_helper.from_array(np.array([10], np.int64), "ten"),
        numpy_helper.from_array(np.array([1], np.int64), "axis"),
    ]
    graph = helper.make_graph(
        nodes,
        "loops",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10])],
        initializer=constants,
    )
    return _save(graph, path, {MetadataKey.NAME: "loops"})


def foreign_model(
    shipped: Path,
    path: Path,
    *,
    layout: str = "NCHW",
    scale: str = "UNIT",
    dark_ink: bool = False,
    output: str = "LOGITS",
    batch: int | None = None,
    input_name: str = "x",
    output_name: str = "scores",
    embedding: bool = False,
    scramble: bool = False,
    mislabel: int = 0,
    own_scale: bool = False,
    unnamed_dims: bool = False,
) -> Path:
    """The shipped network by graph surgery, wrapped to want another convention (`digitpad.model.conventions`).

    New nodes turn the new input (`layout` NCHW, NHWC, NHW or FLAT; `scale` UNIT, BYTE, STANDARDIZED or
    SYMMETRIC; dark or bright ink; a fixed `batch` or a free one) back into the network's 0-1 image, and
    its one output (`output` PROBABILITIES, LOG_PROBABILITIES or LOGITS) is named `output_name`. So it
    reads every digit exactly as the shipped model does, when fed right. `scramble`: random final-layer
    weights, so 10 outputs of noise; `mislabel`: the first `mislabel` digits' outputs rotated among them
    (10: a classifier of ten other things); `own_scale`: each image is first divided by its brightest pixel,
    so 0-1 and 0-255 read exactly alike (a tie no number of digits can break); `unnamed_dims`: the input's
    shape is declared with symbols only (["N", "C", "H", "W"]), so it does not say the layout.
    """
    model = onnx.load(shipped)
    graph = model.graph
    shape = {"NCHW": [1, 28, 28], "NHWC": [28, 28, 1], "NHW": [28, 28], "FLAT": [784]}[layout]
    nodes: list[onnx.NodeProto] = []
    constants = {
        "adapt.255": np.array(255, np.float32), "adapt.one": np.array(1, np.float32),
        "adapt.half": np.array(0.5, np.float32), "adapt.mean": np.array(0.1307, np.float32),
        "adapt.std": np.array(0.3081, np.float32), "adapt.shape": np.array([-1, 1, 28, 28], np.int64),
        "adapt.tiny": np.array(1e-6, np.float32),
    }
    source = input_name
    if own_scale:
        constants["adapt.axes"] = np.arange(1, len(shape) + 1, dtype=np.int64)  # each image's own pixels (opset 18)
        nodes += [helper.make_node("ReduceMax", [source, "adapt.axes"], ["adapt.peak"], keepdims=1),
                  helper.make_node("Max", ["adapt.peak", "adapt.tiny"], ["adapt.divisor"]),
                  helper.make_node("Div", [source, "adapt.divisor"], ["adapt.own_scale"])]
        source = "adapt.own_scale"
    if scale == "BYTE":
        nodes.append(helper.make_node("Div", [source, "adapt.255"], ["adapt.unit"]))
    elif scale == "STANDARDIZED":
        nodes += [helper.make_node("Mul", [source, "adapt.std"], ["adapt.spread"]),
                  helper.make_node("Add", ["adapt.spread", "adapt.mean"], ["adapt.unit"])]
    elif scale == "SYMMETRIC":
        nodes += [helper.make_node("Add", [source, "adapt.one"], ["adapt.shifted"]),
                  helper.make_node("Mul", ["adapt.shifted", "adapt.half"], ["adapt.unit"])]
    else:
        nodes.append(helper.make_node("Identity", [source], ["adapt.unit"]))
    source = "adapt.unit"
    if dark_ink:
        nodes.append(helper.make_node("Sub", ["adapt.one", source], ["adapt.bright"]))
        source = "adapt.bright"
    if layout == "NHWC":
        nodes.append(helper.make_node("Transpose", [source], ["image"], perm=[0, 3, 1, 2]))
    else:
        nodes.append(helper.make_node("Reshape", [source, "adapt.shape"], ["image"]))
    outputs = {"PROBABILITIES": ("Identity", "probabilities"), "LOGITS": ("Identity", "logits"),
               "LOG_PROBABILITIES": ("LogSoftmax", "logits")}
    op, scores = outputs[output]
    tail = [helper.make_node(op, [scores], [output_name], **({"axis": 1} if op == "LogSoftmax" else {}))]
    if scramble:
        for initializer in graph.initializer:
            if initializer.name == "net.logits.weight":
                noise = np.random.default_rng(7).normal(0, 0.05, numpy_helper.to_array(initializer).shape)
                initializer.CopyFrom(numpy_helper.from_array(noise.astype(np.float32), initializer.name))
    if mislabel:
        for initializer in graph.initializer:
            if initializer.name in ("net.logits.weight", "net.logits.bias"):
                rows = numpy_helper.to_array(initializer).copy()
                rows[:mislabel] = np.roll(rows[:mislabel], 1, axis=0)
                initializer.CopyFrom(numpy_helper.from_array(rows, initializer.name))
    kept_outputs = [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, [batch or "N", 10])]
    if embedding:
        kept_outputs += [o for o in graph.output if o.name == "embedding"]
    new_graph = helper.make_graph(
        [*nodes, *graph.node, *tail],
        "foreign",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [batch or "N", *(
            [f"d{k}" for k in range(len(shape))] if unnamed_dims else shape)])],
        kept_outputs,
        initializer=[*graph.initializer, *(numpy_helper.from_array(v, k) for k, v in constants.items())],
    )
    foreign = helper.make_model(new_graph, opset_imports=model.opset_import)
    foreign.ir_version = model.ir_version
    onnx.save(foreign, path)
    return path


def rename_io(path: Path, input_name: str, output_name: str) -> Path:
    """The model at `path` with its one input and its first output renamed (in place): another convention's names."""
    model = onnx.load(path)
    renames = {model.graph.input[0].name: input_name, model.graph.output[0].name: output_name}
    for value in (model.graph.input[0], model.graph.output[0]):
        value.name = renames[value.name]
    for node in model.graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
        node.output[:] = [renames.get(name, name) for name in node.output]
    onnx.save(model, path)
    return path
