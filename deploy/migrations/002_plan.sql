-- 002_plan: the plan as data. Agencies with kinds, validity and successors;
-- plan versions with sections, tasks (lead / coordinating), indicators and
-- targets; reporting periods. plan_import(jsonb) loads a whole plan file in
-- one statement (one transaction) and makes a new version only on change.

-- The business clock: now() plus the offset tamnongd gives each of its
-- pooled connections (-c tamnong.clock_offset_ms=N) when its test_clock
-- option is set, so that tests and demos can run, say, the 2025 cycle in
-- 2026. Unset or empty = 0: the real clock, always so in production. Every
-- time with a business meaning (today in the province, which agencies exist
-- and what they report, received_at and on time, reviews, task statuses,
-- imports, attachments) comes from tamnong_now(), never from now().
CREATE FUNCTION tamnong_clock_offset() RETURNS interval LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('tamnong.clock_offset_ms', true), '')::bigint, 0)
           * interval '1 millisecond'
$$;

CREATE FUNCTION tamnong_now() RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT now() + tamnong_clock_offset()
$$;

ALTER TABLE agency
    ADD COLUMN kind text NOT NULL DEFAULT 'other'
        CHECK (kind IN ('department', 'district', 'commune', 'socio_political', 'province', 'other')),
    ADD COLUMN short_name text,
    ADD COLUMN parent_id bigint REFERENCES agency (id),
    ADD COLUMN valid_from date NOT NULL DEFAULT '-infinity',
    ADD COLUMN valid_to date NOT NULL DEFAULT 'infinity',   -- last day valid, inclusive
    ADD CONSTRAINT agency_validity CHECK (valid_from <= valid_to);

-- A reorganisation: a merger, split, rename or abolition effective on a date.
CREATE TABLE reorganisation (
    id bigserial PRIMARY KEY,
    code text NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind IN ('merger', 'split', 'rename', 'abolition')),
    effective date NOT NULL,
    note text NOT NULL DEFAULT ''
);

-- from_agency was succeeded on `effective` by to_agency, or by the members of
-- to_group on the day asked (the commune-level units the operator imports
-- after the district level ended), or by nobody (both NULL).
CREATE TABLE agency_successor (
    reorganisation_id bigint NOT NULL REFERENCES reorganisation (id) ON DELETE CASCADE,
    from_agency_id bigint NOT NULL REFERENCES agency (id),
    to_agency_id bigint REFERENCES agency (id),
    to_group text,
    effective date NOT NULL,
    CHECK (to_agency_id IS NULL OR to_group IS NULL)
);
CREATE INDEX agency_successor_from ON agency_successor (from_agency_id);

-- Group assignees ("các sở, ban, ngành"): on a date, every valid agency of
-- these kinds, the named members (following successors) and included groups.
CREATE TABLE agency_group (
    code text PRIMARY KEY CHECK (code ~ '^@[A-Za-z0-9_]{1,60}$'),
    name text NOT NULL,
    kinds text[] NOT NULL DEFAULT '{}',
    members text[] NOT NULL DEFAULT '{}',
    includes text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE plan (
    id bigserial PRIMARY KEY,
    code text NOT NULL UNIQUE,
    title text NOT NULL,
    province text NOT NULL DEFAULT '',
    document text NOT NULL DEFAULT '',
    issued date,
    standing_agency text   -- code of the standing agency when the plan was issued
);

-- Every import that changes the content makes a new version; older ones stay.
CREATE TABLE plan_version (
    id bigserial PRIMARY KEY,
    plan_id bigint NOT NULL REFERENCES plan (id),
    version int NOT NULL,
    content_sha256 text NOT NULL,
    note text NOT NULL DEFAULT '',
    imported_at timestamptz NOT NULL DEFAULT tamnong_now(),
    imported_by bigint REFERENCES agency (id),
    UNIQUE (plan_id, version)
);

CREATE TABLE plan_section (
    plan_version_id bigint NOT NULL REFERENCES plan_version (id) ON DELETE CASCADE,
    code text NOT NULL,
    title text NOT NULL,
    parent_code text,
    ord int NOT NULL,
    PRIMARY KEY (plan_version_id, code)
);

CREATE TABLE task (
    id bigserial PRIMARY KEY,
    plan_version_id bigint NOT NULL REFERENCES plan_version (id) ON DELETE CASCADE,
    code text NOT NULL,
    section_code text NOT NULL,
    title text NOT NULL,
    full_text text NOT NULL,
    deadline_kind text NOT NULL
        CHECK (deadline_kind IN ('date', 'every_period', 'continuous', 'by_year')),
    deadline_value text NOT NULL DEFAULT '',
    expected_output text NOT NULL DEFAULT '',
    ord int NOT NULL,
    UNIQUE (plan_version_id, code)
);

-- Exactly one of agency_id / group_code is set.
CREATE TABLE task_assignee (
    task_id bigint NOT NULL REFERENCES task (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('lead', 'coordinating')),
    agency_id bigint REFERENCES agency (id),
    group_code text REFERENCES agency_group (code),
    ord int NOT NULL,
    CHECK ((agency_id IS NULL) <> (group_code IS NULL))
);
CREATE INDEX task_assignee_agency ON task_assignee (agency_id);

CREATE TABLE indicator (
    id bigserial PRIMARY KEY,
    plan_version_id bigint NOT NULL REFERENCES plan_version (id) ON DELETE CASCADE,
    key text NOT NULL CHECK (key ~ '^[a-z0-9_]{1,64}$'),
    name text NOT NULL,
    unit text NOT NULL,
    rule text NOT NULL
        CHECK (rule IN ('sum', 'ratio', 'province_only', 'baseline_multiple', 'yearly_rate')),
    numerator_label text,
    denominator_label text,
    baseline_year int,
    baseline numeric,
    task_code text,
    ord int NOT NULL,
    UNIQUE (plan_version_id, key)
);

CREATE TABLE indicator_reporter (
    indicator_id bigint NOT NULL REFERENCES indicator (id) ON DELETE CASCADE,
    agency_id bigint REFERENCES agency (id),
    group_code text REFERENCES agency_group (code),
    CHECK ((agency_id IS NULL) <> (group_code IS NULL))
);

CREATE TABLE target (
    id bigserial PRIMARY KEY,
    indicator_id bigint NOT NULL REFERENCES indicator (id) ON DELETE CASCADE,
    year int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    qualifier text NOT NULL DEFAULT '',  -- tells two targets of one year apart
    comparator text NOT NULL CHECK (comparator IN ('about', 'range', 'more_than', 'at_least',
                                                   'at_most', 'exactly', 'multiple_of_baseline',
                                                   'per_year')),
    value numeric,
    low numeric,
    high numeric,
    strive boolean NOT NULL DEFAULT false,
    wording text NOT NULL DEFAULT '',
    UNIQUE (indicator_id, year, qualifier),
    per_year_bound text,  -- per_year with one value: about, at_least... (plan-format.md)
    CHECK (comparator <> 'range' OR (low IS NOT NULL AND high IS NOT NULL)),
    CHECK (value IS NOT NULL OR (low IS NOT NULL AND high IS NOT NULL))
);

-- Periods are data: a regime says how windows and deadlines fall each year.
CREATE TABLE period_regime (
    code text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,20}$'),
    name text NOT NULL,
    time_zone text NOT NULL DEFAULT 'Asia/Ho_Chi_Minh'
);

CREATE TABLE period (
    id bigserial PRIMARY KEY,
    regime text NOT NULL REFERENCES period_regime (code),
    year int NOT NULL,
    code text NOT NULL UNIQUE,                  -- e.g. 2025-6m, 2025-annual
    window_start date NOT NULL,
    window_end date NOT NULL,                   -- inclusive
    deadline date NOT NULL,                     -- last day to send, local date
    deadline_at timestamptz NOT NULL,           -- end of that day in the regime's zone
    UNIQUE (regime, year),
    CHECK (window_start <= window_end AND window_end < deadline)
);

-- Functions below call each other (successors may be groups).
SET check_function_bodies = false;

-- Agencies valid on day d.
CREATE FUNCTION agencies_at(d date) RETURNS SETOF agency
LANGUAGE sql STABLE AS $$
    SELECT * FROM agency WHERE d BETWEEN valid_from AND valid_to
$$;

-- The agencies that carry agency a's duties on day d: a itself while it is
-- valid, otherwise its successors (transitively) that are valid on d.
CREATE FUNCTION agency_resolve(a bigint, d date) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE chain (id, depth) AS (
        SELECT a, 0
        UNION ALL
        SELECT s.to_agency_id, c.depth + 1
        FROM chain c
        JOIN agency_successor s ON s.from_agency_id = c.id
        WHERE s.to_agency_id IS NOT NULL AND s.effective <= d AND c.depth < 16
    )
    SELECT c.id
    FROM chain c JOIN agency g ON g.id = c.id
    WHERE d BETWEEN g.valid_from AND g.valid_to
    UNION
    SELECT group_members(s.to_group, d)
    FROM chain c JOIN agency_successor s ON s.from_agency_id = c.id
    WHERE s.to_group IS NOT NULL AND s.effective <= d
$$;

-- Members of a group assignee on day d.
CREATE FUNCTION group_members(g text, d date) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE gs (code, depth) AS (
        SELECT g, 0
        UNION ALL
        SELECT inc, gs.depth + 1
        FROM gs JOIN agency_group ag ON ag.code = gs.code, unnest(ag.includes) inc
        WHERE gs.depth < 8
    )
    SELECT a.id FROM gs JOIN agency_group ag ON ag.code = gs.code
    JOIN agency a ON a.kind = ANY (ag.kinds)
    WHERE d BETWEEN a.valid_from AND a.valid_to
    UNION
    -- agencies of these kinds that ended before d hand their duties on to
    -- their successors ("UBND các huyện" after 1/7/2025: the communes)
    SELECT agency_resolve(a.id, d) FROM gs JOIN agency_group ag ON ag.code = gs.code
    JOIN agency a ON a.kind = ANY (ag.kinds)
    WHERE a.valid_to < d
    UNION
    SELECT agency_resolve(a.id, d) FROM gs JOIN agency_group ag ON ag.code = gs.code,
           unnest(ag.members) m JOIN agency a ON a.code = m
$$;

-- The agencies a task assignee row stands for on day d.
CREATE FUNCTION assignee_resolve(agency_id bigint, group_code text, d date) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    SELECT agency_resolve(agency_id, d) WHERE agency_id IS NOT NULL
    UNION
    SELECT group_members(group_code, d) WHERE group_code IS NOT NULL
$$;

-- The version of each plan that is in force: the latest.
CREATE VIEW plan_current AS
    SELECT DISTINCT ON (plan_id) * FROM plan_version ORDER BY plan_id, version DESC;

CREATE FUNCTION plan_bad(msg text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = msg;
END $$;

-- Resolve an agency code or "@group" reference; raise on an unknown one.
CREATE TYPE agency_ref AS (agency_id bigint, group_code text);

CREATE FUNCTION plan_ref(ref text, what text) RETURNS agency_ref
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r agency_ref;
    aid bigint;
BEGIN
    IF ref LIKE '@%' THEN
        IF NOT EXISTS (SELECT 1 FROM agency_group WHERE code = ref) THEN
            PERFORM plan_bad(format('%s: unknown group %s', what, ref));
        END IF;
        r := ROW(NULL, ref)::agency_ref;
    ELSE
        SELECT id INTO aid FROM agency WHERE code = ref;
        IF aid IS NULL THEN
            PERFORM plan_bad(format('%s: unknown agency %s', what, ref));
        END IF;
        r := ROW(aid, NULL)::agency_ref;
    END IF;
    RETURN r;
END $$;

-- Load a whole plan document (JSON made from a plan file, see
-- docs/plan-format.md) in one transaction. Agencies, groups, reorganisations
-- and periods are upserted; the plan content (sections, tasks, indicators,
-- targets) becomes a new version only when it differs from the current one.
-- Returns {"plan", "version", "changed", "changes": [{"what","code","change"}]}.
CREATE FUNCTION plan_import(doc jsonb, importer bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    content jsonb := jsonb_build_object('sections', doc -> 'sections', 'tasks', doc -> 'tasks',
                                        'indicators', doc -> 'indicators',
                                        'targets', doc -> 'targets');
    sha text := encode(sha256(convert_to(content::text, 'UTF8')), 'hex');
    p_id bigint;
    prev plan_version;
    v_id bigint;
    v_no int;
    x jsonb;
    y jsonb;
    aref text;
    rid bigint;
    tid bigint;
    iid bigint;
    r agency_ref;
    i int;
    changes jsonb;
BEGIN
    IF jsonb_typeof(doc -> 'plan') IS DISTINCT FROM 'object' THEN
        PERFORM plan_bad('the document has no plan header');
    END IF;

    -- Agencies (parents in a second pass: they may come later in the file).
    FOR x IN SELECT * FROM jsonb_array_elements(coalesce(doc -> 'agencies', '[]')) LOOP
        INSERT INTO agency (code, name, kind, short_name, valid_from, valid_to)
        VALUES (x ->> 'code', x ->> 'name', coalesce(x ->> 'kind', 'other'), x ->> 'short_name',
                coalesce((x ->> 'valid_from')::date, '-infinity'),
                coalesce((x ->> 'valid_to')::date, 'infinity'))
        ON CONFLICT (code) DO UPDATE
            SET name = EXCLUDED.name, kind = EXCLUDED.kind, short_name = EXCLUDED.short_name,
                valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to;
    END LOOP;
    FOR x IN SELECT * FROM jsonb_array_elements(coalesce(doc -> 'agencies', '[]'))
             WHERE value ->> 'parent' IS NOT NULL LOOP
        r := plan_ref(x ->> 'parent', format('agency %s parent', x ->> 'code'));
        IF r.agency_id IS NULL THEN
            PERFORM plan_bad(format('agency %s: a parent must be an agency', x ->> 'code'));
        END IF;
        UPDATE agency SET parent_id = r.agency_id WHERE code = x ->> 'code';
    END LOOP;

    FOR x IN SELECT * FROM jsonb_array_elements(coalesce(doc -> 'groups', '[]')) LOOP
        INSERT INTO agency_group (code, name, kinds, members, includes)
        VALUES (x ->> 'code', x ->> 'name',
                ARRAY(SELECT jsonb_array_elements_text(coalesce(x -> 'kinds', '[]'))),
                ARRAY(SELECT jsonb_array_elements_text(coalesce(x -> 'members', '[]'))),
                ARRAY(SELECT jsonb_array_elements_text(coalesce(x -> 'include', '[]'))))
        ON CONFLICT (code) DO UPDATE
            SET name = EXCLUDED.name, kinds = EXCLUDED.kinds, members = EXCLUDED.members,
                includes = EXCLUDED.includes;
    END LOOP;

    FOR x IN SELECT * FROM jsonb_array_elements(coalesce(doc -> 'reorganisations', '[]')) LOOP
        INSERT INTO reorganisation (code, kind, effective, note)
        VALUES (x ->> 'id', x ->> 'kind', (x ->> 'effective')::date, coalesce(x ->> 'note', ''))
        ON CONFLICT (code) DO UPDATE
            SET kind = EXCLUDED.kind, effective = EXCLUDED.effective, note = EXCLUDED.note
        RETURNING id INTO rid;
        DELETE FROM agency_successor WHERE reorganisation_id = rid;
        FOR aref IN SELECT jsonb_array_elements_text(x -> 'from') LOOP
            r := plan_ref(aref, 'reorganisation');
            IF r.agency_id IS NULL THEN
                PERFORM plan_bad('reorganisation: a group cannot be reorganised');
            END IF;
            IF jsonb_array_length(coalesce(x -> 'to', '[]')) = 0 THEN
                INSERT INTO agency_successor (reorganisation_id, from_agency_id, to_agency_id,
                                              effective)
                VALUES (rid, r.agency_id, NULL, (x ->> 'effective')::date);
            END IF;
            -- An agency in both from and to goes on: it is not its own successor.
            FOR y IN SELECT * FROM jsonb_array_elements(coalesce(x -> 'to', '[]'))
                     WHERE value #>> '{}' <> aref LOOP
                DECLARE
                    t agency_ref := plan_ref(y #>> '{}', 'reorganisation');
                BEGIN
                    INSERT INTO agency_successor (reorganisation_id, from_agency_id, to_agency_id,
                                                  to_group, effective)
                    VALUES (rid, r.agency_id, t.agency_id, t.group_code,
                            (x ->> 'effective')::date);
                END;
            END LOOP;
        END LOOP;
    END LOOP;

    FOR x IN SELECT * FROM jsonb_array_elements(coalesce(doc -> 'regimes', '[]')) LOOP
        INSERT INTO period_regime (code, name, time_zone)
        VALUES (x ->> 'code', x ->> 'name', coalesce(x ->> 'time_zone', 'Asia/Ho_Chi_Minh'))
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, time_zone = EXCLUDED.time_zone;
    END LOOP;

    FOR x IN SELECT * FROM jsonb_array_elements(coalesce(doc -> 'periods', '[]')) LOOP
        INSERT INTO period (regime, year, code, window_start, window_end, deadline, deadline_at)
        SELECT x ->> 'regime', (x ->> 'year')::int, (x ->> 'year') || '-' || (x ->> 'regime'),
               (x ->> 'window_start')::date, (x ->> 'window_end')::date, dl,
               (dl + 1)::timestamp AT TIME ZONE pr.time_zone
        FROM period_regime pr, (SELECT (x ->> 'deadline')::date AS dl) d
        WHERE pr.code = x ->> 'regime'
        ON CONFLICT (regime, year) DO UPDATE
            SET window_start = EXCLUDED.window_start, window_end = EXCLUDED.window_end,
                deadline = EXCLUDED.deadline, deadline_at = EXCLUDED.deadline_at;
        IF NOT FOUND THEN
            PERFORM plan_bad(format('period: unknown regime %s', x ->> 'regime'));
        END IF;
    END LOOP;

    INSERT INTO plan (code, title, province, document, issued, standing_agency)
    VALUES (doc #>> '{plan,code}', doc #>> '{plan,title}', coalesce(doc #>> '{plan,province}', ''),
            coalesce(doc #>> '{plan,document}', ''), (doc #>> '{plan,issued}')::date,
            doc #>> '{plan,standing_agency}')
    ON CONFLICT (code) DO UPDATE
        SET title = EXCLUDED.title, province = EXCLUDED.province, document = EXCLUDED.document,
            issued = EXCLUDED.issued, standing_agency = EXCLUDED.standing_agency
    RETURNING id INTO p_id;

    -- Serialise imports of the same plan so version numbers never collide.
    PERFORM pg_advisory_xact_lock(hashtext('plan_import'), p_id::int);
    SELECT * INTO prev FROM plan_current WHERE plan_id = p_id;
    IF prev.id IS NOT NULL AND prev.content_sha256 = sha THEN
        RETURN jsonb_build_object('plan', doc #>> '{plan,code}', 'version', prev.version,
                                  'changed', false, 'changes', '[]'::jsonb);
    END IF;
    v_no := coalesce(prev.version, 0) + 1;
    INSERT INTO plan_version (plan_id, version, content_sha256, note, imported_by)
    VALUES (p_id, v_no, sha, coalesce(doc #>> '{plan,note}', ''), importer)
    RETURNING id INTO v_id;

    INSERT INTO plan_section (plan_version_id, code, title, parent_code, ord)
    SELECT v_id, s ->> 'code', s ->> 'title', s ->> 'parent', n
    FROM jsonb_array_elements(coalesce(doc -> 'sections', '[]')) WITH ORDINALITY AS t (s, n);

    i := 0;
    FOR x IN SELECT * FROM jsonb_array_elements(coalesce(doc -> 'tasks', '[]')) LOOP
        i := i + 1;
        INSERT INTO task (plan_version_id, code, section_code, title, full_text, deadline_kind,
                          deadline_value, expected_output, ord)
        VALUES (v_id, x ->> 'code', x ->> 'section', x ->> 'title', x ->> 'text',
                coalesce(x ->> 'deadline_kind', 'every_period'),
                coalesce(x ->> 'deadline_value', ''), coalesce(x ->> 'output', ''), i)
        RETURNING id INTO tid;
        INSERT INTO task_assignee (task_id, role, agency_id, group_code, ord)
        SELECT tid, role, (plan_ref(ref, format('task %s', x ->> 'code'))).*, n
        FROM (SELECT 'lead' AS role, ref, n
              FROM jsonb_array_elements_text(coalesce(x -> 'lead', '[]'))
                   WITH ORDINALITY AS l (ref, n)
              UNION ALL
              SELECT 'coordinating', ref, n
              FROM jsonb_array_elements_text(coalesce(x -> 'coordinating', '[]'))
                   WITH ORDINALITY AS c (ref, n)) a;
    END LOOP;

    i := 0;
    FOR x IN SELECT * FROM jsonb_array_elements(coalesce(doc -> 'indicators', '[]')) LOOP
        i := i + 1;
        INSERT INTO indicator (plan_version_id, key, name, unit, rule, numerator_label,
                               denominator_label, baseline_year, baseline, task_code, ord)
        VALUES (v_id, x ->> 'key', x ->> 'name', x ->> 'unit', x ->> 'rule', x ->> 'numerator',
                x ->> 'denominator',
                (x ->> 'baseline_year')::int, (x ->> 'baseline')::numeric, x ->> 'task', i)
        RETURNING id INTO iid;
        INSERT INTO indicator_reporter (indicator_id, agency_id, group_code)
        SELECT iid, (plan_ref(ref, format('indicator %s', x ->> 'key'))).*
        FROM jsonb_array_elements_text(coalesce(x -> 'reporters', '[]')) AS r2 (ref);
    END LOOP;

    FOR x IN SELECT * FROM jsonb_array_elements(coalesce(doc -> 'targets', '[]')) LOOP
        SELECT id INTO iid FROM indicator WHERE plan_version_id = v_id AND key = x ->> 'indicator';
        IF iid IS NULL THEN
            PERFORM plan_bad(format('target: unknown indicator %s', x ->> 'indicator'));
        END IF;
        INSERT INTO target (indicator_id, year, qualifier, comparator, value, low, high, strive,
                            wording, per_year_bound)
        VALUES (iid, (x ->> 'year')::int, coalesce(x ->> 'qualifier', ''), x ->> 'comparator',
                (x ->> 'value')::numeric,
                (x ->> 'low')::numeric, (x ->> 'high')::numeric,
                coalesce((x ->> 'strive')::boolean, false), coalesce(x ->> 'wording', ''),
                x ->> 'per_year_bound');
    END LOOP;

    -- What changed against the previous version, by code.
    WITH old_t AS (SELECT code, md5(title || full_text || deadline_kind || deadline_value ||
                              coalesce((SELECT string_agg(role || coalesce(agency_id::text, group_code), ','
                                                          ORDER BY role, ord)
                                        FROM task_assignee WHERE task_id = t.id), '')) AS h
                   FROM task t WHERE plan_version_id = prev.id),
         new_t AS (SELECT code, md5(title || full_text || deadline_kind || deadline_value ||
                              coalesce((SELECT string_agg(role || coalesce(agency_id::text, group_code), ','
                                                          ORDER BY role, ord)
                                        FROM task_assignee WHERE task_id = t.id), '')) AS h
                   FROM task t WHERE plan_version_id = v_id),
         old_i AS (SELECT key AS code, md5(name || unit || rule || coalesce(baseline::text, '') ||
                              coalesce((SELECT string_agg(year || qualifier || comparator || coalesce(value::text, '')
                                                          || coalesce(low::text, '') || coalesce(high::text, ''), ','
                                                          ORDER BY year, qualifier)
                                        FROM target WHERE indicator_id = i2.id), '')) AS h
                   FROM indicator i2 WHERE plan_version_id = prev.id),
         new_i AS (SELECT key AS code, md5(name || unit || rule || coalesce(baseline::text, '') ||
                              coalesce((SELECT string_agg(year || qualifier || comparator || coalesce(value::text, '')
                                                          || coalesce(low::text, '') || coalesce(high::text, ''), ','
                                                          ORDER BY year, qualifier)
                                        FROM target WHERE indicator_id = i2.id), '')) AS h
                   FROM indicator i2 WHERE plan_version_id = v_id),
         d AS (SELECT 'task' AS what, coalesce(n.code, o.code) AS code,
                      CASE WHEN o.code IS NULL THEN 'added' WHEN n.code IS NULL THEN 'removed'
                           ELSE 'changed' END AS change
               FROM new_t n FULL JOIN old_t o ON o.code = n.code
               WHERE o.h IS DISTINCT FROM n.h
               UNION ALL
               SELECT 'indicator', coalesce(n.code, o.code),
                      CASE WHEN o.code IS NULL THEN 'added' WHEN n.code IS NULL THEN 'removed'
                           ELSE 'changed' END
               FROM new_i n FULL JOIN old_i o ON o.code = n.code
               WHERE o.h IS DISTINCT FROM n.h)
    SELECT coalesce(jsonb_agg(jsonb_build_object('what', what, 'code', code, 'change', change)
                              ORDER BY what, code), '[]')
    INTO changes FROM d;

    RETURN jsonb_build_object('plan', doc #>> '{plan,code}', 'version', v_no, 'changed', true,
                              'changes', changes);
END $$;

-- Today in the province (by the business clock).
CREATE FUNCTION province_today() RETURNS date LANGUAGE sql STABLE AS $$
    SELECT (tamnong_now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
$$;

-- The agencies behind a task's assignees of one role on day d, as
-- [{"code","name"}] in the order the plan names them.
CREATE FUNCTION task_role_agencies(t bigint, r text, d date) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('code', a.code, 'name', a.name)
                              ORDER BY x.ord, a.code), '[]')
    FROM (SELECT DISTINCT ON (ra) ra, ta.ord
          FROM task_assignee ta, assignee_resolve(ta.agency_id, ta.group_code, d) ra
          WHERE ta.task_id = t AND ta.role = r
            -- an agency that leads is not listed again among the coordinators
            AND (r = 'lead' OR ra NOT IN (SELECT la FROM task_assignee tl,
                                                 assignee_resolve(tl.agency_id, tl.group_code, d) la
                                          WHERE tl.task_id = t AND tl.role = 'lead'))
          ORDER BY ra, ta.ord) x
    JOIN agency a ON a.id = x.ra
$$;

-- Tasks of the current plan version as of day d, with lead and coordinating
-- agencies resolved on d (groups expanded, successors followed). With an
-- agency code, only that agency's tasks and its role in each.
CREATE FUNCTION plan_tasks(agency_code text, section text, d date)
RETURNS TABLE (plan_version int, code text, section_code text, title text, full_text text,
               deadline_kind text, deadline_value text, expected_output text, lead jsonb,
               coordinating jsonb, role text)
LANGUAGE sql STABLE AS $$
    WITH v AS (SELECT id, version FROM plan_current ORDER BY imported_at DESC LIMIT 1),
         me AS (SELECT id FROM agency WHERE code = agency_code),
         t AS (SELECT t.*, v.version,
                      task_role_agencies(t.id, 'lead', d) AS lead,
                      task_role_agencies(t.id, 'coordinating', d) AS coordinating
               FROM task t JOIN v ON t.plan_version_id = v.id
               WHERE section IS NULL OR section = ''
                  OR t.section_code = section OR t.section_code LIKE section || '.%')
    SELECT t.version, t.code, t.section_code, t.title, t.full_text, t.deadline_kind,
           t.deadline_value, t.expected_output, t.lead, t.coordinating,
           CASE WHEN agency_code IS NULL OR agency_code = '' THEN ''
                WHEN t.lead @> jsonb_build_array(jsonb_build_object('code', agency_code))
                     THEN 'lead'
                ELSE 'coordinating' END
    FROM t
    WHERE agency_code IS NULL OR agency_code = ''
       OR t.lead @> jsonb_build_array(jsonb_build_object('code', agency_code))
       OR t.coordinating @> jsonb_build_array(jsonb_build_object('code', agency_code))
    ORDER BY t.ord
$$;

-- Agencies valid on day d with their parent and their successors (all dates),
-- sorted the Vietnamese way.
CREATE FUNCTION agencies_list(d date)
RETURNS TABLE (code text, name text, kind text, short_name text, parent_code text,
               valid_from date, valid_to date, successors jsonb)
LANGUAGE sql STABLE AS $$
    SELECT a.code, a.name, a.kind, coalesce(a.short_name, ''), coalesce(p.code, ''),
           a.valid_from, a.valid_to,
           coalesce((SELECT jsonb_agg(jsonb_build_object('code', coalesce(s2.code, g2.code),
                                                         'name', coalesce(s2.name, g2.name),
                                                         'effective', s.effective,
                                                         'kind', r.kind)
                                      ORDER BY s.effective, s2.code)
                     FROM agency_successor s
                     JOIN reorganisation r ON r.id = s.reorganisation_id
                     LEFT JOIN agency s2 ON s2.id = s.to_agency_id
                     LEFT JOIN agency_group g2 ON g2.code = s.to_group
                     WHERE s.from_agency_id = a.id), '[]')
    FROM agency a LEFT JOIN agency p ON p.id = a.parent_id
    WHERE d BETWEEN a.valid_from AND a.valid_to
    ORDER BY a.kind, a.name COLLATE "vi-VN-x-icu"
$$;

-- Indicators of the current plan with their targets.
CREATE FUNCTION plan_targets()
RETURNS TABLE (plan_version int, key text, name text, unit text, rule text, baseline_year int,
               baseline text, task_code text, reporters jsonb, targets jsonb)
LANGUAGE sql STABLE AS $$
    WITH v AS (SELECT id, version FROM plan_current ORDER BY imported_at DESC LIMIT 1)
    SELECT v.version, i.key, i.name, i.unit, i.rule, i.baseline_year, i.baseline::text,
           coalesce(i.task_code, ''),
           coalesce((SELECT jsonb_agg(coalesce(a.code, r.group_code))
                     FROM indicator_reporter r LEFT JOIN agency a ON a.id = r.agency_id
                     WHERE r.indicator_id = i.id), '[]'),
           coalesce((SELECT jsonb_agg(jsonb_build_object('year', t.year,
                                                         'comparator', t.comparator,
                                                         'value', t.value::text,
                                                         'low', t.low::text,
                                                         'high', t.high::text,
                                                         'strive', t.strive,
                                                         'wording', t.wording)
                                      ORDER BY t.year, t.qualifier)
                     FROM target t WHERE t.indicator_id = i.id), '[]')
    FROM indicator i JOIN v ON i.plan_version_id = v.id
    ORDER BY i.ord
$$;

-- Operator certificates may run the admin commands without being an agency
-- that reports (the full role model comes with the security work).
ALTER TABLE agency_certificate
    ADD COLUMN role text NOT NULL DEFAULT 'agency' CHECK (role IN ('agency', 'operator'));

-- Is agency a the standing agency of the current plan today? The plan names
-- the standing agency as it was when issued; successors carry the role on
-- (Sở NN&PTNT until 28/02/2025, then Sở Nông nghiệp và Môi trường).
CREATE FUNCTION agency_is_standing(a bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1
        FROM plan p JOIN plan_current v ON v.plan_id = p.id
        JOIN agency s ON s.code = p.standing_agency,
        agency_resolve(s.id, province_today()) r
        WHERE r = a)
$$;
