"""
Temporary directories for unix sockets.

A unix socket's path must fit in 108 bytes (AF_UNIX's C{sun_path}); a
directory under C{_trial_temp} in a deep checkout is already longer than
that, so tests put their sockets in a short directory of their own.
"""

from __future__ import annotations

import shutil
import tempfile

from twisted.trial.unittest import SynchronousTestCase


def short_temp_dir(case: SynchronousTestCase) -> str:
    """
    Make an empty directory with a short path under C{/tmp}, removed when
    C{case} ends, and return its path.
    """
    path = tempfile.mkdtemp(prefix="isso-tx-", dir="/tmp")
    case.addCleanup(shutil.rmtree, path, ignore_errors=True)
    return path
