"""
The tests of several daemons on one database again, the daemons sharing a
fresh PostgreSQL database (tests/pgcluster.py) instead of a SQLite file:
read-your-writes across instances, sign-outs and the login throttle, and
each mail sent once.
"""

from __future__ import annotations

from twisted.trial.unittest import TestCase

from tests.pgcluster import SETUP_HINT, installed
from tests.slow import test_concurrent_writes, test_outbox_daemons, test_several_daemons
from tests.support import on_postgresql

if installed():
    on_postgresql(globals(), test_several_daemons, base=test_several_daemons.TwoDaemons)
    on_postgresql(
        globals(), test_outbox_daemons, base=test_outbox_daemons.OutboxDaemonTestCase
    )
    on_postgresql(
        globals(), test_concurrent_writes, base=test_concurrent_writes.ConcurrentWriters
    )
else:

    class PostgreSQLSetup(TestCase):
        """
        Without PostgreSQL, one failure says how to install it, instead of
        one per test.
        """

        def test_postgresql_installed(self) -> None:
            """
            The daemons' PostgreSQL tests need Debian's postgresql package.
            """
            self.fail(SETUP_HINT)
