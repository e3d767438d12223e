"""The model's answer for one input, and the rule that says when it is sure.

A value module below the reader, the number reader and the adapter, so that all of them call down
to it and none climbs back into the recognizer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: An answer whose top probability is below this is shown as "not sure" (and `confident: false`).
#: On held-out drawings almost all right answers are above it and most wrong ones below.
CONFIDENCE_THRESHOLD = 0.80


def percent(probability: float) -> str:
    """'98.7%', never a misleading '100.0%' or '0.0%': the app and the CLI print probabilities alike."""
    if probability >= 0.9995:
        return ">99.9%"
    if probability < 0.0005:
        return "<0.1%"
    return f"{probability:.1%}"


@dataclass(frozen=True, eq=False)
class Prediction:
    """The model's answer for one input."""

    probabilities: np.ndarray  #: float32 (10,), sums to 1
    model_input: np.ndarray  #: float32 (28, 28): exactly what the model saw
    #: the network's own probabilities when the person's profile adjusted them (else None)
    network_probabilities: np.ndarray | None = None

    @property
    def digit(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def confidence(self) -> float:
        return float(self.probabilities.max())

    @property
    def confident(self) -> bool:
        return self.confidence >= CONFIDENCE_THRESHOLD
