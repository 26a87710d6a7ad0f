-- 008_signatures: certificate registration and revocation as one function
-- each (shared by `tamnongd register-cert` and the CertRegister / CertRevoke
-- RPCs), and signed reports: the verified signer of a submission is stored
-- with it and shown wherever a submission's state is (issue 7).

ALTER TABLE agency_certificate ADD COLUMN revoke_reason text;

-- The signer of a submission, when it carried a detached CMS signature that
-- the server verified (subject in RFC 2253 form, SHA-256 of the certificate).
ALTER TABLE submission
    ADD COLUMN signer_subject text,
    ADD COLUMN signer_fingerprint text
        CONSTRAINT submission_signer_fingerprint_hex CHECK (signer_fingerprint ~ '^[0-9a-f]{64}$');

-- Register certificate fp (subject subj) to the agency agency_code, creating
-- or renaming the agency when agency_name is given (else it must exist).
-- Idempotent for the same agency; refused for a certificate registered to
-- another agency or revoked. a, u, sha: the calling agency, request id and
-- request hash of an RPC (exactly-once); all NULL for the command line.
-- Answer: {"replay", "fingerprint", "agency": {code, name}, "created",
-- "registered_at_ms"} or a refusal.
CREATE FUNCTION cert_register(a bigint, u uuid, sha text, fp text, agency_code text,
                              agency_name text, subj text, cert_role text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    seen jsonb;
    ag agency;
    c agency_certificate;
    owner text;
    created boolean;
    receipt jsonb;
BEGIN
    IF u IS NOT NULL THEN
        PERFORM agency_lock(a);
        seen := request_seen(a, u, 'CertRegister', sha);
        IF seen IS NOT NULL THEN
            RETURN seen;
        END IF;
    END IF;
    SELECT * INTO c FROM agency_certificate WHERE fingerprint = fp;
    IF c.fingerprint IS NOT NULL THEN
        SELECT code INTO owner FROM agency WHERE id = c.agency_id;
        IF owner <> agency_code THEN
            RETURN tn_refuse('ALREADY_EXISTS',
                             format('certificate %s is already registered to agency "%s"; issue '
                                    'a new certificate for "%s"', fp, owner, agency_code));
        ELSIF c.revoked_at IS NOT NULL THEN
            RETURN tn_refuse('FAILED_PRECONDITION',
                             format('certificate %s of agency "%s" was revoked; issue a new '
                                    'certificate', fp, agency_code));
        END IF;
    END IF;
    IF agency_name IS NOT NULL THEN
        INSERT INTO agency (code, name) VALUES (agency_code, agency_name)
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name
        RETURNING * INTO ag;
    ELSE
        SELECT * INTO ag FROM agency WHERE code = agency_code;
        IF ag.id IS NULL THEN
            RETURN tn_refuse('NOT_FOUND', format('there is no agency "%s"', agency_code));
        END IF;
    END IF;
    INSERT INTO agency_certificate (fingerprint, agency_id, subject, role)
    VALUES (fp, ag.id, subj, cert_role)
    ON CONFLICT (fingerprint) DO NOTHING;
    created := FOUND;
    SELECT * INTO c FROM agency_certificate WHERE fingerprint = fp;
    receipt := jsonb_build_object('replay', false, 'fingerprint', fp,
                                  'agency', jsonb_build_object('code', ag.code, 'name', ag.name),
                                  'created', created, 'subject', coalesce(c.subject, ''),
                                  'registered_at_ms', tn_ms(c.registered_at));
    IF u IS NOT NULL THEN
        PERFORM request_log_insert(a, u, 'CertRegister', sha, receipt);
    END IF;
    RETURN receipt;
END $$;

-- Revoke certificate fp (by operator a, request u / sha, exactly-once):
-- identification refuses it from the next connection on. Revoking a revoked
-- certificate again answers its first revocation (already_revoked).
-- Answer: {"replay", "fingerprint", "agency": {code, name}, "revoked_at_ms",
-- "already_revoked"} or NOT_FOUND.
CREATE FUNCTION cert_revoke(a bigint, u uuid, sha text, fp text, why text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    seen jsonb;
    c agency_certificate;
    ag agency;
    was boolean;
    receipt jsonb;
BEGIN
    PERFORM agency_lock(a);
    seen := request_seen(a, u, 'CertRevoke', sha);
    IF seen IS NOT NULL THEN
        RETURN seen;
    END IF;
    SELECT * INTO c FROM agency_certificate WHERE fingerprint = fp FOR UPDATE;
    IF c.fingerprint IS NULL THEN
        RETURN tn_refuse('NOT_FOUND', format('certificate %s is not registered', fp));
    END IF;
    was := c.revoked_at IS NOT NULL;
    IF NOT was THEN
        UPDATE agency_certificate SET revoked_at = now(), revoke_reason = nullif(why, '')
         WHERE fingerprint = fp
        RETURNING * INTO c;
    END IF;
    SELECT * INTO ag FROM agency WHERE id = c.agency_id;
    receipt := jsonb_build_object('replay', false, 'fingerprint', fp,
                                  'agency', jsonb_build_object('code', ag.code, 'name', ag.name),
                                  'revoked_at_ms', tn_ms(c.revoked_at),
                                  'already_revoked', was);
    PERFORM request_log_insert(a, u, 'CertRevoke', sha, receipt);
    RETURN receipt;
END $$;

-- Submit (submit_report) with a signature the server has verified against
-- the province CA and CRL: the signer certificate must be registered to the
-- submitting agency a and not revoked; it is recorded on the new revision.
CREATE FUNCTION submit_signed(a bigint, u uuid, sha text, doc jsonb, signer_subj text,
                              signer_fp text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    seen jsonb;
    c agency_certificate;
    r jsonb;
BEGIN
    PERFORM agency_lock(a);
    seen := request_seen(a, u, 'Submit', sha);
    IF seen IS NOT NULL THEN
        RETURN seen;
    END IF;
    SELECT * INTO c FROM agency_certificate WHERE fingerprint = signer_fp;
    IF c.fingerprint IS NULL THEN
        RETURN tn_refuse('PERMISSION_DENIED',
                         format('signature: the signer certificate (sha256 %s) is not '
                                'registered to any agency', signer_fp));
    ELSIF c.agency_id <> a THEN
        RETURN tn_refuse('PERMISSION_DENIED',
                         format('signature: signed with a certificate of agency "%s" (sha256 '
                                '%s), not of your agency',
                                (SELECT code FROM agency WHERE id = c.agency_id), signer_fp));
    ELSIF c.revoked_at IS NOT NULL THEN
        RETURN tn_refuse('INVALID_ARGUMENT',
                         format('signature: the signer certificate (sha256 %s) was revoked',
                                signer_fp));
    END IF;
    r := submit_report(a, u, sha, doc);
    IF r ? 'submission_id' AND NOT (r ->> 'replay')::boolean THEN
        UPDATE submission SET signer_subject = signer_subj, signer_fingerprint = signer_fp
         WHERE id = (r ->> 'submission_id')::bigint;
    END IF;
    RETURN r;
END $$;

-- SubmissionState.signer: "subject (sha256 fingerprint)", "" when unsigned.
CREATE FUNCTION submission_signer(s submission) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN s.signer_fingerprint IS NULL THEN ''
                ELSE format('%s (sha256 %s)', s.signer_subject, s.signer_fingerprint) END
$$;

-- The signer joins every SubmissionState (Pull, Submissions, SubmissionGet).
-- 004_deadlines makes submission_state_json(submission, boolean) the one
-- that builds the object (the one-argument form calls it); without 004 the
-- one-argument form of 003 builds it. The body is that of the form in
-- force, plus 'signer'.
DO $do$
BEGIN
    IF to_regprocedure('submission_state_json(submission, boolean)') IS NOT NULL THEN
        CREATE OR REPLACE FUNCTION submission_state_json(s submission, on_time boolean)
        RETURNS jsonb LANGUAGE sql STABLE AS $f$
            SELECT jsonb_build_object('submission_id', s.id,
                                      'period_code', (SELECT code FROM period WHERE id = s.period_id),
                                      'revision', s.revision, 'state', s.state,
                                      'received_at_ms', tn_ms(s.received_at),
                                      'on_time', on_time,
                                      'reason', coalesce(s.reason, ''),
                                      'reviewed_at_ms', coalesce(tn_ms(s.reviewed_at), 0),
                                      'current', s.current,
                                      'signer', submission_signer(s),
                                      'agency', (SELECT jsonb_build_object('code', code, 'name', name)
                                                 FROM agency WHERE id = s.agency_id))
        $f$;
    ELSE
        CREATE OR REPLACE FUNCTION submission_state_json(s submission)
        RETURNS jsonb LANGUAGE sql STABLE AS $f$
            SELECT jsonb_build_object('submission_id', s.id,
                                      'period_code', (SELECT code FROM period WHERE id = s.period_id),
                                      'revision', s.revision, 'state', s.state,
                                      'received_at_ms', tn_ms(s.received_at), 'on_time', s.on_time,
                                      'reason', coalesce(s.reason, ''),
                                      'reviewed_at_ms', coalesce(tn_ms(s.reviewed_at), 0),
                                      'current', s.current,
                                      'signer', submission_signer(s),
                                      'agency', (SELECT jsonb_build_object('code', code, 'name', name)
                                                 FROM agency WHERE id = s.agency_id))
        $f$;
    END IF;
END $do$;
