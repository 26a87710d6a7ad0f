-- oversight_data.sql: the reports of the national-scale oversight benchmark
-- (bench/oversight.sh), written straight into PostgreSQL after the plan of
-- bench/oversight_plan.py was imported. For every reporting unit and each of
-- the 16 periods: a report (5 % missing), with 3 revisions for a third of
-- them (the older ones superseded), one in 17 of the current ones returned,
-- about half accepted, one agency in ten late; the values of every indicator
-- the unit reports (ratios with numerator and denominator); a task status for
-- 9 in 10 of the (task, agency) assignments. Deterministic (no random()).
\set ON_ERROR_STOP 1
BEGIN;

CREATE TEMP TABLE exp AS
SELECT DISTINCT i.key, i.rule, m.agency_id
FROM indicator i
JOIN indicator_reporter r ON r.indicator_id = i.id
JOIN ref_members((plan_version_now()).id, '2025-01-01') m
  ON m.ref = coalesce(r.group_code, 'id:' || r.agency_id)
WHERE i.plan_version_id = (plan_version_now()).id;

CREATE TEMP TABLE ap AS
SELECT a.agency_id, p.id AS period_id, p.code, p.deadline_at,
       CASE WHEN (a.agency_id * 7 + p.id) % 3 = 0 THEN 3 ELSE 1 END AS revs
FROM (SELECT DISTINCT agency_id FROM exp) a CROSS JOIN period p
WHERE (a.agency_id * 13 + p.id * 7) % 20 <> 0;

INSERT INTO submission (agency_id, period_id, revision, received_at, on_time, content,
                        request_uuid, current, state, change_seq)
SELECT ap.agency_id, ap.period_id, r, t, t < ap.deadline_at,
       jsonb_build_object('period_code', ap.code,
                          'results', 'Kết quả thực hiện của đơn vị ' || ap.agency_id,
                          'difficulties', 'Khó khăn về vốn và nhân lực',
                          'recommendations', 'Đề nghị hỗ trợ kinh phí',
                          'proposals', CASE WHEN ap.agency_id % 50 = 0
                                            THEN 'Đề nghị điều chỉnh chỉ tiêu' ELSE '' END),
       gen_random_uuid(), r = ap.revs,
       CASE WHEN r < ap.revs THEN 'superseded'
            WHEN (ap.agency_id + ap.period_id) % 17 = 0 THEN 'returned'
            WHEN (ap.agency_id + ap.period_id) % 2 = 0 THEN 'accepted'
            ELSE 'submitted' END,
       nextval('change_seq')
FROM ap, generate_series(1, ap.revs) r,
     LATERAL (SELECT ap.deadline_at - interval '4 days' + r * interval '1 day'
                     + CASE WHEN ap.agency_id % 10 = 0 THEN interval '6 days'
                            ELSE interval '0' END AS t) tt;

INSERT INTO submission_value (submission_id, indicator_key, value, numerator, denominator)
SELECT s.id, e.key,
       CASE WHEN e.rule <> 'ratio' THEN ((s.id * 37 + h) % 10000) / 100.0 END,
       CASE WHEN e.rule = 'ratio' THEN (s.id * 13 + h) % (den + 1) END,
       CASE WHEN e.rule = 'ratio' THEN den END
FROM submission s
JOIN exp e ON e.agency_id = s.agency_id,
     LATERAL (SELECT abs(hashtext(e.key)) % 1000 AS h) hh,
     LATERAL (SELECT 10 + (s.id + hh.h) % 90 AS den) dd;

INSERT INTO task_status (agency_id, task_code, plan_version_id, status, progress, note,
                         evidence, version, updated_at, request_uuid, change_seq)
SELECT DISTINCT ON (m.agency_id, t.code)
       m.agency_id, t.code, t.plan_version_id,
       (ARRAY['not_started', 'in_progress', 'completed', 'postponed'])[1 + (m.agency_id + t.id) % 4],
       CASE (m.agency_id + t.id) % 4 WHEN 0 THEN 0 WHEN 2 THEN 100
            ELSE (m.agency_id * 31 + t.id) % 100 END,
       'Ghi chú tiến độ', '[]', 1 + m.agency_id % 5, tamnong_now(), gen_random_uuid(),
       nextval('change_seq')
FROM task t
JOIN task_assignee ta ON ta.task_id = t.id
JOIN ref_members((plan_version_now()).id, '2025-01-01') m
  ON m.ref = coalesce(ta.group_code, 'id:' || ta.agency_id)
WHERE t.plan_version_id = (plan_version_now()).id AND (m.agency_id + t.id) % 10 <> 0
ORDER BY m.agency_id, t.code;

COMMIT;
VACUUM ANALYZE submission;
VACUUM ANALYZE submission_value;
VACUUM ANALYZE task_status;
SELECT (SELECT count(*) FROM submission) AS submissions,
       (SELECT count(*) FROM submission_value) AS "values",
       (SELECT count(*) FROM task_status) AS task_statuses,
       (SELECT count(*) FROM agency) AS agencies;
