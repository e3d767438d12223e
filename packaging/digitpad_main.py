"""Entry point of the standalone bundle: the same `digitpad` command as the wheel's console script."""

import multiprocessing
import sys

from digitpad.system import configure_process

configure_process()  # before numpy loads

from digitpad.cli import main  # noqa: E402

if __name__ == "__main__":
    multiprocessing.freeze_support()  # `digitpad classify` starts worker processes with "spawn"
    sys.exit(main())
