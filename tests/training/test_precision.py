"""The training precision: bfloat16 where the CPU runs it natively, float32 where it would be emulated."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import training.machine
from training.__main__ import build_parser
from training.commands import PRECISION_CHOICES, config_changes
from training.machine import choose_precision, cpu_flags, native_bf16


@pytest.fixture
def no_torch_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch's own CPU probe says no, so the flags decide."""
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)


def test_forced_precisions_are_taken_as_given() -> None:
    assert choose_precision("bf16") is True and choose_precision("fp32") is False
    assert PRECISION_CHOICES == training.machine.PRECISIONS  # the command line offers what the machine module takes
    with pytest.raises(ValueError, match="auto, bf16, fp32"):
        choose_precision("fp16")  # type: ignore[arg-type]


@pytest.mark.usefixtures("no_torch_probe")
def test_cpu_flags_tell_native_from_emulated_bfloat16() -> None:
    assert native_bf16(frozenset({"sse2", "avx2", "avx512f", "avx512_bf16"})) is True
    assert native_bf16(frozenset({"sse2", "avx2", "amx_bf16", "amx_tile"})) is True
    assert native_bf16(frozenset({"sse2", "avx2", "fma"})) is False  # AVX2 only: the 10x slower machine
    assert native_bf16(frozenset({"fp", "asimd", "bf16"})) is None  # ARM: unknown, so measured


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512_bf16\n\nprocessor\t: 1\nflags\t: fpu\n")
    assert cpu_flags(cpuinfo) == frozenset({"fpu", "sse2", "avx2", "avx512_bf16"})
    assert cpu_flags(tmp_path / "missing") is None


@pytest.mark.parametrize(("native", "expected"), [(True, True), (False, False)])
def test_auto_follows_native_support_without_measuring(monkeypatch: pytest.MonkeyPatch, native: bool,
                                                       expected: bool) -> None:
    monkeypatch.setattr(training.machine, "native_bf16", lambda: native)
    monkeypatch.setattr(training.machine, "training_steps_per_second", pytest.fail)
    assert choose_precision("auto", "cpu") is expected


@pytest.mark.parametrize(("bf16_rate", "expected"), [(30.0, True), (2.0, False)])
def test_auto_measures_where_support_is_unknown(monkeypatch: pytest.MonkeyPatch, bf16_rate: float,
                                                expected: bool) -> None:
    monkeypatch.setattr(training.machine, "native_bf16", lambda: None)
    monkeypatch.setattr(training.machine, "training_steps_per_second",
                        lambda bf16, seconds: bf16_rate if bf16 else 10.0)
    assert choose_precision("auto", "cpu") is expected


def test_the_measurement_runs_real_training_steps() -> None:
    assert training.machine.training_steps_per_second(False, seconds=0.05) > 0


def test_command_line_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(training.machine, "native_bf16", lambda: False)
    parser = build_parser()
    assert config_changes(parser.parse_args(["train"]))["bf16"] is False  # auto on an AVX2-only CPU
    assert config_changes(parser.parse_args(["train", "--precision", "bf16"]))["bf16"] is True
    assert config_changes(parser.parse_args(["train", "--fp32"]))["bf16"] is False  # the old flag still works
    assert "bf16" not in config_changes(parser.parse_args(["train", "--resume"]))  # a resumed run keeps its own
    assert config_changes(parser.parse_args(["train", "--resume", "--fp32"]))["bf16"] is False
