/* sql: the text of every SQL statement tamnongd runs. The loop-side table is
 * prepared on each pooled connection when it connects (db.c); the blocking
 * statements below it serve the start-up commands (migrate, register-cert).
 * Parameters are always $n placeholders; no SQL is ever built from input. */
#include "sql.h"

const struct sql_statement sql_statements[SQL__COUNT] = {
    /* The database's business clock (test_clock shifts it, as the server's). */
    [SQL_PING] = {"ping", "SELECT tn_ms(tamnong_clock_timestamp())", 0},
    /* Row-level security (007_rls.sql): whose rows the statement sent after
     * it in the same transaction may touch. Local: gone at the Sync. */
    [SQL_ACTOR] = {"actor",
                   "SELECT set_config('tamnong.agency_id', $1, true), "
                   "set_config('tamnong.scope', $2, true)",
                   2},
    /* Before the agency is known: the one narrow SECURITY DEFINER lookup. */
    [SQL_AGENCY_BY_FINGERPRINT] = {"agency_by_fingerprint",
                                   "SELECT id, code, name, operator, standing "
                                   "FROM tamnong_auth_agency($1)",
                                   1},
    [SQL_PLAN_IMPORT] = {"plan_import", "SELECT plan_import_checked($1::jsonb, $2::bigint)", 2},
    [SQL_PLAN_TASKS] = {"plan_tasks",
                        "SELECT coalesce($3::date, province_today())::text, t.* "
                        "FROM plan_tasks($1, $2, coalesce($3::date, province_today())) t",
                        3},
    [SQL_PLAN_TARGETS] = {"plan_targets", "SELECT * FROM plan_targets()", 0},
    [SQL_PERIODS] = {"periods",
                     "SELECT p.code, p.regime, r.name, p.year, p.window_start, p.window_end, "
                     "p.deadline, (extract(epoch FROM p.deadline_at) * 1000)::bigint, r.time_zone, "
                     "coalesce(tn_ms(d.extended_at), 0), coalesce(d.reason, '') "
                     "FROM period p JOIN period_regime r ON r.code = p.regime "
                     "CROSS JOIN LATERAL deadline_of($2::bigint, p.id) d "
                     "WHERE $1::int IS NULL OR p.year = $1::int ORDER BY p.deadline, p.regime",
                     2},
    [SQL_AGENCIES] = {"agencies",
                      "SELECT coalesce($1::date, province_today())::text, l.* "
                      "FROM agencies_list(coalesce($1::date, province_today())) l",
                      1},
    [SQL_REPORT_PULL] = {"report_pull",
                         "SELECT report_pull($1::bigint, $2::int, $3::bigint, $4::text)", 4},
    [SQL_TASK_UPDATE] = {"task_update", "SELECT task_update($1::bigint, $2::uuid, $3, $4::jsonb)",
                         4},
    [SQL_ATTACHMENT_STATUS] = {"attachment_status",
                               "SELECT attachment_status($1::bigint, $2, $3::bigint)", 3},
    [SQL_ATTACHMENT_CHUNK] = {"attachment_chunk",
                              "SELECT attachment_chunk($1::bigint, $2, $3::bigint, $4::bigint, "
                              "$5::bytea, $6::bigint, $7::bigint)",
                              7},
    [SQL_SUBMIT] = {"submit_report", "SELECT submit_report($1::bigint, $2::uuid, $3, $4::jsonb)",
                    4},
    [SQL_REVIEW] = {"review_submission",
                    "SELECT review_submission($1::bigint, $2::boolean, $3::uuid, $4, $5::bigint, "
                    "$6, $7)",
                    7},
    [SQL_SUBMISSIONS] = {"submissions_list",
                         "SELECT submissions_list($1::bigint, $2::boolean, $3, $4, $5)", 5},
    [SQL_SUBMIT_SIGNED] = {"submit_signed",
                           "SELECT submit_signed($1::bigint, $2::uuid, $3, $4::jsonb, $5, $6)", 6},
    [SQL_CERT_REGISTER] = {"cert_register",
                           "SELECT cert_register($1::bigint, $2::uuid, $3, $4, $5, NULL, $6, "
                           "'agency')",
                           6},
    [SQL_CERT_REVOKE] = {"cert_revoke", "SELECT cert_revoke($1::bigint, $2::uuid, $3, $4, $5)", 5},
    [SQL_SUBMISSION_GET] = {"submission_get",
                            "SELECT submission_get($1::bigint, $2::boolean, $3::bigint)", 3},
    [SQL_TASK_BOARD] = {"task_board", "SELECT task_board($1, $2, $3, $4, $5::boolean)", 5},
    [SQL_TARGET_PROGRESS] = {"target_progress", "SELECT target_progress($1, $2, $3::boolean)", 3},
    [SQL_PERIOD_CLOSE] = {"period_close", "SELECT period_close($1::bigint, $2::uuid, $3, $4)", 4},
    [SQL_REPORT_FEEDBACK] = {"report_feedback", "SELECT report_feedback($1)", 1},
    [SQL_PERIOD_STATUS] = {"period_status", "SELECT * FROM period_status($1::bigint, $2, $3)", 3},
    [SQL_DEADLINE_EXTEND] = {"deadline_extend",
                             "SELECT deadline_extend($1::bigint, $2::uuid, $3, $4, $5, $6, $7)", 7},
    /* A live session of this token over this certificate, marked as used:
     * not revoked, not past its absolute expiry, used within the idle time,
     * its person not disabled. */
    [SQL_SESSION_LOOKUP] = {"session_lookup",
                            "UPDATE session s SET last_used_at = clock_timestamp() FROM person p "
                            "WHERE s.token_sha256 = decode($1, 'hex') AND s.fingerprint = $2 "
                            "AND s.revoked_at IS NULL AND s.expires_at > clock_timestamp() "
                            "AND s.last_used_at > clock_timestamp() - $3::bigint * "
                            "interval '1 millisecond' AND p.id = s.person_id AND NOT p.disabled "
                            "RETURNING p.id, p.login, p.display_name, p.role, tn_ms(s.expires_at), "
                            "tn_ms(clock_timestamp() + $3::bigint * interval '1 millisecond')",
                            3},
    [SQL_LOGIN_BEGIN] = {"login_begin", "SELECT login_begin($1)", 1},
    [SQL_LOGIN_FINISH] = {"login_finish",
                          "SELECT login_finish($1, $2::boolean, $3::bigint, decode($4, 'hex'), "
                          "$5, $6::bigint, $7::bigint, $8::bigint)",
                          8},
    [SQL_LOGOUT] = {"logout",
                    "UPDATE session SET revoked_at = clock_timestamp() "
                    "WHERE token_sha256 = decode($1, 'hex') AND revoked_at IS NULL",
                    1},
    [SQL_USER_ADD] = {"user_add", "SELECT person_add($1, $2, $3, $4, $5)", 5},
    [SQL_USER_UPDATE] = {"user_update",
                         "SELECT person_update($1, $2, $3::boolean, $4, $5::boolean)", 5},
    [SQL_AUDIT_APPEND] = {"audit_append", "SELECT audit_append($1, $2, $3, $4, $5, $6, $7)", 7},
    [SQL_AUDIT_VERIFY] = {"audit_verify", "SELECT audit_verify()", 0},
    [SQL_HOUSEKEEPING] = {"housekeeping", "SELECT housekeeping()", 0},
};

/* --- blocking side: transactions ------------------------------------------ */

const char *const sql_tx_begin = "BEGIN";
const char *const sql_tx_commit = "COMMIT";
const char *const sql_tx_rollback = "ROLLBACK";
/* The owner's maintenance transactions (migrations, register-cert) touch
 * every agency's rows: row-level security is forced on the owner too. */
const char *const sql_owner_scope_all = "SELECT set_config('tamnong.scope', 'all', true)";

/* --- migrations (migrate.c) ------------------------------------------------ */

/* Session-level lock so two servers starting together do not both migrate.
 * The key is "tamnong" in ASCII. */
const char *const sql_migrate_lock = "SELECT pg_advisory_lock(32762011004546663)";
const char *const sql_migrate_unlock = "SELECT pg_advisory_unlock(32762011004546663)";
const char *const sql_migrate_create_table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                             " version integer PRIMARY KEY,"
                                             " name text NOT NULL,"
                                             " applied_at timestamptz NOT NULL DEFAULT now())";
/* -> version, name */
const char *const sql_migrate_applied = "SELECT version, name FROM schema_migrations";
/* ($1 version, $2 file name) */
const char *const sql_migrate_record = "INSERT INTO schema_migrations (version, name) "
                                       "VALUES ($1, $2)";

/* --- tamnongd register-cert (admin_cli.c) --------------------------------- */

/* ($1 fingerprint, $2 agency code, $3 agency name or NULL, $4 subject,
 * $5 role) -> cert_register jsonb (008_signatures.sql), without request id. */
const char *const sql_admin_cert_register =
    "SELECT cert_register(NULL, NULL, NULL, $1, $2, $3, $4, $5)";

/* --- tamnongd user-add (admin_cli.c) -------------------------------------- */

/* ($1 agency code, $2 login, $3 display name, $4 role, $5 Argon2id hash) ->
 * person json or {"error": {status, message}} (006_identity.sql). */
const char *const sql_admin_person_add = "SELECT person_add($1, $2, $3, $4, $5)";
