"""Adapting to one person's hand with numpy alone: their own samples vote beside the network.

The model's `embedding` output (the dense layer's activations) places similar-looking digits near
each other. Each taught sample is rendered as drawn and with a few small perturbations (a slightly
different slant, width or shear: the person's next 7 will not be identical to this one), and each
rendering's embedding is kept, with the network's probabilities for the drawing as drawn.

A sample changes answers in proportion to the evidence. For a new drawing, sample i (labelled
y_i) has cosine similarity s_i to it (by the sample's nearest rendering), and it votes twice:

- a capped lift: log p'(y_i) += sigmoid((s_i - midpoint) / width) * min(needed_i + margin, cap),
  where needed_i is how many nats the network was from reading the sample right. The cap (2.5
  nats, under 2 ln 4 = 2.77) is what one sample may do: it can never turn a reading the network
  gives with >= 80% into a confident (>= 80%) answer for another digit. Near samples of one digit
  add up, so several consistent samples reach further and harder than one.
- a near-copy pull: the samples of digit d that are near-copies of the drawing (similarity around
  `near` and above, typically above what two drawings of one digit by one writer reach) add up to
  n_d, and d's share is raised to n_d / (n_d + half), never lowered: one near-copy makes its label
  the answer, but "not sure" (56%), with the network's reading second; four make it sure.

A drawing that only shares the digit's general shape (most other digits of the same writer are
under 0.97 of each other) gets at most the capped lift and stays the network's when the network was
sure. Samples that contradict each other (near-copies labelled differently) lift both digits, so
each weakens the other. Only the NEIGHBOURS samples nearest to the drawing vote, which bounds the
cost of an answer. The settings were chosen on the UNIPEN dev-set writers unseen by the shipped
model, all together, never on one writer (`python -m training evaluate-adaptation`, three
protocols: enrolment, corrections, mistaught). Measured against it there: the uncapped lift of
before (57% of the mistaught digits changed answer, 46% confidently), a pull of near-copies to 70%
(corrections worse), and a per-digit prior of generic pen digits that a sample must be nearer than
(uncapped: still 3.6% confidently wrong; capped: no better than this), and a regularised refit
of a residual last layer with generic replay (enrolment errors unchanged, 11 of 11).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digitpad.ink.drawing import Drawing
from digitpad.ink.model_input import drawing_input
from digitpad.ink.normalize import Normalization
from digitpad.model.classifier import Classifier
from digitpad.model.convention_cache import model_digest

#: Bump when the renderings or their embedding change, so that cached embeddings are rebuilt.
ADAPT_VERSION = 1


@dataclass(frozen=True)
class Variant:
    """A small change to a drawing's geometry, about the center of its ink."""

    rotation: float = 0.0  #: degrees, clockwise on the screen
    stretch: float = 1.0  #: x scale (a narrower or wider hand)
    shear: float = 0.0  #: x shift per unit of y (a slant)


#: The renderings of every sample: as drawn first, then small changes a hand makes from day to day.
VARIANTS = (Variant(), Variant(rotation=8), Variant(rotation=-8), Variant(stretch=0.85), Variant(shear=0.2))


@dataclass(frozen=True)
class AdaptSettings:
    """How near a sample must be to count, and by how much it may overrule; see the module docstring."""

    midpoint: float = 0.80  #: cosine similarity at which a sample's capped lift counts half
    width: float = 0.02  #: of that sigmoid: a sample 0.06 under the midpoint counts 5%
    margin: float = 3.0  #: nats beyond what the sample itself needed to be read right (then capped)
    cap: float = 2.5  #: nats: the most one sample lifts its label (under 2 ln 4, see the docstring)
    near: float = 0.97  #: similarity at which a sample counts half a near-copy
    near_width: float = 0.01  #: of that sigmoid
    half: float = 0.8  #: near-copies n pull their label's share up to n / (n + half)


DEFAULT_SETTINGS = AdaptSettings()
#: How many of the samples nearest to a drawing (as drawn) vote on it.
NEIGHBOURS = 32


def perturbed(drawing: Drawing, variant: Variant) -> Drawing:
    """`drawing` changed by `variant` about the center of its ink bounds (the canvas stays the same)."""
    bounds = drawing.ink_bounds()
    if bounds is None or variant == Variant():
        return drawing
    center = np.array([(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2])
    angle = math.radians(variant.rotation)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    matrix = np.array([[variant.stretch, variant.shear], [0.0, 1.0]]) @ rotation
    strokes = [(s - center) @ matrix.T + center for s in drawing.strokes]
    return Drawing(tuple(strokes), drawing.width, drawing.height, drawing.pen_width)


def sample_inputs(drawing: Drawing, spec: Normalization) -> np.ndarray | None:
    """The model inputs (len(VARIANTS), 28, 28) of a taught drawing, or None if it has no ink."""
    images = [drawing_input(perturbed(drawing, v), spec) for v in VARIANTS]
    if images[0] is None:
        return None
    return np.stack([image if image is not None else images[0] for image in images]).astype(np.float32)


@dataclass(frozen=True, eq=False)
class Reading:
    """What the network makes of one taught drawing."""

    probabilities: np.ndarray  #: float32 (10,), the drawing as drawn
    embeddings: np.ndarray  #: float32 (len(VARIANTS), D), one row per rendering


def read_drawings(classifier: Classifier, spec: Normalization, drawings: Sequence[Drawing]) -> list[Reading | None]:
    """Each drawing's reading, all in one inference call; None for a drawing with no ink."""
    inputs = [sample_inputs(d, spec) for d in drawings]
    present = [x for x in inputs if x is not None]
    if not present or classifier.embedding_size is None:
        return [None] * len(drawings)
    probabilities, embeddings = classifier.predict_with_embeddings(np.concatenate(present))
    assert embeddings is not None
    variants = len(VARIANTS)
    readings = iter(Reading(probabilities[k * variants], embeddings[k * variants : (k + 1) * variants])
                    for k in range(len(present)))
    return [None if x is None else next(readings) for x in inputs]


def model_key(classifier: Classifier) -> str:
    """What cached embeddings depend on: the model file's bytes and this module's renderings."""
    return f"{model_digest(classifier.path)[:32]}-v{ADAPT_VERSION}"


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    unit: np.ndarray = rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)
    return unit


def lifts(probabilities: np.ndarray, labels: np.ndarray, settings: AdaptSettings) -> np.ndarray:
    """How many nats each sample's own label needs to win, plus the margin, capped (module docstring)."""
    log_p = np.log(np.maximum(np.asarray(probabilities, np.float64), 1e-9))
    needed = np.maximum(log_p.max(axis=1) - log_p[np.arange(len(labels)), labels], 0.0) + settings.margin
    capped: np.ndarray = np.minimum(needed, settings.cap)
    return capped


def _sigmoid(values: np.ndarray) -> np.ndarray:
    """Overflow-free, for similarities far from the midpoint (-inf for a sample that does not vote)."""
    result: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * values))
    return result


def unit_reading(reading: Reading) -> Reading:
    """The reading with unit-length embeddings, as an `Adapter` keeps them (normalized once per sample)."""
    return Reading(reading.probabilities, _unit(reading.embeddings))


@dataclass(frozen=True, eq=False)
class Adapter:
    """A person's samples, ready to adjust answers. Immutable: a changed profile makes a new adapter.

    Only the NEIGHBOURS samples nearest to a drawing as drawn vote (by their nearest rendering):
    the cost of an answer grows with one product per sample, not one per rendering, and a new
    sample costs a copy of one row per sample, not a new matrix of all renderings.
    """

    originals: np.ndarray  #: float32 (S, D), unit rows: each sample's embedding as drawn
    renderings: tuple[np.ndarray, ...]  #: S arrays float32 (V, D), unit rows: all of a sample's renderings
    labels: np.ndarray  #: int (S,)
    network: np.ndarray  #: float32 (S, 10): the network's probabilities for each sample as drawn
    lift: np.ndarray  #: float (S,): see `lifts`
    sample_ids: np.ndarray  #: int (S,), the profile's ids
    settings: AdaptSettings = DEFAULT_SETTINGS

    @classmethod
    def from_readings(cls, readings: Sequence[Reading], labels: Sequence[int], sample_ids: Sequence[int] | None = None,
                      settings: AdaptSettings = DEFAULT_SETTINGS, normalized: bool = False) -> Adapter:
        """From each sample's reading (`normalized`: already passed through `unit_reading`)."""
        labels_array = np.asarray(labels, np.int64)
        if not normalized:
            readings = [unit_reading(r) for r in readings]
        renderings = tuple(r.embeddings for r in readings)
        width = renderings[0].shape[1] if renderings else 1
        originals = np.stack([r[0] for r in renderings]) if renderings else np.zeros((0, width), np.float32)
        probabilities = np.stack([r.probabilities for r in readings]) if readings else np.zeros((0, 10), np.float32)
        ids = np.arange(len(labels_array)) if sample_ids is None else np.asarray(sample_ids, np.int64)
        return cls(originals, renderings, labels_array, probabilities,
                   lifts(probabilities, labels_array, settings), ids, settings)

    def __len__(self) -> int:
        return len(self.labels)

    def similarities(self, embeddings: np.ndarray) -> np.ndarray:
        """(N, S): each sample's cosine similarity to each embedding (N, D), by its nearest rendering.

        A sample outside the NEIGHBOURS nearest as drawn gets -inf: it does not vote.
        """
        queries = _unit(embeddings)
        as_drawn = queries @ self.originals.T  # (N, S)
        count = min(NEIGHBOURS, len(self.labels))
        nearest = np.argpartition(-as_drawn, count - 1, axis=1)[:, :count] if count < len(self.labels) \
            else np.broadcast_to(np.arange(count), (len(queries), count))
        similarities = np.full(as_drawn.shape, -np.inf)
        for row, (query, chosen) in enumerate(zip(queries, nearest)):
            rows = np.concatenate([self.renderings[j] for j in chosen])  # (K * V, D): one product for all
            similarities[row, chosen] = (rows @ query).reshape(len(chosen), -1).max(axis=1)
        return similarities

    def combine(self, probabilities: np.ndarray, similarities: np.ndarray) -> np.ndarray:
        """The two votes of the module docstring, for sample similarities (N, S)."""
        settings, one_hot = self.settings, np.eye(10)[self.labels]
        p = np.clip(np.asarray(probabilities, np.float64), 1e-9, 1.0 - 1e-9)
        lift = (_sigmoid((similarities - settings.midpoint) / settings.width) * self.lift) @ one_hot
        copies = _sigmoid((similarities - settings.near) / settings.near_width) @ one_hot  # (N, 10)
        share = copies / (copies + settings.half)
        with np.errstate(divide="ignore"):
            pull = np.log(share / (1.0 - share)) - np.log(p / (1.0 - p))  # the lift that raises p to `share`
        log_p = np.log(p) + np.maximum(lift, np.where(copies > 1e-6, pull, 0.0))
        log_p -= log_p.max(axis=1, keepdims=True)
        adjusted = np.exp(log_p)
        answers: np.ndarray = (adjusted / adjusted.sum(axis=1, keepdims=True)).astype(np.float32)
        return answers

    def adjust(self, probabilities: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        """The answers (N, 10) for the network's probabilities and embeddings (N, D)."""
        if not len(self.labels):
            return np.asarray(probabilities, np.float32)
        return self.combine(probabilities, self.similarities(embeddings))


@dataclass(frozen=True)
class Effect:
    """What the samples do for their own writer, each judged without itself (leave-one-out)."""

    samples: int
    model_wrong: int  #: samples the network alone reads wrong
    fixed: int  #: of those, read right with the other samples
    broken: int  #: samples the network reads right but the other samples make wrong


#: Samples `leave_one_out` judges at most (the latest), each read with all the others: the work
#: grows with their product, and all of 10,000 against each other took 7 s and 2.9 GB at once.
EFFECT_SAMPLES = 2_000
#: Samples judged per matrix product, so that memory grows with EFFECT_CHUNK x samples, not samples².
EFFECT_CHUNK = 256


def leave_one_out(adapter: Adapter, most: int = EFFECT_SAMPLES) -> Effect:
    """The latest `most` samples' drawings as drawn (rendering 0), each read with all the other
    samples; `Effect.samples` says how many were judged."""
    first = max(len(adapter) - most, 0)
    judged = np.arange(first, len(adapter))
    if not len(judged):
        return Effect(0, 0, 0, 0)
    adjusted = np.empty(len(judged), np.int64)
    for start in range(0, len(judged), EFFECT_CHUNK):
        rows = judged[start : start + EFFECT_CHUNK]
        similarities = adapter.similarities(adapter.originals[rows])
        similarities[np.arange(len(rows)), rows] = -np.inf  # never itself
        adjusted[start : start + len(rows)] = adapter.combine(adapter.network[rows], similarities).argmax(axis=1)
    alone, labels = adapter.network[judged].argmax(axis=1), adapter.labels[judged]
    right_alone, right_adapted = alone == labels, adjusted == labels
    return Effect(len(judged), int((~right_alone).sum()), int((~right_alone & right_adapted).sum()),
                  int((right_alone & ~right_adapted).sum()))
