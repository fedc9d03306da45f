"""``python -m magpie`` is the ``magpie`` command."""

import sys

from magpie.cli import main

sys.exit(main())
