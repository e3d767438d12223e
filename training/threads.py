"""The OpenMP wait policy, set by each entry point (the command line, a benchmark) before torch loads.

Importing `training` sets nothing: a library that changes the environment on import surprises
the program that imports it, and works only if it is imported before numpy and torch.
"""

from __future__ import annotations

import os


def set_thread_policy() -> None:
    """Passive OpenMP waiting, unless the environment already says otherwise; call before importing torch.

    OpenMP worker threads that spin while they wait make training 3-4x slower as soon as another
    process competes for the cores (measured: 420 vs 1,470 images/s with two threads on a busy
    2-core machine). Waiting passively costs little on an idle machine.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
