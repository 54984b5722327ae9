"""
The queries: every SQL statement the daemon runs on comments and threads,
one module per concern.

  - C{rows}: the states of a comment, the columns read, rows as dicts;
  - C{comments}: reading, storing, editing and deleting one comment;
  - C{threads}: a page of a thread, counts, feeds, renaming a thread;
  - C{votes}: likes and dislikes;
  - C{renderings}: the stored HTML of comments;
  - C{pending}: publishing and purging comments awaiting moderation;
  - C{recipients}: who is told about a reply, unsubscribing;
  - C{admin}: the admin panel's listing;
  - C{changes}: which threads other processes changed (L{isso_tx.changes}).

Each public C{*_interaction} is an adbapi interaction: a plain function of
a DB-API transaction, run in the pool's thread by
L{isso_tx.db.Database.run}; it does no network I/O and nothing slow,
because while one runs every other query of the site waits.

The SQL is SQLite's.  What another backend writes differently here:
C{INSERT OR REPLACE} (C{renderings}), C{json_each} for a list passed as
one parameter and C{IS ?} comparing with NULL (C{threads}), C{strftime}
and C{datetime} date arithmetic (C{comments}), and the C{?} parameter
style everywhere.  SQL outside this package: the schema and migrations
(L{isso_tx.db}) with the triggers that keep C{isso_tx_changes}, the
guard's checks (L{isso_tx.guard}), and the offline
tools on a C{sqlite3} connection of their own (L{isso_tx.importers},
L{isso_tx.cli}).
"""
