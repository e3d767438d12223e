"""Which convention a model was trained with: try each on MNIST test digits, keep the one that reads them best.

The layout comes from the input's shape (`digitpad.model.adapter`); the pixel convention cannot,
so every candidate (`digitpad.model.conventions.PIXEL_CANDIDATES`, in each layout the shape
allows) reads 20 digits (two of each), and the best few read on, 150 at a time, until 500 or until told apart
from the best. Whether the scores are probabilities,
log-probabilities or logits is seen from their values. The best is the one with the most digits
right and, between those that read equally many, the one whose probabilities for the true labels
are highest (the training loss, measured on digits it never trained on).

A verdict says how sure that is. A rival ties with the best when neither the digits read (a sign
test on those that only one of them reads) nor the loss (a paired test) tells them apart; the
tied ones then read 500 more digits, and if they still tie the person chooses. Where the best
reads under 90 %, the person may use it anyway; under 50 % it is not a digit classifier, and refused.

`probe_digits.npz`, beside this module: 1,000 MNIST test images (the first 100 of each digit,
interleaved so that the first 20 hold 2 of each and the first 500 hold 50), their labels and their
indices in the test set.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.errors import InferenceError, ModelContractError, ModelTimeoutError
from digitpad.model.contract import IMAGE_SIZE, NUM_CLASSES
from digitpad.model.conventions import PIXEL_CANDIDATES, Convention, Layout, output_kind

#: Bump when the digits, the candidates or the rules change: remembered conventions are then probed again.
PROBE_VERSION = 1
PROBE_DIGITS_FILE = Path(__file__).resolve().with_name("probe_digits.npz")
#: Digits every candidate reads; then the FINALISTS best (within ROUND_MARGIN of the best) read PROBE_COUNT,
#: and the best and those that tie with it read all the probe's digits.
FIRST_ROUND = 20
PROBE_COUNT = 500
STEP = 150
FINALISTS = 3
ROUND_MARGIN = 0.30
#: At least this share of the digits right, or the person is asked before the model is used.
SURE_ACCURACY = 0.90
#: Under this share the model is not a digit classifier (guessing reads 10 %): refused.
DIGITS_ACCURACY = 0.50
#: Differences within this many standard errors are taken for chance (2.5, not 2: the rivals are
#: compared after every STEP digits, and each look is a chance to be fooled).
SIGNIFICANCE = 2.5
#: The whole probe may take this long (each run has its own time limit too).
PROBE_SECONDS = 15.0

#: (convention, images (N, 28, 28) in digitpad's convention) -> the model's raw scores (N, 10), fed in that
#: convention's layout and pixels (its output is always PROBABILITIES, which leaves the scores as they are).
Scores = Callable[[Convention, np.ndarray], np.ndarray]


def probe_digits() -> tuple[np.ndarray, np.ndarray]:
    """The probe's MNIST test digits as float32 (1000, 28, 28) in 0-1, and their labels."""
    with np.load(PROBE_DIGITS_FILE, allow_pickle=False) as data:
        return data["images"].astype(np.float32) / np.float32(255), data["labels"].astype(np.int64)


@dataclass(frozen=True)
class Trial:
    """How well one convention reads the probe digits."""

    convention: Convention
    correct: int
    count: int
    loss: float  #: mean negative log-probability of the true labels, in nats

    @property
    def accuracy(self) -> float:
        return self.correct / self.count

    def describe(self) -> str:
        """'Keras layout, 0-255, logits; 99.1% on 500 MNIST test digits'."""
        return f"{self.convention.describe()}; {self.accuracy:.1%} on {self.count:,} MNIST test digits"


class Verdict(enum.Enum):
    SURE = "sure"  #: one convention reads the digits best, and well
    TIE = "tie"  #: two or more read them alike: the person chooses
    POOR = "poor"  #: the best reads under SURE_ACCURACY: the person may use it anyway
    NOT_DIGITS = "not digits"  #: the best reads under DIGITS_ACCURACY: refused


@dataclass(frozen=True)
class ProbeResult:
    trials: tuple[Trial, ...]  #: the finalists (those still in question, where a tie was measured again), best first
    verdict: Verdict
    choices: tuple[Trial, ...]  #: what the person may choose from: the best and those that tie with it

    @property
    def best(self) -> Trial:
        return self.trials[0]

    def explain(self) -> str:
        """Why the model is not used without asking, in words a person reads in a dialog."""
        best = self.best
        if self.verdict is Verdict.NOT_DIGITS:
            return (f"it reads only {best.accuracy:.0%} of {best.count:,} MNIST test digits however digitpad feeds it "
                    "(guessing reads 10%): it does not look like a digit classifier")
        if self.verdict is Verdict.POOR:
            return (f"it reads only {best.accuracy:.1%} of {best.count:,} MNIST test digits at best "
                    f"({best.convention.describe()}): it may have been trained on other digits, or fed another way")
        if self.verdict is Verdict.TIE:
            ways = "; ".join(f"{t.accuracy:.1%} as {t.convention.describe()}" for t in self.choices)
            return (f"it reads {best.count:,} MNIST test digits as well fed in more than one way ({ways}): "
                    "digitpad cannot tell which one it was trained with")
        return f"it reads {best.describe()}"


def _trial(convention: Convention, scores: np.ndarray, labels: np.ndarray) -> tuple[Trial, np.ndarray, np.ndarray]:
    """The trial, and per digit whether it was right and its loss (for the paired tests)."""
    probabilities = np.asarray(convention.output.to_probabilities(scores), np.float64)
    right = probabilities.argmax(axis=1) == labels
    losses = -np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, 1.0))
    return Trial(convention, int(right.sum()), len(labels), float(losses.mean())), right, losses


def _ties(best: tuple[np.ndarray, np.ndarray], rival: tuple[np.ndarray, np.ndarray]) -> bool:
    """Whether the best is not told apart from the rival, by the digits read nor by the loss."""
    (best_right, best_loss), (rival_right, rival_loss) = best, rival
    only_best, only_rival = int((best_right & ~rival_right).sum()), int((rival_right & ~best_right).sum())
    if only_best - only_rival > SIGNIFICANCE * math.sqrt(only_best + only_rival):
        return False
    difference = rival_loss - best_loss
    spread = float(difference.std(ddof=1)) / math.sqrt(len(difference)) if len(difference) > 1 else 0.0
    return not float(difference.mean()) > SIGNIFICANCE * spread


def _scores(scores: Scores, convention: Convention, images: np.ndarray) -> np.ndarray:
    result = np.asarray(scores(convention, images), np.float32)
    if result.shape != (len(images), NUM_CLASSES) or not np.isfinite(result).all():
        raise InferenceError(f"the model returned {result.shape} scores for {len(images)} images; "
                             f"expected {(len(images), NUM_CLASSES)} finite values")
    return result


def probe(
    scores: Scores, layouts: Sequence[Layout], digits: tuple[np.ndarray, np.ndarray] | None = None,
    seconds: float = PROBE_SECONDS,
) -> ProbeResult:
    """Try every pixel convention in every layout; raises ModelContractError when the model fails in all,
    and ModelTimeoutError when one run or the whole probe takes too long."""
    images, labels = digits if digits is not None else probe_digits()
    images = np.asarray(images, np.float32).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    deadline = time.monotonic() + seconds
    first: dict[Convention, np.ndarray] = {}
    failures: list[str] = []
    for convention in (Convention(layout, pixels) for layout in layouts for pixels in PIXEL_CANDIDATES):
        if time.monotonic() > deadline:
            raise ModelTimeoutError(f"trying the ways to feed the model took more than {seconds:g} s")
        try:
            first[convention] = _scores(scores, convention, images[:FIRST_ROUND])
        except ModelTimeoutError:
            raise
        except InferenceError as exc:  # a layout the model's real shape refuses, say
            failures.append(str(exc))
    if not first:
        raise ModelContractError(f"the model fails on MNIST digits however digitpad feeds it: {failures[0]}")
    kind = output_kind(np.concatenate(list(first.values())))
    first_trials = sorted(
        (_trial(Convention(c.layout, c.pixels, kind), s, labels[:FIRST_ROUND])[0] for c, s in first.items()),
        key=lambda t: (-t.correct, t.loss),
    )
    best_first = first_trials[0].accuracy
    finalists = [t.convention for t in first_trials if t.accuracy >= best_first - ROUND_MARGIN][:FINALISTS]
    raw = {c: first[Convention(c.layout, c.pixels)] for c in finalists}

    def measure(conventions: Sequence[Convention], count: int) -> list[tuple[Trial, np.ndarray, np.ndarray]]:
        """The conventions' trials on the first `count` digits, best first (reading only those not yet read)."""
        for convention in conventions:
            if time.monotonic() > deadline:
                raise ModelTimeoutError(f"trying the ways to feed the model took more than {seconds:g} s")
            have = raw[convention]
            more = _scores(scores, Convention(convention.layout, convention.pixels), images[len(have) : count])
            raw[convention] = np.concatenate([have, more])
        trials = (_trial(c, raw[c], labels[:count]) for c in conventions)
        return sorted(trials, key=lambda m: (-m[0].correct, m[0].loss))

    def ties(measured: list[tuple[Trial, np.ndarray, np.ndarray]]) -> tuple[Trial, ...]:
        return tuple(m[0] for m in measured[1:] if _ties(measured[0][1:], m[1:]))

    # STEP digits more at a time; a rival told apart from the leader (or behind a leader that reads no
    # digits) stops there. The leader reads PROBE_COUNT; the rivals that still tie with it read on, to the end.
    contenders, count = finalists, FIRST_ROUND
    while True:
        count = min(count + STEP, PROBE_COUNT if count < PROBE_COUNT else len(images), len(images))
        measured = measure(contenders, count)
        leader = measured[0][0]
        tied = ties(measured) if leader.accuracy >= DIGITS_ACCURACY else ()
        contenders = [leader.convention, *(t.convention for t in tied)]
        if count >= len(images) or (count >= PROBE_COUNT and not tied):
            break
    trials = tuple(m[0] for m in measured)
    best = trials[0]
    if best.accuracy < DIGITS_ACCURACY:
        return ProbeResult(trials, Verdict.NOT_DIGITS, ())
    if tied:
        return ProbeResult(trials, Verdict.TIE, (best, *tied))
    if best.accuracy < SURE_ACCURACY:
        return ProbeResult(trials, Verdict.POOR, (best,))
    return ProbeResult(trials, Verdict.SURE, (best,))
