/* sql: every SQL statement tamnongd runs, named, in one place (sql.c).
 * Statements take text parameters only ($1, $2...), never string building. */
#ifndef TAMNONG_SQL_H
#define TAMNONG_SQL_H

enum sql_stmt {
    SQL_PING,                  /* () -> now_ms */
    SQL_AGENCY_BY_FINGERPRINT, /* (fingerprint hex) -> id, code, name */
    SQL__COUNT
};

struct sql_statement {
    const char *name; /* prepared statement name */
    const char *text;
    int nparams;
};

extern const struct sql_statement sql_statements[SQL__COUNT];

#endif
