"""Give an exported seed-convnet ONNX file its layer outputs (Look Inside) without retraining it.

The graph already computes every layer: this names them as graph outputs and changes nothing else
(same weights, same metadata, same probabilities):
- `layer.conv1`, `layer.conv2`: the two convolutions' maps after their ReLU;
- `layer.pool1`, `layer.pool2`: the max-pools after them;
- `filter.conv1`, `filter.conv2`: the convolution weights, as outputs that do not depend on the
  input, so that the app shows the filters without reading the file with `onnx`.
The layer tensors are renamed to their contract names and declared graph outputs, not copied by
Identity nodes: ONNX Runtime runs every node of a graph whatever outputs are asked for, so a copy
would cost every plain answer (about a fifth of a single image's time, measured). The filters are
Identity nodes of the weights, which ONNX Runtime folds into constants when it loads the model.
Before the target is replaced (atomically) it checks, on the MNIST test set:
- the probabilities of the new file are bit-identical to those of the old one;
- each layer equals PyTorch's on a network rebuilt from the file's initializers (on the first
  LAYER_CHECK_IMAGES), and the app (`Classifier`) sees all of them.

    python -m training add-layer-outputs models/digitpad.onnx [--out FILE] [--data-dir DIR]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnx
from onnx import helper

from digitpad.files import write_bytes_atomically
from digitpad.model.classifier import Classifier
from digitpad.model.contract import FILTER_OUTPUTS, LAYER_OUTPUTS, OUTPUT_NAME
from training.embedding_output import seednet_from_onnx, surgery_candidate
from training.errors import ExportError

if TYPE_CHECKING:
    from training.model import SeedNet

#: Largest allowed |layer_onnx - layer_torch| (float32 sums in another order, on values of a few units).
LAYER_TOLERANCE = 1e-4
#: Images per ONNX Runtime call while checking: the layers of 250 images are about 40 MB.
CHECK_BATCH = 250
#: Test images whose layers are compared with PyTorch's (the probabilities are compared on all).
LAYER_CHECK_IMAGES = 1000


@dataclass(frozen=True)
class LayerReport:
    path: Path
    shapes: dict[str, tuple[int, ...]]  #: each added output's shape for one image (filters: their own)
    images: int  #: MNIST test images whose probabilities were compared
    max_layer_difference: float  #: largest |onnx - torch| of any layer value


def _only(nodes: list[onnx.NodeProto], what: str) -> onnx.NodeProto:
    if len(nodes) != 1:
        raise ExportError(f"found {len(nodes)} {what}; a digitpad seed convnet graph has exactly one")
    return nodes[0]


def layer_tensors(model: onnx.ModelProto) -> dict[str, str]:
    """The graph's tensor for each contract layer and filter output: conv -> ReLU -> MaxPool, twice."""
    graph = model.graph
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    initializers = {i.name for i in graph.initializer}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    if len(convs) != 2:
        raise ExportError(f"the graph has {len(convs)} Conv nodes; a digitpad seed convnet has 2")
    tensors: dict[str, str] = {}
    source = None
    for number, conv in enumerate(convs, start=1):
        if source is not None and conv.input[0] != source:
            raise ExportError(f"conv{number} does not read pool{number - 1}: not a digitpad seed convnet graph")
        if len(conv.input) < 2 or conv.input[1] not in initializers:
            raise ExportError(f"conv{number}'s weights are not a float constant (a quantized model?): add the layer "
                              "outputs to the float model, before `quantize`, which keeps them")
        relu = _only([n for n in consumers.get(conv.output[0], []) if n.op_type == "Relu"], f"ReLU after conv{number}")
        pool = _only([n for n in consumers.get(relu.output[0], []) if n.op_type == "MaxPool"],
                     f"max-pool after conv{number}")
        tensors[f"layer.conv{number}"] = relu.output[0]
        tensors[f"layer.pool{number}"] = pool.output[0]
        tensors[f"filter.conv{number}"] = conv.input[1]
        source = pool.output[0]
    return tensors


def add_layer_outputs(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of `model` with the contract's layer and filter outputs added (see the module docstring)."""
    graph = model.graph
    wanted = [*LAYER_OUTPUTS, *FILTER_OUTPUTS]
    present = {o.name for o in graph.output} | {t for n in graph.node for t in n.output}
    clash = sorted(o.name for o in wanted if o.name in present)
    if clash:
        raise ExportError(f"the model already has {', '.join(clash)}")
    tensors = layer_tensors(model)
    weights = {i.name: i for i in graph.initializer}
    probabilities = next((o for o in graph.output if o.name == OUTPUT_NAME), None)
    if probabilities is None:
        raise ExportError(f"the model has no '{OUTPUT_NAME}' output")
    batch = probabilities.type.tensor_type.shape.dim[0].dim_param or None  # keeps its symbolic name ("N")
    conv1 = weights[tensors["filter.conv1"]].dims
    conv2 = weights[tensors["filter.conv2"]].dims
    channels = {"layer.conv1": conv1[0], "layer.pool1": conv1[0], "layer.conv2": conv2[0], "layer.pool2": conv2[0]}
    outputs = {o.name for o in graph.output}
    taken = sorted(tensors[o.name] for o in LAYER_OUTPUTS if tensors[o.name] in outputs)
    if taken:
        raise ExportError(f"the layer tensors {', '.join(taken)} are outputs already: not an exported seed convnet")
    renamed = {tensors[o.name]: o.name for o in LAYER_OUTPUTS}
    changed = onnx.ModelProto()
    changed.CopyFrom(model)
    for node in changed.graph.node:
        node.input[:] = [renamed.get(name, name) for name in node.input]
        node.output[:] = [renamed.get(name, name) for name in node.output]
    for info in changed.graph.value_info:
        info.name = renamed.get(info.name, info.name)
    for output in wanted:
        if output.name in channels:
            shape: list[int | str | None] = [batch, channels[output.name], *output.shape[2:]]
        else:
            weight = tensors[output.name]
            changed.graph.node.append(helper.make_node("Identity", [weight], [output.name],
                                                       name=f"{output.name.replace('.', '_')}_output"))
            shape = list(weights[weight].dims)
        changed.graph.output.append(helper.make_tensor_value_info(output.name, onnx.TensorProto.FLOAT, shape))
    onnx.checker.check_model(changed, full_check=True)
    return changed


def torch_layers(net: SeedNet, images: np.ndarray) -> dict[str, np.ndarray]:
    """The four layers of a PyTorch `SeedNet` for float32 (N, 28, 28) images, as the contract names them."""
    import torch
    import torch.nn.functional as F

    net = net.cpu().float().eval()
    with torch.no_grad():
        x = (torch.from_numpy(images).unsqueeze(1) - net.input_mean) / net.input_std
        conv1 = F.relu(net.conv1(x))
        pool1 = F.max_pool2d(conv1, 2)
        conv2 = F.relu(net.conv2(pool1))
        pool2 = F.max_pool2d(conv2, 2)
    return {"layer.conv1": conv1.numpy(), "layer.pool1": pool1.numpy(), "layer.conv2": conv2.numpy(),
            "layer.pool2": pool2.numpy()}


def check_layer_outputs(classifier: Classifier, net: SeedNet, images: np.ndarray) -> float:
    """Largest |layer - PyTorch's `net`| over the first LAYER_CHECK_IMAGES of `images`; ExportError when
    the app misses an output or a layer differs."""
    missing = [o.name for o in (*LAYER_OUTPUTS, *FILTER_OUTPUTS) if o.name not in classifier.layer_outputs
               and o.name not in classifier.filters]
    if missing:
        raise ExportError(f"the app does not see the layer outputs {', '.join(missing)}")
    worst = 0.0
    images = images[:LAYER_CHECK_IMAGES]
    for start in range(0, len(images), CHECK_BATCH):
        chunk = images[start : start + CHECK_BATCH]
        ours = classifier.predict_layers(chunk).layers
        for name, expected in torch_layers(net, chunk).items():
            worst = max(worst, float(np.abs(ours[name] - expected).max()))
    if worst > LAYER_TOLERANCE:
        raise ExportError(f"the layer outputs do not match PyTorch's: max |Δ| = {worst:.3g}")
    return worst


def add_layer_outputs_to_file(path: Path, out: Path, images: np.ndarray) -> LayerReport:
    """Write `path` with the layer outputs to `out`, after the checks in the module docstring."""
    changed = add_layer_outputs(onnx.load(str(path)))
    data = changed.SerializeToString()
    with surgery_candidate(path, data, images) as after:
        difference = check_layer_outputs(after, seednet_from_onnx(changed), images)
        shapes = {name: tuple(int(v) for v in shape) for name, shape in after.layer_outputs.items()}
        shapes |= {name: tuple(weights.shape) for name, weights in after.filters.items()}
    write_bytes_atomically(out, data)
    return LayerReport(out, shapes, len(images), difference)


def summary(report: LayerReport) -> str:
    shapes = ", ".join(f"{name} {list(shape)}" for name, shape in report.shapes.items())
    return (f"wrote {report.path}: {shapes}; probabilities bit-identical on {report.images:,} MNIST test images; "
            f"max |layer - PyTorch| {report.max_layer_difference:.2g}")
