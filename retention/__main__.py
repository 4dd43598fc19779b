"""Entry point for ``python -m retention``."""

import sys

from retention.cli import main

sys.exit(main())
