-- 004_deadlines: deadlines, timeliness and extensions (issue 5).
--
-- The rule (docs/protocol.md, "On time"): a report is on time iff the
-- server's receive time (tamnong_now(), the test clock included) of the
-- revision that counts is before the effective deadline of its agency for
-- the period. The revision that counts is the latest accepted one if any
-- revision was accepted, otherwise the current one. Client timestamps never
-- count.
--
-- The effective deadline of (agency, period) is the later of the period's
-- deadline_at and the latest deadline any extension grants to that agency or
-- to every reporter (deadline_of). Extensions only ever give more time: the
-- table is an append-only audit record, and a "shorter" extension is refused
-- rather than recorded, so a report judged on time never becomes late.
--
-- submission.on_time (003) keeps what the Submit receipt said when the report
-- arrived; it is not what is shown. Everything that shows timeliness (Pull's
-- SubmissionState, Submissions, SubmissionGet, PeriodStatus) computes it
-- through deadline_of at the time it is asked, so an extension granted later
-- makes an already-received late report on time for that agency only.
-- DeadlineExtend moves such submissions' change_seq so that the agency's next
-- Pull sends them again with the new on_time.
--
-- Functions of 003 that change are replaced here (CREATE OR REPLACE), never
-- edited in 003.

-- The business clock (002) may also stand still, for tests only: tamnongd's
-- test_clock_frozen option gives each pooled connection
-- -c tamnong.clock_frozen_at_ms=N, and then every business time is that
-- instant (a report received at exactly 23:59:59 on the deadline day).
CREATE OR REPLACE FUNCTION tamnong_now() RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT coalesce(to_timestamp(nullif(current_setting('tamnong.clock_frozen_at_ms', true),
                                        '')::bigint / 1000.0),
                    now() + tamnong_clock_offset())
$$;

-- The business clock read now (not at the start of the transaction): Ping.
CREATE FUNCTION tamnong_clock_timestamp() RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
    SELECT coalesce(to_timestamp(nullif(current_setting('tamnong.clock_frozen_at_ms', true),
                                        '')::bigint / 1000.0),
                    clock_timestamp() + tamnong_clock_offset())
$$;

-- Who granted (agency id; a person may be added with logins, issue 7), when,
-- under which request id (exactly-once through request_log).
CREATE TABLE deadline_extension (
    id           bigserial PRIMARY KEY,
    period_id    bigint NOT NULL REFERENCES period (id),
    agency_id    bigint REFERENCES agency (id),    -- NULL = every expected reporter
    until        date NOT NULL,                    -- last day to send, local date
    deadline_at  timestamptz NOT NULL,             -- end of that day in the regime's zone
    reason       text NOT NULL CHECK (btrim(reason) <> ''),
    granted_by   bigint NOT NULL REFERENCES agency (id),
    granted_at   timestamptz NOT NULL DEFAULT tamnong_now(),
    request_uuid uuid NOT NULL
);
-- deadline_of looks up (period, agency) and (period, NULL); both use this.
CREATE INDEX deadline_extension_period ON deadline_extension (period_id, agency_id, deadline_at);

-- PeriodStatus reads the current revision of every expected reporter of one
-- period (3,500 units nationally): by period first.
CREATE INDEX submission_period_current ON submission (period_id, agency_id) WHERE current;

COMMENT ON COLUMN submission.on_time IS
    'on time as judged when received, against the deadline then in force (what the Submit '
    'receipt said); what is shown is computed by deadline_of, which follows later extensions';

-- The day on which a period's duties are resolved (who is expected to
-- report, what they report): the last day of its data window. Submit and
-- PeriodStatus both use it, so whoever may submit is expected, and the
-- reverse.
CREATE FUNCTION period_duty_day(p period) RETURNS date LANGUAGE sql IMMUTABLE AS $$
    SELECT p.window_end
$$;

-- Serialise DeadlineExtend (exclusive) against Submit (shared) for one
-- period: a report arriving while an extension is granted is judged against
-- the deadline either before or after it, never in between.
CREATE FUNCTION period_lock(pid bigint, exclusive boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF exclusive THEN
        PERFORM pg_advisory_xact_lock(1952542064, pid::int);  -- 'tamp' as int4
    ELSE
        PERFORM pg_advisory_xact_lock_shared(1952542064, pid::int);
    END IF;
END $$;

-- The effective deadline of agency a for period pid (one row; none when the
-- period does not exist): deadline_at is the one that counts; extended_at
-- and reason are those of the extension that sets it, NULL when the
-- period's own deadline counts. A plain SQL set-returning function, so the
-- planner inlines it into the queries that use it per row.
CREATE FUNCTION deadline_of(a bigint, pid bigint)
RETURNS TABLE (deadline_at timestamptz, extended_at timestamptz, reason text, extension_id bigint)
LANGUAGE sql STABLE ROWS 1 AS $$
    SELECT greatest(p.deadline_at, x.deadline_at),
           CASE WHEN x.deadline_at > p.deadline_at THEN x.deadline_at END,
           CASE WHEN x.deadline_at > p.deadline_at THEN x.reason END,
           CASE WHEN x.deadline_at > p.deadline_at THEN x.id END
    FROM period p
    LEFT JOIN LATERAL (SELECT e.deadline_at, e.reason, e.id
                       FROM deadline_extension e
                       WHERE e.period_id = p.id AND (e.agency_id = a OR e.agency_id IS NULL)
                       ORDER BY e.deadline_at DESC, e.id DESC
                       LIMIT 1) x ON true
    WHERE p.id = pid
$$;

-- On time: received before the effective deadline of its agency (see the
-- top of this file). For one submission row; PeriodStatus applies the same
-- comparison to the revision that counts.
CREATE FUNCTION submission_on_time(s submission) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT s.received_at < (SELECT d.deadline_at FROM deadline_of(s.agency_id, s.period_id) d)
$$;

-- A period as PeriodInfo, with agency a's extension (0 / "" when none).
CREATE FUNCTION period_info_json(p period, a bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('code', p.code, 'regime', p.regime, 'regime_name', r.name,
                              'year', p.year, 'window_start', p.window_start,
                              'window_end', p.window_end, 'deadline', p.deadline,
                              'deadline_at_ms', tn_ms(p.deadline_at), 'time_zone', r.time_zone,
                              'extended_deadline_at_ms', coalesce(tn_ms(d.extended_at), 0),
                              'extension_reason', coalesce(d.reason, ''))
    FROM period_regime r, deadline_of(a, p.id) d
    WHERE r.code = p.regime
$$;

-- on_time as the rule says, not as stored at receipt.
CREATE OR REPLACE FUNCTION submission_state_json(s submission) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('submission_id', s.id,
                              'period_code', (SELECT code FROM period WHERE id = s.period_id),
                              'revision', s.revision, 'state', s.state,
                              'received_at_ms', tn_ms(s.received_at),
                              'on_time', submission_on_time(s),
                              'reason', coalesce(s.reason, ''),
                              'reviewed_at_ms', coalesce(tn_ms(s.reviewed_at), 0),
                              'current', s.current,
                              'agency', (SELECT jsonb_build_object('code', code, 'name', name)
                                         FROM agency WHERE id = s.agency_id))
$$;

-- Every agency that has a duty on day d under the current plan: leads or
-- coordinates a task, or reports an indicator. The inverse of
-- agency_refs_at (003) over all agencies at once: each distinct assignee ref
-- of the plan (a few dozen) is resolved once. An agency valid on d stands
-- for itself; an ended one for its successors valid on d; a group for its
-- members on d (which follow successors of ended members).
CREATE FUNCTION period_reporters(d date) RETURNS SETOF bigint
LANGUAGE sql STABLE ROWS 200 AS $$
    WITH v AS MATERIALIZED (SELECT (plan_version_now()).id),
         refs AS MATERIALIZED (
             SELECT ta.agency_id, ta.group_code
             FROM task_assignee ta JOIN task t ON t.id = ta.task_id
             WHERE t.plan_version_id = (SELECT id FROM v)
             UNION
             SELECT r.agency_id, r.group_code
             FROM indicator_reporter r JOIN indicator i ON i.id = r.indicator_id
             WHERE i.plan_version_id = (SELECT id FROM v))
    SELECT x.id FROM refs JOIN agency x ON x.id = refs.agency_id
    WHERE d BETWEEN x.valid_from AND x.valid_to
    UNION
    SELECT agency_resolve(x.id, d) FROM refs JOIN agency x ON x.id = refs.agency_id
    WHERE NOT d BETWEEN x.valid_from AND x.valid_to
    UNION
    SELECT group_members(refs.group_code, d) FROM refs WHERE refs.group_code IS NOT NULL
$$;

-- ---------------------------------------------------------------- Pull

-- As in 003; periods carry a's extension (period_info_json).
CREATE OR REPLACE FUNCTION report_pull(a bigint, client_version int, since bigint, as_of text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    v plan_version := plan_version_now();
    today date := province_today();
    me text := (SELECT code FROM agency WHERE id = a);
    changed boolean;
    out jsonb;
BEGIN
    changed := coalesce(v.version, 0) <> client_version
               OR (coalesce(as_of, '') <> '' AND as_of <> today::text);
    out := jsonb_build_object('plan_version', coalesce(v.version, 0), 'plan_changed', changed,
                              'as_of', today::text);
    IF changed AND v.id IS NOT NULL THEN
        out := out || jsonb_build_object(
            'assignments',
            coalesce((SELECT jsonb_agg(jsonb_build_object(
                                'code', t.code, 'section', t.section_code, 'title', t.title,
                                'text', t.full_text, 'lead', t.lead,
                                'coordinating', t.coordinating,
                                'deadline_kind', t.deadline_kind,
                                'deadline_value', t.deadline_value,
                                'expected_output', t.expected_output, 'role', t.role,
                                'status', CASE WHEN s.agency_id IS NULL
                                               THEN jsonb_build_object('task_code', t.code,
                                                                       'version', 0)
                                               ELSE task_status_json(s) END)
                                ORDER BY t.ordinality)
                      FROM plan_tasks(me, '', today) WITH ORDINALITY AS t
                      LEFT JOIN task_status s ON s.agency_id = a AND s.task_code = t.code),
                     '[]'),
            'indicators',
            coalesce((SELECT jsonb_agg(jsonb_build_object(
                                'key', i.key, 'name', i.name, 'unit', i.unit, 'rule', i.rule,
                                'required', true,
                                'numerator_label', coalesce(i.numerator_label, ''),
                                'denominator_label', coalesce(i.denominator_label, ''))
                                ORDER BY i.ord)
                      FROM agency_indicators(a, today) i), '[]'));
    END IF;
    RETURN out || jsonb_build_object(
        'periods',
        coalesce((SELECT jsonb_agg(period_info_json(p, a) ORDER BY p.deadline, p.regime)
                  FROM period p), '[]'),
        'task_statuses',
        coalesce((SELECT jsonb_agg(task_status_json(s) ORDER BY s.change_seq)
                  FROM task_status s WHERE s.agency_id = a AND s.change_seq > since), '[]'),
        'submissions',
        coalesce((SELECT jsonb_agg(submission_state_json(s) ORDER BY s.change_seq)
                  FROM submission s WHERE s.agency_id = a AND s.change_seq > since), '[]'),
        'cursor',
        greatest(since,
                 coalesce((SELECT max(change_seq) FROM task_status WHERE agency_id = a), 0),
                 coalesce((SELECT max(change_seq) FROM submission WHERE agency_id = a), 0)));
END $$;

-- ---------------------------------------------------------------- Submit

-- As in 003, with three changes: the period is looked up first and locked
-- (shared) against DeadlineExtend; duties are resolved on period_duty_day;
-- on_time and the receipt's deadline_at_ms are those of a's effective
-- deadline (deadline_of).
CREATE OR REPLACE FUNCTION submit_report(a bigint, u uuid, sha text, doc jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    seen jsonb;
    p period;
    d date;
    dl timestamptz;
    inds indicator[];
    tasks text[];
    problems text[] := '{}';
    msg text;
    x jsonb;
    n int;
    ind indicator;
    prev submission;
    sid bigint;
    rev int;
    receipt jsonb;
BEGIN
    SELECT * INTO p FROM period WHERE code = doc ->> 'period_code';
    IF p.id IS NOT NULL THEN
        PERFORM period_lock(p.id, false);
    END IF;
    PERFORM agency_lock(a);
    seen := request_seen(a, u, 'Submit', sha);
    IF seen IS NOT NULL THEN
        RETURN seen;
    END IF;
    IF p.id IS NULL THEN
        RETURN tn_refuse('NOT_FOUND',
                         format('period_code: there is no period %s', doc ->> 'period_code'));
    END IF;
    IF plan_version_now() IS NULL THEN
        RETURN tn_refuse('FAILED_PRECONDITION', 'no plan has been imported yet');
    END IF;
    d := period_duty_day(p);
    SELECT * INTO tasks, inds FROM agency_duties(a, d);
    IF cardinality(inds) = 0 AND cardinality(tasks) = 0 THEN
        RETURN tn_refuse('FAILED_PRECONDITION',
                         format('period_code: your agency has no tasks or indicators in period %s',
                                p.code));
    END IF;

    FOR x, n IN SELECT v, o - 1 FROM jsonb_array_elements(coalesce(doc -> 'values', '[]'))
                                     WITH ORDINALITY AS e (v, o) LOOP
        SELECT * INTO ind FROM unnest(inds) i WHERE i.key = x ->> 'key';
        IF ind.id IS NULL THEN
            problems := problems || format('values[%s].key: %s is not an indicator you report',
                                           n, x ->> 'key');
        ELSIF coalesce(x ->> 'value', '') = '' AND coalesce(x ->> 'numerator', '') = ''
              AND coalesce(x ->> 'denominator', '') = '' THEN
            NULL;  -- explicit "no data"; the note says why
        ELSIF ind.rule = 'ratio' THEN
            IF coalesce(x ->> 'numerator', '') = '' OR coalesce(x ->> 'denominator', '') = '' THEN
                problems := problems || format('values[%s]: %s is a share; give the numerator '
                                               'and the denominator', n, ind.key);
            END IF;
        ELSE
            IF coalesce(x ->> 'value', '') = '' THEN
                problems := problems || format('values[%s].value: required for %s (%s)',
                                               n, ind.key, ind.unit);
            END IF;
            IF coalesce(x ->> 'numerator', '') <> '' OR coalesce(x ->> 'denominator', '') <> '' THEN
                problems := problems || format('values[%s]: %s is not a share; give only the '
                                               'value', n, ind.key);
            END IF;
        END IF;
    END LOOP;
    problems := problems || ARRAY(
        SELECT format('values: indicator %s is required', i.key)
        FROM unnest(inds) i
        WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(doc -> 'values', '[]')) v
                          WHERE v ->> 'key' = i.key)
        ORDER BY i.ord);
    problems := problems || ARRAY(
        SELECT format('tasks[%s].task_code: %s is not one of your tasks', o - 1, t ->> 'task_code')
        FROM jsonb_array_elements(coalesce(doc -> 'tasks', '[]')) WITH ORDINALITY AS e (t, o)
        WHERE NOT (t ->> 'task_code') = ANY (tasks)
        ORDER BY o);
    IF cardinality(problems) > 0 THEN
        RETURN tn_refuse('INVALID_ARGUMENT',
                         problems[1] || CASE WHEN cardinality(problems) > 1
                                             THEN format(' (and %s more)', cardinality(problems) - 1)
                                             ELSE '' END);
    END IF;
    SELECT format('attachments[%s]: upload the file first', o - 1) INTO msg
    FROM jsonb_array_elements(coalesce(doc -> 'attachments', '[]')) WITH ORDINALITY AS e (f, o)
    WHERE NOT EXISTS (SELECT 1 FROM attachment_owner w JOIN attachment t ON t.sha256 = w.sha256
                      WHERE w.agency_id = a AND w.sha256 = f ->> 'sha256'
                        AND t.size = (f ->> 'size')::bigint)
    ORDER BY o LIMIT 1;
    IF msg IS NOT NULL THEN
        RETURN tn_refuse('FAILED_PRECONDITION', msg);
    END IF;

    -- The previous current revision steps back.
    UPDATE submission
       SET current = false,
           state = CASE WHEN state = 'submitted' THEN 'superseded' ELSE state END,
           change_seq = nextval('change_seq')
     WHERE agency_id = a AND period_id = p.id AND current
    RETURNING * INTO prev;
    rev := coalesce((SELECT max(revision) FROM submission
                     WHERE agency_id = a AND period_id = p.id), 0) + 1;
    SELECT f.deadline_at INTO dl FROM deadline_of(a, p.id) f;
    INSERT INTO submission (agency_id, period_id, revision, on_time, content, request_uuid,
                            change_seq)
    VALUES (a, p.id, rev, tamnong_now() < dl, doc, u, nextval('change_seq'))
    RETURNING id INTO sid;
    INSERT INTO submission_value (submission_id, indicator_key, value, numerator, denominator,
                                  note)
    SELECT sid, v ->> 'key', nullif(v ->> 'value', '')::numeric,
           nullif(v ->> 'numerator', '')::numeric, nullif(v ->> 'denominator', '')::numeric,
           coalesce(v ->> 'note', '')
    FROM jsonb_array_elements(coalesce(doc -> 'values', '[]')) v;
    INSERT INTO submission_attachment (submission_id, sha256, name, content_type, size, ord)
    SELECT sid, f ->> 'sha256', f ->> 'name', coalesce(f ->> 'content_type', ''),
           (f ->> 'size')::bigint, o
    FROM jsonb_array_elements(coalesce(doc -> 'attachments', '[]')) WITH ORDINALITY AS e (f, o);
    receipt := jsonb_build_object('replay', false, 'submission_id', sid, 'revision', rev,
                                  'received_at_ms', tn_ms(tamnong_now()),
                                  'on_time', tamnong_now() < dl,
                                  'deadline_at_ms', tn_ms(dl));
    PERFORM request_log_insert(a, u, 'Submit', sha, receipt);
    RETURN receipt;
END $$;

-- ---------------------------------------------------------------- PeriodStatus

-- PeriodStatus for the standing agency or an operator (the server checks
-- that; a is the caller, whose extension the period row shows). Expected
-- reporters: period_reporters on period_duty_day, of kind kind_f ('' = all).
-- For each: status of the current revision (missing when none), on_time of
-- the revision that counts, the effective deadline and the extension's
-- reason. Reporters are listed missing first, then late, then returned,
-- then submitted, then accepted; within that by kind and Vietnamese name.
-- totals: the all-kinds row (kind "") first, then one row per kind present.
CREATE FUNCTION period_status(a bigint, pcode text, kind_f text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p period;
    kinds text[] := ARRAY['department', 'district', 'commune', 'socio_political', 'province',
                          'other'];
    out jsonb;
BEGIN
    SELECT * INTO p FROM period WHERE code = pcode;
    IF p.id IS NULL THEN
        RETURN tn_refuse('NOT_FOUND', format('period_code: there is no period %s', pcode));
    END IF;
    WITH acc AS MATERIALIZED (  -- the latest accepted revision of each agency
             SELECT DISTINCT ON (s.agency_id) s.agency_id, s.received_at
             FROM submission s WHERE s.period_id = p.id AND s.state = 'accepted'
             ORDER BY s.agency_id, s.revision DESC),
         x AS MATERIALIZED (
             SELECT g.id, g.code, g.name, g.kind,
                    c.id AS sid, c.revision, c.state, c.received_at, c.reason,
                    coalesce(k.received_at, c.received_at) AS counted_at,
                    dl.deadline_at, dl.reason AS ext_reason
             FROM (SELECT DISTINCT r FROM period_reporters(period_duty_day(p)) r) e
             JOIN agency g ON g.id = e.r
             LEFT JOIN submission c ON c.period_id = p.id AND c.agency_id = g.id AND c.current
             LEFT JOIN acc k ON k.agency_id = g.id
             CROSS JOIN LATERAL deadline_of(g.id, p.id) dl
             WHERE coalesce(kind_f, '') = '' OR g.kind = kind_f),
         y AS MATERIALIZED (
             SELECT x.*, CASE WHEN x.sid IS NULL THEN 'missing' ELSE x.state END AS status,
                    x.sid IS NOT NULL AND x.counted_at < x.deadline_at AS on_time
             FROM x)
    SELECT jsonb_build_object(
               'period', period_info_json(p, a),
               'deadline_passed', tamnong_now() >= p.deadline_at,
               'totals',
               (SELECT jsonb_agg(t.j ORDER BY t.o)
                FROM (SELECT CASE WHEN grouping(y.kind) = 1 THEN 0
                                  ELSE coalesce(array_position(kinds, y.kind), 99) END AS o,
                             jsonb_build_object(
                                 'kind', CASE WHEN grouping(y.kind) = 1 THEN '' ELSE y.kind END,
                                 'expected', count(*),
                                 'submitted', count(*) FILTER (WHERE y.status <> 'missing'),
                                 'on_time', count(*) FILTER (WHERE y.on_time),
                                 'late', count(*) FILTER (WHERE y.status <> 'missing'
                                                             AND NOT y.on_time),
                                 'missing', count(*) FILTER (WHERE y.status = 'missing'),
                                 'returned', count(*) FILTER (WHERE y.status = 'returned'),
                                 'accepted', count(*) FILTER (WHERE y.status = 'accepted')) AS j
                      FROM y GROUP BY GROUPING SETS ((), (y.kind))) t),
               'reporters',
               coalesce((SELECT jsonb_agg(jsonb_build_object(
                                    'agency', jsonb_build_object('code', y.code, 'name', y.name),
                                    'kind', y.kind, 'status', y.status, 'on_time', y.on_time,
                                    'submission_id', coalesce(y.sid, 0),
                                    'revision', coalesce(y.revision, 0),
                                    'received_at_ms', coalesce(tn_ms(y.received_at), 0),
                                    'deadline_at_ms', tn_ms(y.deadline_at),
                                    'extension_reason', coalesce(y.ext_reason, ''),
                                    'review_reason',
                                    CASE WHEN y.status = 'returned' THEN coalesce(y.reason, '')
                                         ELSE '' END)
                                    ORDER BY CASE WHEN y.status = 'missing' THEN 0
                                                  WHEN NOT y.on_time THEN 1
                                                  WHEN y.status = 'returned' THEN 2
                                                  WHEN y.status = 'submitted' THEN 3
                                                  ELSE 4 END,
                                             coalesce(array_position(kinds, y.kind), 99),
                                             y.name COLLATE "vi-VN-x-icu", y.code)
                         FROM y), '[]'))
    INTO out;
    RETURN out;
END $$;

-- ---------------------------------------------------------------- DeadlineExtend

-- DeadlineExtend by a (the server lets only the standing agency or an
-- operator call it): give agency agency_code ('' = every expected reporter)
-- until the end of day `until` (province time) to send its report for
-- period pcode, for reason why. Exactly-once like every state change
-- (request_log, keyed by the caller). Refused: an unknown period or agency
-- (NOT_FOUND); no reason, a day not after the period's deadline
-- (INVALID_ARGUMENT); an agency that is not an expected reporter of the
-- period, or a deadline that is not later than the one already in force for
-- it (FAILED_PRECONDITION: extensions never shorten, see the top).
-- Submissions the extension turns on time get a new change_seq (under their
-- agency's lock, agencies in id order) so that Pull sends them again.
-- Receipt: {"replay", "extension_id", "deadline_at_ms", "became_on_time"}.
CREATE FUNCTION deadline_extend(a bigint, u uuid, sha text, pcode text, agency_code text,
                                until_text text, why text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    seen jsonb;
    p period;
    tz text;
    target agency;
    until_day date;
    new_at timestamptz;
    cur timestamptz;
    eid bigint;
    flipped int := 0;
    n int;
    ag bigint;
    receipt jsonb;
BEGIN
    seen := request_seen(a, u, 'DeadlineExtend', sha);
    IF seen IS NOT NULL THEN
        RETURN seen;
    END IF;
    SELECT * INTO p FROM period WHERE code = pcode;
    IF p.id IS NULL THEN
        RETURN tn_refuse('NOT_FOUND', format('period_code: there is no period %s', pcode));
    END IF;
    IF coalesce(agency_code, '') <> '' THEN
        SELECT * INTO target FROM agency WHERE code = agency_code;
        IF target.id IS NULL THEN
            RETURN tn_refuse('NOT_FOUND', format('agency_code: there is no agency %s',
                                                 agency_code));
        END IF;
    END IF;
    IF coalesce(btrim(why), '') = '' THEN
        RETURN tn_refuse('INVALID_ARGUMENT',
                         'reason: required; say why the deadline is extended');
    END IF;
    until_day := until_text::date;
    IF until_day <= p.deadline THEN
        RETURN tn_refuse('INVALID_ARGUMENT',
                         format('until: %s is not after the deadline of period %s (%s); an '
                                'extension must give more time', until_day, p.code, p.deadline));
    END IF;
    IF target.id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM period_reporters(period_duty_day(p)) r WHERE r = target.id)
    THEN
        RETURN tn_refuse('FAILED_PRECONDITION',
                         format('agency_code: %s has no tasks or indicators in period %s, so '
                                'it has no report to send', target.code, p.code));
    END IF;

    PERFORM period_lock(p.id, true);
    seen := request_seen(a, u, 'DeadlineExtend', sha);  -- a copy that waited for the lock
    IF seen IS NOT NULL THEN
        RETURN seen;
    END IF;
    SELECT r.time_zone INTO tz FROM period_regime r WHERE r.code = p.regime;
    new_at := (until_day + 1)::timestamp AT TIME ZONE tz;
    IF target.id IS NOT NULL THEN
        SELECT d.deadline_at INTO cur FROM deadline_of(target.id, p.id) d;
        IF new_at <= cur THEN
            RETURN tn_refuse('FAILED_PRECONDITION',
                             format('until: the deadline of %s for period %s is already the end '
                                    'of %s; an extension can only give more time',
                                    target.code, p.code,
                                    ((cur AT TIME ZONE tz) - interval '1 day')::date));
        END IF;
    ELSE
        SELECT max(e.deadline_at) INTO cur FROM deadline_extension e
        WHERE e.period_id = p.id AND e.agency_id IS NULL;
        IF new_at <= cur THEN
            RETURN tn_refuse('FAILED_PRECONDITION',
                             format('until: the deadline of every reporter for period %s is '
                                    'already the end of %s; an extension can only give more time',
                                    p.code, ((cur AT TIME ZONE tz) - interval '1 day')::date));
        END IF;
    END IF;

    -- Submissions this turns on time: received at or after their agency's
    -- effective deadline so far and before the new one.
    FOR ag IN SELECT DISTINCT s.agency_id FROM submission s, deadline_of(s.agency_id, p.id) d
              WHERE s.period_id = p.id AND (target.id IS NULL OR s.agency_id = target.id)
                AND s.received_at >= d.deadline_at AND s.received_at < new_at
              ORDER BY 1 LOOP
        PERFORM agency_lock(ag);
        UPDATE submission s
           SET change_seq = nextval('change_seq')
          FROM deadline_of(ag, p.id) d
         WHERE s.agency_id = ag AND s.period_id = p.id
           AND s.received_at >= d.deadline_at AND s.received_at < new_at;
        GET DIAGNOSTICS n = ROW_COUNT;
        flipped := flipped + n;
    END LOOP;

    INSERT INTO deadline_extension (period_id, agency_id, until, deadline_at, reason, granted_by,
                                    request_uuid)
    VALUES (p.id, target.id, until_day, new_at, why, a, u)
    RETURNING id INTO eid;
    receipt := jsonb_build_object('replay', false, 'extension_id', eid,
                                  'deadline_at_ms', tn_ms(new_at), 'became_on_time', flipped);
    PERFORM request_log_insert(a, u, 'DeadlineExtend', sha, receipt);
    RETURN receipt;
END $$;
