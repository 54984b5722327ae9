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
