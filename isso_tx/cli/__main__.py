"""
Run C{isso-tx} as C{python -m isso_tx.cli}.
"""

import sys

from . import main

sys.exit(main())
