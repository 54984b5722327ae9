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
  - C{outbox}: mails waiting to leave, and the claims of the daemons
    sending them;
  - C{status}: the counts the metrics read, and the health check's probe.

Each public C{*_interaction} is an adbapi interaction: a plain function of
a DB-API transaction, run in the pool's thread by
L{isso_tx.db.Database.run}; it does no network I/O and nothing slow,
because while one runs every other query of the site waits.

The SQL is SQLite's.  What another backend writes differently here:
C{INSERT OR REPLACE} (C{renderings}), C{json_each} for a list passed as
one parameter and C{IS ?} comparing with NULL (C{threads}), C{strftime}
and C{datetime} date arithmetic (C{comments}), C{PRAGMA busy_timeout}
and C{BEGIN IMMEDIATE} (C{status}), and the C{?} parameter style
everywhere.  SQL outside this package: the schema and migrations
(L{isso_tx.db}), the guard's checks (L{isso_tx.guard}), the poll for
other writers (C{PRAGMA data_version}, L{isso_tx.site}), and the offline
tools on a C{sqlite3} connection of their own (L{isso_tx.importers},
L{isso_tx.cli}).
"""
