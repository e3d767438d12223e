"""What this machine offers the trainer: CPU cores, a device, and whether bfloat16 pays off.

Training's forward pass in bfloat16 (autocast) is about twice as fast as float32 on a CPU that
computes in bfloat16 natively (AVX512-BF16 or AMX), and up to ten times slower on one that
emulates it (AVX2 only). `choose_precision("auto")` decides per machine.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

import torch

Precision = Literal["auto", "bf16", "fp32"]
PRECISIONS: tuple[Precision, ...] = ("auto", "bf16", "fp32")

#: /proc/cpuinfo flags of CPUs that compute in bfloat16 natively.
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str] | None:
    """The CPU's feature flags from /proc/cpuinfo, or None where there is no such file (not Linux)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):  # x86, ARM
            return frozenset(value.split())
    return None


def native_bf16(flags: frozenset[str] | None = None) -> bool | None:
    """True if the CPU computes bfloat16 natively, False if it does not, None if that is unknown."""
    if hasattr(torch.cpu, "_is_avx512_bf16_supported") and (
        torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    ):
        return True
    flags = cpu_flags() if flags is None else flags
    if flags is None:
        return None
    if flags & NATIVE_BF16_FLAGS:
        return True
    if "avx2" in flags or "sse2" in flags:  # an x86 CPU without them emulates bfloat16: slow
        return False
    return None  # another architecture (ARM's "bf16" flag says little about PyTorch's kernels): measure


def training_steps_per_second(bf16: bool, seconds: float = 1.0, batch: int = 128) -> float:
    """Steps/s of the seed network's training step (forward, backward, AdamW) on random images."""
    import torch.nn.functional as F

    from training.model import SeedNet

    model = SeedNet().to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    images = torch.rand(batch, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, 10, (batch,))

    def step() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(images).float()
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()

    step()  # warm-up: first-call allocations and kernel choice
    steps, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds or steps < 2:
        step()
        steps += 1
    return steps / elapsed


def choose_precision(choice: Precision, device: torch.device | str = "cpu") -> bool:
    """Whether to train in bfloat16: `choice` itself unless "auto", which decides for this machine.

    On a GPU, bfloat16 where it is supported. On a CPU, bfloat16 where the CPU runs it natively,
    float32 where it emulates it; where that is unknown, a short measurement of both decides.
    """
    if choice not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {choice!r}")
    if choice != "auto":
        return choice == "bf16"
    device = torch.device(device)
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    if device.type != "cpu":
        return False
    native = native_bf16()
    if native is not None:
        return native
    return training_steps_per_second(True, 0.5) > training_steps_per_second(False, 0.5)

