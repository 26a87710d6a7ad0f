-- 011_membership_cache: who each agency or group reference of the plan
-- stands for, worked out once instead of at every query (issue 6, speed).
--
-- ref_members(v, d) expands the plan's references on day d: groups into
-- their members, ended agencies into their successors. At national scale
-- that is ~7,000 rows through recursive functions, tens of milliseconds,
-- and every oversight query needs it. The answer changes only on the days
-- where some agency begins or ends or a succession takes effect (the only
-- date comparisons in agency_resolve and group_members), so between two such
-- days, an "epoch", it is the same. It is kept per (plan version, epoch) in
-- ref_member_cache for the epochs of the periods' days.
--
-- Never wrong, only slower: any change to the tables the expansion reads
-- marks the cache stale (statement triggers); a stale cache, another plan
-- version or a day outside the cached epochs is expanded live as before.
-- membership_refresh() rebuilds it; plan import and certificate
-- registration (the only writers of those tables after start-up) call it.
--
-- The same refresh keeps the agencies' Vietnamese alphabetical order as a
-- number (agency_name_order): sorting 3,500 names with the ICU collation
-- costs ~20 ms a query, an integer sort almost nothing. Lists sort by that
-- number (taken only while the cache is fresh) first and by the name after
-- it, so a stale or missing order only makes them slower, never wrong.

CREATE TABLE membership_cache_state (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    fresh           boolean NOT NULL DEFAULT false,
    plan_version_id bigint
);
INSERT INTO membership_cache_state DEFAULT VALUES;

-- The days on which the expansion can change, ascending.
CREATE TABLE membership_boundary (day date PRIMARY KEY);

-- The epochs cached (an epoch may expand to nothing).
CREATE TABLE membership_cache_epoch (
    plan_version_id bigint NOT NULL,
    epoch           date NOT NULL,
    PRIMARY KEY (plan_version_id, epoch)
);

CREATE TABLE ref_member_cache (
    plan_version_id bigint NOT NULL,
    epoch           date NOT NULL,
    ref             text NOT NULL,
    agency_id       bigint NOT NULL,
    PRIMARY KEY (plan_version_id, epoch, ref, agency_id)
);
-- The expected reporters of each cached epoch (every agency some reference
-- stands for) with what PeriodStatus lists and sorts them by: the order of
-- their kind and of their name, as integers (see agency_name_order).
CREATE TABLE reporter_cache (
    plan_version_id bigint NOT NULL,
    epoch           date NOT NULL,
    agency_id       bigint NOT NULL,
    code            text NOT NULL,
    name            text NOT NULL,
    kind            text NOT NULL,
    kind_ord        int NOT NULL,
    name_ord        int NOT NULL,
    PRIMARY KEY (plan_version_id, epoch, agency_id)
);

-- The order of agency kinds in lists (PeriodStatus), others last.
CREATE FUNCTION agency_kind_order(k text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_position(ARRAY['department', 'district', 'commune', 'socio_political',
                                         'province', 'other'], k), 99)
$$;

-- one agency's references (agency_refs_at: every Pull and Submit)
CREATE INDEX ref_member_cache_agency ON ref_member_cache (agency_id, plan_version_id, epoch);

-- Each agency's place in the Vietnamese alphabetical order of names (then codes).
CREATE TABLE agency_name_order (
    agency_id bigint PRIMARY KEY,
    ord       int NOT NULL
);

-- The expansion as 005 wrote it, now the fallback and the source of the cache.
CREATE FUNCTION ref_members_live(v bigint, d date) RETURNS TABLE (ref text, agency_id bigint)
LANGUAGE sql STABLE ROWS 2000 AS $$
    WITH refs AS MATERIALIZED (
        SELECT ta.agency_id, ta.group_code
        FROM task_assignee ta JOIN task t ON t.id = ta.task_id
        WHERE t.plan_version_id = v
        UNION
        SELECT r.agency_id, r.group_code
        FROM indicator_reporter r JOIN indicator i ON i.id = r.indicator_id
        WHERE i.plan_version_id = v)
    SELECT 'id:' || a.id, a.id
    FROM refs JOIN agency a ON a.id = refs.agency_id
    WHERE d BETWEEN a.valid_from AND a.valid_to
    UNION ALL
    SELECT 'id:' || a.id, m
    FROM refs JOIN agency a ON a.id = refs.agency_id, agency_resolve(a.id, d) m
    WHERE NOT d BETWEEN a.valid_from AND a.valid_to
    UNION ALL
    SELECT refs.group_code, m
    FROM refs, group_members(refs.group_code, d) m
    WHERE refs.group_code IS NOT NULL
$$;

-- The first day of the epoch holding d ('-infinity' before every boundary).
-- Meaningful only while the cache is fresh (the boundaries are part of it).
CREATE FUNCTION membership_epoch(d date) RETURNS date LANGUAGE sql STABLE AS $$
    SELECT coalesce(max(day), '-infinity') FROM membership_boundary WHERE day <= d
$$;

-- The cached epoch for (v, d), or NULL when the expansion must run live.
CREATE FUNCTION membership_cached_epoch(v bigint, d date) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT e.epoch
    FROM membership_cache_state s
    JOIN membership_cache_epoch e ON e.plan_version_id = v AND e.epoch = membership_epoch(d)
    WHERE s.fresh AND s.plan_version_id = v
$$;

-- Same contract as 005: each reference of version v's task assignees and
-- indicator reporters with the agencies it stands for on day d.
CREATE OR REPLACE FUNCTION ref_members(v bigint, d date) RETURNS TABLE (ref text, agency_id bigint)
LANGUAGE plpgsql STABLE ROWS 2000 AS $$
DECLARE
    e date := membership_cached_epoch(v, d);
BEGIN
    IF e IS NULL THEN
        RETURN QUERY SELECT * FROM ref_members_live(v, d);
    ELSE
        RETURN QUERY SELECT c.ref, c.agency_id FROM ref_member_cache c
                     WHERE c.plan_version_id = v AND c.epoch = e;
    END IF;
END $$;

-- Expected reporters on day d (004's contract), from the same expansion
-- (read straight from the cache when it holds d: a plain SQL function the
-- planner inlines).
CREATE OR REPLACE FUNCTION period_reporters(d date) RETURNS SETOF bigint
LANGUAGE sql STABLE ROWS 200 AS $$
    WITH v AS MATERIALIZED (SELECT (plan_version_now()).id),
         e AS MATERIALIZED (SELECT membership_cached_epoch((SELECT id FROM v), d) AS epoch)
    SELECT DISTINCT c.agency_id FROM ref_member_cache c
    WHERE c.plan_version_id = (SELECT id FROM v) AND c.epoch = (SELECT epoch FROM e)
    UNION
    SELECT m.agency_id FROM ref_members_live((SELECT id FROM v), d) m
    WHERE (SELECT epoch FROM e) IS NULL
$$;

-- The references that stand for agency a on day d (003's contract: the
-- agency_id or group_code of the plan's rows), from the cache when it holds
-- d, else as 003 computed them.
ALTER FUNCTION agency_refs_at(bigint, date) RENAME TO agency_refs_at_live;
CREATE FUNCTION agency_refs_at(a bigint, d date)
RETURNS TABLE (agency_id bigint, group_code text)
LANGUAGE sql STABLE ROWS 10 AS $$
    WITH v AS MATERIALIZED (SELECT (plan_version_now()).id),
         e AS MATERIALIZED (SELECT membership_cached_epoch((SELECT id FROM v), d) AS epoch)
    SELECT CASE WHEN c.ref LIKE 'id:%' THEN substr(c.ref, 4)::bigint END,
           CASE WHEN c.ref NOT LIKE 'id:%' THEN c.ref END
    FROM ref_member_cache c
    WHERE c.agency_id = a AND c.plan_version_id = (SELECT id FROM v)
      AND c.epoch = (SELECT epoch FROM e)
    UNION ALL
    SELECT l.agency_id, l.group_code FROM agency_refs_at_live(a, d) l
    WHERE (SELECT epoch FROM e) IS NULL
$$;

-- Rebuild the cache for the plan version in force, if stale. Runs as the
-- owner with scope 'all' for its statements (put back before it returns,
-- as tamnong_auth_agency in 007 does): the expansion reads plan tables only.
CREATE FUNCTION membership_refresh() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    was text := coalesce(current_setting('tamnong.scope', true), '');
    v bigint;
    e date;
BEGIN
    -- one rebuild at a time; a second caller finds it fresh afterwards
    PERFORM 1 FROM membership_cache_state FOR UPDATE;
    IF (SELECT fresh FROM membership_cache_state) THEN
        RETURN;
    END IF;
    PERFORM set_config('tamnong.scope', 'all', true);
    v := (plan_version_now()).id;
    DELETE FROM ref_member_cache;
    DELETE FROM reporter_cache;
    DELETE FROM membership_cache_epoch;
    DELETE FROM membership_boundary;
    DELETE FROM agency_name_order;
    INSERT INTO agency_name_order (agency_id, ord)
    SELECT id, row_number() OVER (ORDER BY name COLLATE "vi-VN-x-icu", code) FROM agency;
    INSERT INTO membership_boundary (day)
    SELECT valid_from FROM agency WHERE valid_from > '-infinity'
    UNION SELECT valid_to + 1 FROM agency WHERE valid_to < 'infinity'
    UNION SELECT effective FROM agency_successor WHERE effective IS NOT NULL;
    IF v IS NOT NULL THEN
        -- the days the queries ask about: each period's last window day
        -- (duties, figures) and its deadline day (the task board)
        FOR e IN SELECT DISTINCT membership_epoch(x.day)
                 FROM period p, LATERAL (VALUES (p.window_end), (p.deadline)) x (day) LOOP
            INSERT INTO membership_cache_epoch VALUES (v, e);
            INSERT INTO ref_member_cache (plan_version_id, epoch, ref, agency_id)
            SELECT DISTINCT v, e, m.ref, m.agency_id FROM ref_members_live(v, e) m;
            INSERT INTO reporter_cache
            SELECT v, e, g.id, g.code, g.name, g.kind, agency_kind_order(g.kind), o.ord
            FROM (SELECT DISTINCT c.agency_id FROM ref_member_cache c
                  WHERE c.plan_version_id = v AND c.epoch = e) r
            JOIN agency g ON g.id = r.agency_id
            JOIN agency_name_order o ON o.agency_id = g.id;
        END LOOP;
    END IF;
    UPDATE membership_cache_state SET fresh = true, plan_version_id = v;
    PERFORM set_config('tamnong.scope', was, true);
END $$;

-- A change to what the expansion reads makes the cache stale.
CREATE FUNCTION membership_mark_stale() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE membership_cache_state SET fresh = false WHERE fresh;
    RETURN NULL;
END $$;

-- agency: what decides membership and the order of names
CREATE TRIGGER membership_stale AFTER INSERT OR DELETE OR TRUNCATE ON agency
    FOR EACH STATEMENT EXECUTE FUNCTION membership_mark_stale();
CREATE TRIGGER membership_stale_upd AFTER UPDATE OF kind, valid_from, valid_to, name, code ON agency
    FOR EACH STATEMENT EXECUTE FUNCTION membership_mark_stale();
CREATE TRIGGER membership_stale AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agency_group
    FOR EACH STATEMENT EXECUTE FUNCTION membership_mark_stale();
CREATE TRIGGER membership_stale AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agency_successor
    FOR EACH STATEMENT EXECUTE FUNCTION membership_mark_stale();
CREATE TRIGGER membership_stale AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON task_assignee
    FOR EACH STATEMENT EXECUTE FUNCTION membership_mark_stale();
CREATE TRIGGER membership_stale AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON indicator_reporter
    FOR EACH STATEMENT EXECUTE FUNCTION membership_mark_stale();
CREATE TRIGGER membership_stale AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON plan_version
    FOR EACH STATEMENT EXECUTE FUNCTION membership_mark_stale();
CREATE TRIGGER membership_stale AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON period
    FOR EACH STATEMENT EXECUTE FUNCTION membership_mark_stale();

-- The writers refresh it when they are done: plan import (wrapped: the body
-- of 002 is renamed and called) and certificate registration (which may add
-- an agency).
ALTER FUNCTION plan_import(jsonb, bigint) RENAME TO plan_import_apply;
CREATE FUNCTION plan_import(doc jsonb, importer bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb := plan_import_apply(doc, importer);
BEGIN
    PERFORM membership_refresh();
    RETURN r;
END $$;
REVOKE ALL ON FUNCTION plan_import(jsonb, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION plan_import_apply(jsonb, bigint) FROM PUBLIC;

ALTER FUNCTION cert_register(bigint, uuid, text, text, text, text, text, text)
    RENAME TO cert_register_apply;
CREATE FUNCTION cert_register(a bigint, u uuid, sha text, fp text, agency_code text,
                              agency_name text, subj text, cert_role text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r jsonb := cert_register_apply(a, u, sha, fp, agency_code, agency_name, subj, cert_role);
BEGIN
    PERFORM membership_refresh();
    RETURN r;
END $$;

-- The cache is plan data: everyone reads, only the functions above write.
GRANT SELECT ON membership_cache_state, membership_boundary, membership_cache_epoch
    TO tamnong_app;
SELECT tamnong_protect_plan_table('agency_name_order');
SELECT tamnong_protect_plan_table('reporter_cache');
SELECT tamnong_protect_plan_table('ref_member_cache');
REVOKE ALL ON FUNCTION membership_refresh() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION membership_refresh() TO tamnong_app;
REVOKE ALL ON FUNCTION membership_mark_stale() FROM PUBLIC;

SELECT membership_refresh();
