"""`python -m digitpad` is the same as the `digitpad` command."""

import sys

from digitpad.cli import main

if __name__ == "__main__":
    sys.exit(main())
