"""Temperature scaling: finds the temperature that generated the labels, and never changes a prediction."""

from __future__ import annotations

import pytest
import torch

from training.export import fit_temperature, with_temperature
from training.model import SeedNet


@pytest.mark.parametrize("true_temperature", [0.5, 2.0])
def test_fit_recovers_the_temperature_that_drew_the_labels(true_temperature: float) -> None:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(20000, 10, generator=generator) * 3
    labels = torch.multinomial(torch.softmax(logits / true_temperature, dim=1), 1, generator=generator).squeeze(1)
    assert fit_temperature(logits, labels) == pytest.approx(true_temperature, rel=0.05)


def test_folding_divides_the_logits_and_keeps_every_prediction() -> None:
    torch.manual_seed(0)
    model = SeedNet().eval()
    images = torch.rand(16, 1, 28, 28)
    original = model.logits.weight.clone()
    scaled = with_temperature(model, 0.4).eval()
    with torch.no_grad():
        before, after = model(images), scaled(images)
    assert torch.allclose(after, before / 0.4, atol=1e-5)
    assert torch.equal(after.argmax(1), before.argmax(1))
    assert torch.equal(model.logits.weight, original)  # the original model is untouched
