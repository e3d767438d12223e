"""The benchmarks' `--compare REV`: an older commit's tree, to measure its code side by side with today's.

`git archive` writes the commit's files (code, shipped model, data) to a temporary folder; a
benchmark then runs the same measurement there in a process of its own, on the same machine at
the same time, so that both figures share whatever else the machine is doing.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def old_tree(revision: str) -> Iterator[Path]:
    """The files of `revision` (any name git knows: a commit, `main`, `HEAD~3`) in a temporary folder."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision], capture_output=True, check=True).stdout
    with tempfile.TemporaryDirectory(prefix="digitpad-old-") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder)
