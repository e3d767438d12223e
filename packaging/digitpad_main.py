"""Entry point of the standalone bundle: the same `digitpad` command as the wheel's console script."""

import multiprocessing
import sys

from digitpad.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # `digitpad classify` starts worker processes with "spawn"
    sys.exit(main())
