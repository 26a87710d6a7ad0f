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
