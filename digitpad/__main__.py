"""`python -m digitpad`, and the `digitpad` command (the console script points here).

The process is configured before anything loads numpy, whose OpenBLAS reads its thread count
once, when it loads.
"""

import sys

from digitpad.system import configure_process

configure_process()

from digitpad.cli import main  # noqa: E402

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
