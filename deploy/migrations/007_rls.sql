-- 007_rls: defence in depth in PostgreSQL (issue 7). The application role,
-- row-level security on every table that holds agency data, and the grants.
--
-- Roles. The migrations run as the OWNER role (tamnongd's db_owner_conninfo:
-- it owns every object and needs CREATEROLE for the line below). This file
-- creates the APPLICATION role tamnong_app (LOGIN, no superuser, no
-- BYPASSRLS, no CREATEROLE/CREATEDB, owns nothing; its password or other
-- authentication is set by the installer). tamnongd's pool (db_conninfo)
-- connects as tamnong_app.
--
-- How the agency is known. tamnongd runs every statement of a call in one
-- implicit transaction (a libpq pipeline: set_config + the statement + Sync)
-- after SELECT set_config('tamnong.agency_id', <caller's agency id>, true),
-- set_config('tamnong.scope', 'all' | '', true). Both are LOCAL: they end
-- with the transaction. tamnong_agency() / tamnong_scope_all() read them; an
-- unset ('' or NULL) agency matches no row. Scope 'all' is for callers with
-- a reviewer/viewer/operator role (handler_caller_is_admin), for migrations
-- and for tamnongd register-cert.
--
-- THE PATTERN for a table that holds agency data (a later migration, e.g.
-- for the tables of 004-006, adds it in one line):
--     SELECT tamnong_protect_agency_table('the_table', 'SELECT, INSERT, UPDATE');
--   = ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;
--     CREATE POLICY agency_rows ON t USING (tamnong_scope_all() OR agency_id = tamnong_agency())
--                                    WITH CHECK (same);
--     GRANT <privileges> ON t TO tamnong_app;  (+ USAGE on its serial's sequence)
--   * give only the privileges the functions use (an append-only audit table:
--     'SELECT, INSERT' — never UPDATE/DELETE); rows written without an agency
--     (e.g. a denial before authentication) need their own INSERT policy;
--   * a child table without agency_id gets a policy through its parent
--     (EXISTS (SELECT 1 FROM parent p WHERE p.id = parent_id): the parent's
--     policy applies inside), as submission_value below;
--   * plan data (public to callers) with an agency_id column: readable by all,
--     written only with scope 'all' (tamnong_protect_plan_table);
--   * a function that must look something up before the agency is known is
--     SECURITY DEFINER, SET search_path, takes scope 'all' only around its
--     one narrow query (tamnong_auth_agency below).
-- tests/integration/test_rls.sh fails for any table with an agency_id column
-- that is not forced, so a table that misses this is caught.

DO $$
DECLARE
    r pg_roles;
BEGIN
    SELECT * INTO r FROM pg_roles WHERE rolname = 'tamnong_app';
    IF r.rolname IS NULL THEN
        CREATE ROLE tamnong_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE
            NOREPLICATION INHERIT;
    ELSIF r.rolsuper OR r.rolbypassrls OR r.rolcreaterole OR r.rolcreatedb THEN
        RAISE EXCEPTION 'role tamnong_app exists with superuser, BYPASSRLS, CREATEROLE or '
                        'CREATEDB; it must have none of them';
    END IF;
    IF current_user = 'tamnong_app' THEN
        RAISE EXCEPTION 'run the migrations as the owner role, not as tamnong_app';
    END IF;
END $$;

-- The caller's agency and scope of the current transaction. STABLE and
-- simple, so the planner inlines them into the policies.
CREATE FUNCTION tamnong_agency() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('tamnong.agency_id', true), '')::bigint
$$;

CREATE FUNCTION tamnong_scope_all() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('tamnong.scope', true), '') = 'all'
$$;

-- The pattern of the header: RLS forced, one policy by agency_id, grants.
CREATE FUNCTION tamnong_protect_agency_table(t regclass, privileges text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    seq text;
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY agency_rows ON %s '
                   'USING (tamnong_scope_all() OR agency_id = tamnong_agency()) '
                   'WITH CHECK (tamnong_scope_all() OR agency_id = tamnong_agency())', t);
    IF privileges <> '' THEN
        EXECUTE format('GRANT %s ON %s TO tamnong_app', privileges, t);
    END IF;
    FOR seq IN SELECT pg_get_serial_sequence(t::text, a.attname)
               FROM pg_attribute a
               WHERE a.attrelid = t AND a.attnum > 0 AND NOT a.attisdropped
                 AND pg_get_serial_sequence(t::text, a.attname) IS NOT NULL LOOP
        EXECUTE format('GRANT USAGE ON SEQUENCE %s TO tamnong_app', seq);
    END LOOP;
END $$;

-- Plan data with an agency_id column: public to read, written only in scope
-- 'all' (plan_import, run by the operator).
CREATE FUNCTION tamnong_protect_plan_table(t regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY plan_read ON %s FOR SELECT USING (true)', t);
    EXECUTE format('CREATE POLICY plan_write ON %s USING (tamnong_scope_all()) '
                   'WITH CHECK (tamnong_scope_all())', t);
    EXECUTE format('GRANT SELECT ON %s TO tamnong_app', t);
END $$;

-- The migration runner sets scope 'all' for itself; set it here too, so the
-- file also works when applied by hand.
SELECT set_config('tamnong.scope', 'all', true);

-- ------------------------------------------------------------ agency data

SELECT tamnong_protect_agency_table('request_log', 'SELECT, INSERT');
SELECT tamnong_protect_agency_table('task_status', 'SELECT, INSERT, UPDATE');
SELECT tamnong_protect_agency_table('submission', 'SELECT, INSERT, UPDATE');
SELECT tamnong_protect_agency_table('attachment_owner', 'SELECT, INSERT');
SELECT tamnong_protect_agency_table('attachment_chunk', 'SELECT, INSERT, DELETE');
-- Certificates: the application reads them only through tamnong_auth_agency;
-- tamnongd register-cert (the owner, scope 'all') writes them.
SELECT tamnong_protect_agency_table('agency_certificate', '');

-- Children of a submission: visible and writable with their submission.
ALTER TABLE submission_value ENABLE ROW LEVEL SECURITY;
ALTER TABLE submission_value FORCE ROW LEVEL SECURITY;
CREATE POLICY with_submission ON submission_value
    USING (EXISTS (SELECT 1 FROM submission s WHERE s.id = submission_id))
    WITH CHECK (EXISTS (SELECT 1 FROM submission s WHERE s.id = submission_id));
GRANT SELECT, INSERT ON submission_value TO tamnong_app;

ALTER TABLE submission_attachment ENABLE ROW LEVEL SECURITY;
ALTER TABLE submission_attachment FORCE ROW LEVEL SECURITY;
CREATE POLICY with_submission ON submission_attachment
    USING (EXISTS (SELECT 1 FROM submission s WHERE s.id = submission_id))
    WITH CHECK (EXISTS (SELECT 1 FROM submission s WHERE s.id = submission_id));
GRANT SELECT, INSERT ON submission_attachment TO tamnong_app;

-- Files are stored once per hash: an agency sees a file it completed an
-- upload of (its attachment_owner row, under that table's policy). Anyone
-- may add a file, but only under its true hash.
ALTER TABLE attachment ENABLE ROW LEVEL SECURITY;
ALTER TABLE attachment FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_reads ON attachment FOR SELECT
    USING (tamnong_scope_all()
           OR EXISTS (SELECT 1 FROM attachment_owner o WHERE o.sha256 = attachment.sha256));
CREATE POLICY true_hash ON attachment FOR INSERT
    WITH CHECK (sha256 = encode(sha256(data), 'hex'));
GRANT SELECT ON attachment TO tamnong_app;  -- stored by attachment_store below

-- Storing a file once per hash needs ON CONFLICT (sha256), which makes
-- PostgreSQL check the new row against the SELECT policy too, and the
-- uploader's attachment_owner row comes only after the file (foreign key).
-- So the store is this narrow function: the owner, scope 'all' around its
-- one INSERT, the hash checked here again. attachment_chunk (003) is the
-- same but for calling it.
CREATE FUNCTION attachment_store(sha text, whole bytea) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    was text := coalesce(current_setting('tamnong.scope', true), '');
BEGIN
    IF encode(sha256(whole), 'hex') <> sha THEN
        RAISE invalid_parameter_value USING MESSAGE = 'attachment_store: the hash does not match';
    END IF;
    PERFORM set_config('tamnong.scope', 'all', true);
    INSERT INTO attachment (sha256, size, data) VALUES (sha, length(whole), whole)
    ON CONFLICT (sha256) DO NOTHING;
    PERFORM set_config('tamnong.scope', was, true);
END $$;
REVOKE ALL ON FUNCTION attachment_store(text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION attachment_store(text, bytea) TO tamnong_app;

CREATE OR REPLACE FUNCTION attachment_chunk(a bigint, sha text, sz bigint, off bigint, chunk bytea,
                                 max_size bigint, max_pending bigint)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    held bigint;
    held_size bigint;
    pending bigint;
    whole bytea;
BEGIN
    PERFORM agency_lock(a);
    IF EXISTS (SELECT 1 FROM attachment_owner WHERE agency_id = a AND sha256 = sha) THEN
        RETURN jsonb_build_object('received', sz, 'complete', true);
    END IF;
    IF sz <= 0 OR sz > max_size THEN
        RETURN tn_refuse('INVALID_ARGUMENT',
                         format('size: a file may have 1 to %s bytes', max_size));
    END IF;
    SELECT coalesce(sum(length(data)), 0), max(size) INTO held, held_size
    FROM attachment_chunk WHERE agency_id = a AND sha256 = sha;
    IF held_size IS NOT NULL AND held_size <> sz THEN
        RETURN tn_refuse('FAILED_PRECONDITION',
                         format('size: an upload of this file with %s bytes is in progress',
                                held_size));
    END IF;
    IF off <> held THEN
        RETURN tn_refuse('FAILED_PRECONDITION',
                         format('offset: the server holds %s bytes of this file; resume from %s',
                                held, held));
    END IF;
    IF held + length(chunk) > sz THEN
        RETURN tn_refuse('INVALID_ARGUMENT', 'data: goes beyond the size of the file');
    END IF;
    SELECT coalesce(sum(length(data)), 0) INTO pending FROM attachment_chunk WHERE agency_id = a;
    IF pending + length(chunk) > max_pending THEN
        RETURN tn_refuse('RESOURCE_EXHAUSTED',
                         'too many unfinished uploads; finish or wait for them');
    END IF;
    INSERT INTO attachment_chunk (agency_id, sha256, size, "offset", data)
    VALUES (a, sha, sz, off, chunk);
    held := held + length(chunk);
    IF held < sz THEN
        RETURN jsonb_build_object('received', held, 'complete', false);
    END IF;
    SELECT string_agg(data, ''::bytea ORDER BY "offset") INTO whole
    FROM attachment_chunk WHERE agency_id = a AND sha256 = sha;
    DELETE FROM attachment_chunk WHERE agency_id = a AND sha256 = sha;
    IF encode(sha256(whole), 'hex') <> sha THEN
        RETURN tn_refuse('DATA_LOSS', 'the file''s SHA-256 does not match; the upload was '
                                      'discarded, send it again from the start');
    END IF;
    PERFORM attachment_store(sha, whole);
    INSERT INTO attachment_owner (agency_id, sha256) VALUES (a, sha)
    ON CONFLICT DO NOTHING;
    RETURN jsonb_build_object('received', held, 'complete', true);
END $$;

-- ------------------------------------------------------------ plan data

SELECT tamnong_protect_plan_table('task_assignee');
SELECT tamnong_protect_plan_table('indicator_reporter');
GRANT SELECT ON agency, reorganisation, agency_successor, agency_group, plan, plan_version,
                plan_section, task, indicator, target, period_regime, period
    TO tamnong_app;
GRANT SELECT ON plan_current TO tamnong_app;
GRANT USAGE ON SEQUENCE change_seq TO tamnong_app;

-- plan_import writes the plan tables, which tamnong_app may only read: it
-- runs as the owner, and the policies above let it write the agency-keyed
-- plan rows only in scope 'all' (tamnongd lets only the operator call it);
-- it refuses other callers itself too, before it touches anything.
CREATE FUNCTION plan_import_checked(doc jsonb, importer bigint) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT tamnong_scope_all() THEN
        RAISE insufficient_privilege USING MESSAGE = 'plan import needs scope all';
    END IF;
    RETURN plan_import(doc, importer);
END $$;
REVOKE ALL ON FUNCTION plan_import_checked(jsonb, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION plan_import_checked(jsonb, bigint) TO tamnong_app;
REVOKE ALL ON FUNCTION plan_import(jsonb, bigint) FROM PUBLIC;

-- Who is this certificate? Asked before the agency is known, so it runs as
-- the owner with scope 'all' for its one query (put back before it returns),
-- and answers only for the fingerprint given (of a certificate the TLS layer
-- already verified). (A SET clause on the function would be neater, but
-- PostgreSQL 15 lets only a superuser attach a placeholder setting to a
-- function.)
CREATE FUNCTION tamnong_auth_agency(fp text)
RETURNS TABLE (id bigint, code text, name text, operator boolean, standing boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    was text := coalesce(current_setting('tamnong.scope', true), '');
BEGIN
    PERFORM set_config('tamnong.scope', 'all', true);
    RETURN QUERY
        SELECT a.id, a.code, a.name, c.role = 'operator', agency_is_standing(a.id)
        FROM agency a JOIN agency_certificate c ON c.agency_id = a.id
        WHERE c.fingerprint = fp AND c.revoked_at IS NULL;
    PERFORM set_config('tamnong.scope', was, true);
END $$;
REVOKE ALL ON FUNCTION tamnong_auth_agency(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tamnong_auth_agency(text) TO tamnong_app;

-- The helpers that change schema are the owner's alone.
REVOKE ALL ON FUNCTION tamnong_protect_agency_table(regclass, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION tamnong_protect_plan_table(regclass) FROM PUBLIC;
