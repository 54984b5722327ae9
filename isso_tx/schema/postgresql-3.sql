-- The change log's triggers run at commit instead of at each row's change.
--
-- Each change takes a lock shared by every daemon (isso_tx_note_thread) so
-- that change numbers are committed in order, and holds it until commit.
-- Taken at the row's change, it was held over every later statement of the
-- transaction, each a round trip to a busy daemon: writes through several
-- daemons queued behind it.  Deferred to commit, it is held only while the
-- commit itself runs, and the numbers are still taken, and committed, in
-- order.  What is noted does not change: the thread of each comment
-- written, both uris of a renamed thread, the uri of a deleted one.

DROP TRIGGER isso_tx_comments_changed ON comments;
DROP TRIGGER isso_tx_threads_changed ON threads;

CREATE CONSTRAINT TRIGGER isso_tx_comments_changed
    AFTER INSERT OR UPDATE OR DELETE ON comments
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION isso_tx_comment_noted();
CREATE CONSTRAINT TRIGGER isso_tx_threads_changed
    AFTER UPDATE OR DELETE ON threads
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION isso_tx_thread_noted();
