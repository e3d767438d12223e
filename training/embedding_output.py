"""Give an exported seed-convnet ONNX file its `embedding` output without retraining it.

The graph already computes the dense layer's activations after its ReLU (the input of the last
Gemm, whose output is `logits`); this adds them as a graph output named `embedding`, through an
Identity node, and changes nothing else: same weights, same metadata, same probabilities. Before
the target is replaced (atomically) it checks, on the MNIST test set:
- the probabilities of the new file are bit-identical to those of the old one;
- the embedding equals PyTorch's `SeedNet.embed` on a network rebuilt from the file's initializers.

    python -m training.embedding_output models/digitpad.onnx [--out FILE] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnx
from onnx import helper, numpy_helper

from digitpad.errors import DigitpadError
from digitpad.files import write_bytes_atomically
from digitpad.model.classifier import Classifier
from digitpad.model.contract import EMBEDDING_NAME, LOGITS_NAME, OUTPUT_NAME
from training.errors import ExportError
from training.evaluate.mnist import predict_in_batches, predict_with_embeddings_in_batches

if TYPE_CHECKING:
    from training.model import SeedNet

#: Largest allowed |embedding_onnx - embedding_torch| (float32 sums of 1,764 products in another order).
EMBEDDING_TOLERANCE = 1e-4


@dataclass(frozen=True)
class EmbeddingReport:
    path: Path
    width: int  #: the embedding's width (1,764 for the seed convnet)
    images: int  #: MNIST test images compared
    max_embedding_difference: float  #: largest |onnx - torch| of any embedding value; nan if not compared


def add_embedding_output(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of `model` with the last layer's input as an extra output `embedding` (N, D)."""
    graph = model.graph
    if any(o.name == EMBEDDING_NAME for o in graph.output):
        raise ExportError(f"the model already has an '{EMBEDDING_NAME}' output")
    last = [n for n in graph.node if LOGITS_NAME in n.output]
    if len(last) != 1 or last[0].op_type != "Gemm":
        raise ExportError(f"no Gemm node computes '{LOGITS_NAME}': not a digitpad seed convnet graph")
    features = last[0].input[0]
    weight = {i.name: i for i in graph.initializer}.get(last[0].input[1])
    if weight is None or len(weight.dims) != 2:
        raise ExportError(f"the weights of the node computing '{LOGITS_NAME}' are not a constant matrix")
    transposed = next((a.i for a in last[0].attribute if a.name == "transB"), 0)
    width = int(weight.dims[1] if transposed else weight.dims[0])
    probabilities = next(o for o in graph.output if o.name == OUTPUT_NAME)
    batch = probabilities.type.tensor_type.shape.dim[0]
    changed = onnx.ModelProto()
    changed.CopyFrom(model)
    if features != EMBEDDING_NAME:  # (a graph whose output was dropped already names the tensor)
        if any(EMBEDDING_NAME in n.output for n in graph.node):
            raise ExportError(f"the graph already has a tensor named '{EMBEDDING_NAME}'")
        changed.graph.node.append(helper.make_node("Identity", [features], [EMBEDDING_NAME], name="embedding_output"))
    shape = [batch.dim_param or None, width]  # the batch axis keeps its symbolic name ("N")
    changed.graph.output.append(helper.make_tensor_value_info(EMBEDDING_NAME, onnx.TensorProto.FLOAT, shape))
    onnx.checker.check_model(changed, full_check=True)
    return changed


def seednet_from_onnx(model: onnx.ModelProto) -> SeedNet:
    """The PyTorch network an exported ONNX file computes, rebuilt from its initializers ('net.*')."""
    import torch

    from training.model import ModelConfig, SeedNet

    weights = {i.name.removeprefix("net."): numpy_helper.to_array(i) for i in model.graph.initializer
               if i.name.startswith("net.")}
    conv1, conv2, dense = weights["conv1.weight"], weights["conv2.weight"], weights["dense.weight"]
    config = ModelConfig(conv1_filters=conv1.shape[0], conv2_filters=conv2.shape[0], kernel_size=conv1.shape[2],
                         dense_units=dense.shape[0], input_mean=float(weights["input_mean"]),
                         input_std=float(weights["input_std"]))
    net = SeedNet(config).eval()
    net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
    return net


def torch_embeddings(model: onnx.ModelProto, images: np.ndarray) -> np.ndarray:
    """`SeedNet.embed` of the network rebuilt from the ONNX file (`seednet_from_onnx`)."""
    import torch

    net = seednet_from_onnx(model)
    with torch.no_grad():
        return np.concatenate([net.embed(torch.from_numpy(images[i : i + 1000]).unsqueeze(1)).numpy()
                               for i in range(0, len(images), 1000)])


@contextlib.contextmanager
def surgery_candidate(path: Path, data: bytes, images: np.ndarray) -> Iterator[Classifier]:
    """The app's Classifier of a model rewritten from `path` (`data`), once its probabilities on
    `images` are bit-identical to those of `path`: the check every graph surgery here must pass."""
    with tempfile.TemporaryDirectory(prefix="digitpad-surgery-") as folder:
        candidate = Path(folder) / "candidate.onnx"
        candidate.write_bytes(data)
        after = Classifier(candidate)
        old, new = predict_in_batches(Classifier(path), images), predict_in_batches(after, images)
        if not np.array_equal(old, new):
            raise ExportError(f"the probabilities changed: max |Δp| = {np.abs(old - new).max():.3g}")
        yield after


def add_embedding_to_file(path: Path, out: Path, images: np.ndarray) -> EmbeddingReport:
    """Write `path` with an `embedding` output to `out`, after the checks in the module docstring."""
    changed = add_embedding_output(onnx.load(str(path)))
    data = changed.SerializeToString()
    with surgery_candidate(path, data, images) as after:
        if after.embedding_size is None:
            raise ExportError("the app does not see the new embedding output")
        embeddings = predict_with_embeddings_in_batches(after, images)[1]
    assert embeddings is not None
    expected = torch_embeddings(changed, images)
    difference = float(np.abs(embeddings - expected).max())
    if difference > EMBEDDING_TOLERANCE:
        raise ExportError(f"the embedding does not match PyTorch's: max |Δ| = {difference:.3g}")
    write_bytes_atomically(out, data)
    return EmbeddingReport(out, int(embeddings.shape[1]), len(images), difference)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.embedding_output", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path, help="ONNX file exported by `python -m training export`")
    parser.add_argument("--out", type=Path, help="file to write (default: replace MODEL)")
    parser.add_argument("--data-dir", type=Path, metavar="DIR", help="MNIST folder (as for `python -m training`)")
    args = parser.parse_args(argv)
    from training.download import obtain_mnist

    try:
        mnist = obtain_mnist(args.data_dir, None, progress=False)
        report = add_embedding_to_file(args.model, args.out or args.model, mnist.test_images.astype(np.float32) / 255)
    except DigitpadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {report.path}: '{EMBEDDING_NAME}' output of width {report.width}; probabilities bit-identical "
          f"on {report.images:,} MNIST test images; max |embedding - PyTorch| {report.max_embedding_difference:.2g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
