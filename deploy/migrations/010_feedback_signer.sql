-- 010_feedback_signer: the consolidated report shows which submissions were
-- signed. report_feedback (005) was written before the signer was stored
-- (008, submission.signer_subject); this replaces it with the signer filled in.
CREATE OR REPLACE FUNCTION report_feedback(p_code text) RETURNS jsonb
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
                       'signer', coalesce(s.signer_subject, ''))
                       ORDER BY g.kind, g.name COLLATE "vi-VN-x-icu", g.code)
            FROM submission s JOIN agency g ON g.id = s.agency_id
            WHERE s.period_id = (o.p).id
              AND CASE WHEN closed
                       THEN s.id IN (SELECT submission_id FROM period_snapshot
                                     WHERE period_id = (o.p).id)
                       ELSE s.current AND s.state <> 'returned' END), '[]'));
END $$;
