-- 014_period_status_rows: PeriodStatus at national scale (issue 6, speed).
--
-- PeriodStatus lists every expected reporter: 3,500 at national scale. Built
-- as one jsonb document it cost ~100 ms in PostgreSQL (jsonb objects sorted
-- inside the aggregate, 14 ms of per-agency extension look-ups) and as much
-- again for tamnongd to parse a megabyte of JSON on its event loop. Now the
-- answer is a table: one row per reporter in the order shown, the first of
-- them also carrying the small part as JSON in `head` (period,
-- deadline_passed, or a refusal; with no reporter, a row with the head
-- alone); tamnongd counts the totals by kind from the rows (one pass, no
-- second scan here: handlers_deadline.c), as plain columns that the server copies
-- into the response without parsing anything (named as the fields of
-- ReporterStatus, "agency.code" for the code of its agency: see
-- server/handler_rows.c).
--
-- The rules are those of 004 (who is expected, which revision counts, the
-- effective deadline) and are not repeated: the choice of the effective
-- deadline moves into deadline_choose, which deadline_of and this function
-- both use.

-- The effective deadline from the period's own deadline and the extensions
-- in force for the agency (own_*) and for every reporter (all_*), as
-- deadline_of (004) documents it. A single SELECT, so callers get it inlined.
CREATE FUNCTION deadline_choose(period_dl timestamptz,
                                own_dl timestamptz, own_reason text, own_id bigint,
                                all_dl timestamptz, all_reason text, all_id bigint)
RETURNS TABLE (deadline_at timestamptz, extended_at timestamptz, reason text, extension_id bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT greatest(period_dl, own_dl, all_dl),
           CASE WHEN greatest(own_dl, all_dl) > period_dl THEN greatest(own_dl, all_dl) END,
           CASE WHEN own_dl > period_dl AND own_dl >= coalesce(all_dl, own_dl) THEN own_reason
                WHEN all_dl > period_dl THEN all_reason END,
           CASE WHEN own_dl > period_dl AND own_dl >= coalesce(all_dl, own_dl) THEN own_id
                WHEN all_dl > period_dl THEN all_id END
$$;

CREATE OR REPLACE FUNCTION deadline_of(a bigint, pid bigint)
RETURNS TABLE (deadline_at timestamptz, extended_at timestamptz, reason text, extension_id bigint)
LANGUAGE sql STABLE ROWS 1 AS $$
    SELECT d.*
    FROM period p
    LEFT JOIN extension_in_force own ON own.period_id = p.id AND own.agency_id = a
    LEFT JOIN extension_in_force al ON al.period_id = p.id AND al.agency_id IS NULL,
    deadline_choose(p.deadline_at, own.deadline_at, own.reason, own.id,
                    al.deadline_at, al.reason, al.id) d
    WHERE p.id = pid
$$;

-- The expected reporters on day d with their code, name, kind and sort
-- positions: from reporter_cache (011) when it holds d, else computed (the
-- name order then NULL: lists fall back to sorting by the name itself).
CREATE FUNCTION period_reporters_listed(d date)
RETURNS TABLE (agency_id bigint, code text, name text, kind text, kind_ord int, name_ord int)
LANGUAGE sql STABLE ROWS 200 AS $$
    WITH v AS MATERIALIZED (SELECT (plan_version_now()).id),
         e AS MATERIALIZED (SELECT membership_cached_epoch((SELECT id FROM v), d) AS epoch)
    SELECT r.agency_id, r.code, r.name, r.kind, r.kind_ord, r.name_ord FROM reporter_cache r
    WHERE r.plan_version_id = (SELECT id FROM v) AND r.epoch = (SELECT epoch FROM e)
    UNION ALL
    SELECT g.id, g.code, g.name, g.kind, agency_kind_order(g.kind), NULL::int
    FROM period_reporters(d) x JOIN agency g ON g.id = x
    WHERE (SELECT epoch FROM e) IS NULL
$$;

DROP FUNCTION period_status(bigint, text, text);

-- PeriodStatus(caller a, period, kind filter '' = all) as rows: see the top.
-- Reporters are listed missing first, then late, then returned, then
-- submitted, then accepted; within that by kind and Vietnamese name (004).
CREATE FUNCTION period_status(a bigint, pcode text, kind_f text)
RETURNS TABLE (head json, "agency.code" text, "agency.name" text, kind text, status text,
               on_time boolean,
               submission_id bigint, revision int, received_at_ms bigint,
               deadline_at_ms bigint, extension_reason text, review_reason text)
LANGUAGE plpgsql STABLE SET jit = off AS $$
DECLARE
    p period;
BEGIN
    SELECT * INTO p FROM period WHERE period.code = pcode;
    IF p.id IS NULL THEN
        RETURN QUERY SELECT tn_refuse('NOT_FOUND',
                                      format('period_code: there is no period %s', pcode))::json,
                            NULL, NULL, NULL, NULL, NULL::boolean, NULL::bigint, NULL::int,
                            NULL::bigint, NULL::bigint, NULL, NULL;
        RETURN;
    END IF;
    RETURN QUERY
    WITH acc AS MATERIALIZED (  -- the latest accepted revision of each agency
             SELECT DISTINCT ON (s.agency_id) s.agency_id, s.received_at
             FROM submission s WHERE s.period_id = p.id AND s.state = 'accepted'
             ORDER BY s.agency_id, s.revision DESC),
         cur AS MATERIALIZED (  -- the current revisions (without their content)
             SELECT c.agency_id, c.id, c.revision, c.state, c.received_at, c.reason
             FROM submission c WHERE c.period_id = p.id AND c.current),
         ext AS MATERIALIZED (  -- the extensions in force in this period (a few)
             SELECT * FROM extension_in_force e WHERE e.period_id = p.id),
         x AS (
             SELECT g.agency_id AS id, g.code, g.name, g.kind, g.kind_ord, g.name_ord,
                    c.id AS sid, c.revision, c.state, c.received_at, c.reason,
                    coalesce(k.received_at, c.received_at) AS counted_at,
                    dl.deadline_at, dl.reason AS ext_reason
             FROM period_reporters_listed(period_duty_day(p)) g
             LEFT JOIN cur c ON c.agency_id = g.agency_id
             LEFT JOIN acc k ON k.agency_id = g.agency_id
             LEFT JOIN ext own ON own.agency_id = g.agency_id
             LEFT JOIN ext al ON al.agency_id IS NULL
             CROSS JOIN LATERAL deadline_choose(p.deadline_at, own.deadline_at, own.reason,
                                                own.id, al.deadline_at, al.reason, al.id) dl
             WHERE coalesce(kind_f, '') = '' OR g.kind = kind_f),
         y AS (
             SELECT x.*, CASE WHEN x.sid IS NULL THEN 'missing' ELSE x.state END AS st,
                    x.sid IS NOT NULL AND x.counted_at < x.deadline_at AS in_time
             FROM x)
    -- The head rides on the first row (built once: CASE evaluates it for row
    -- 1 only); the rows come out in the window's order, so there is one sort.
    -- With no expected reporter the LEFT JOIN keeps one row: the head with
    -- empty reporter columns.
    SELECT CASE WHEN row_number() OVER w = 1
                THEN json_build_object('period', period_info_json(p, a),
                                       'deadline_passed', tamnong_now() >= p.deadline_at)
           END,
           y.code, y.name, y.kind, y.st, y.in_time, coalesce(y.sid, 0), coalesce(y.revision, 0),
           coalesce(tn_ms(y.received_at), 0), tn_ms(y.deadline_at), coalesce(y.ext_reason, ''),
           CASE WHEN y.st = 'returned' THEN coalesce(y.reason, '') ELSE '' END
    FROM (VALUES (1)) one (x) LEFT JOIN y ON true
    WINDOW w AS (ORDER BY CASE WHEN y.st = 'missing' THEN 0
                               WHEN NOT y.in_time THEN 1
                               WHEN y.st = 'returned' THEN 2
                               WHEN y.st = 'submitted' THEN 3
                               ELSE 4 END,
                          y.kind_ord, y.name_ord, y.name COLLATE "vi-VN-x-icu", y.code)
    ORDER BY CASE WHEN y.st = 'missing' THEN 0
                  WHEN NOT y.in_time THEN 1
                  WHEN y.st = 'returned' THEN 2
                  WHEN y.st = 'submitted' THEN 3
                  ELSE 4 END,
             y.kind_ord, y.name_ord, y.name COLLATE "vi-VN-x-icu", y.code;
END $$;
