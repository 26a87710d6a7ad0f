/* sql: every SQL statement tamnongd runs, named, in one place (sql.c).
 * Statements take text parameters only ($1, $2...), never string building. */
#ifndef TAMNONG_SQL_H
#define TAMNONG_SQL_H

enum sql_stmt {
    SQL_PING,  /* () -> now_ms */
    SQL_ACTOR, /* (agency id|'', 'all'|'') -> set for the transaction; db.c sends it first */
    SQL_AGENCY_BY_FINGERPRINT, /* (fingerprint hex) -> id, code, name, operator, standing */
    SQL_PLAN_IMPORT,           /* (plan json, importer agency id) -> result json */
    SQL_PLAN_TASKS, /* (agency code, section, date|NULL) -> at, version, code, section, title, text,
                       deadline_kind, deadline_value, output, lead json, coordinating json, role */
    SQL_PLAN_TARGETS, /* () -> version, key, name, unit, rule, baseline_year, baseline, task,
                         reporters json, targets json */
    SQL_PERIODS,      /* (year|NULL, caller agency id) -> code, regime, regime name, year,
                         window_start, window_end, deadline, deadline_at ms, time zone, the
                         caller's extended deadline ms (0 = none), extension reason */
    SQL_AGENCIES,     /* (date|NULL) -> at, code, name, kind, short_name, parent, valid_from,
                         valid_to, successors json */
    /* Reporting and sync (003_reporting.sql): each returns one jsonb column;
     * a refusal is {"error": {"status", "message"}}. */
    SQL_REPORT_PULL,       /* (agency id, plan version, since, as_of) -> pull json */
    SQL_TASK_UPDATE,       /* (agency id, uuid, request sha256, doc json) -> receipt json */
    SQL_ATTACHMENT_STATUS, /* (agency id, sha256, size) -> {received, complete} */
    SQL_ATTACHMENT_CHUNK,  /* (agency id, sha256, size, offset, data bytea hex, max size,
                              max pending bytes) -> {received, complete} */
    SQL_SUBMIT,            /* (agency id, uuid, request sha256, doc json) -> receipt json */
    SQL_REVIEW, /* (agency id, admin, uuid, sha256, submission id, decision, reason) -> receipt */
    SQL_SUBMISSIONS,    /* (agency id, admin, period, state, agency code) -> {submissions: [...]} */
    SQL_SUBMISSION_GET, /* (agency id, admin, submission id) -> submission json */
    /* Oversight (005_oversight.sql), admin only; each returns one jsonb column. */
    SQL_TASK_BOARD,      /* (period, section, agency code, status, summary) -> board json */
    SQL_TARGET_PROGRESS, /* (period, indicator key, totals_only) -> progress json */
    SQL_PERIOD_CLOSE,    /* (agency id, uuid, request sha256, period) -> receipt json */
    SQL_REPORT_FEEDBACK, /* (period) -> {period, feedback: [...]} */
    /* Deadlines (004_deadlines.sql), one jsonb column each. */
    SQL_PERIOD_STATUS,   /* (agency id, period code, agency kind) -> period status json */
    SQL_DEADLINE_EXTEND, /* (agency id, uuid, sha256, period, agency code, until, reason)
                            -> receipt json */
    /* Certificates and signed reports (008_signatures.sql), jsonb as above. */
    SQL_SUBMIT_SIGNED, /* (agency id, uuid, sha256, doc json, signer subject, signer sha256) */
    SQL_CERT_REGISTER, /* (agency id, uuid, sha256, fingerprint, agency code, subject) */
    SQL_CERT_REVOKE,   /* (agency id, uuid, sha256, fingerprint, reason) */
    /* Persons, sessions and audit (006_identity.sql). */
    SQL_SESSION_LOOKUP, /* (token sha256 hex, fingerprint, idle ms) -> person id, login, name,
                           role, expires ms, idle expires ms; no row = not valid */
    SQL_LOGIN_BEGIN,    /* (login) -> {locked, locked_until_ms, person_id, hash, agency_id,
                           disabled} */
    SQL_LOGIN_FINISH,   /* (login, ok, person id, token sha256 hex, fingerprint, agency id,
                           idle ms, max ms) -> session json or refusal */
    SQL_LOGOUT,         /* (token sha256 hex) -> rows ended */
    SQL_USER_ADD,       /* (agency code, login, name, role, hash) -> person json */
    SQL_USER_UPDATE,    /* (login, role, disabled, hash, unlock) -> person json */
    SQL_AUDIT_APPEND,   /* (person, agency, fingerprint, method, object, outcome, sha256) */
    SQL_AUDIT_VERIFY,   /* () -> {ok, rows, id, reason, message, head} */
    SQL_HOUSEKEEPING,   /* () -> {abandoned_uploads, chunks} (015) */
    SQL__COUNT
};

struct sql_statement {
    const char *name; /* prepared statement name */
    const char *text;
    int nparams;
};

extern const struct sql_statement sql_statements[SQL__COUNT];

/* Blocking-side statements, run with PQexecParams by the start-up commands
 * (migrate.c, admin_cli.c) before any loop exists. Parameters and result
 * columns are listed next to each in sql.c. */
extern const char *const sql_tx_begin;             /* () */
extern const char *const sql_tx_commit;            /* () */
extern const char *const sql_tx_rollback;          /* () */
extern const char *const sql_owner_scope_all;      /* () */
extern const char *const sql_migrate_lock;         /* () */
extern const char *const sql_migrate_unlock;       /* () */
extern const char *const sql_migrate_create_table; /* () */
extern const char *const sql_migrate_applied;      /* () -> version, name */
extern const char *const sql_migrate_record;       /* (version, name) */
extern const char *const sql_admin_cert_register;  /* (fp, code, name, subject, role) -> jsonb */
extern const char *const sql_admin_person_add;     /* (agency, login, name, role, hash) -> json */

#endif
