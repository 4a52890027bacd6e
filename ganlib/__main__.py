"""``python -m ganlib``: see :mod:`ganlib.cli`."""

import sys

from ganlib.cli import main

if __name__ == "__main__":
    sys.exit(main())
