"""The process digitpad runs in: its usable CPUs and the settings its entry points make first.

Pure standard library, so that an entry point can call `configure_process()` before numpy loads
(OpenBLAS reads its thread count once, when it loads). Importing digitpad changes
nothing; the `digitpad` command, `python -m digitpad` and the bundle's launcher call it.
"""

from __future__ import annotations

import os

#: Settings that must be in the environment before numpy loads; one already set by the user wins.
#: numpy's OpenBLAS starts a thread per core even for normalization's tiny 28 x W products, and on
#: a busy machine waiting for them costs milliseconds per answer. (ONNX Runtime's telemetry is
#: turned off where onnxruntime loads, in `digitpad.model.classifier`, so that library use gets it too.)
PROCESS_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1"}


def configure_process() -> None:
    """Put PROCESS_ENVIRONMENT into the environment, keeping values the user set."""
    for name, value in PROCESS_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def usable_cpu_count() -> int:
    """CPUs this process may run on (its affinity mask where the system has one, as in containers)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
