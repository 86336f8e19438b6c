"""``python -m genesys_compliance.simorg``."""

import sys

from genesys_compliance.simorg._cli import main

sys.exit(main())
