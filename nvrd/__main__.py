"""``python -m nvrd``: the command line (``nvrd.cli``)."""

import sys

from nvrd.cli import main

if __name__ == "__main__":
    sys.exit(main())
