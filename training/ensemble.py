"""Several exported seed networks in one ONNX graph: the same input, their logits averaged, one softmax.

Issue 23's last idea: where one network cannot read strangers well enough, two differently trained
ones often disagree on different digits, and their mean reads better than either. One graph keeps
the app's contract (one `image` input; `probabilities`, `logits`, `embedding` outputs), so the app,
the CLI and the checks need nothing new; in int8 (training/quantize.py) two networks cost about what
one float network does. The `embedding` is the first member's (the person's samples are embedded by
one network, as the adaptation's settings were chosen for). Each member's logits already carry its
calibration temperature; their mean is the ensemble's logits.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import onnx
from onnx import helper

from digitpad.files import write_bytes_atomically
from digitpad.model.classifier import Classifier
from digitpad.model.contract import EMBEDDING_NAME, INPUT_NAME, LOGITS_NAME, OUTPUT_NAME, MetadataKey
from training.errors import ExportError


def _renamed(graph: onnx.GraphProto, prefix: str) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    """The graph's nodes and initializers with every name but the input's prefixed."""
    def name(value: str) -> str:
        return value if value in ("", INPUT_NAME) else prefix + value

    nodes = []
    for node in graph.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        copy.name = prefix + node.name
        copy.input[:] = [name(v) for v in node.input]
        copy.output[:] = [name(v) for v in node.output]
        nodes.append(copy)
    initializers = []
    for tensor in graph.initializer:
        renamed = onnx.TensorProto()
        renamed.CopyFrom(tensor)
        renamed.name = name(tensor.name)
        initializers.append(renamed)
    return nodes, initializers


def combine(members: Sequence[onnx.ModelProto]) -> onnx.ModelProto:
    """One model whose logits are the mean of the members' logits; metadata from the first member."""
    if len(members) < 2:
        raise ExportError("an ensemble needs at least two models")
    first = members[0]
    nodes: list[onnx.NodeProto] = []
    initializers: list[onnx.TensorProto] = []
    for k, member in enumerate(members):
        outputs = {o.name for o in member.graph.output}
        if not {OUTPUT_NAME, LOGITS_NAME, EMBEDDING_NAME} <= outputs:
            raise ExportError(f"member {k} lacks the outputs {OUTPUT_NAME}, {LOGITS_NAME} and {EMBEDDING_NAME}")
        member_nodes, member_initializers = _renamed(member.graph, f"m{k}/")
        # each member's own softmax is dropped: the ensemble's is computed from the mean logits
        nodes += [n for n in member_nodes if f"m{k}/{OUTPUT_NAME}" not in n.output]
        initializers += member_initializers
    nodes.append(helper.make_node("Mean", [f"m{k}/{LOGITS_NAME}" for k in range(len(members))], [LOGITS_NAME],
                                  name="ensemble/mean"))
    nodes.append(helper.make_node("Softmax", [LOGITS_NAME], [OUTPUT_NAME], axis=1, name="ensemble/softmax"))
    nodes.append(helper.make_node("Identity", [f"m0/{EMBEDDING_NAME}"], [EMBEDDING_NAME], name="ensemble/embedding"))
    by_name = {o.name: o for o in first.graph.output}
    graph = helper.make_graph(nodes, "digitpad-ensemble", list(first.graph.input),
                              [by_name[OUTPUT_NAME], by_name[LOGITS_NAME], by_name[EMBEDDING_NAME]], initializers)
    model = helper.make_model(graph, opset_imports=list(first.opset_import), ir_version=first.ir_version)
    metadata = {p.key: p.value for p in first.metadata_props}
    recipes = [json.loads({p.key: p.value for p in m.metadata_props}.get(MetadataKey.RECIPE, "{}")) for m in members]
    metadata[MetadataKey.RECIPE] = json.dumps({"ensemble": recipes})
    metadata[MetadataKey.ARCHITECTURE] = (f"ensemble of {len(members)} seed networks, logits averaged: "
                                          + metadata.get(MetadataKey.ARCHITECTURE, ""))
    onnx.helper.set_model_props(model, metadata)
    onnx.checker.check_model(model, full_check=True)
    return model


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.ensemble", description=__doc__.splitlines()[0])
    parser.add_argument("models", type=Path, nargs="+", help="exported models (`python -m training export`)")
    parser.add_argument("--out", type=Path, required=True, help="the ensemble's ONNX file")
    parser.add_argument("--name", help="the model's name in the app (default: the first member's)")
    args = parser.parse_args(argv)
    model = combine([onnx.load(str(path)) for path in args.models])
    if args.name:
        onnx.helper.set_model_props(model, {p.key: p.value for p in model.metadata_props}
                                    | {MetadataKey.NAME: args.name})
    write_bytes_atomically(args.out, model.SerializeToString())
    info = Classifier(args.out).info  # the app's own contract validation
    print(f"wrote {args.out}: {info.name}, {len(args.models)} members")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
