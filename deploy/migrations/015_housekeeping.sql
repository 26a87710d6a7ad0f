-- 015_housekeeping: what tamnongd clears by itself (server/housekeeping.c
-- calls housekeeping() at start and every hour).
--
-- Uploads abandoned for a week: their chunks count against the agency's
-- pending-upload quota (attachment_chunk in 007), so an agency whose
-- uploads broke off would one day be refused new ones. An upload whose
-- latest chunk is older than 7 days (server clock, tamnong_now) is dropped
-- whole; a client that comes back asks AttachmentStatus and starts again.
--
-- Not cleared, on purpose: request_log. Its receipts are what makes a
-- retried request a replay instead of a second submission, and a client may
-- retry from its outbox after any time offline.

CREATE FUNCTION housekeeping() RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    was text := coalesce(current_setting('tamnong.scope', true), '');
    chunks int;
    uploads int;
BEGIN
    -- every agency's rows (put back before returning, as in 007)
    PERFORM set_config('tamnong.scope', 'all', true);
    WITH old AS (
             SELECT agency_id, sha256 FROM attachment_chunk
             GROUP BY agency_id, sha256
             HAVING max(created_at) < tamnong_now() - interval '7 days'),
         gone AS (
             DELETE FROM attachment_chunk c USING old
             WHERE c.agency_id = old.agency_id AND c.sha256 = old.sha256
             RETURNING c.agency_id, c.sha256)
    SELECT count(*), count(DISTINCT (agency_id, sha256)) INTO chunks, uploads FROM gone;
    PERFORM set_config('tamnong.scope', was, true);
    RETURN jsonb_build_object('abandoned_uploads', uploads, 'chunks', chunks);
END $$;
REVOKE ALL ON FUNCTION housekeeping() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION housekeeping() TO tamnong_app;
