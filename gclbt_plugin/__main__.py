"""``python -m gclbt_plugin`` is the ``gclbt`` command."""

import sys

from gclbt_plugin.cli.main import main

sys.exit(main())
