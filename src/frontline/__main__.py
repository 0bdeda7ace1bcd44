"""``python -m frontline``: the ``frontline`` command (see :mod:`frontline.cli`)."""

import sys

from frontline.cli import main

sys.exit(main())
