-- 005_oversight: what the standing agency looks at (issue 6). The task
-- board, target progress with the province value of each indicator by its
-- rule, the closing of a period (a snapshot of the figures that counted then:
-- the frozen figures), and the words of the reports. One function per RPC,
-- called by one statement, answering one jsonb document; refusals are
-- returned as {"error": {...}} (conventions of 003_reporting.sql). The rules
-- are written out in docs/oversight.md.
--
-- Which revision counts: for each (agency, period), the current revision
-- (the latest one received) unless the standing agency returned it; an
-- accepted or a not yet reviewed revision counts, a returned one does not
-- (the agency then has no figure until it sends a new revision).
--
-- Every table here that holds an agency's data carries agency_id (for the
-- row-level security of issue 7); the functions read through agency_id only.

-- The counted revisions of a period, found without touching old revisions.
CREATE INDEX IF NOT EXISTS submission_period_current ON submission (period_id)
    INCLUDE (agency_id, state, revision) WHERE current;

-- A closed period: when and by whom, and how many revisions the snapshot holds.
CREATE TABLE period_close (
    period_id   bigint PRIMARY KEY REFERENCES period (id),
    closed_at   timestamptz NOT NULL DEFAULT tamnong_now(),
    closed_by   bigint NOT NULL REFERENCES agency (id),
    submissions int NOT NULL
);

-- The counted revision of each agency when the period was closed.
CREATE TABLE period_snapshot (
    period_id     bigint NOT NULL REFERENCES period_close (period_id),
    agency_id     bigint NOT NULL REFERENCES agency (id),
    submission_id bigint NOT NULL REFERENCES submission (id),
    revision      int NOT NULL,
    state         text NOT NULL,   -- submitted | accepted when it was frozen
    received_at   timestamptz NOT NULL,
    on_time       boolean NOT NULL,
    PRIMARY KEY (period_id, agency_id)
);

-- Its figures, copied: the frozen numbers stay what they were even if the
-- submission rows were ever touched.
CREATE TABLE period_snapshot_value (
    period_id     bigint NOT NULL,
    agency_id     bigint NOT NULL,
    indicator_key text NOT NULL,
    value         numeric,
    numerator     numeric,
    denominator   numeric,
    PRIMARY KEY (period_id, indicator_key, agency_id),
    FOREIGN KEY (period_id, agency_id) REFERENCES period_snapshot (period_id, agency_id)
);

-- ---------------------------------------------------------------- helpers

-- A number as decimal text with "." and no trailing zeros; "" for NULL.
CREATE FUNCTION tn_num(x numeric) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(trim_scale(x)::text, '')
$$;

-- A share in percent, 4 decimals at most; NULL without a positive denominator.
CREATE FUNCTION tn_pct(num numeric, den numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN den > 0 THEN round(num * 100 / den, 4) END
$$;

-- The province value of an indicator from its aggregated figures:
-- sum -> the total; ratio -> Σnumerator / Σdenominator in percent (never an
-- average of the agencies' percentages); province_only, baseline_multiple,
-- yearly_rate -> the figure of the one reporter (the latest received when,
-- against the plan, several sent one).
CREATE FUNCTION tn_province_value(rule text, total numeric, num numeric, den numeric,
                                  latest numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE rule WHEN 'sum' THEN total
                     WHEN 'ratio' THEN tn_pct(num, den)
                     ELSE latest END
$$;

CREATE FUNCTION period_info_json(p period) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('code', p.code, 'regime', p.regime, 'regime_name', r.name,
                              'year', p.year, 'window_start', p.window_start::text,
                              'window_end', p.window_end::text, 'deadline', p.deadline::text,
                              'deadline_at_ms', tn_ms(p.deadline_at), 'time_zone', r.time_zone)
    FROM period_regime r WHERE r.code = p.regime
$$;

-- The period by code, or a refusal naming the field.
CREATE FUNCTION oversight_period(p_code text, OUT p period, OUT refusal jsonb)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF coalesce(p_code, '') = '' THEN
        refusal := tn_refuse('INVALID_ARGUMENT', 'period_code: required');
        RETURN;
    END IF;
    SELECT * INTO p FROM period WHERE code = p_code;
    IF p.id IS NULL THEN
        refusal := tn_refuse('NOT_FOUND', format('period_code: there is no period %s', p_code));
    ELSIF plan_version_now() IS NULL THEN
        refusal := tn_refuse('FAILED_PRECONDITION', 'no plan has been imported yet');
    END IF;
END $$;

-- Each agency/group ref of version v's task assignees and indicator
-- reporters, resolved once on day d, keyed "id:<agency id>" or the group.
CREATE FUNCTION ref_members(v bigint, d date) RETURNS TABLE (ref text, agency_id bigint)
LANGUAGE sql STABLE ROWS 2000 AS $$
    WITH refs AS MATERIALIZED (
        SELECT ta.agency_id, ta.group_code
        FROM task_assignee ta JOIN task t ON t.id = ta.task_id
        WHERE t.plan_version_id = v
        UNION
        SELECT r.agency_id, r.group_code
        FROM indicator_reporter r JOIN indicator i ON i.id = r.indicator_id
        WHERE i.plan_version_id = v)
    -- an agency valid on d stands for itself (the plan file's rules: one
    -- that is succeeded ends before its successor begins); the chain of
    -- successors is followed only for the others
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

-- ---------------------------------------------------------------- targets

-- One target of an indicator against the value val at day at (the period's
-- last window day). {"target": TargetInfo, "met", "expected_now", "status"}.
-- The rule (docs/oversight.md):
-- * bound: what the target asks for (value; low or high of a range, on the
--   side the indicator moves towards; multiple x baseline).
-- * direction: down for at_most and for targets below the baseline, up
--   otherwise.
-- * expected_now: on the straight line from the baseline (end of the
--   baseline year) to the bound (end of the target year), at `at`; for
--   per_year targets the yearly bound times the share of the year elapsed
--   (yearly_rate indicators: the bound itself, a rate is not cumulative).
--   Without a baseline there is no line: expected_now is the bound.
-- * status: no_data without a value (or a multiple without a baseline); met
--   when the comparator holds; off_track when the target year is over;
--   on_track when val reached expected_now; at_risk when it made at least
--   90 % of the expected move from the baseline (from 0 without one, from 0
--   for per_year); off_track otherwise.
CREATE FUNCTION target_check(t target, rule text, base numeric, base_year int, val numeric,
                             at date) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    info jsonb := jsonb_build_object('year', t.year, 'comparator', t.comparator,
                                     'value', tn_num(t.value), 'low', tn_num(t.low),
                                     'high', tn_num(t.high), 'strive', t.strive,
                                     'wording', t.wording);
    kind text := t.comparator;
    bound numeric;
    up boolean;
    met boolean;
    e numeric;
    start numeric := coalesce(base, 0);
    share numeric;
    t0 date;
    t1 date := make_date(t.year, 12, 31);
    st text;
BEGIN
    IF kind = 'per_year' THEN
        kind := CASE WHEN t.value IS NULL THEN 'range' ELSE coalesce(t.per_year_bound, 'exactly') END;
    END IF;
    IF kind = 'range' THEN
        up := base IS NULL OR base <= t.high;
        bound := CASE WHEN up THEN t.low ELSE t.high END;
    ELSIF kind = 'multiple_of_baseline' THEN
        bound := t.value * base;
        up := t.value >= 1;
    ELSE
        bound := t.value;
        up := kind <> 'at_most' AND (base IS NULL OR kind <> 'exactly' AND kind <> 'about'
                                     OR t.value >= base);
    END IF;
    IF val IS NULL OR bound IS NULL THEN
        RETURN jsonb_build_object('target', info, 'met', false, 'expected_now', '',
                                  'status', 'no_data');
    END IF;
    met := CASE kind
               WHEN 'range' THEN val BETWEEN t.low AND t.high
                                 OR (t.comparator = 'per_year' AND val >= t.low)
               WHEN 'more_than' THEN val > bound
               WHEN 'at_most' THEN val <= bound
               WHEN 'about' THEN CASE WHEN up THEN val >= bound * 0.95 ELSE val <= bound * 1.05 END
               ELSE CASE WHEN up THEN val >= bound ELSE val <= bound END
           END;
    IF t.comparator = 'per_year' THEN
        start := 0;
        e := CASE WHEN rule = 'yearly_rate' THEN bound
                  ELSE round(bound * least(1, (at - make_date(extract(year FROM at)::int, 1, 1) + 1)::numeric
                                              / (make_date(extract(year FROM at)::int, 12, 31)
                                                 - make_date(extract(year FROM at)::int, 1, 1) + 1)), 4)
             END;
    ELSIF base IS NULL OR base_year IS NULL THEN
        e := bound;
    ELSE
        t0 := make_date(base_year, 12, 31);
        share := CASE WHEN t1 <= t0 THEN 1
                      ELSE greatest(0, least(1, (at - t0)::numeric / (t1 - t0))) END;
        e := round(base + (bound - base) * share, 4);
    END IF;
    st := CASE
              WHEN met THEN 'met'
              WHEN at > t1 AND t.comparator <> 'per_year' THEN 'off_track'
              WHEN (up AND val >= e) OR (NOT up AND val <= e) THEN 'on_track'
              WHEN (up AND val - start >= 0.9 * (e - start))
                   OR (NOT up AND start - val >= 0.9 * (start - e)) THEN 'at_risk'
              ELSE 'off_track'
          END;
    RETURN jsonb_build_object('target', info, 'met', met, 'expected_now', tn_num(e),
                              'status', st);
END $$;

-- ---------------------------------------------------------------- TargetProgress

-- TargetProgress(period, indicator key or '', totals_only) -> the
-- TargetProgressResponse as jsonb. Figures: the counted revisions (see top),
-- or, once the period is closed, its snapshot; then later revisions are shown
-- as corrections next to the frozen figures, never mixed into them.
CREATE FUNCTION target_progress(p_code text, ind_key text, totals_only boolean)
RETURNS jsonb LANGUAGE plpgsql STABLE
-- Estimates of the nested group expansions run into millions of rows and
-- switch JIT compilation on: seconds of compiling for a query of milliseconds.
SET jit = off AS $$
DECLARE
    o record;
    v bigint := (plan_version_now()).id;
    cl period_close;
    closed boolean;
    changed boolean := false;
    inds jsonb;
BEGIN
    SELECT * INTO o FROM oversight_period(p_code);
    IF o.refusal IS NOT NULL THEN
        RETURN o.refusal;
    END IF;
    IF coalesce(ind_key, '') <> ''
       AND NOT EXISTS (SELECT 1 FROM indicator WHERE plan_version_id = v AND key = ind_key) THEN
        RETURN tn_refuse('NOT_FOUND',
                         format('indicator: the plan in force has no indicator %s', ind_key));
    END IF;
    SELECT * INTO cl FROM period_close WHERE period_id = (o.p).id;
    closed := cl.period_id IS NOT NULL;
    -- Did the counted revisions change since the close (a correction, a
    -- late report, a return)? If not, the current figures are the frozen ones
    -- and are not computed a second time.
    IF closed THEN
        changed := EXISTS (SELECT 1 FROM submission s
                           WHERE s.period_id = (o.p).id AND s.current AND s.state <> 'returned'
                             AND NOT EXISTS (SELECT 1 FROM period_snapshot ps
                                             WHERE ps.period_id = s.period_id
                                               AND ps.agency_id = s.agency_id
                                               AND ps.submission_id = s.id))
                   OR EXISTS (SELECT 1 FROM period_snapshot ps
                              WHERE ps.period_id = (o.p).id
                                AND NOT EXISTS (SELECT 1 FROM submission s
                                                WHERE s.id = ps.submission_id AND s.current
                                                  AND s.state <> 'returned'));
    END IF;

    WITH ind AS MATERIALIZED (
             SELECT * FROM indicator
             WHERE plan_version_id = v AND (coalesce(ind_key, '') = '' OR key = ind_key)),
         -- figures of the counted revisions now
         -- (OFFSET 0 keeps the per-submission index lookups: a few thousand
         -- submissions of a period among millions of values)
         cur AS MATERIALIZED (
             SELECT s.agency_id, s.id AS submission_id, s.revision, s.received_at,
                    sv.key, sv.single, sv.value, sv.numerator, sv.denominator
             FROM submission s,
             LATERAL (SELECT sv.indicator_key AS key, ind.rule NOT IN ('sum', 'ratio') AS single,
                             sv.value, sv.numerator, sv.denominator
                      FROM submission_value sv JOIN ind ON ind.key = sv.indicator_key
                      WHERE sv.submission_id = s.id
                        AND (sv.value IS NOT NULL
                             OR (sv.numerator IS NOT NULL AND sv.denominator IS NOT NULL))
                      OFFSET 0) sv
             WHERE s.period_id = (o.p).id AND s.current AND s.state <> 'returned'
               AND (NOT closed OR changed)),
         -- figures of the snapshot (none while the period is open)
         frz AS MATERIALIZED (
             SELECT s.agency_id, s.submission_id, s.revision, s.received_at,
                    sv.indicator_key AS key, ind.rule NOT IN ('sum', 'ratio') AS single,
                    sv.value, sv.numerator, sv.denominator
             FROM period_snapshot s
             JOIN period_snapshot_value sv ON sv.period_id = s.period_id
                                          AND sv.agency_id = s.agency_id
             JOIN ind ON ind.key = sv.indicator_key
             WHERE closed AND s.period_id = (o.p).id
               AND (sv.value IS NOT NULL
                    OR (sv.numerator IS NOT NULL AND sv.denominator IS NOT NULL))),
         -- latest: the value received last (max of [time, value] pairs), for
         -- the one-reporter rules only
         agg_cur AS (SELECT key, sum(value) AS total, sum(numerator) AS num,
                            sum(denominator) AS den, count(*) AS n,
                            (max(ARRAY[extract(epoch FROM received_at)::numeric, value])
                                 FILTER (WHERE single AND value IS NOT NULL))[2] AS latest
                     FROM cur GROUP BY key),
         agg_frz AS (SELECT key, sum(value) AS total, sum(numerator) AS num,
                            sum(denominator) AS den, count(*) AS n,
                            (max(ARRAY[extract(epoch FROM received_at)::numeric, value])
                                 FILTER (WHERE single AND value IS NOT NULL))[2] AS latest
                     FROM frz GROUP BY key),
         members AS MATERIALIZED (SELECT * FROM ref_members(v, (o.p).window_end)),
         -- each indicator's reporter refs; many indicators share one set
         -- ("@communes"), so the expected reporters are counted once per set
         irefs AS MATERIALIZED (
             SELECT r.indicator_id, array_agg(coalesce(r.group_code, 'id:' || r.agency_id)
                                              ORDER BY coalesce(r.group_code, 'id:' || r.agency_id))
                                        AS refs
             FROM indicator_reporter r JOIN ind ON ind.id = r.indicator_id
             GROUP BY r.indicator_id),
         set_n AS (SELECT s.refs, count(DISTINCT m.agency_id) AS n
                   FROM (SELECT DISTINCT refs FROM irefs) s JOIN members m ON m.ref = ANY (s.refs)
                   GROUP BY s.refs),
         vals AS (SELECT ind.*, tn_province_value(ind.rule, a.total, a.num, a.den, a.latest) AS val,
                         a.num AS sum_num, a.den AS sum_den, coalesce(a.n, 0) AS n_rep,
                         CASE WHEN closed AND changed
                              THEN tn_province_value(ind.rule, c.total, c.num, c.den, c.latest)
                         END AS cur_val,
                         coalesce(sn.n, 0) AS n_exp, ir.refs
                  FROM ind LEFT JOIN (SELECT * FROM agg_frz WHERE closed
                                      UNION ALL SELECT * FROM agg_cur WHERE NOT closed) a
                    ON a.key = ind.key
                  LEFT JOIN agg_cur c ON c.key = ind.key
                  LEFT JOIN irefs ir ON ir.indicator_id = ind.id
                  LEFT JOIN set_n sn ON sn.refs = ir.refs),
         checks AS (SELECT vals.id, t.year,
                           target_check(t, vals.rule, vals.baseline, vals.baseline_year, vals.val,
                                        (o.p).window_end) AS chk,
                           t.qualifier
                    FROM vals JOIN target t ON t.indicator_id = vals.id)
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'indicator', jsonb_build_object(
                   'key', vals.key, 'name', vals.name, 'unit', vals.unit, 'rule', vals.rule,
                   'baseline_year', coalesce(vals.baseline_year, 0),
                   'baseline', tn_num(vals.baseline), 'task', coalesce(vals.task_code, ''),
                   'reporters', coalesce((SELECT jsonb_agg(coalesce(a.code, r.group_code)
                                                           ORDER BY coalesce(a.code, r.group_code))
                                          FROM indicator_reporter r
                                          LEFT JOIN agency a ON a.id = r.agency_id
                                          WHERE r.indicator_id = vals.id), '[]')),
               'value', tn_num(vals.val),
               'numerator', CASE WHEN vals.rule = 'ratio' THEN tn_num(vals.sum_num) ELSE '' END,
               'denominator', CASE WHEN vals.rule = 'ratio' THEN tn_num(vals.sum_den) ELSE '' END,
               'multiple', CASE WHEN vals.rule = 'baseline_multiple' AND vals.baseline <> 0
                                THEN tn_num(round(vals.val / vals.baseline, 4)) ELSE '' END,
               'frozen', closed,
               'current_value', CASE WHEN closed AND changed
                                          AND vals.cur_val IS DISTINCT FROM vals.val
                                     THEN tn_num(vals.cur_val) ELSE '' END,
               'expected', vals.n_exp,
               'reported', vals.n_rep,
               'targets', coalesce((SELECT jsonb_agg(c.chk ORDER BY c.year, c.qualifier)
                                    FROM checks c WHERE c.id = vals.id), '[]'),
               -- the nearest target from the period's year on, else the last one
               'status', coalesce((SELECT c.chk ->> 'status' FROM checks c WHERE c.id = vals.id
                                   ORDER BY c.year < (o.p).year, abs(c.year - (o.p).year),
                                            c.qualifier LIMIT 1), 'no_data'),
               'breakdown', CASE WHEN totals_only THEN '[]'::jsonb ELSE coalesce((
                   SELECT jsonb_agg(jsonb_build_object(
                              'agency', jsonb_build_object('code', g.code, 'name', g.name),
                              'value', CASE WHEN vals.rule = 'ratio'
                                            THEN tn_num(tn_pct(x.c_num, x.c_den))
                                            ELSE tn_num(x.c_value) END,
                              'numerator', tn_num(x.c_num), 'denominator', tn_num(x.c_den),
                              'submission_id', coalesce(x.c_sid, x.f_sid),
                              'revision', coalesce(x.c_rev, x.f_rev),
                              'corrected', x.corrected,
                              'frozen_value', CASE WHEN NOT x.corrected THEN ''
                                                   WHEN vals.rule = 'ratio'
                                                   THEN tn_num(tn_pct(x.f_num, x.f_den))
                                                   ELSE tn_num(x.f_value) END,
                              'frozen_numerator', CASE WHEN x.corrected THEN tn_num(x.f_num)
                                                       ELSE '' END,
                              'frozen_denominator', CASE WHEN x.corrected THEN tn_num(x.f_den)
                                                         ELSE '' END)
                              ORDER BY g.name COLLATE "vi-VN-x-icu", g.code)
                   FROM (SELECT coalesce(c.agency_id, f.agency_id) AS agency_id,
                                c.value AS c_value, c.numerator AS c_num, c.denominator AS c_den,
                                c.submission_id AS c_sid, c.revision AS c_rev,
                                f.value AS f_value, f.numerator AS f_num,
                                f.denominator AS f_den, f.submission_id AS f_sid,
                                f.revision AS f_rev,
                                closed AND c.submission_id IS DISTINCT FROM f.submission_id
                                    AS corrected
                         FROM (SELECT * FROM cur WHERE cur.key = vals.key
                               UNION ALL
                               SELECT * FROM frz WHERE closed AND NOT changed
                                                   AND frz.key = vals.key) c
                         FULL JOIN (SELECT * FROM frz WHERE frz.key = vals.key) f
                           ON f.agency_id = c.agency_id) x
                   JOIN agency g ON g.id = x.agency_id), '[]') END,
               'missing', CASE WHEN totals_only THEN '[]'::jsonb ELSE coalesce((
                   SELECT jsonb_agg(jsonb_build_object('code', g.code, 'name', g.name)
                                    ORDER BY g.name COLLATE "vi-VN-x-icu", g.code)
                   FROM (SELECT DISTINCT m.agency_id FROM members m WHERE m.ref = ANY (vals.refs)) e
                   JOIN agency g ON g.id = e.agency_id
                   WHERE NOT EXISTS (SELECT 1 FROM cur k
                                     WHERE NOT closed AND k.key = vals.key
                                       AND k.agency_id = e.agency_id)
                     AND NOT EXISTS (SELECT 1 FROM frz k
                                     WHERE closed AND k.key = vals.key
                                       AND k.agency_id = e.agency_id)),
                   '[]') END)
               ORDER BY vals.ord), '[]')
    INTO inds FROM vals;

    RETURN jsonb_build_object('period', period_info_json(o.p), 'closed', closed,
                              'closed_at_ms', coalesce(tn_ms(cl.closed_at), 0),
                              'indicators', inds);
END $$;

-- ---------------------------------------------------------------- PeriodClose

-- PeriodClose by agency a (the standing agency or an operator; the server
-- checks). Refused before the end of the period's deadline day (server clock)
-- and when the period is already closed (by another request). Snapshots the
-- counted revision of every agency with its figures. Receipt: {"replay",
-- "closed_at_ms", "submissions"}.
CREATE FUNCTION period_close(a bigint, u uuid, sha text, p_code text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    seen jsonb;
    o record;
    cl period_close;
    n int;
    receipt jsonb;
BEGIN
    PERFORM agency_lock(a);
    seen := request_seen(a, u, 'PeriodClose', sha);
    IF seen IS NOT NULL THEN
        RETURN seen;
    END IF;
    SELECT * INTO o FROM oversight_period(p_code);
    IF o.refusal IS NOT NULL THEN
        RETURN o.refusal;
    END IF;
    -- One close per period, whoever sends it: serialise on the period.
    PERFORM pg_advisory_xact_lock(hashtext('period_close'), (o.p).id::int);
    SELECT * INTO cl FROM period_close WHERE period_id = (o.p).id;
    IF cl.period_id IS NOT NULL THEN
        RETURN tn_refuse('FAILED_PRECONDITION',
                         format('period_code: period %s was already closed on %s', p_code,
                                to_char(cl.closed_at AT TIME ZONE 'Asia/Ho_Chi_Minh',
                                        'YYYY-MM-DD HH24:MI')));
    END IF;
    IF tamnong_now() < (o.p).deadline_at THEN
        RETURN tn_refuse('FAILED_PRECONDITION',
                         format('period_code: the deadline of %s (%s) has not passed yet; a '
                                'period is closed after its deadline', p_code, (o.p).deadline));
    END IF;
    INSERT INTO period_close (period_id, closed_at, closed_by, submissions)
    VALUES ((o.p).id, tamnong_now(), a, 0);
    INSERT INTO period_snapshot (period_id, agency_id, submission_id, revision, state,
                                 received_at, on_time)
    SELECT s.period_id, s.agency_id, s.id, s.revision, s.state, s.received_at, s.on_time
    FROM submission s
    WHERE s.period_id = (o.p).id AND s.current AND s.state <> 'returned';
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO period_snapshot_value (period_id, agency_id, indicator_key, value, numerator,
                                       denominator)
    SELECT s.period_id, s.agency_id, v.indicator_key, v.value, v.numerator, v.denominator
    FROM period_snapshot s JOIN submission_value v ON v.submission_id = s.submission_id
    WHERE s.period_id = (o.p).id;
    UPDATE period_close SET submissions = n WHERE period_id = (o.p).id;
    receipt := jsonb_build_object('replay', false, 'closed_at_ms', tn_ms(tamnong_now()),
                                  'submissions', n);
    PERFORM request_log_insert(a, u, 'PeriodClose', sha, receipt);
    RETURN receipt;
END $$;

-- ---------------------------------------------------------------- ReportFeedback

-- The words of each counted report of the period (the snapshot's revision
-- once the period is closed, as for the figures), by agency kind and name.
CREATE FUNCTION report_feedback(p_code text) RETURNS jsonb
LANGUAGE plpgsql STABLE SET jit = off AS $$
DECLARE
    o record;
    closed boolean;
BEGIN
    SELECT * INTO o FROM oversight_period(p_code);
    IF o.refusal IS NOT NULL THEN
        RETURN o.refusal;
    END IF;
    closed := EXISTS (SELECT 1 FROM period_close WHERE period_id = (o.p).id);
    RETURN jsonb_build_object(
        'period', period_info_json(o.p),
        'feedback', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'agency', jsonb_build_object('code', g.code, 'name', g.name),
                       'submission_id', s.id, 'revision', s.revision, 'state', s.state,
                       'results', coalesce(s.content ->> 'results', ''),
                       'difficulties', coalesce(s.content ->> 'difficulties', ''),
                       'recommendations', coalesce(s.content ->> 'recommendations', ''),
                       'proposals', coalesce(s.content ->> 'proposals', ''),
                       'signer', '')
                       ORDER BY g.kind, g.name COLLATE "vi-VN-x-icu", g.code)
            FROM submission s JOIN agency g ON g.id = s.agency_id
            WHERE s.period_id = (o.p).id
              AND CASE WHEN closed
                       THEN s.id IN (SELECT submission_id FROM period_snapshot
                                     WHERE period_id = (o.p).id)
                       ELSE s.current AND s.state <> 'returned' END), '[]'));
END $$;

-- ---------------------------------------------------------------- TaskBoard

-- TaskBoard(period, section, agency code, status, summary) -> the
-- TaskBoardResponse as jsonb. Assignments are resolved on the period's
-- deadline day (groups expanded, successors followed); statuses are the
-- agencies' current ones (task_status keeps no history); deadline states are
-- judged on today's date by the server clock. Row status: the least advanced
-- lead (not_reported < not_started < postponed < in_progress < completed);
-- progress: the lowest among the leads that reported.
CREATE FUNCTION task_board(p_code text, section text, agency_code text, status_f text,
                           summary boolean)
RETURNS jsonb LANGUAGE plpgsql STABLE
-- Estimates of the nested group expansions run into millions of rows and
-- switch JIT compilation on: seconds of compiling for a query of milliseconds.
-- The (task, agency) pairs are estimated at a few thousand but are ~100,000
-- at national scale: sorting them for merge joins and grouping took ten times
-- the hash joins and hash aggregates they get instead.
SET jit = off SET enable_mergejoin = off SET enable_sort = off AS $$
DECLARE
    o record;
    v bigint := (plan_version_now()).id;
    d date;
    today date := province_today();
    me bigint;
    rows jsonb;
BEGIN
    SELECT * INTO o FROM oversight_period(p_code);
    IF o.refusal IS NOT NULL THEN
        RETURN o.refusal;
    END IF;
    d := (o.p).deadline;
    IF coalesce(agency_code, '') <> '' THEN
        SELECT id INTO me FROM agency WHERE code = agency_code;
        IF me IS NULL THEN
            RETURN tn_refuse('NOT_FOUND', format('agency_code: there is no agency %s', agency_code));
        END IF;
    END IF;

    WITH members AS MATERIALIZED (SELECT * FROM ref_members(v, d)),
         t AS MATERIALIZED (
             SELECT t.*, coalesce(ps.ord, 0) AS sec_ord
             FROM task t LEFT JOIN plan_section ps ON ps.plan_version_id = t.plan_version_id
                                                  AND ps.code = t.section_code
             WHERE t.plan_version_id = v
               AND (coalesce(section, '') = '' OR t.section_code = section
                    OR t.section_code LIKE section || '.%')),
         -- (task, agency, role, order): a lead is not listed again as coordinating
         -- (task, agency) pairs, narrow: ~100,000 at national scale when a
         -- group of communes leads. 'lead' > 'coordinating': max(role) keeps
         -- the lead role of an agency named twice.
         pairs AS MATERIALIZED (
             SELECT ta.task_id, m.agency_id, max(ta.role) AS role, min(ta.ord) AS ord
             FROM task_assignee ta JOIN t ON t.id = ta.task_id
             JOIN members m ON m.ref = coalesce(ta.group_code, 'id:' || ta.agency_id)
             GROUP BY ta.task_id, m.agency_id),
         -- the statuses of these tasks, narrow, hashed once
         ts AS MATERIALIZED (
             SELECT t.id AS task_id, s.agency_id, s.progress,
                    array_position(ARRAY['not_started', 'postponed', 'in_progress', 'completed'],
                                   s.status) AS rank
             FROM task_status s JOIN t ON t.code = s.task_code),
         agg AS (
             SELECT p.task_id,
                    coalesce(min(coalesce(s.rank, 0)) FILTER (WHERE p.role = 'lead'), 0) AS min_rank,
                    coalesce(min(s.progress) FILTER (WHERE p.role = 'lead'), 0) AS progress,
                    count(*) FILTER (WHERE p.role = 'lead') AS leads,
                    count(s.rank) FILTER (WHERE p.role = 'lead') AS leads_rep,
                    count(*) FILTER (WHERE p.role = 'coordinating') AS coords,
                    count(s.rank) FILTER (WHERE p.role = 'coordinating') AS coords_rep,
                    coalesce(bool_or(p.agency_id = me), false) AS mine,
                    coalesce(bool_or(p.agency_id = me AND p.role = 'lead'), false) AS my_lead
             FROM pairs p LEFT JOIN ts s ON s.task_id = p.task_id AND s.agency_id = p.agency_id
             GROUP BY p.task_id),
         -- the lists, only for full rows
         lists AS (
             SELECT p.task_id,
                    jsonb_agg(jsonb_build_object('code', g.code, 'name', g.name)
                              ORDER BY p.ord, g.code) FILTER (WHERE p.role = 'lead') AS lead_list,
                    jsonb_agg(jsonb_build_object('code', g.code, 'name', g.name)
                              ORDER BY p.ord, g.code)
                        FILTER (WHERE p.role = 'coordinating') AS coord_list,
                    jsonb_agg(jsonb_build_object(
                                  'agency', jsonb_build_object('code', g.code, 'name', g.name),
                                  'role', p.role,
                                  'status', CASE WHEN s.agency_id IS NULL
                                                 THEN jsonb_build_object('task_code', t.code,
                                                                         'version', 0)
                                                 ELSE jsonb_build_object(
                                                          'task_code', t.code,
                                                          'status', s.status,
                                                          'progress', s.progress,
                                                          'note', s.note,
                                                          'evidence', s.evidence,
                                                          'version', s.version,
                                                          'updated_at_ms', tn_ms(s.updated_at),
                                                          'updated_by', g.code) END)
                              ORDER BY p.role DESC, p.ord, g.code) AS contributions
             FROM pairs p JOIN t ON t.id = p.task_id
             JOIN agency g ON g.id = p.agency_id
             LEFT JOIN task_status s ON s.agency_id = p.agency_id AND s.task_code = t.code
             WHERE NOT summary
               -- only the tasks the agency filter keeps
               AND (me IS NULL OR p.task_id IN (SELECT task_id FROM pairs WHERE agency_id = me))
             GROUP BY p.task_id),
         per_task AS (
             SELECT t.*, a.*, l.lead_list, l.coord_list, l.contributions,
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
             LEFT JOIN lists l ON l.task_id = t.id,
             LATERAL (SELECT CASE t.deadline_kind
                                 WHEN 'date' THEN CASE WHEN t.deadline_value ~ '^\d{4}-\d{2}-\d{2}$'
                                                       THEN t.deadline_value::date END
                                 WHEN 'by_year' THEN CASE WHEN t.deadline_value ~ '^\d{4}$'
                                                          THEN make_date(t.deadline_value::int, 12, 31)
                                                     END
                             END AS due) due)
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'task', jsonb_build_object(
                   'code', pt.code, 'section', pt.section_code, 'title', pt.title,
                   'text', pt.full_text, 'deadline_kind', pt.deadline_kind,
                   'deadline_value', pt.deadline_value, 'expected_output', pt.expected_output,
                   'role', CASE WHEN me IS NULL THEN '' WHEN pt.my_lead THEN 'lead'
                                ELSE 'coordinating' END,
                   'lead', coalesce(pt.lead_list, '[]'),
                   'coordinating', coalesce(pt.coord_list, '[]')),
               'status', pt.row_status, 'progress', coalesce(pt.progress, 0),
               'contributions', coalesce(pt.contributions, '[]'),
               'deadline_state', pt.dl_state,
               'due_date', coalesce(pt.due::text, ''),
               'leads', coalesce(pt.leads, 0), 'leads_reported', coalesce(pt.leads_rep, 0),
               'coordinators', coalesce(pt.coords, 0),
               'coordinators_reported', coalesce(pt.coords_rep, 0))
               ORDER BY pt.dl_state <> 'overdue', pt.sec_ord, pt.ord), '[]')
    INTO rows
    FROM per_task pt
    WHERE (me IS NULL OR pt.mine)
      AND (coalesce(status_f, '') = '' OR pt.row_status = status_f);

    RETURN jsonb_build_object('period', period_info_json(o.p), 'as_of', d::text, 'rows', rows);
END $$;
