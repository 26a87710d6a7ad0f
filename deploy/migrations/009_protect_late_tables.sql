-- 009_protect_late_tables: the row-level security pattern of 007_rls.sql
-- applied to the agency-data tables that 004-008 created (they were written
-- in parallel with 007). tests/integration/test_rls.sh fails for any table
-- with an agency_id column left unforced, so a table added later must get its
-- line in a new migration like this one.
SELECT set_config('tamnong.scope', 'all', true);

-- 004: deadline extensions. A row for one agency is that agency's (and the
-- standing agency's); a row for every reporter (agency_id NULL) is read by all,
-- since each Submit judges its own deadline against it. Only scope 'all'
-- (DeadlineExtend is a reviewer's call) writes; nobody updates or deletes.
ALTER TABLE deadline_extension ENABLE ROW LEVEL SECURITY;
ALTER TABLE deadline_extension FORCE ROW LEVEL SECURITY;
CREATE POLICY extension_read ON deadline_extension FOR SELECT
    USING (tamnong_scope_all() OR agency_id IS NULL OR agency_id = tamnong_agency());
CREATE POLICY extension_write ON deadline_extension FOR INSERT
    WITH CHECK (tamnong_scope_all());
GRANT SELECT, INSERT ON deadline_extension TO tamnong_app;
GRANT USAGE ON SEQUENCE deadline_extension_id_seq TO tamnong_app;
GRANT SELECT ON extension_in_force TO tamnong_app;

-- 008: certificates are now registered and revoked over RPC (operator, scope
-- 'all') and a signed Submit checks that the signer's certificate is
-- registered to the submitting agency (its own rows only, by the policy of
-- 007: another agency's certificate is invisible, so it is refused as not
-- registered). Login lookups still go through tamnong_auth_agency.
GRANT SELECT, INSERT, UPDATE ON agency_certificate TO tamnong_app;

-- 005: frozen figures. The snapshot rows are agency data (the standing
-- agency closes and reads them in scope 'all'); the closing itself is public
-- to read and written only in scope 'all'.
SELECT tamnong_protect_agency_table('period_snapshot', 'SELECT, INSERT');
SELECT tamnong_protect_agency_table('period_snapshot_value', 'SELECT, INSERT');
SELECT tamnong_protect_plan_table('period_close');
GRANT INSERT, UPDATE ON period_close TO tamnong_app;

-- 006: persons and their sessions. A person belongs to an agency: visible to
-- calls of that agency (a log-in and the session check of every request run
-- with the certificate's agency set, so a person of another agency does not
-- exist for them: the same "wrong user name or password") and to scope 'all'
-- (the operator's UserAdd/UserUpdate). A session is visible through its
-- person. Failed log-ins and lockouts are kept per user name, known or not
-- (no agency in them), so they are not under row-level security.
SELECT tamnong_protect_agency_table('person', 'SELECT, INSERT, UPDATE');
ALTER TABLE session ENABLE ROW LEVEL SECURITY;
ALTER TABLE session FORCE ROW LEVEL SECURITY;
CREATE POLICY person_sessions ON session
    USING (EXISTS (SELECT 1 FROM person p WHERE p.id = person_id))
    WITH CHECK (EXISTS (SELECT 1 FROM person p WHERE p.id = person_id));
GRANT SELECT, INSERT, UPDATE ON session TO tamnong_app;
GRANT USAGE ON SEQUENCE session_id_seq TO tamnong_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON login_failure, login_throttle TO tamnong_app;
GRANT USAGE ON SEQUENCE login_failure_id_seq TO tamnong_app;

-- The audit log: one chain over every agency's calls, appended by every call
-- (audit_append reads the last row to chain to it), read only by the
-- operator's AuditVerify (dispatch enforces that). So it is not under
-- row-level security; the application role may only read and append (no
-- UPDATE, DELETE or TRUNCATE by grant, and 006's trigger refuses them for
-- everyone).
GRANT SELECT, INSERT ON audit_log TO tamnong_app;
GRANT USAGE ON SEQUENCE audit_log_id_seq TO tamnong_app;
