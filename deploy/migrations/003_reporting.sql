-- 003_reporting: reporting and sync (issue 4). Task statuses, report
-- submissions (revisions) with their values and attachments, chunked
-- attachment uploads, the request log that makes every state-changing RPC
-- exactly-once, and one plpgsql function per RPC (one statement, one round
-- trip, one transaction each).
--
-- Conventions of the RPC functions:
-- * Each takes the caller's agency id first (from its certificate, never
--   from the request) and returns one jsonb document.
-- * A refusal is returned, not raised: {"error": {"status": "NOT_FOUND",
--   "message": "..."}} (status names as in proto/tamnong.proto). Refusals are
--   decided before anything is written, except where a refusal must itself
--   change something (a failed attachment checksum discards the upload).
--   Raised instead (rolling back): the rare race of two different requests
--   under one id (unique_violation -> ALREADY_EXISTS in db.c), and
--   unexpected errors (22xxx -> INVALID_ARGUMENT, others INTERNAL).
-- * State-changing functions first take a per-agency advisory lock
--   (agency_lock): it serialises an agency's writes, so concurrent duplicates
--   of one request id are answered as replays, and change_seq values of one
--   agency's rows commit in increasing order (see report_pull for why).
-- * Exactly-once: request_log (agency_id, request_uuid) holds the receipt of
--   every applied request, with the SHA-256 of the request bytes. Same id and
--   same bytes -> the stored receipt with replay = true; same id, other bytes
--   (or another method) -> ALREADY_EXISTS; nothing changes. The key is scoped
--   by agency: another agency's id is a new key (no existence oracle). A
--   refused request is not logged: its retry is evaluated again.

-- Every change to task_status or submission takes the next value, so Pull
-- can return what changed after a cursor.
CREATE SEQUENCE change_seq;

CREATE TABLE request_log (
    agency_id      bigint NOT NULL REFERENCES agency (id),
    request_uuid   uuid NOT NULL,
    method         text NOT NULL,
    request_sha256 text NOT NULL CHECK (request_sha256 ~ '^[0-9a-f]{64}$'),
    receipt        jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT tamnong_now(),
    PRIMARY KEY (agency_id, request_uuid)
);

-- The status an agency keeps of a task it leads or coordinates. Keyed by the
-- task code, which stays across plan versions.
CREATE TABLE task_status (
    agency_id       bigint NOT NULL REFERENCES agency (id),
    task_code       text NOT NULL,
    plan_version_id bigint REFERENCES plan_version (id),
    status          text NOT NULL
                    CHECK (status IN ('not_started', 'in_progress', 'completed', 'postponed')),
    progress        int NOT NULL CHECK (progress BETWEEN 0 AND 100),
    note            text NOT NULL DEFAULT '',
    evidence        jsonb NOT NULL DEFAULT '[]',
    version         bigint NOT NULL CHECK (version > 0),
    updated_at      timestamptz NOT NULL DEFAULT tamnong_now(),
    request_uuid    uuid NOT NULL,
    change_seq      bigint NOT NULL,
    PRIMARY KEY (agency_id, task_code)
);
CREATE INDEX task_status_changes ON task_status (agency_id, change_seq);

-- A report of one agency for one period. Every Submit makes a new revision;
-- exactly one revision per (agency, period) is current. When a new revision
-- arrives, the previous current one stops being current and, if nobody
-- reviewed it yet, becomes 'superseded'; a reviewed one keeps its state
-- (accepted / returned) so the review history stays as it was.
CREATE TABLE submission (
    id           bigserial PRIMARY KEY,
    agency_id    bigint NOT NULL REFERENCES agency (id),
    period_id    bigint NOT NULL REFERENCES period (id),
    revision     int NOT NULL CHECK (revision > 0),
    received_at  timestamptz NOT NULL DEFAULT tamnong_now(),  -- server (database) clock only
    on_time      boolean NOT NULL,                     -- received before period.deadline_at
    content      jsonb NOT NULL,                       -- the report as submitted
    request_uuid uuid NOT NULL,
    current      boolean NOT NULL DEFAULT true,
    state        text NOT NULL DEFAULT 'submitted'
                 CHECK (state IN ('submitted', 'accepted', 'returned', 'superseded')),
    reviewed_at  timestamptz,
    reviewed_by  bigint REFERENCES agency (id),
    reason       text,
    change_seq   bigint NOT NULL,
    UNIQUE (agency_id, period_id, revision)
);
CREATE UNIQUE INDEX submission_one_current ON submission (agency_id, period_id) WHERE current;
CREATE INDEX submission_changes ON submission (agency_id, change_seq);
CREATE INDEX submission_period ON submission (period_id, state);

-- The indicator values of a submission, as numbers (for aggregation).
CREATE TABLE submission_value (
    submission_id bigint NOT NULL REFERENCES submission (id) ON DELETE CASCADE,
    indicator_key text NOT NULL,
    value         numeric,
    numerator     numeric,
    denominator   numeric,
    note          text NOT NULL DEFAULT '',
    PRIMARY KEY (submission_id, indicator_key)
);

-- Files: stored once per hash, whoever uploaded them.
CREATE TABLE attachment (
    sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size       bigint NOT NULL CHECK (size > 0),
    data       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT tamnong_now()
);
-- Which agencies completed an upload of a file. An agency may reference a
-- file only after uploading it itself, so no agency learns that another has
-- a file with a given hash.
CREATE TABLE attachment_owner (
    agency_id  bigint NOT NULL REFERENCES agency (id),
    sha256     text NOT NULL REFERENCES attachment (sha256),
    created_at timestamptz NOT NULL DEFAULT tamnong_now(),
    PRIMARY KEY (agency_id, sha256)
);
-- Uploads in progress, one row per chunk (no quadratic bytea appends).
CREATE TABLE attachment_chunk (
    agency_id  bigint NOT NULL REFERENCES agency (id),
    sha256     text NOT NULL,
    size       bigint NOT NULL,
    "offset"   bigint NOT NULL CHECK ("offset" >= 0),
    data       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT tamnong_now(),
    PRIMARY KEY (agency_id, sha256, "offset")
);
-- A file referenced by a submission (linked only by Submit).
CREATE TABLE submission_attachment (
    submission_id bigint NOT NULL REFERENCES submission (id) ON DELETE CASCADE,
    sha256        text NOT NULL REFERENCES attachment (sha256),
    name          text NOT NULL,
    content_type  text NOT NULL DEFAULT '',
    size          bigint NOT NULL,
    ord           int NOT NULL,
    PRIMARY KEY (submission_id, sha256)
);

-- ---------------------------------------------------------------- helpers

-- Planner estimates for the resolving functions of 002 (set-returning
-- functions default to 1000 rows). With the default, nesting them (every
-- assignee of every task) made estimates of millions of rows, which
-- switched on JIT compilation: ~45 ms of it for a statement that runs in
-- 3 ms. These only change estimates, not results.
ALTER FUNCTION agency_resolve(bigint, date) ROWS 2;
ALTER FUNCTION group_members(text, date) ROWS 20;
ALTER FUNCTION assignee_resolve(bigint, text, date) ROWS 10;
ALTER FUNCTION agencies_at(date) ROWS 100;

CREATE FUNCTION tn_ms(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT (extract(epoch FROM t) * 1000)::bigint
$$;

CREATE FUNCTION tn_refuse(status text, msg text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('error', jsonb_build_object('status', status, 'message', msg))
$$;

-- Serialise the writes of one agency until the end of the transaction.
CREATE FUNCTION agency_lock(a bigint) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(1952541807, a::int)  -- 'tamo' as int4
$$;

-- The stored receipt (marked as a replay) when this request id was already
-- applied with the same method and bytes; a refusal when it was used for
-- something else; NULL when it is new.
CREATE FUNCTION request_seen(a bigint, u uuid, m text, sha text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN l.method = m AND l.request_sha256 = sha
                THEN l.receipt || '{"replay": true}'::jsonb
                ELSE tn_refuse('ALREADY_EXISTS',
                               'this request id was already used for different content')
           END
    FROM request_log l WHERE l.agency_id = a AND l.request_uuid = u
$$;

-- Record an applied request. Only a request under the same id that raced
-- past request_seen (two different reviews by one reviewer at once, which
-- lock different submitters) can collide: it is refused and rolled back.
CREATE FUNCTION request_log_insert(a bigint, u uuid, m text, sha text, receipt jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO request_log (agency_id, request_uuid, method, request_sha256, receipt)
    VALUES (a, u, m, sha, receipt)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'unique_violation',
            MESSAGE = 'this request id was already used for different content';
    END IF;
END $$;

-- The plan version in force (NULL when no plan was imported).
CREATE FUNCTION plan_version_now() RETURNS plan_version LANGUAGE sql STABLE AS $$
    SELECT * FROM plan_current ORDER BY imported_at DESC LIMIT 1
$$;

-- The assignee refs (agency or group, as the plan names them) of the
-- current plan's tasks and indicators that stand for agency a on day d.
-- Each distinct ref is resolved once (a plan has a few dozen), not once per
-- task or indicator row.
CREATE FUNCTION agency_refs_at(a bigint, d date)
RETURNS TABLE (agency_id bigint, group_code text)
LANGUAGE sql STABLE ROWS 10 AS $$
    WITH v AS MATERIALIZED (SELECT (plan_version_now()).id),
         refs AS MATERIALIZED (
             SELECT ta.agency_id, ta.group_code
             FROM task_assignee ta JOIN task t ON t.id = ta.task_id
             WHERE t.plan_version_id = (SELECT id FROM v)
             UNION
             SELECT r.agency_id, r.group_code
             FROM indicator_reporter r JOIN indicator i ON i.id = r.indicator_id
             WHERE i.plan_version_id = (SELECT id FROM v))
    SELECT refs.agency_id, refs.group_code FROM refs
    LEFT JOIN agency x ON x.id = refs.agency_id
    WHERE (refs.group_code IS NOT NULL AND a IN (SELECT group_members(refs.group_code, d)))
       -- An agency valid on d stands for itself only (the plan file's rules:
       -- an agency that is succeeded ends before the successor begins).
       OR (x.id = a AND d BETWEEN x.valid_from AND x.valid_to)
       OR (x.id IS NOT NULL AND NOT d BETWEEN x.valid_from AND x.valid_to
           AND a IN (SELECT agency_resolve(x.id, d)))
$$;

-- Codes of the tasks of the current plan that agency a leads or coordinates
-- on day d.
CREATE FUNCTION agency_task_codes(a bigint, d date) RETURNS SETOF text
LANGUAGE sql STABLE ROWS 20 AS $$
    SELECT DISTINCT t.code
    FROM task t
    JOIN task_assignee ta ON ta.task_id = t.id
    JOIN agency_refs_at(a, d) m ON m.agency_id IS NOT DISTINCT FROM ta.agency_id
                               AND m.group_code IS NOT DISTINCT FROM ta.group_code
    WHERE t.plan_version_id = (plan_version_now()).id
$$;

-- Indicators of the current plan that agency a reports on day d. Every
-- indicator an agency reports is required in its reports; an entry without
-- numbers but with a note is an explicit "no data".
CREATE FUNCTION agency_indicators(a bigint, d date) RETURNS SETOF indicator
LANGUAGE sql STABLE ROWS 20 AS $$
    WITH m AS MATERIALIZED (SELECT * FROM agency_refs_at(a, d))
    SELECT i.* FROM indicator i
    WHERE i.plan_version_id = (plan_version_now()).id
      AND EXISTS (SELECT 1 FROM indicator_reporter r JOIN m
                    ON m.agency_id IS NOT DISTINCT FROM r.agency_id
                   AND m.group_code IS NOT DISTINCT FROM r.group_code
                  WHERE r.indicator_id = i.id)
    ORDER BY i.ord
$$;

-- Both at once (the refs resolved once): the task codes and the indicators
-- of agency a on day d.
CREATE FUNCTION agency_duties(a bigint, d date, OUT tasks text[], OUT inds indicator[])
LANGUAGE sql STABLE AS $$
    WITH m AS MATERIALIZED (SELECT * FROM agency_refs_at(a, d)),
         v AS MATERIALIZED (SELECT (plan_version_now()).id)
    SELECT ARRAY(SELECT DISTINCT t.code
                 FROM task t
                 JOIN task_assignee ta ON ta.task_id = t.id
                 JOIN m ON m.agency_id IS NOT DISTINCT FROM ta.agency_id
                       AND m.group_code IS NOT DISTINCT FROM ta.group_code
                 WHERE t.plan_version_id = (SELECT id FROM v)),
           ARRAY(SELECT i FROM indicator i
                 WHERE i.plan_version_id = (SELECT id FROM v)
                   AND EXISTS (SELECT 1 FROM indicator_reporter r JOIN m
                                 ON m.agency_id IS NOT DISTINCT FROM r.agency_id
                                AND m.group_code IS NOT DISTINCT FROM r.group_code
                               WHERE r.indicator_id = i.id)
                 ORDER BY i.ord)
$$;

CREATE FUNCTION task_status_json(s task_status) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('task_code', s.task_code, 'status', s.status,
                              'progress', s.progress, 'note', s.note,
                              'evidence', s.evidence, 'version', s.version,
                              'updated_at_ms', tn_ms(s.updated_at),
                              'updated_by', (SELECT code FROM agency WHERE id = s.agency_id))
$$;

CREATE FUNCTION submission_state_json(s submission) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('submission_id', s.id,
                              'period_code', (SELECT code FROM period WHERE id = s.period_id),
                              'revision', s.revision, 'state', s.state,
                              'received_at_ms', tn_ms(s.received_at), 'on_time', s.on_time,
                              'reason', coalesce(s.reason, ''),
                              'reviewed_at_ms', coalesce(tn_ms(s.reviewed_at), 0),
                              'current', s.current,
                              'agency', (SELECT jsonb_build_object('code', code, 'name', name)
                                         FROM agency WHERE id = s.agency_id))
$$;

-- ---------------------------------------------------------------- Pull

-- Pull(plan_version, since, as_of) for agency a.
-- * plan_changed when the client's plan_version differs from the current
--   one, or its as_of day (the day its assignments were resolved; '' =
--   not sent) differs from today: then assignments (the tasks a leads or
--   coordinates today, with a's status), indicators (those a reports today)
--   are complete. Periods are always complete (they are few and an import may
--   change a deadline without a new plan version).
-- * task_statuses and submissions: a's rows with change_seq > since.
-- * cursor: the largest change_seq among a's rows visible to this statement
--   (or since when there is none). Nothing is skipped: change_seq is taken
--   under a's agency_lock, held until commit, so a's rows commit in
--   change_seq order; a row invisible now (not committed) gets a value above
--   every visible one of a, hence above the cursor. Other agencies' values
--   interleave but are never compared with a's cursor.
CREATE FUNCTION report_pull(a bigint, client_version int, since bigint, as_of text)
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
        coalesce((SELECT jsonb_agg(jsonb_build_object(
                            'code', p.code, 'regime', p.regime, 'regime_name', r.name,
                            'year', p.year, 'window_start', p.window_start,
                            'window_end', p.window_end, 'deadline', p.deadline,
                            'deadline_at_ms', tn_ms(p.deadline_at), 'time_zone', r.time_zone)
                            ORDER BY p.deadline, p.regime)
                  FROM period p JOIN period_regime r ON r.code = p.regime), '[]'),
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

-- ---------------------------------------------------------------- TaskUpdate

-- doc: {"task_code", "status", "progress", "note", "evidence": [...],
-- "base_version"} (checked for form by the server before). Receipt:
-- {"replay", "version", "received_at_ms"}. Refusals: NOT_FOUND (not a task
-- a leads or coordinates today), FAILED_PRECONDITION (stale base_version,
-- evidence file not uploaded).
CREATE FUNCTION task_update(a bigint, u uuid, sha text, doc jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    seen jsonb;
    code text := doc ->> 'task_code';
    base bigint := coalesce((doc ->> 'base_version')::bigint, 0);
    cur task_status;
    ev text;
    i int := 0;
    receipt jsonb;
    newv bigint;
BEGIN
    PERFORM agency_lock(a);
    seen := request_seen(a, u, 'TaskUpdate', sha);
    IF seen IS NOT NULL THEN
        RETURN seen;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM agency_task_codes(a, province_today()) c WHERE c = code) THEN
        RETURN tn_refuse('NOT_FOUND', format('task %s is not one of your tasks', code));
    END IF;
    SELECT * INTO cur FROM task_status WHERE agency_id = a AND task_code = code;
    IF cur.version IS NULL AND base <> 0 THEN
        RETURN tn_refuse('FAILED_PRECONDITION',
            format('task %s has no status yet (version 0) but you edited version %s; '
                   'pull and review before updating', code, base));
    END IF;
    IF coalesce(cur.version, 0) <> base THEN
        RETURN tn_refuse('FAILED_PRECONDITION',
            format('task %s was changed (version %s, %s) since you edited version %s; '
                   'pull and review before updating', code, cur.version,
                   to_char(cur.updated_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD HH24:MI'),
                   base));
    END IF;
    FOR ev IN SELECT jsonb_array_elements_text(coalesce(doc -> 'evidence', '[]')) LOOP
        IF ev LIKE 'sha256:%' AND NOT EXISTS (SELECT 1 FROM attachment_owner
                                               WHERE agency_id = a AND sha256 = substr(ev, 8)) THEN
            RETURN tn_refuse('FAILED_PRECONDITION',
                             format('evidence[%s]: upload the file first', i));
        END IF;
        i := i + 1;
    END LOOP;
    newv := coalesce(cur.version, 0) + 1;
    INSERT INTO task_status AS s (agency_id, task_code, plan_version_id, status, progress, note,
                                  evidence, version, updated_at, request_uuid, change_seq)
    VALUES (a, code, (plan_version_now()).id, doc ->> 'status', (doc ->> 'progress')::int,
            coalesce(doc ->> 'note', ''), coalesce(doc -> 'evidence', '[]'), newv, tamnong_now(),
            u, nextval('change_seq'))
    ON CONFLICT (agency_id, task_code) DO UPDATE
        SET plan_version_id = EXCLUDED.plan_version_id, status = EXCLUDED.status,
            progress = EXCLUDED.progress, note = EXCLUDED.note, evidence = EXCLUDED.evidence,
            version = EXCLUDED.version, updated_at = EXCLUDED.updated_at,
            request_uuid = EXCLUDED.request_uuid, change_seq = EXCLUDED.change_seq;
    receipt := jsonb_build_object('replay', false, 'version', newv,
                                  'received_at_ms', tn_ms(tamnong_now()));
    PERFORM request_log_insert(a, u, 'TaskUpdate', sha, receipt);
    RETURN receipt;
END $$;

-- ---------------------------------------------------------------- attachments

CREATE FUNCTION attachment_status(a bigint, sha text, sz bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM attachment_owner WHERE agency_id = a AND sha256 = sha)
                THEN jsonb_build_object('received', (SELECT size FROM attachment
                                                     WHERE sha256 = sha),
                                        'complete', true)
                ELSE jsonb_build_object('received',
                                        coalesce((SELECT sum(length(data)) FROM attachment_chunk
                                                  WHERE agency_id = a AND sha256 = sha), 0),
                                        'complete', false)
           END
$$;

-- Append one chunk at off, which must equal the bytes held. When the last
-- byte arrives, the SHA-256 of the whole is checked here: on a match the
-- file is stored (once per hash) and owned by a, on a mismatch the upload is
-- discarded (DATA_LOSS: send it again from 0). Resending a chunk of a file a
-- already completed answers complete. {"received", "complete"}.
CREATE FUNCTION attachment_chunk(a bigint, sha text, sz bigint, off bigint, chunk bytea,
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
    INSERT INTO attachment (sha256, size, data) VALUES (sha, sz, whole)
    ON CONFLICT (sha256) DO NOTHING;
    INSERT INTO attachment_owner (agency_id, sha256) VALUES (a, sha)
    ON CONFLICT DO NOTHING;
    RETURN jsonb_build_object('received', held, 'complete', true);
END $$;

-- ---------------------------------------------------------------- Submit

-- doc: {"period_code", "values": [{"key","value","numerator","denominator",
-- "note"}], "results", "difficulties", "recommendations", "proposals",
-- "attachments": [{"sha256","size","name","content_type"}],
-- "tasks": [{"task_code","status","progress","note"}]}, its form already
-- checked by the server (common/report_rules.c). Here the rules that need
-- the plan, resolved on the period's last window day: a must have tasks or
-- indicators then (an expected reporter), each value's key is an indicator a
-- reports, every such indicator is present, ratio -> numerator and
-- denominator, others -> value only; each task is one a leads or
-- coordinates; each attachment was uploaded by a.
-- Receipt: {"replay", "submission_id", "revision", "received_at_ms",
-- "on_time", "deadline_at_ms"}. on_time: received (tamnong_now()) before
-- the end of the deadline day in the period's time zone.
CREATE FUNCTION submit_report(a bigint, u uuid, sha text, doc jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    seen jsonb;
    p period;
    d date;
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
    PERFORM agency_lock(a);
    seen := request_seen(a, u, 'Submit', sha);
    IF seen IS NOT NULL THEN
        RETURN seen;
    END IF;
    SELECT * INTO p FROM period WHERE code = doc ->> 'period_code';
    IF p.id IS NULL THEN
        RETURN tn_refuse('NOT_FOUND',
                         format('period_code: there is no period %s', doc ->> 'period_code'));
    END IF;
    IF plan_version_now() IS NULL THEN
        RETURN tn_refuse('FAILED_PRECONDITION', 'no plan has been imported yet');
    END IF;
    d := p.window_end;
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
    INSERT INTO submission (agency_id, period_id, revision, on_time, content, request_uuid,
                            change_seq)
    VALUES (a, p.id, rev, tamnong_now() < p.deadline_at, doc, u, nextval('change_seq'))
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
                                  'on_time', tamnong_now() < p.deadline_at,
                                  'deadline_at_ms', tn_ms(p.deadline_at));
    PERFORM request_log_insert(a, u, 'Submit', sha, receipt);
    RETURN receipt;
END $$;

-- ---------------------------------------------------------------- Review

-- Review by agency a (the server lets only the standing agency or an
-- operator call it; admin says so). Only the current revision can be
-- reviewed; it may be reviewed again (a later decision replaces the earlier
-- one). Receipt: {"replay", "state", "reviewed_at_ms"}.
CREATE FUNCTION review_submission(a bigint, admin boolean, u uuid, sha text, sid bigint,
                                  decision text, why text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    seen jsonb;
    s submission;
    owner bigint;
    receipt jsonb;
    newer int;
BEGIN
    seen := request_seen(a, u, 'Review', sha);
    IF seen IS NOT NULL THEN
        RETURN seen;
    END IF;
    SELECT agency_id INTO owner FROM submission WHERE id = sid;
    IF owner IS NULL OR NOT admin THEN
        RETURN tn_refuse('NOT_FOUND', format('submission %s does not exist', sid));
    END IF;
    -- Lock the submitter, not the reviewer: its rows then commit in
    -- change_seq order (see report_pull), and two copies of one review (same
    -- submission) are serialised, so the second is a replay. Two different
    -- reviews under one request id lock different agencies at worst; the
    -- request_log key then refuses the second (ALREADY_EXISTS).
    PERFORM agency_lock(owner);
    seen := request_seen(a, u, 'Review', sha);
    IF seen IS NOT NULL THEN
        RETURN seen;
    END IF;
    SELECT * INTO s FROM submission WHERE id = sid;
    IF NOT s.current THEN
        SELECT max(revision) INTO newer FROM submission
        WHERE agency_id = s.agency_id AND period_id = s.period_id;
        RETURN tn_refuse('FAILED_PRECONDITION',
                         format('revision %s was replaced by revision %s; review the current one',
                                s.revision, newer));
    END IF;
    IF decision = 'return' AND coalesce(btrim(why), '') = '' THEN
        RETURN tn_refuse('INVALID_ARGUMENT', 'reason: required to return a report');
    END IF;
    UPDATE submission
       SET state = CASE decision WHEN 'accept' THEN 'accepted' ELSE 'returned' END,
           reviewed_at = tamnong_now(), reviewed_by = a,
           reason = CASE WHEN decision = 'return' THEN why ELSE nullif(why, '') END,
           change_seq = nextval('change_seq')
     WHERE id = sid
    RETURNING * INTO s;
    receipt := jsonb_build_object('replay', false, 'state', s.state,
                                  'reviewed_at_ms', tn_ms(s.reviewed_at));
    PERFORM request_log_insert(a, u, 'Review', sha, receipt);
    RETURN receipt;
END $$;

-- ---------------------------------------------------------------- reading

-- Submissions a may see (its own; all for admin), every revision, newest
-- first within (period, agency). Filters: '' = any. A non-admin's
-- agency filter is ignored: it always sees its own.
CREATE FUNCTION submissions_list(a bigint, admin boolean, period_code text, state_f text,
                                 agency_code text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('submissions', coalesce(jsonb_agg(submission_state_json(s)
                                                      ORDER BY p.deadline, p.code, g.code,
                                                               s.revision DESC), '[]'))
    FROM submission s
    JOIN period p ON p.id = s.period_id
    JOIN agency g ON g.id = s.agency_id
    WHERE (s.agency_id = a OR admin)
      AND (coalesce(period_code, '') = '' OR p.code = period_code)
      AND (coalesce(state_f, '') = '' OR s.state = state_f)
      AND (NOT admin OR coalesce(agency_code, '') = '' OR g.code = agency_code)
$$;

-- One submission with its content; NOT_FOUND unless a may see it.
CREATE FUNCTION submission_get(a bigint, admin boolean, sid bigint)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT jsonb_build_object('summary', submission_state_json(s)) || s.content
                || jsonb_build_object('attachments',
                       coalesce((SELECT jsonb_agg(jsonb_build_object(
                                        'sha256', f.sha256, 'size', f.size, 'name', f.name,
                                        'content_type', f.content_type) ORDER BY f.ord)
                                 FROM submission_attachment f WHERE f.submission_id = s.id),
                                '[]'))
         FROM submission s WHERE s.id = sid AND (admin OR s.agency_id = a)),
        tn_refuse('NOT_FOUND', format('submission %s does not exist', sid)))
$$;
