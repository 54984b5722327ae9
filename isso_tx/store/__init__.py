"""
The queries: every SQL statement the daemon runs against comments and
threads, one module per concern.

Each public function is an adbapi interaction (a plain function of a
DB-API transaction, see L{isso_tx.db.Database.run}).  The schema and its
migrations are in L{isso_tx.db}.
"""
