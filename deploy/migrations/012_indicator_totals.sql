-- 012_indicator_totals: running totals of the counted figures (issue 6, the
-- speed goal of TargetProgress). target_progress() of 005 read every counted
-- value of the period on each call (~93,000 at national scale); the totals
-- here are kept by triggers as the values and the submissions change, so the
-- province figures read ~4,000 small rows, and a closed period compares the
-- snapshot by a flag instead of two anti-joins. docs/oversight.md ("Running
-- totals") says what is kept and how it is proven (indicator_total_recomputed
-- below, tests/integration/test_indicator_totals.sh).
--
-- What is summed is exactly what 005's `cur` summed: a COUNTED ROW is a
-- submission_value of a submission that is current and not returned, with a
-- value, or with both a numerator and a denominator. Each row of
-- indicator_total holds, for (period, stripe of agencies, indicator key), the
-- count of counted rows and, for value, numerator and denominator, a sum and
-- a count of the non-NULL terms (so that a sum of nothing stays NULL, as the
-- SQL sum was). `latest` (the value received last, ties by the larger value;
-- the one-reporter rules) is kept only for the keys of indicator_total_single
-- (the indicators of the plan in force whose rule is not sum or ratio).
--
-- Concurrency. Agencies are spread over 64 stripes (agency_id % 64); a
-- transaction that changes counted rows takes, in sorted order, a transaction
-- advisory lock per (period, stripe) it touches before it reads or writes
-- totals, so writers never deadlock and only agencies of one stripe queue
-- for each other (and each agency's writes are serialised already by
-- agency_lock, taken first). All writers first take ROW EXCLUSIVE on
-- indicator_total; the rare whole-table operations (a rebuild, a plan whose
-- one-reporter keys changed, a statement touching more than 64 stripes: the
-- bench loader) take EXCLUSIVE instead of the stripe locks.
--
-- Row-level security: the triggers fire in a reporter's transaction, which
-- sees only its own rows; the maintenance functions are SECURITY DEFINER (the
-- owner) and take scope 'all' around their work (set_config, put back before
-- they return: PostgreSQL 15 lets only a superuser attach a placeholder
-- setting to a function, see tamnong_auth_agency in 007). The totals hold no
-- agency_id (aggregates of 55 agencies at least in a stripe at national
-- scale): tamnong_app may read them, never write them.
SELECT set_config('tamnong.scope', 'all', true);

CREATE TABLE indicator_total (
    period_id     bigint NOT NULL REFERENCES period (id),
    stripe        int NOT NULL CHECK (stripe BETWEEN 0 AND 63),  -- agency_id % 64
    indicator_key text NOT NULL,
    n             bigint NOT NULL DEFAULT 0,   -- counted rows
    n_value       bigint NOT NULL DEFAULT 0,   -- ... with a value
    total         numeric NOT NULL DEFAULT 0,  -- Σ value
    n_num         bigint NOT NULL DEFAULT 0,
    num           numeric NOT NULL DEFAULT 0,  -- Σ numerator
    n_den         bigint NOT NULL DEFAULT 0,
    den           numeric NOT NULL DEFAULT 0,  -- Σ denominator
    latest_at     timestamptz,                 -- one-reporter keys only: the
    latest_value  numeric,                     -- value received last (ties:
    latest_sid    bigint,                      -- the larger) and its submission
    PRIMARY KEY (period_id, stripe, indicator_key)
);

-- The keys whose `latest` is kept: the one-reporter indicators of the plan in
-- force (kept in step with the plan by indicator_totals_plan_check).
CREATE TABLE indicator_total_single (
    indicator_key text PRIMARY KEY
);

-- The frozen figures of a closed period, summed once at PeriodClose (latest:
-- the one-reporter keys only, as in indicator_total).
CREATE TABLE period_snapshot_total (
    period_id     bigint NOT NULL REFERENCES period_close (period_id),
    indicator_key text NOT NULL,
    n             bigint NOT NULL,
    total         numeric,
    num           numeric,
    den           numeric,
    latest        numeric,
    PRIMARY KEY (period_id, indicator_key)
);

-- "Changed since the close", per stripe: how many submissions are counted
-- now but not in the snapshot, plus how many of the snapshot are no longer
-- counted. The period changed when one stripe's n is not 0.
CREATE TABLE period_close_change (
    period_id bigint NOT NULL REFERENCES period_close (period_id),
    stripe    int NOT NULL CHECK (stripe BETWEEN 0 AND 63),
    n         int NOT NULL,
    PRIMARY KEY (period_id, stripe)
);

GRANT SELECT ON indicator_total, indicator_total_single, period_snapshot_total,
                period_close_change TO tamnong_app;

-- What the triggers hand to indicator_total_apply: per (period, stripe, key)
-- the change of each count and sum, and the latest of the rows added.
CREATE TYPE indicator_total_delta AS (
    period_id bigint, stripe int, indicator_key text, n bigint, n_value bigint,
    total numeric, n_num bigint, num numeric, n_den bigint, den numeric,
    cand_at timestamptz, cand_value numeric, cand_sid bigint);
-- A counted row taken away (one-reporter keys only): was it the latest?
CREATE TYPE indicator_total_gone AS (
    period_id bigint, stripe int, indicator_key text, sid bigint);
-- A submission that started (+1) or stopped (-1) counting.
CREATE TYPE submission_count_change AS (
    period_id bigint, stripe int, agency_id bigint, sid bigint, sign int);

-- ---------------------------------------------------------------- from scratch

-- Every total computed from the submissions: what indicator_total must hold
-- (rows with n = 0 aside). The proof of the triggers (the integration test
-- compares both ways) and the source of indicator_totals_rebuild().
CREATE VIEW indicator_total_recomputed AS
    SELECT s.period_id, (s.agency_id % 64)::int AS stripe, v.indicator_key,
           count(*) AS n, count(v.value) AS n_value, coalesce(sum(v.value), 0) AS total,
           count(v.numerator) AS n_num, coalesce(sum(v.numerator), 0) AS num,
           count(v.denominator) AS n_den, coalesce(sum(v.denominator), 0) AS den,
           (array_agg(s.received_at ORDER BY s.received_at DESC, v.value DESC)
                FILTER (WHERE one.single AND v.value IS NOT NULL))[1] AS latest_at,
           (array_agg(v.value ORDER BY s.received_at DESC, v.value DESC)
                FILTER (WHERE one.single AND v.value IS NOT NULL))[1] AS latest_value,
           (array_agg(s.id ORDER BY s.received_at DESC, v.value DESC)
                FILTER (WHERE one.single AND v.value IS NOT NULL))[1] AS latest_sid
    FROM submission s
    JOIN submission_value v ON v.submission_id = s.id,
    LATERAL (SELECT EXISTS (SELECT 1 FROM indicator i
                            WHERE i.plan_version_id = (plan_version_now()).id
                              AND i.key = v.indicator_key
                              AND i.rule NOT IN ('sum', 'ratio')) AS single) one
    WHERE s.current AND s.state <> 'returned'
      AND (v.value IS NOT NULL OR (v.numerator IS NOT NULL AND v.denominator IS NOT NULL))
    GROUP BY s.period_id, s.agency_id % 64, v.indicator_key;

-- The frozen totals from the snapshot's values.
CREATE VIEW period_snapshot_total_recomputed AS
    SELECT sv.period_id, sv.indicator_key, count(*) AS n, sum(sv.value) AS total,
           sum(sv.numerator) AS num, sum(sv.denominator) AS den,
           (max(ARRAY[extract(epoch FROM s.received_at)::numeric, sv.value])
                FILTER (WHERE one.single AND sv.value IS NOT NULL))[2] AS latest
    FROM period_snapshot s
    JOIN period_snapshot_value sv ON sv.period_id = s.period_id AND sv.agency_id = s.agency_id,
    LATERAL (SELECT EXISTS (SELECT 1 FROM indicator i
                            WHERE i.plan_version_id = (plan_version_now()).id
                              AND i.key = sv.indicator_key
                              AND i.rule NOT IN ('sum', 'ratio')) AS single) one
    WHERE sv.value IS NOT NULL OR (sv.numerator IS NOT NULL AND sv.denominator IS NOT NULL)
    GROUP BY sv.period_id, sv.indicator_key;

-- The changes since the close, from scratch (stripes without any left out).
CREATE VIEW period_close_change_recomputed AS
    SELECT x.period_id, (x.agency_id % 64)::int AS stripe, count(*)::int AS n
    FROM (SELECT s.period_id, s.agency_id
          FROM submission s JOIN period_close c ON c.period_id = s.period_id
          WHERE s.current AND s.state <> 'returned'
            AND NOT EXISTS (SELECT 1 FROM period_snapshot ps
                            WHERE ps.period_id = s.period_id AND ps.agency_id = s.agency_id
                              AND ps.submission_id = s.id)
          UNION ALL
          SELECT ps.period_id, ps.agency_id
          FROM period_snapshot ps
          WHERE NOT EXISTS (SELECT 1 FROM submission s
                            WHERE s.id = ps.submission_id AND s.current
                              AND s.state <> 'returned')) x
    GROUP BY x.period_id, x.agency_id % 64;

-- The one-reporter keys of the plan in force.
CREATE FUNCTION indicator_total_single_now() RETURNS SETOF text LANGUAGE sql STABLE AS $$
    SELECT key FROM indicator
    WHERE plan_version_id = (plan_version_now()).id AND rule NOT IN ('sum', 'ratio')
$$;

-- Every total, the kept keys, the frozen totals and the changes since the
-- close, recomputed from scratch (the owner's: the migration below, bench
-- loaders, a repair). Waits for the writers in progress; blocks new ones
-- until it commits.
CREATE FUNCTION indicator_totals_rebuild() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    was text := coalesce(current_setting('tamnong.scope', true), '');
BEGIN
    PERFORM set_config('tamnong.scope', 'all', true);
    LOCK TABLE indicator_total IN EXCLUSIVE MODE;
    DELETE FROM indicator_total_single;
    INSERT INTO indicator_total_single SELECT DISTINCT k FROM indicator_total_single_now() k;
    DELETE FROM indicator_total;
    INSERT INTO indicator_total (period_id, stripe, indicator_key, n, n_value, total, n_num, num,
                                 n_den, den, latest_at, latest_value, latest_sid)
    SELECT * FROM indicator_total_recomputed ORDER BY 1, 2, 3;
    DELETE FROM period_snapshot_total;
    INSERT INTO period_snapshot_total (period_id, indicator_key, n, total, num, den, latest)
    SELECT * FROM period_snapshot_total_recomputed;
    DELETE FROM period_close_change;
    INSERT INTO period_close_change (period_id, stripe, n)
    SELECT * FROM period_close_change_recomputed;
    PERFORM set_config('tamnong.scope', was, true);
END $$;
REVOKE ALL ON FUNCTION indicator_totals_rebuild() FROM PUBLIC;

-- ---------------------------------------------------------------- maintenance

-- The stripe lock of (period, stripe): the namespace is 'tnit' as int4.
CREATE FUNCTION indicator_total_lock(p bigint, stripe int) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(1953393012, (p * 64 + stripe)::int)
$$;
REVOKE ALL ON FUNCTION indicator_total_lock(bigint, int) FROM PUBLIC;

-- Applies what a trigger computed; the caller holds ROW EXCLUSIVE on
-- indicator_total (so the plan's one-reporter keys cannot change under it).
CREATE FUNCTION indicator_total_apply(d indicator_total_delta[], gone indicator_total_gone[],
                                      c submission_count_change[])
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    k record;
    n int;
BEGIN
    -- the stripes, in order; a statement over more than 64 of them (a bulk
    -- load) takes the whole table instead
    SELECT count(*) INTO n
    FROM (SELECT period_id, stripe FROM unnest(d)
          UNION SELECT period_id, stripe FROM unnest(c)) x;
    IF n > 64 THEN
        LOCK TABLE indicator_total IN EXCLUSIVE MODE;
    ELSE
        FOR k IN SELECT period_id, stripe FROM unnest(d)
                 UNION SELECT period_id, stripe FROM unnest(c)
                 ORDER BY 1, 2 LOOP
            PERFORM indicator_total_lock(k.period_id, k.stripe);
        END LOOP;
    END IF;

    IF cardinality(d) > 0 THEN
        -- one sorted upsert: the sums move by the deltas; a newer latest of
        -- a kept key replaces the old one
        INSERT INTO indicator_total AS t (period_id, stripe, indicator_key, n, n_value, total,
                                          n_num, num, n_den, den, latest_at, latest_value,
                                          latest_sid)
        SELECT x.period_id, x.stripe, x.indicator_key, x.n, x.n_value, x.total, x.n_num, x.num,
               x.n_den, x.den, x.cand_at, x.cand_value, x.cand_sid
        FROM (SELECT x.period_id, x.stripe, x.indicator_key, x.n, x.n_value, x.total, x.n_num,
                     x.num, x.n_den, x.den,
                     CASE WHEN one.k IS NOT NULL THEN x.cand_at END AS cand_at,
                     CASE WHEN one.k IS NOT NULL THEN x.cand_value END AS cand_value,
                     CASE WHEN one.k IS NOT NULL THEN x.cand_sid END AS cand_sid
              FROM unnest(d) x
              LEFT JOIN (SELECT indicator_key AS k FROM indicator_total_single) one
                ON one.k = x.indicator_key) x
        ORDER BY x.period_id, x.stripe, x.indicator_key
        ON CONFLICT (period_id, stripe, indicator_key) DO UPDATE
        SET n = t.n + excluded.n, n_value = t.n_value + excluded.n_value,
            total = t.total + excluded.total, n_num = t.n_num + excluded.n_num,
            num = t.num + excluded.num, n_den = t.n_den + excluded.n_den,
            den = t.den + excluded.den,
            latest_at = CASE WHEN excluded.latest_at IS NOT NULL
                                  AND (t.latest_at IS NULL
                                       OR (excluded.latest_at, excluded.latest_value)
                                          > (t.latest_at, t.latest_value))
                             THEN excluded.latest_at ELSE t.latest_at END,
            latest_value = CASE WHEN excluded.latest_at IS NOT NULL
                                     AND (t.latest_at IS NULL
                                          OR (excluded.latest_at, excluded.latest_value)
                                             > (t.latest_at, t.latest_value))
                                THEN excluded.latest_value ELSE t.latest_value END,
            latest_sid = CASE WHEN excluded.latest_at IS NOT NULL
                                   AND (t.latest_at IS NULL
                                        OR (excluded.latest_at, excluded.latest_value)
                                           > (t.latest_at, t.latest_value))
                              THEN excluded.latest_sid ELSE t.latest_sid END;
    END IF;

    IF cardinality(gone) > 0 THEN
        -- the latest went away: the next one from the stripe's counted
        -- submissions (~55 at national scale), that key only
        UPDATE indicator_total t
           SET (latest_at, latest_value, latest_sid) = (
                   SELECT s.received_at, v.value, s.id
                   FROM submission s
                   JOIN submission_value v ON v.submission_id = s.id
                                          AND v.indicator_key = t.indicator_key
                   WHERE s.period_id = t.period_id AND s.current AND s.state <> 'returned'
                     AND s.agency_id % 64 = t.stripe AND v.value IS NOT NULL
                   ORDER BY s.received_at DESC, v.value DESC LIMIT 1)
          FROM (SELECT DISTINCT g.period_id, g.stripe, g.indicator_key, g.sid
                FROM unnest(gone) g) g
         WHERE t.period_id = g.period_id AND t.stripe = g.stripe
           AND t.indicator_key = g.indicator_key AND t.latest_sid = g.sid
           AND t.indicator_key IN (SELECT indicator_key FROM indicator_total_single);
    END IF;

    IF cardinality(c) > 0 THEN
        -- closed periods: moves away from the snapshot (+1) or back to it (-1)
        INSERT INTO period_close_change AS t (period_id, stripe, n)
        SELECT c.period_id, c.stripe,
               sum(CASE WHEN ps.submission_id IS NULL THEN c.sign ELSE -c.sign END)
        FROM unnest(c) c
        JOIN period_close pc ON pc.period_id = c.period_id
        LEFT JOIN period_snapshot ps ON ps.period_id = c.period_id
                                    AND ps.agency_id = c.agency_id
                                    AND ps.submission_id = c.sid
        GROUP BY c.period_id, c.stripe
        ORDER BY c.period_id, c.stripe
        ON CONFLICT (period_id, stripe) DO UPDATE SET n = t.n + excluded.n;
    END IF;
END $$;
REVOKE ALL ON FUNCTION indicator_total_apply(indicator_total_delta[], indicator_total_gone[],
                                             submission_count_change[]) FROM PUBLIC;

-- The deltas of a set of changed rows `raw` (period_id, agency_id, sid,
-- received_at, key, value, numerator, denominator, sign), as one query over
-- the trigger's transition tables (visible only in the trigger function).
CREATE FUNCTION indicator_total_delta_sql(raw text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format($q$
        WITH raw AS MATERIALIZED (%s),
        agg AS (SELECT period_id, (agency_id %% 64)::int AS stripe, key,
                       sum(sign) AS n, coalesce(sum(sign) FILTER (WHERE value IS NOT NULL), 0) AS n_value,
                       coalesce(sum(sign * value), 0) AS total,
                       coalesce(sum(sign) FILTER (WHERE numerator IS NOT NULL), 0) AS n_num,
                       coalesce(sum(sign * numerator), 0) AS num,
                       coalesce(sum(sign) FILTER (WHERE denominator IS NOT NULL), 0) AS n_den,
                       coalesce(sum(sign * denominator), 0) AS den
                FROM raw GROUP BY 1, 2, 3),
        cand AS (SELECT DISTINCT ON (period_id, (agency_id %% 64)::int, key)
                        period_id, (agency_id %% 64)::int AS stripe, key, received_at, value, sid
                 FROM raw
                 WHERE sign > 0 AND value IS NOT NULL
                   AND key IN (SELECT indicator_key FROM indicator_total_single)
                 ORDER BY period_id, (agency_id %% 64)::int, key, received_at DESC, value DESC)
        SELECT coalesce((SELECT array_agg(ROW(a.period_id, a.stripe, a.key, a.n, a.n_value,
                                              a.total, a.n_num, a.num, a.n_den, a.den,
                                              c.received_at, c.value, c.sid)::indicator_total_delta)
                         FROM agg a LEFT JOIN cand c USING (period_id, stripe, key)), '{}'),
               coalesce((SELECT array_agg(DISTINCT ROW(period_id, (agency_id %% 64)::int, key,
                                                       sid)::indicator_total_gone)
                         FROM raw
                         WHERE sign < 0 AND value IS NOT NULL
                           AND key IN (SELECT indicator_key FROM indicator_total_single)), '{}')
        $q$, raw)
$$;

-- A counted row of submission s and value v (the text of the condition).
CREATE FUNCTION indicator_total_counted(s text, v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format('%1$s.current AND %1$s.state <> ''returned'' AND (%2$s.value IS NOT NULL '
                  'OR (%2$s.numerator IS NOT NULL AND %2$s.denominator IS NOT NULL))', s, v)
$$;

-- AFTER INSERT / UPDATE / DELETE ... FOR EACH STATEMENT on submission_value
-- (transition tables new_rows / old_rows): values of counted submissions
-- added or taken away.
CREATE FUNCTION indicator_total_values_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    was text := coalesce(current_setting('tamnong.scope', true), '');
    part text := 'SELECT s.period_id, s.agency_id, s.id AS sid, s.received_at, '
                 'v.indicator_key AS key, v.value, v.numerator, v.denominator, %s AS sign '
                 'FROM %s v JOIN submission s ON s.id = v.submission_id WHERE '
                 || indicator_total_counted('s', 'v');
    raw text;
    d indicator_total_delta[];
    gone indicator_total_gone[];
BEGIN
    PERFORM set_config('tamnong.scope', 'all', true);
    LOCK TABLE indicator_total IN ROW EXCLUSIVE MODE;
    raw := CASE TG_OP WHEN 'INSERT' THEN format(part, 1, 'new_rows')
                      WHEN 'DELETE' THEN format(part, -1, 'old_rows')
                      ELSE format(part, -1, 'old_rows') || ' UNION ALL '
                           || format(part, 1, 'new_rows') END;
    EXECUTE indicator_total_delta_sql(raw) INTO d, gone;
    IF cardinality(d) > 0 THEN
        PERFORM indicator_total_apply(d, gone, '{}');
    END IF;
    PERFORM set_config('tamnong.scope', was, true);
    RETURN NULL;
END $$;

-- AFTER INSERT / UPDATE ... FOR EACH STATEMENT on submission: a submission
-- that starts or stops counting (the supersede of submit_report, a return or
-- an accept of review_submission, anything else) adds or takes away all its
-- values; so does a counted one that moves (period, agency, received_at).
-- A new submission has no values yet (they follow it): only its count.
CREATE FUNCTION indicator_total_submissions_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    was text := coalesce(current_setting('tamnong.scope', true), '');
    d indicator_total_delta[] := '{}';
    gone indicator_total_gone[] := '{}';
    c submission_count_change[];
BEGIN
    PERFORM set_config('tamnong.scope', 'all', true);
    LOCK TABLE indicator_total IN ROW EXCLUSIVE MODE;
    IF TG_OP = 'INSERT' THEN
        SELECT coalesce(array_agg(ROW(n.period_id, (n.agency_id % 64)::int, n.agency_id, n.id,
                                      1)::submission_count_change), '{}')
          INTO c
        FROM new_rows n WHERE n.current AND n.state <> 'returned';
    ELSE
        SELECT coalesce(array_agg(x.ch), '{}') INTO c
        FROM (SELECT ROW(o.period_id, (o.agency_id % 64)::int, o.agency_id, o.id,
                         -1)::submission_count_change AS ch
              FROM old_rows o JOIN new_rows n ON n.id = o.id
              WHERE o.current AND o.state <> 'returned'
                AND ((n.current AND n.state <> 'returned') IS NOT TRUE
                     OR (n.period_id, n.agency_id) <> (o.period_id, o.agency_id))
              UNION ALL
              SELECT ROW(n.period_id, (n.agency_id % 64)::int, n.agency_id, n.id,
                         1)::submission_count_change
              FROM old_rows o JOIN new_rows n ON n.id = o.id
              WHERE n.current AND n.state <> 'returned'
                AND ((o.current AND o.state <> 'returned') IS NOT TRUE
                     OR (n.period_id, n.agency_id) <> (o.period_id, o.agency_id))) x;
        EXECUTE indicator_total_delta_sql(
            'SELECT o.period_id, o.agency_id, o.id AS sid, o.received_at, '
            'v.indicator_key AS key, v.value, v.numerator, v.denominator, -1 AS sign '
            'FROM old_rows o JOIN new_rows n ON n.id = o.id '
            'JOIN submission_value v ON v.submission_id = o.id '
            'WHERE ' || indicator_total_counted('o', 'v')
            || ' AND ((n.current AND n.state <> ''returned'') IS NOT TRUE '
               'OR (n.period_id, n.agency_id, n.received_at) '
               '<> (o.period_id, o.agency_id, o.received_at)) '
            'UNION ALL '
            'SELECT n.period_id, n.agency_id, n.id, n.received_at, '
            'v.indicator_key, v.value, v.numerator, v.denominator, 1 '
            'FROM old_rows o JOIN new_rows n ON n.id = o.id '
            'JOIN submission_value v ON v.submission_id = n.id '
            'WHERE ' || indicator_total_counted('n', 'v')
            || ' AND ((o.current AND o.state <> ''returned'') IS NOT TRUE '
               'OR (n.period_id, n.agency_id, n.received_at) '
               '<> (o.period_id, o.agency_id, o.received_at))')
            INTO d, gone;
    END IF;
    IF cardinality(d) > 0 OR cardinality(c) > 0 THEN
        PERFORM indicator_total_apply(d, gone, c);
    END IF;
    PERFORM set_config('tamnong.scope', was, true);
    RETURN NULL;
END $$;

-- AFTER DELETE ... FOR EACH STATEMENT on submission (nothing deletes one
-- today; kept right anyway): the cascade already took the values away before
-- the submission rows could be joined, so the stripes of the deleted counted
-- submissions are recomputed from scratch.
CREATE FUNCTION indicator_total_submissions_deleted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    was text := coalesce(current_setting('tamnong.scope', true), '');
    c submission_count_change[];
    k record;
BEGIN
    PERFORM set_config('tamnong.scope', 'all', true);
    LOCK TABLE indicator_total IN ROW EXCLUSIVE MODE;
    SELECT coalesce(array_agg(ROW(o.period_id, (o.agency_id % 64)::int, o.agency_id, o.id,
                                  -1)::submission_count_change), '{}')
      INTO c
    FROM old_rows o WHERE o.current AND o.state <> 'returned';
    IF cardinality(c) > 0 THEN
        PERFORM indicator_total_apply('{}', '{}', c);  -- locks, changes since close
        FOR k IN SELECT DISTINCT period_id, stripe FROM unnest(c) ORDER BY 1, 2 LOOP
            DELETE FROM indicator_total WHERE period_id = k.period_id AND stripe = k.stripe;
            INSERT INTO indicator_total (period_id, stripe, indicator_key, n, n_value, total,
                                         n_num, num, n_den, den, latest_at, latest_value,
                                         latest_sid)
            SELECT * FROM indicator_total_recomputed r
            WHERE r.period_id = k.period_id AND r.stripe = k.stripe;
        END LOOP;
    END IF;
    PERFORM set_config('tamnong.scope', was, true);
    RETURN NULL;
END $$;

-- AFTER TRUNCATE: everything from scratch.
CREATE FUNCTION indicator_total_truncated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM indicator_totals_rebuild();
    RETURN NULL;
END $$;

REVOKE ALL ON FUNCTION indicator_total_values_changed(),
                       indicator_total_submissions_changed(),
                       indicator_total_submissions_deleted(), indicator_total_truncated()
    FROM PUBLIC;

CREATE TRIGGER indicator_total_values_added AFTER INSERT ON submission_value
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_total_values_changed();
CREATE TRIGGER indicator_total_values_removed AFTER DELETE ON submission_value
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_total_values_changed();
CREATE TRIGGER indicator_total_values_updated AFTER UPDATE ON submission_value
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_total_values_changed();
CREATE TRIGGER indicator_total_submissions_added AFTER INSERT ON submission
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_total_submissions_changed();
CREATE TRIGGER indicator_total_submissions_updated AFTER UPDATE ON submission
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_total_submissions_changed();
CREATE TRIGGER indicator_total_submissions_removed AFTER DELETE ON submission
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_total_submissions_deleted();
CREATE TRIGGER indicator_total_values_truncated AFTER TRUNCATE ON submission_value
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_total_truncated();
CREATE TRIGGER indicator_total_submissions_truncated AFTER TRUNCATE ON submission
    FOR EACH STATEMENT EXECUTE FUNCTION indicator_total_truncated();

-- ---------------------------------------------------------------- the plan in force

-- At the commit of a plan import (a new version: the plan in force may now
-- have other one-reporter indicators): nothing to do when the set of
-- one-reporter keys is the same; else the latest of the keys that changed is
-- recomputed (or dropped) over every period, under the whole-table lock.
CREATE FUNCTION indicator_totals_plan_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    was text := coalesce(current_setting('tamnong.scope', true), '');
    changed text[];
BEGIN
    PERFORM set_config('tamnong.scope', 'all', true);
    SELECT array_agg(k) INTO changed
    FROM ((SELECT k FROM indicator_total_single_now() k
           EXCEPT SELECT indicator_key FROM indicator_total_single)
          UNION
          (SELECT indicator_key FROM indicator_total_single
           EXCEPT SELECT k FROM indicator_total_single_now() k)) x (k);
    IF changed IS NOT NULL THEN
        LOCK TABLE indicator_total IN EXCLUSIVE MODE;
        DELETE FROM indicator_total_single;
        INSERT INTO indicator_total_single SELECT DISTINCT k FROM indicator_total_single_now() k;
        UPDATE indicator_total t
           SET latest_at = l.received_at, latest_value = l.value, latest_sid = l.sid
          FROM (SELECT t.period_id, t.stripe, t.indicator_key, l.received_at, l.value, l.sid
                FROM indicator_total t
                LEFT JOIN (SELECT DISTINCT ON (s.period_id, s.agency_id % 64, v.indicator_key)
                                  s.period_id, (s.agency_id % 64)::int AS stripe,
                                  v.indicator_key, s.received_at, v.value, s.id AS sid
                           FROM submission s
                           JOIN submission_value v ON v.submission_id = s.id
                           WHERE v.indicator_key = ANY (changed)
                             AND v.indicator_key IN (SELECT indicator_key
                                                     FROM indicator_total_single)
                             AND s.current AND s.state <> 'returned' AND v.value IS NOT NULL
                           ORDER BY s.period_id, s.agency_id % 64, v.indicator_key,
                                    s.received_at DESC, v.value DESC) l
                  USING (period_id, stripe, indicator_key)
                WHERE t.indicator_key = ANY (changed)) l
         WHERE t.period_id = l.period_id AND t.stripe = l.stripe
           AND t.indicator_key = l.indicator_key;
        UPDATE period_snapshot_total t
           SET latest = (SELECT r.latest FROM period_snapshot_total_recomputed r
                         WHERE r.period_id = t.period_id AND r.indicator_key = t.indicator_key)
         WHERE t.indicator_key = ANY (changed);
    END IF;
    PERFORM set_config('tamnong.scope', was, true);
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION indicator_totals_plan_check() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER indicator_totals_plan_check AFTER INSERT ON plan_version
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION indicator_totals_plan_check();

-- ---------------------------------------------------------------- PeriodClose

-- The stripes of period p, all of them, for the close: the snapshot then
-- holds exactly what counted, and every later change of a counted
-- submission of p (waiting behind these locks) sees the close.
CREATE FUNCTION indicator_totals_lock_period(p bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    LOCK TABLE indicator_total IN ROW EXCLUSIVE MODE;
    PERFORM indicator_total_lock(p, s) FROM generate_series(0, 63) s;
END $$;
REVOKE ALL ON FUNCTION indicator_totals_lock_period(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION indicator_totals_lock_period(bigint) TO tamnong_app;

-- The frozen totals of closed period p (idempotent). Nothing changed since
-- the close (so at the close itself, under its locks): the stripes of
-- indicator_total added up, a few thousand rows; else from the snapshot.
CREATE FUNCTION period_snapshot_totals_store(p bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    was text := coalesce(current_setting('tamnong.scope', true), '');
BEGIN
    PERFORM set_config('tamnong.scope', 'all', true);
    PERFORM indicator_totals_lock_period(p);
    DELETE FROM period_snapshot_total WHERE period_id = p;
    IF EXISTS (SELECT 1 FROM period_close_change WHERE period_id = p AND n <> 0) THEN
        INSERT INTO period_snapshot_total (period_id, indicator_key, n, total, num, den, latest)
        SELECT * FROM period_snapshot_total_recomputed r WHERE r.period_id = p;
    ELSE
        INSERT INTO period_snapshot_total (period_id, indicator_key, n, total, num, den, latest)
        SELECT t.period_id, t.indicator_key, sum(t.n),
               CASE WHEN sum(t.n_value) > 0 THEN sum(t.total) END,
               CASE WHEN sum(t.n_num) > 0 THEN sum(t.num) END,
               CASE WHEN sum(t.n_den) > 0 THEN sum(t.den) END,
               (max(ARRAY[extract(epoch FROM t.latest_at)::numeric, t.latest_value])
                    FILTER (WHERE t.latest_at IS NOT NULL AND t.latest_value IS NOT NULL))[2]
        FROM indicator_total t
        WHERE t.period_id = p
        GROUP BY t.period_id, t.indicator_key
        HAVING sum(t.n) > 0;
    END IF;
    PERFORM set_config('tamnong.scope', was, true);
END $$;
REVOKE ALL ON FUNCTION period_snapshot_totals_store(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION period_snapshot_totals_store(bigint) TO tamnong_app;

-- PeriodClose of 005, with the stripes locked before the snapshot and the
-- frozen totals stored with it.
CREATE OR REPLACE FUNCTION period_close(a bigint, u uuid, sha text, p_code text)
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
    PERFORM indicator_totals_lock_period((o.p).id);
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
    PERFORM period_snapshot_totals_store((o.p).id);
    UPDATE period_close SET submissions = n WHERE period_id = (o.p).id;
    receipt := jsonb_build_object('replay', false, 'closed_at_ms', tn_ms(tamnong_now()),
                                  'submissions', n);
    PERFORM request_log_insert(a, u, 'PeriodClose', sha, receipt);
    RETURN receipt;
END $$;

-- ---------------------------------------------------------------- TargetProgress

-- TargetProgress of 005, the totals read from indicator_total and
-- period_snapshot_total: the values themselves are read only for the
-- breakdown and the missing list (never with totals_only).
CREATE OR REPLACE FUNCTION target_progress(p_code text, ind_key text, totals_only boolean)
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
    -- and are not computed a second time. Kept by the triggers of 012.
    IF closed THEN
        changed := EXISTS (SELECT 1 FROM period_close_change
                           WHERE period_id = (o.p).id AND n <> 0);
    END IF;

    WITH ind AS MATERIALIZED (
             SELECT * FROM indicator
             WHERE plan_version_id = v AND (coalesce(ind_key, '') = '' OR key = ind_key)),
         -- figures of the counted revisions now, one row per agency: only
         -- for the breakdown and the missing list (the totals come from
         -- indicator_total). One index probe per counted submission and
         -- indicator (OFFSET 0 keeps the probes: a few thousand submissions
         -- of a period among millions of values).
         cur AS MATERIALIZED (
             SELECT s.agency_id, s.id AS submission_id, s.revision, s.received_at,
                    sv.key, sv.value, sv.numerator, sv.denominator
             FROM submission s,
             LATERAL (SELECT sv.indicator_key AS key, sv.value, sv.numerator, sv.denominator
                      FROM ind JOIN submission_value sv ON sv.submission_id = s.id
                                                       AND sv.indicator_key = ind.key
                      WHERE sv.value IS NOT NULL
                            OR (sv.numerator IS NOT NULL AND sv.denominator IS NOT NULL)
                      OFFSET 0) sv
             WHERE NOT totals_only AND s.period_id = (o.p).id AND s.current
               AND s.state <> 'returned' AND (NOT closed OR changed)),
         -- figures of the snapshot (none while the period is open)
         frz AS MATERIALIZED (
             SELECT s.agency_id, s.submission_id, s.revision, s.received_at,
                    sv.indicator_key AS key, sv.value, sv.numerator, sv.denominator
             FROM period_snapshot s
             JOIN period_snapshot_value sv ON sv.period_id = s.period_id
                                          AND sv.agency_id = s.agency_id
             JOIN ind ON ind.key = sv.indicator_key
             WHERE NOT totals_only AND closed AND s.period_id = (o.p).id
               AND (sv.value IS NOT NULL
                    OR (sv.numerator IS NOT NULL AND sv.denominator IS NOT NULL))),
         -- the totals now: the stripes of indicator_total (012) added up; a
         -- sum of nothing stays NULL. latest: the value received last (max of
         -- [time, value] pairs), kept for the one-reporter rules only.
         agg_cur AS (SELECT t.indicator_key AS key,
                            CASE WHEN sum(t.n_value) > 0 THEN sum(t.total) END AS total,
                            CASE WHEN sum(t.n_num) > 0 THEN sum(t.num) END AS num,
                            CASE WHEN sum(t.n_den) > 0 THEN sum(t.den) END AS den,
                            sum(t.n)::bigint AS n,
                            (max(ARRAY[extract(epoch FROM t.latest_at)::numeric, t.latest_value])
                                 FILTER (WHERE ind.rule NOT IN ('sum', 'ratio')
                                           AND t.latest_at IS NOT NULL
                                           AND t.latest_value IS NOT NULL))[2] AS latest
                     FROM indicator_total t JOIN ind ON ind.key = t.indicator_key
                     WHERE t.period_id = (o.p).id AND (NOT closed OR changed)
                     GROUP BY t.indicator_key
                     HAVING sum(t.n) > 0),
         -- the frozen totals, summed at the close
         agg_frz AS (SELECT t.indicator_key AS key, t.total, t.num, t.den, t.n, t.latest
                     FROM period_snapshot_total t JOIN ind ON ind.key = t.indicator_key
                     WHERE closed AND t.period_id = (o.p).id),
         members AS MATERIALIZED (SELECT * FROM ref_members(v, (o.p).window_end)),
         -- each indicator's reporter refs; many indicators share one set
         -- ("@communes"), so the expected reporters are counted once per set
         irefs AS MATERIALIZED (
             SELECT r.indicator_id, array_agg(coalesce(r.group_code, 'id:' || r.agency_id)
                                              ORDER BY coalesce(r.group_code, 'id:' || r.agency_id))
                                        AS refs
             FROM indicator_reporter r JOIN ind ON ind.id = r.indicator_id
             GROUP BY r.indicator_id),
         -- (a hash join on each ref of a set, not a test of every member
         -- against every set: 3,500 x 22 array searches at national scale)
         set_n AS (SELECT s.refs, count(DISTINCT m.agency_id) AS n
                   FROM (SELECT DISTINCT refs FROM irefs) s
                   CROSS JOIN LATERAL unnest(s.refs) r (ref)
                   JOIN members m ON m.ref = r.ref
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

-- The totals of the data already there.
SELECT indicator_totals_rebuild();
