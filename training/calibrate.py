"""Temperature scaling (Guo et al. 2017, "On calibration of modern neural networks").

Label smoothing leaves the network under-confident: a clear digit gets ~0.90, not ~0.99, and the
app shows those numbers as bars and compares them with a confidence threshold. One temperature T,
fitted on the validation split to minimize the log loss, rescales the logits (softmax(z / T));
folded into the last dense layer (W / T, b / T) it leaves the architecture, and every prediction
(the argmax), exactly as they were.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from training.model import SeedNet


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The T > 0 that minimizes the mean cross-entropy of softmax(logits / T) against `labels`."""
    log_temperature = torch.zeros((), requires_grad=True)
    optimizer = torch.optim.LBFGS([log_temperature], lr=0.5, max_iter=200, line_search_fn="strong_wolfe")
    logits = logits.detach().double()

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / log_temperature.double().exp(), labels)
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimizer.step(closure)  # type: ignore[no-untyped-call]
    return float(log_temperature.detach().exp())


def with_temperature(model: SeedNet, temperature: float) -> SeedNet:
    """A copy of `model` whose logits are divided by `temperature` (folded into its last layer)."""
    scaled = copy.deepcopy(model)
    with torch.no_grad():
        scaled.logits.weight.div_(temperature)
        scaled.logits.bias.div_(temperature)
    return scaled
