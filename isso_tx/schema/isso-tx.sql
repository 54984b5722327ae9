-- isso-tx's own state.  It lives in tables of its own so that Isso, which
-- ignores tables it does not know, can still open and write the file.

-- The HTML of each comment, rendered once when the comment is written.
-- "source" is a digest of the raw text and of the rendering settings: a row
-- whose digest no longer matches (the comment was edited by Isso, or the
-- [markup] settings changed) is rendered again.
CREATE TABLE IF NOT EXISTS isso_tx_rendered (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    html TEXT NOT NULL
);

-- Isso's schema has no index on comments but their ids, so every read of a
-- thread, every count and every guard check would scan the whole table
-- (1,000,000 comments: a second per request).  Isso ignores indexes it did
-- not make, and they are built once, on the first start that lacks them.
CREATE INDEX IF NOT EXISTS isso_tx_comments_thread ON comments (tid, mode);
CREATE INDEX IF NOT EXISTS isso_tx_comments_parent ON comments (parent);
CREATE INDEX IF NOT EXISTS isso_tx_comments_address ON comments (remote_addr, created);
-- The newest published comments of the whole site (GET /latest): without
-- it, a million comments are sorted for every read of the list.
CREATE INDEX IF NOT EXISTS isso_tx_comments_published ON comments (mode, created);

-- A comment's rendering goes with the comment, whoever deletes it: this
-- daemon, the command line, or Isso itself.
CREATE TRIGGER IF NOT EXISTS isso_tx_forget_rendering
AFTER DELETE ON comments
BEGIN
    DELETE FROM isso_tx_rendered WHERE id = old.id;
END;

-- Work waiting to leave: mails (kind 'mail') and webhooks (kind 'webhook').  A row is written
-- right after the change that calls for it and deleted once delivered, so
-- a restart (or a crash) loses nothing.  Several daemons may share the
-- table: a daemon claims a row (claimed_by, claimed_until) before sending
-- it, and a claim whose lease ran out, its daemon gone, is taken over.
--   address      where it goes, as JSON (for a mail: {"from", "to"}; for a
--                webhook: its [webhook.NAME], never its URL or credentials)
--   body         what is sent (for a mail: the message, one character per
--                byte, so that the bytes come back exactly)
--   not_before   when the next attempt may start (seconds since the epoch)
--   failed       when it was given up (kept with last_error for the owner
--                to read); NULL while it still waits
CREATE TABLE IF NOT EXISTS isso_tx_outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    description TEXT NOT NULL,
    body TEXT NOT NULL,
    created DOUBLE PRECISION NOT NULL,
    not_before DOUBLE PRECISION NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claimed_until DOUBLE PRECISION,
    failed DOUBLE PRECISION,
    last_error TEXT
);

CREATE INDEX IF NOT EXISTS isso_tx_outbox_due
ON isso_tx_outbox (kind, failed, not_before);

-- Which threads changed, and in what order: every daemon serving this file
-- reads it before answering from its cache, to drop the threads that
-- another process (a second daemon, the command line, Isso) wrote since.
-- One row per uri, moved to the next number at each change, so the table
-- stays as small as the set of threads.  Triggers fill it, so that every
-- writer is noticed, whatever program it is.
CREATE TABLE IF NOT EXISTS isso_tx_changes (
    uri TEXT NOT NULL,
    seq INTEGER NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS isso_tx_changes_uri ON isso_tx_changes (uri);
CREATE INDEX IF NOT EXISTS isso_tx_changes_seq ON isso_tx_changes (seq);

-- Plain UPDATE then INSERT OR IGNORE rather than an upsert: the triggers
-- are part of the file's schema, which every program opening it parses,
-- and Isso may run on an SQLite older than upserts.
CREATE TRIGGER IF NOT EXISTS isso_tx_comment_added
AFTER INSERT ON comments
BEGIN
    UPDATE isso_tx_changes
        SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM isso_tx_changes)
        WHERE uri IN (SELECT uri FROM threads WHERE id = new.tid);
    INSERT OR IGNORE INTO isso_tx_changes (uri, seq)
        SELECT uri, (SELECT coalesce(max(seq), 0) + 1 FROM isso_tx_changes)
        FROM threads WHERE id = new.tid;
END;

CREATE TRIGGER IF NOT EXISTS isso_tx_comment_changed
AFTER UPDATE ON comments
BEGIN
    UPDATE isso_tx_changes
        SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM isso_tx_changes)
        WHERE uri IN (SELECT uri FROM threads WHERE id IN (old.tid, new.tid));
    INSERT OR IGNORE INTO isso_tx_changes (uri, seq)
        SELECT uri, (SELECT coalesce(max(seq), 0) + 1 FROM isso_tx_changes)
        FROM threads WHERE id IN (old.tid, new.tid);
END;

CREATE TRIGGER IF NOT EXISTS isso_tx_comment_removed
AFTER DELETE ON comments
BEGIN
    UPDATE isso_tx_changes
        SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM isso_tx_changes)
        WHERE uri IN (SELECT uri FROM threads WHERE id = old.tid);
    INSERT OR IGNORE INTO isso_tx_changes (uri, seq)
        SELECT uri, (SELECT coalesce(max(seq), 0) + 1 FROM isso_tx_changes)
        FROM threads WHERE id = old.tid;
END;

-- A renamed thread changes under both uris; a thread removed with its last
-- comment (remove_stale_threads may run before the trigger above, which
-- then no longer finds it) is noted here.
CREATE TRIGGER IF NOT EXISTS isso_tx_thread_changed
AFTER UPDATE ON threads
BEGIN
    UPDATE isso_tx_changes
        SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM isso_tx_changes)
        WHERE uri IN (old.uri, new.uri);
    INSERT OR IGNORE INTO isso_tx_changes (uri, seq)
        SELECT old.uri, (SELECT coalesce(max(seq), 0) + 1 FROM isso_tx_changes)
        WHERE old.uri IS NOT NULL;
    INSERT OR IGNORE INTO isso_tx_changes (uri, seq)
        SELECT new.uri, (SELECT coalesce(max(seq), 0) + 1 FROM isso_tx_changes)
        WHERE new.uri IS NOT NULL;
END;

CREATE TRIGGER IF NOT EXISTS isso_tx_thread_removed
AFTER DELETE ON threads
BEGIN
    UPDATE isso_tx_changes
        SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM isso_tx_changes)
        WHERE uri = old.uri;
    INSERT OR IGNORE INTO isso_tx_changes (uri, seq)
        SELECT old.uri, (SELECT coalesce(max(seq), 0) + 1 FROM isso_tx_changes)
        WHERE old.uri IS NOT NULL;
END;

-- Admin sessions signed out before they expired, so that no daemon of the
-- site accepts their cookie again.  Rows go once the cookie would have.
CREATE TABLE IF NOT EXISTS isso_tx_admin_revoked (
    sid TEXT NOT NULL,
    expires DOUBLE PRECISION NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS isso_tx_admin_revoked_sid
    ON isso_tx_admin_revoked (sid);

-- Sign-in attempts to the admin panel that did not succeed, per client
-- network, counted by every daemon of the site.  Rows go once they no
-- longer count.
CREATE TABLE IF NOT EXISTS isso_tx_login_failures (
    network TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL
);

CREATE INDEX IF NOT EXISTS isso_tx_login_failures_network
    ON isso_tx_login_failures (network, at);
CREATE INDEX IF NOT EXISTS isso_tx_login_failures_at
    ON isso_tx_login_failures (at);

-- The site owner's spam rules (isso_tx/guard.py): a new comment whose
-- network (as stored, anonymised), e-mail, author, website domain or text
-- matches one is refused or held for moderation.  Read by the transaction
-- that stores each comment, so every daemon of the site obeys a new rule
-- at once.
--   kind        network, email, author, domain, words or regex
--   action      refuse or hold
--   note        who made it, or why (free text)
--   matches     comments it refused or held; last_match: when, lately
CREATE TABLE IF NOT EXISTS isso_tx_rules (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    action TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created DOUBLE PRECISION NOT NULL,
    matches INTEGER NOT NULL DEFAULT 0,
    last_match DOUBLE PRECISION
);
