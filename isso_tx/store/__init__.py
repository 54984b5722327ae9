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
  - C{changes}: which threads other processes changed (L{isso_tx.changes});
  - C{rules}: the owner's spam rules, read by the storing transaction;
  - C{status}: the counts the metrics read, and the health check's probe.

Each public C{*_interaction} is an adbapi interaction: a plain function of
a DB-API transaction, run in the pool's thread by
L{isso_tx.db.Database.run}; it does no network I/O and nothing slow,
because while one runs every other query of the site waits.

The SQL is written once for both databases a site can use (SQLite and
PostgreSQL, see L{isso_tx.dialect}): C{?} placeholders, which the
PostgreSQL cursor rewrites; C{INSERT ... ON CONFLICT} and C{RETURNING id};
an C{IN (?, ?, ...)} list per value; dates computed in Python from the
injected clock; an alias on every subquery in C{FROM}; C{NULLS FIRST}
where NULLs are sorted.  SQL outside this package: the schema and migrations
(L{isso_tx.db}), the guard's checks (L{isso_tx.guard}), the triggers that
keep C{isso_tx_changes} (in the schemas), and the offline
tools on a connection of their own (L{isso_tx.importers} on SQLite,
L{isso_tx.cli}, whose C{copydb} reads and writes whole tables on both).
"""
