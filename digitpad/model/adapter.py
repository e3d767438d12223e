"""The layer in front of a model: digitpad's (N, 28, 28) images in, probabilities out, whatever the model wants.

A model that keeps digitpad's contract (`digitpad.model.contract`) is fed as it is. Any other
model with one float input of 784 values and an output of 10 scores gets an `Interface`, read from
its shapes (the input's name, the layouts its shape allows, a fixed batch size), and a `Feed`
that runs it in one `Convention` (`digitpad.model.conventions`): it lays the pixels out and scales
them as the model wants, cuts the batch to the model's fixed size, and turns its scores into
probabilities. `digitpad.model.probe` finds the convention; `digitpad.model.classifier` keeps the
validation and the time limits, for every model alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from digitpad.errors import ModelContractError
from digitpad.model.contract import EMBEDDING_NAME, INPUT_NAME, LOGITS_NAME, NUM_CLASSES, OUTPUT_NAME
from digitpad.model.conventions import CONTRACT, Convention, Layout
from digitpad.model.probe import Trial

if TYPE_CHECKING:
    import onnxruntime as ort

#: A model whose input has a fixed batch larger than this is refused: each call would pad to it.
MAX_FIXED_BATCH = 1024


class NodeArg(Protocol):
    """What ONNX Runtime says of one input or output."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def shape(self) -> Sequence[object]: ...


def _dims(arg: NodeArg) -> list[int | None]:
    """The shape with None for every symbolic or unknown dimension."""
    return [d if isinstance(d, int) and d > 0 else None for d in arg.shape]


def _fits(dims: Sequence[int | None], shape: Sequence[int]) -> bool:
    return len(dims) == len(shape) and all(d is None or d == s for d, s in zip(dims, shape))


def _shape(arg: NodeArg) -> list[object]:
    return [d if isinstance(d, int) else "N" if i == 0 else d for i, d in enumerate(arg.shape)]


def _pretty(arg: NodeArg) -> str:
    return f"'{arg.name}' {_shape(arg)}"


@dataclass(frozen=True)
class Interface:
    """How a model's one input and its score output look, from their declared shapes."""

    input_name: str
    #: the layouts the input's shape allows (more than one only when its dimensions are symbolic)
    layouts: tuple[Layout, ...]
    batch: int | None  #: the input's fixed batch size; None when any batch is allowed
    output_name: str  #: the output of 10 scores (an `embedding` output is used as digitpad's contract says)

    @property
    def keeps_contract(self) -> bool:
        """The model says it keeps digitpad's contract: it is held to it, and fed as it is."""
        return (self.input_name, self.output_name, self.layouts) == (INPUT_NAME, OUTPUT_NAME, (Layout.NCHW,))


def interface_of(inputs: Sequence[NodeArg], outputs: Sequence[NodeArg]) -> Interface:
    """The model's interface, or a ModelContractError that says what digitpad cannot feed or read."""
    if len(inputs) != 1:
        raise ModelContractError(
            f"the model has {len(inputs)} inputs ({[i.name for i in inputs]}); digitpad feeds one, a 28x28 digit"
        )
    image = inputs[0]
    if image.type != "tensor(float)":
        raise ModelContractError(f"the model's input '{image.name}' is {image.type}; digitpad needs tensor(float)")
    dims = _dims(image)
    layouts = tuple(layout for layout in Layout if _fits(dims[1:], layout.shape))
    if not dims or not layouts:
        raise ModelContractError(
            f"the model's input '{image.name}' has shape {_shape(image)}, not a 28x28 digit: digitpad feeds "
            "one as [N, 1, 28, 28], [N, 28, 28, 1], [N, 28, 28] or [N, 784]"
        )
    batch = dims[0]
    if batch is not None and batch > MAX_FIXED_BATCH:
        raise ModelContractError(
            f"the model's input {_pretty(image)} has a fixed batch of {batch:,}; digitpad runs at most "
            f"{MAX_FIXED_BATCH:,} images at a time"
        )
    embedding = next((o for o in outputs if o.name == EMBEDDING_NAME), None)
    scores = [o for o in outputs if o.type == "tensor(float)" and o is not embedding and len(o.shape) == 2
              and _dims(o)[1] in (NUM_CLASSES, None)]
    if not scores:
        found = ", ".join(f"'{o.name}' of shape {_shape(o)} ({o.type})" for o in outputs) or "none"
        raise ModelContractError(
            f"the model has no output of {NUM_CLASSES} scores: digitpad needs ['N', {NUM_CLASSES}] floats "
            f"(its outputs: {found})"
        )
    # Several candidates: a declared width of 10 first, then digitpad's own names, then the order declared.
    preference = {OUTPUT_NAME: 0, LOGITS_NAME: 1}
    score = min(scores, key=lambda o: (_dims(o)[1] != NUM_CLASSES, preference.get(o.name, 2)))
    return Interface(image.name, layouts, batch, score.name)


@dataclass(frozen=True)
class Feed:
    """One model's interface and the convention it is run in."""

    interface: Interface
    convention: Convention = CONTRACT

    def describe(self) -> str:
        """What a person is shown: 'Keras layout, 0-255, logits' (a fixed batch said too)."""
        batch = self.interface.batch
        return self.convention.describe() + (f", a fixed batch of {batch}" if batch is not None else "")

    def run(
        self, session: ort.InferenceSession, outputs: Sequence[str], images: np.ndarray, options: ort.RunOptions
    ) -> list[np.ndarray]:
        """The named outputs (digitpad's names: `probabilities` is the model's scores, made probabilities)
        for images (N, 28, 28) in digitpad's convention; a fixed batch is run a batch at a time, padded."""
        names = [self.interface.output_name if name == OUTPUT_NAME else name for name in outputs]
        model_input = self.convention.model_input(images)
        count, size = len(model_input), self.interface.batch
        if size is None:
            results = [np.asarray(r) for r in session.run(names, {self.interface.input_name: model_input}, options)]
        else:
            padded = np.zeros((max(-(-count // size), 1) * size, *model_input.shape[1:]), np.float32)
            padded[:count] = model_input
            runs = [session.run(names, {self.interface.input_name: padded[k : k + size]}, options)
                    for k in range(0, len(padded), size)]
            results = [np.concatenate([np.asarray(run[j]) for run in runs])[:count] for j in range(len(names))]
        return [
            self.convention.output.to_probabilities(result) if name == OUTPUT_NAME else result
            for name, result in zip(outputs, results)
        ]


@dataclass(frozen=True)
class Feeding:
    """How a model of another convention is fed, and the evidence: for the status bar, About and `classify`."""

    description: str  #: `Feed.describe()`
    trial: Trial  #: how well that reads the probe's MNIST test digits
    chosen: bool = False  #: the person chose it (digitpad alone could not tell)
    remembered: bool = False  #: found in the cache, not probed this time

    def note(self) -> str:
        """'Keras layout, 0-255, logits; 99.1% on 500 MNIST test digits' (and whose choice it was)."""
        trial = self.trial
        chosen = ", your choice" if self.chosen else ""
        return f"{self.description}; {trial.accuracy:.1%} on {trial.count:,} MNIST test digits{chosen}"
