"""``python -m clova_client.mock_cic`` = ``clova-mock-cic``."""

import sys

from .cli import main

sys.exit(main())
