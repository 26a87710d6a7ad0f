-- 013_task_board_totals: the task board from running totals (issue 6, speed).
--
-- task_board() (005) built, at every call, the (task, agency) pairs of the
-- plan (~100,000 at national scale: tasks led or coordinated by the group of
-- 3,470 communes) and joined them with task_status: ~300 ms for the summary.
-- Two things are now kept instead, next to the membership cache of 011:
--
-- * board_pair: the deduplicated (task, agency, role, ord) pairs per (plan
--   version, epoch), built by membership_refresh() (wrapped below, the way
--   011 wraps plan_import) for every cached epoch. It goes stale with the
--   membership cache (the same tables decide it) and is used only while
--   membership_cached_epoch(v, d) answers: otherwise the board runs live, as
--   005 wrote it (task_board_live). Never wrong, only slower.
-- * board_total: per (plan version, epoch, task, role) the members, how many
--   reported, how many hold each status, the lowest progress among those that
--   reported and how many hold it. Kept by statement-level triggers on
--   task_status (transition tables); rebuilt from scratch by the refresh and
--   on TRUNCATE. When the last holder of the lowest progress moves up, that
--   one row is recomputed from its pairs.
--
-- Row-level security: the triggers fire in a reporter's transaction, which
-- sees only its own task_status rows; they run as the owner (SECURITY
-- DEFINER) with scope 'all' for their statements, put back before they
-- return (tamnong_auth_agency in 007 says why it is not a SET clause).
--
-- Concurrency: near a deadline many agencies update the same task at once.
-- A trigger locks the total rows it changes in one fixed order (plan version,
-- epoch, task, role) before it changes them, so two transactions never
-- deadlock on them; they queue on the row, each adding its delta to the
-- value the previous one committed. The refresh rebuilds under an exclusive
-- advisory lock that every trigger takes shared, so no delta is applied to a
-- row the rebuild is about to replace (nor lost in between). A transaction
-- that changes task_status in several statements (none does: TaskUpdate is
-- one statement) would lock in one order per statement only.

CREATE TABLE board_pair (
    plan_version_id bigint NOT NULL,
    epoch           date NOT NULL,
    task_id         bigint NOT NULL,
    task_code       text NOT NULL,
    agency_id       bigint NOT NULL,
    role            text NOT NULL,   -- lead | coordinating (a lead is not listed again)
    ord             int NOT NULL,
    PRIMARY KEY (plan_version_id, epoch, task_id, agency_id)
);
-- a status change finds its pairs; the agency filter finds its tasks
CREATE INDEX board_pair_status ON board_pair (agency_id, task_code)
    INCLUDE (plan_version_id, epoch, task_id, role);

CREATE TABLE board_total (
    plan_version_id bigint NOT NULL,
    epoch           date NOT NULL,
    task_id         bigint NOT NULL,
    role            text NOT NULL,
    members         int NOT NULL,
    reported        int NOT NULL,
    n_not_started   int NOT NULL,
    n_postponed     int NOT NULL,
    n_in_progress   int NOT NULL,
    n_completed     int NOT NULL,
    min_progress    int,            -- lowest progress among those that reported
    n_min           int NOT NULL,   -- how many hold it
    PRIMARY KEY (plan_version_id, epoch, task_id, role)
);

-- The pairs of version v on the epoch e from the cached expansion (or, for
-- the check, from the live one). 'lead' > 'coordinating': max(role) keeps the
-- lead role of an agency named twice.
CREATE FUNCTION board_pairs_of(v bigint, e date, live boolean)
RETURNS TABLE (task_id bigint, task_code text, agency_id bigint, role text, ord int)
LANGUAGE sql STABLE AS $$
    WITH m AS MATERIALIZED (
        SELECT c.ref, c.agency_id FROM ref_member_cache c
        WHERE NOT live AND c.plan_version_id = v AND c.epoch = e
        UNION ALL
        SELECT l.ref, l.agency_id FROM ref_members_live(v, e) l WHERE live)
    SELECT ta.task_id, t.code, m.agency_id, max(ta.role), min(ta.ord)
    FROM task_assignee ta JOIN task t ON t.id = ta.task_id
    JOIN m ON m.ref = coalesce(ta.group_code, 'id:' || ta.agency_id)
    WHERE t.plan_version_id = v
    GROUP BY ta.task_id, t.code, m.agency_id
$$;

-- The statuses of one task (a board's contributions, a recomputed total).
CREATE INDEX task_status_task ON task_status (task_code, agency_id);

-- The totals computed from scratch from the pairs and the statuses: the
-- source of the rebuild, and what the tests compare the kept totals with.
CREATE VIEW board_total_scratch AS
WITH j AS (
    SELECT p.plan_version_id, p.epoch, p.task_id, p.role, s.status, s.progress,
           min(s.progress) OVER (PARTITION BY p.plan_version_id, p.epoch, p.task_id, p.role) AS lo
    FROM board_pair p
    LEFT JOIN task_status s ON s.agency_id = p.agency_id AND s.task_code = p.task_code)
SELECT plan_version_id, epoch, task_id, role,
       count(*)::int AS members,
       count(status)::int AS reported,
       count(*) FILTER (WHERE status = 'not_started')::int AS n_not_started,
       count(*) FILTER (WHERE status = 'postponed')::int AS n_postponed,
       count(*) FILTER (WHERE status = 'in_progress')::int AS n_in_progress,
       count(*) FILTER (WHERE status = 'completed')::int AS n_completed,
       min(lo) AS min_progress,
       count(*) FILTER (WHERE progress = lo)::int AS n_min
FROM j
GROUP BY plan_version_id, epoch, task_id, role;

-- The advisory lock the rebuild takes exclusive and every trigger shared.
CREATE FUNCTION board_lock_key() RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT 1301301301301::bigint
$$;

-- Rebuild the pairs and the totals for the cached epochs (the caller holds
-- membership_cache_state and made the cache fresh).
CREATE FUNCTION board_rebuild() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    was text := coalesce(current_setting('tamnong.scope', true), '');
    ep membership_cache_epoch;
BEGIN
    PERFORM pg_advisory_xact_lock(board_lock_key());
    PERFORM set_config('tamnong.scope', 'all', true);
    DELETE FROM board_total;
    DELETE FROM board_pair;
    FOR ep IN SELECT * FROM membership_cache_epoch
              WHERE plan_version_id = (SELECT plan_version_id FROM membership_cache_state
                                       WHERE fresh) LOOP
        INSERT INTO board_pair (plan_version_id, epoch, task_id, task_code, agency_id, role, ord)
        SELECT ep.plan_version_id, ep.epoch, p.task_id, p.task_code, p.agency_id, p.role, p.ord
        FROM board_pairs_of(ep.plan_version_id, ep.epoch, false) p;
    END LOOP;
    INSERT INTO board_total SELECT * FROM board_total_scratch;
    PERFORM set_config('tamnong.scope', was, true);
END $$;

-- The refresh of 011, then the board's pairs and totals.
ALTER FUNCTION membership_refresh() RENAME TO membership_refresh_refs;
CREATE FUNCTION membership_refresh() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM 1 FROM membership_cache_state FOR UPDATE;
    IF (SELECT fresh FROM membership_cache_state) THEN
        RETURN;
    END IF;
    PERFORM membership_refresh_refs();
    PERFORM board_rebuild();
END $$;

-- ---------------------------------------------------------------- triggers

-- A change of statuses: +1 for a row that came, -1 for one that went (an
-- update is both; a change of note or evidence only cancels out).
CREATE TYPE board_change AS (agency_id bigint, task_code text, status text, progress int,
                             sign int);
-- Its effect on one total row.
CREATE TYPE board_delta AS (plan_version_id bigint, epoch date, task_id bigint, role text,
                            d_reported int, d_not_started int, d_postponed int,
                            d_in_progress int, d_completed int,
                            add_min int, add_p int[], rem_p int[]);

CREATE FUNCTION board_total_apply(ch board_change[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    was text := coalesce(current_setting('tamnong.scope', true), '');
    ds board_delta[];
    stale board_delta[];
BEGIN
    IF coalesce(cardinality(ch), 0) = 0 THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(board_lock_key());
    PERFORM set_config('tamnong.scope', 'all', true);
    ds := ARRAY(
        SELECT ROW(p.plan_version_id, p.epoch, p.task_id, p.role,
                   sum(c.sign)::int,
                   coalesce(sum(c.sign) FILTER (WHERE c.status = 'not_started'), 0)::int,
                   coalesce(sum(c.sign) FILTER (WHERE c.status = 'postponed'), 0)::int,
                   coalesce(sum(c.sign) FILTER (WHERE c.status = 'in_progress'), 0)::int,
                   coalesce(sum(c.sign) FILTER (WHERE c.status = 'completed'), 0)::int,
                   min(c.progress) FILTER (WHERE c.sign > 0),
                   coalesce(array_agg(c.progress) FILTER (WHERE c.sign > 0), '{}'),
                   coalesce(array_agg(c.progress) FILTER (WHERE c.sign < 0), '{}'))::board_delta
        FROM unnest(ch) c
        JOIN board_pair p ON p.agency_id = c.agency_id AND p.task_code = c.task_code
        GROUP BY p.plan_version_id, p.epoch, p.task_id, p.role);
    IF cardinality(ds) > 0 THEN
        -- one fixed order for every transaction: no deadlock between them
        PERFORM 1 FROM board_total b
        JOIN unnest(ds) d ON (d.plan_version_id, d.epoch, d.task_id, d.role)
                           = (b.plan_version_id, b.epoch, b.task_id, b.role)
        ORDER BY b.plan_version_id, b.epoch, b.task_id, b.role
        FOR UPDATE OF b;
        WITH u AS (
            UPDATE board_total b
            SET reported = b.reported + d.d_reported,
                n_not_started = b.n_not_started + d.d_not_started,
                n_postponed = b.n_postponed + d.d_postponed,
                n_in_progress = b.n_in_progress + d.d_in_progress,
                n_completed = b.n_completed + d.d_completed,
                min_progress = CASE WHEN b.reported + d.d_reported = 0 THEN NULL
                                    WHEN b.min_progress IS NULL OR d.add_min < b.min_progress
                                        THEN d.add_min
                                    ELSE b.min_progress END,
                n_min = CASE WHEN b.reported + d.d_reported = 0 THEN 0
                             WHEN b.min_progress IS NULL OR d.add_min < b.min_progress
                                 THEN (SELECT count(*) FROM unnest(d.add_p) x WHERE x = d.add_min)
                             ELSE b.n_min
                                  - (SELECT count(*) FROM unnest(d.rem_p) x
                                     WHERE x = b.min_progress)
                                  + (SELECT count(*) FROM unnest(d.add_p) x
                                     WHERE x = b.min_progress) END
            FROM unnest(ds) d
            WHERE (d.plan_version_id, d.epoch, d.task_id, d.role)
                  = (b.plan_version_id, b.epoch, b.task_id, b.role)
            RETURNING d.*, b.n_min, b.reported)
        SELECT array_agg(ROW(u.plan_version_id, u.epoch, u.task_id, u.role, 0, 0, 0, 0, 0,
                             NULL, NULL, NULL)::board_delta)
        INTO stale FROM u WHERE u.n_min <= 0 AND u.reported > 0;
        -- the last holder of the lowest progress moved: that row from its pairs
        IF stale IS NOT NULL THEN
            UPDATE board_total b SET min_progress = x.lo, n_min = x.n
            FROM unnest(stale) d,
            LATERAL (SELECT s.progress AS lo, count(*)::int AS n
                     FROM board_pair p
                     JOIN task_status s ON s.agency_id = p.agency_id AND s.task_code = p.task_code
                     WHERE (p.plan_version_id, p.epoch, p.task_id, p.role)
                           = (d.plan_version_id, d.epoch, d.task_id, d.role)
                     GROUP BY s.progress ORDER BY s.progress LIMIT 1) x
            WHERE (d.plan_version_id, d.epoch, d.task_id, d.role)
                  = (b.plan_version_id, b.epoch, b.task_id, b.role);
        END IF;
    END IF;
    PERFORM set_config('tamnong.scope', was, true);
END $$;

CREATE FUNCTION board_status_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM board_total_apply(ARRAY(
        SELECT ROW(n.agency_id, n.task_code, n.status, n.progress, 1)::board_change
        FROM new_rows n));
    RETURN NULL;
END $$;

CREATE FUNCTION board_status_updated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM board_total_apply(ARRAY(
        SELECT ROW(x.agency_id, x.task_code, x.status, x.progress, sum(x.sign)::int)::board_change
        FROM (SELECT o.agency_id, o.task_code, o.status, o.progress, -1 AS sign FROM old_rows o
              UNION ALL
              SELECT n.agency_id, n.task_code, n.status, n.progress, 1 FROM new_rows n) x
        GROUP BY x.agency_id, x.task_code, x.status, x.progress
        HAVING sum(x.sign) <> 0));
    RETURN NULL;
END $$;

CREATE FUNCTION board_status_deleted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM board_total_apply(ARRAY(
        SELECT ROW(o.agency_id, o.task_code, o.status, o.progress, -1)::board_change
        FROM old_rows o));
    RETURN NULL;
END $$;

-- TRUNCATE has no transition table: the totals again from scratch.
CREATE FUNCTION board_status_truncated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    was text := coalesce(current_setting('tamnong.scope', true), '');
BEGIN
    PERFORM pg_advisory_xact_lock(board_lock_key());
    PERFORM set_config('tamnong.scope', 'all', true);
    DELETE FROM board_total;
    INSERT INTO board_total SELECT * FROM board_total_scratch;
    PERFORM set_config('tamnong.scope', was, true);
    RETURN NULL;
END $$;

CREATE TRIGGER board_total_ins AFTER INSERT ON task_status
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION board_status_inserted();
CREATE TRIGGER board_total_upd AFTER UPDATE ON task_status
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION board_status_updated();
CREATE TRIGGER board_total_del AFTER DELETE ON task_status
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION board_status_deleted();
CREATE TRIGGER board_total_trunc AFTER TRUNCATE ON task_status
    FOR EACH STATEMENT EXECUTE FUNCTION board_status_truncated();

-- ---------------------------------------------------------------- TaskBoard

-- 005's function, now the path for a day outside the cached epochs (or a
-- stale cache).
ALTER FUNCTION task_board(text, text, text, text, boolean) RENAME TO task_board_live;

-- Same contract and answer as 005 (json now: built faster, parsed the same).
-- Summary rows come from board_total alone; the agency filter from the pairs
-- by agency; contributions and lists are built only for the tasks kept, each
-- list sorted on narrow keys before its objects are built.
CREATE FUNCTION task_board(p_code text, section text, agency_code text, status_f text,
                           summary boolean)
RETURNS json LANGUAGE plpgsql STABLE SET jit = off AS $$
DECLARE
    o record;
    v bigint := (plan_version_now()).id;
    d date;
    e date;
    today date := province_today();
    me bigint;
    rows json;
BEGIN
    SELECT * INTO o FROM oversight_period(p_code);
    IF o.refusal IS NOT NULL THEN
        RETURN o.refusal::json;
    END IF;
    d := (o.p).deadline;
    e := membership_cached_epoch(v, d);
    IF e IS NULL THEN
        RETURN task_board_live(p_code, section, agency_code, status_f, summary)::json;
    END IF;
    IF coalesce(agency_code, '') <> '' THEN
        SELECT id INTO me FROM agency WHERE code = agency_code;
        IF me IS NULL THEN
            RETURN tn_refuse('NOT_FOUND', format('agency_code: there is no agency %s',
                                                 agency_code))::json;
        END IF;
    END IF;

    WITH t AS (
             SELECT t.*, coalesce(ps.ord, 0) AS sec_ord
             FROM task t LEFT JOIN plan_section ps ON ps.plan_version_id = t.plan_version_id
                                                  AND ps.code = t.section_code
             WHERE t.plan_version_id = v
               AND (coalesce(section, '') = '' OR t.section_code = section
                    OR t.section_code LIKE section || '.%')),
         agg AS (
             SELECT b.task_id,
                    sum(b.members) FILTER (WHERE b.role = 'lead') AS leads,
                    sum(b.reported) FILTER (WHERE b.role = 'lead') AS leads_rep,
                    sum(b.members) FILTER (WHERE b.role = 'coordinating') AS coords,
                    sum(b.reported) FILTER (WHERE b.role = 'coordinating') AS coords_rep,
                    -- the least advanced lead (0: one has not reported)
                    max(CASE WHEN b.reported < b.members THEN 0
                             WHEN b.n_not_started > 0 THEN 1
                             WHEN b.n_postponed > 0 THEN 2
                             WHEN b.n_in_progress > 0 THEN 3
                             WHEN b.n_completed > 0 THEN 4
                             ELSE 0 END) FILTER (WHERE b.role = 'lead') AS min_rank,
                    max(b.min_progress) FILTER (WHERE b.role = 'lead') AS progress
             FROM board_total b
             WHERE b.plan_version_id = v AND b.epoch = e
             GROUP BY b.task_id),
         mine AS (
             SELECT p.task_id, p.role FROM board_pair p
             WHERE me IS NOT NULL AND p.agency_id = me AND p.plan_version_id = v
               AND p.epoch = e),
         per_task AS (
             SELECT t.*, a.leads, a.leads_rep, a.coords, a.coords_rep, a.progress, mine.role AS my_role,
                    (ARRAY['not_reported', 'not_started', 'postponed', 'in_progress',
                           'completed'])[coalesce(a.min_rank, 0) + 1] AS row_status,
                    due.due,
                    CASE WHEN a.min_rank = 4 THEN 'done'  -- every lead completed
                         WHEN t.deadline_kind = 'continuous' THEN 'continuous'
                         WHEN t.deadline_kind = 'every_period' THEN 'due'
                         WHEN due.due IS NULL THEN 'continuous'
                         WHEN due.due < today THEN 'overdue'
                         WHEN due.due <= d THEN 'due'
                         ELSE 'on_schedule' END AS dl_state
             FROM t LEFT JOIN agg a ON a.task_id = t.id
             LEFT JOIN mine ON mine.task_id = t.id,
             LATERAL (SELECT CASE t.deadline_kind
                                 WHEN 'date' THEN CASE WHEN t.deadline_value ~ '^\d{4}-\d{2}-\d{2}$'
                                                       THEN t.deadline_value::date END
                                 WHEN 'by_year' THEN CASE WHEN t.deadline_value ~ '^\d{4}$'
                                                          THEN make_date(t.deadline_value::int, 12, 31)
                                                     END
                             END AS due) due
             WHERE (me IS NULL OR mine.task_id IS NOT NULL)),
         kept AS (
             SELECT * FROM per_task pt
             WHERE coalesce(status_f, '') = '' OR pt.row_status = status_f)
    SELECT coalesce(json_agg(json_build_object(
               'task', json_build_object(
                   'code', k.code, 'section', k.section_code, 'title', k.title,
                   'text', k.full_text, 'deadline_kind', k.deadline_kind,
                   'deadline_value', k.deadline_value, 'expected_output', k.expected_output,
                   'role', coalesce(k.my_role, ''),
                   'lead', coalesce(l.lead_list, '[]'),
                   'coordinating', coalesce(l.coord_list, '[]')),
               'status', k.row_status, 'progress', coalesce(k.progress, 0),
               'contributions', coalesce(l.contributions, '[]'),
               'deadline_state', k.dl_state,
               'due_date', coalesce(k.due::text, ''),
               'leads', coalesce(k.leads, 0), 'leads_reported', coalesce(k.leads_rep, 0),
               'coordinators', coalesce(k.coords, 0),
               'coordinators_reported', coalesce(k.coords_rep, 0))
               ORDER BY k.dl_state <> 'overdue', k.sec_ord, k.ord, k.code), '[]')
    INTO rows
    FROM kept k
    -- the lists, only for full rows: sorted on narrow keys, then built
    LEFT JOIN LATERAL (
        SELECT json_agg(json_build_object('code', x.code, 'name', x.name))
                   FILTER (WHERE x.role = 'lead') AS lead_list,
               json_agg(json_build_object('code', x.code, 'name', x.name))
                   FILTER (WHERE x.role = 'coordinating') AS coord_list,
               json_agg(json_build_object(
                   'agency', json_build_object('code', x.code, 'name', x.name),
                   'role', x.role,
                   'status', CASE WHEN x.version IS NULL
                                  THEN json_build_object('task_code', k.code, 'version', 0)
                                  ELSE json_build_object(
                                           'task_code', k.code, 'status', x.status,
                                           'progress', x.progress, 'note', x.note,
                                           'evidence', x.evidence, 'version', x.version,
                                           'updated_at_ms', tn_ms(x.updated_at),
                                           'updated_by', x.code) END)) AS contributions
        FROM (SELECT p.role, g.code, g.name, s.status, s.progress, s.note, s.evidence,
                     s.version, s.updated_at
              FROM board_pair p JOIN agency g ON g.id = p.agency_id
              LEFT JOIN task_status s ON s.agency_id = p.agency_id AND s.task_code = k.code
              WHERE p.plan_version_id = v AND p.epoch = e AND p.task_id = k.id
              ORDER BY p.role DESC, p.ord, g.code) x
        WHERE NOT summary) l ON true;

    RETURN json_build_object('period', period_info_json(o.p), 'as_of', d::text, 'rows', rows);
END $$;

-- The pairs are plan data (who is assigned what): everyone reads, only the
-- functions above write. The totals hold counts only.
SELECT tamnong_protect_plan_table('board_pair');
GRANT SELECT ON board_total TO tamnong_app;
REVOKE ALL ON FUNCTION membership_refresh() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION membership_refresh() TO tamnong_app;
REVOKE ALL ON FUNCTION membership_refresh_refs() FROM PUBLIC, tamnong_app;
REVOKE ALL ON FUNCTION board_rebuild() FROM PUBLIC;
REVOKE ALL ON FUNCTION board_total_apply(board_change[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION board_status_inserted() FROM PUBLIC;
REVOKE ALL ON FUNCTION board_status_updated() FROM PUBLIC;
REVOKE ALL ON FUNCTION board_status_deleted() FROM PUBLIC;
REVOKE ALL ON FUNCTION board_status_truncated() FROM PUBLIC;

-- Build them now for the cache 011 left (fresh or not).
SELECT set_config('tamnong.scope', 'all', true);
UPDATE membership_cache_state SET fresh = false;
SELECT membership_refresh();
