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
