-- Removes a thread once its last comment is gone.  Isso creates it on every
-- start, after the migrations (the 4 -> 5 step drops it with the old table).
CREATE TRIGGER IF NOT EXISTS remove_stale_threads
AFTER DELETE ON comments
BEGIN
    DELETE FROM threads WHERE id NOT IN (SELECT tid FROM comments);
END;
