/* migrate: applies deploy/migrations/NNN_name.sql in order, each in its own
 * transaction, and records it in schema_migrations (see migrate.h). Runs at
 * start-up with blocking libpq; an advisory lock keeps two servers from
 * migrating at once. This is the one place whole files of SQL are executed. */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "log.h"
#include "sql.h"

#define MIGRATE_MAX_FILE (16u * 1024 * 1024)

struct mfile {
    int version;
    char *name;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    /* PostgreSQL's messages end in a newline and may hold several lines */
    size_t j = 0;
    for (size_t i = 0; err[i]; i++) {
        char ch = err[i] == '\n' || err[i] == '\t' ? ' ' : err[i];
        if (ch == ' ' && j > 0 && err[j - 1] == ' ')
            continue;
        err[j++] = ch;
    }
    err[j] = '\0';
    size_t n = j;
    while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
        err[--n] = '\0';
}

/* "NNN_anything.sql" with at least three leading digits. */
static bool migration_name(const char *name, int *version)
{
    size_t digits = strspn(name, "0123456789");
    size_t len = strlen(name);
    if (digits < 3 || digits > 9 || name[digits] != '_' || len < digits + 5 ||
        strcmp(name + len - 4, ".sql") != 0)
        return false;
    *version = atoi(name);
    return true;
}

static int mfile_cmp(const void *a, const void *b)
{
    const struct mfile *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

static void mfiles_free(struct mfile *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(f[i].name);
    free(f);
}

/* The migration files of dir, sorted by version. 0 or -1. */
static int list_migrations(const char *dir, struct mfile **out, size_t *count, char *err,
                           size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        set_err(err, errlen, "cannot read the migrations directory %s: %s", dir, strerror(errno));
        return -1;
    }
    struct mfile *f = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        int version;
        if (!migration_name(e->d_name, &version))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct mfile *nf = realloc(f, ncap * sizeof *nf);
            if (!nf) {
                set_err(err, errlen, "out of memory");
                rc = -1;
                break;
            }
            f = nf;
            cap = ncap;
        }
        f[n].version = version;
        f[n].name = strdup(e->d_name);
        if (!f[n].name) {
            set_err(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0 && n > 0) {
        qsort(f, n, sizeof *f, mfile_cmp);
        for (size_t i = 1; i < n; i++) {
            if (f[i].version == f[i - 1].version) {
                set_err(err, errlen, "migrations %s and %s have the same number", f[i - 1].name,
                        f[i].name);
                rc = -1;
                break;
            }
        }
    }
    if (rc != 0) {
        mfiles_free(f, n);
        return -1;
    }
    *out = f;
    *count = n;
    return 0;
}

static char *read_file(const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = malloc(MIGRATE_MAX_FILE + 1);
    size_t n = text ? fread(text, 1, MIGRATE_MAX_FILE + 1, fp) : 0;
    bool bad = ferror(fp) != 0;
    fclose(fp);
    if (!text || bad || n > MIGRATE_MAX_FILE) {
        set_err(err, errlen, "cannot read %s: %s", path,
                !text ? "out of memory"
                : bad ? "read error"
                      : "file too large");
        free(text);
        return NULL;
    }
    text[n] = '\0';
    if (strlen(text) != n) {
        set_err(err, errlen, "%s contains a NUL byte", path);
        free(text);
        return NULL;
    }
    return text;
}

/* Line number of PostgreSQL's error position (1-based characters) in text. */
static int error_line(const PGresult *res, const char *text)
{
    const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
    long chars = pos ? strtol(pos, NULL, 10) : 0;
    if (chars <= 0)
        return 0;
    int line = 1;
    for (const unsigned char *p = (const unsigned char *)text; *p && chars > 0; p++) {
        if ((*p & 0xC0) == 0x80)
            continue; /* UTF-8 continuation byte: same character */
        if (--chars == 0)
            break;
        if (*p == '\n')
            line++;
    }
    return line;
}

/* PostgreSQL's primary message, detail and hint on one line. */
static const char *result_msg(const PGresult *res, PGconn *pg, char *buf, size_t len)
{
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!primary) {
        set_err(buf, len, "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(pg));
        return buf;
    }
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    set_err(buf, len, "%s%s%s%s%s (SQLSTATE %s)", primary, detail ? "; " : "", detail ? detail : "",
            hint ? "; " : "", hint ? hint : "", state ? state : "?");
    return buf;
}

static void notice_cb(void *arg, const PGresult *res)
{
    char msg[512];
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    result_msg(res, NULL, msg, sizeof msg);
    if (sev && strcmp(sev, "WARNING") == 0)
        log_warning("migration: PostgreSQL says: %s", msg);
    else
        log_debug("migration: PostgreSQL says: %s", msg);
}

/* Run one command; 0 when its result has the expected status, else -1 with
 * err set ("what: message"). */
static int exec_ok(PGconn *pg, const char *sql, int nparams, const char *const *values,
                   ExecStatusType want, PGresult **keep, const char *what, char *err, size_t errlen)
{
    PGresult *res = PQexecParams(pg, sql, nparams, NULL, values, NULL, NULL, 0);
    if (!res || PQresultStatus(res) != want) {
        char msg[512];
        set_err(err, errlen, "%s: %s", what, result_msg(res, pg, msg, sizeof msg));
        PQclear(res);
        return -1;
    }
    if (keep)
        *keep = res;
    else
        PQclear(res);
    return 0;
}

/* Apply one file in its own transaction. 0 or -1. */
static int apply_one(PGconn *pg, const char *dir, const struct mfile *f, char *err, size_t errlen)
{
    char *text = read_file(dir, f->name, err, errlen);
    if (!text)
        return -1;
    int rc = -1;
    if (exec_ok(pg, sql_tx_begin, 0, NULL, PGRES_COMMAND_OK, NULL, f->name, err, errlen) != 0)
        goto out;
    /* Row-level security is forced on the owner too (007_rls.sql): a
     * migration that moves agency data must see every agency's rows. */
    if (exec_ok(pg, sql_owner_scope_all, 0, NULL, PGRES_TUPLES_OK, NULL, f->name, err, errlen) != 0)
        goto rollback;
    /* The whole file: several statements, hence PQexec (simple protocol). */
    PGresult *res = PQexec(pg, text);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
        int line = res ? error_line(res, text) : 0;
        char where[32] = "";
        if (line > 0)
            snprintf(where, sizeof where, ", line %d", line);
        char msg[512];
        set_err(err, errlen, "migration %s failed%s: %s", f->name, where,
                result_msg(res, pg, msg, sizeof msg));
        PQclear(res);
        goto rollback;
    }
    PQclear(res);
    if (PQtransactionStatus(pg) != PQTRANS_INTRANS) {
        set_err(err, errlen, "migration %s must not end or abort the transaction itself", f->name);
        goto rollback;
    }
    char version[16];
    snprintf(version, sizeof version, "%d", f->version);
    const char *const values[] = {version, f->name};
    if (exec_ok(pg, sql_migrate_record, 2, values, PGRES_COMMAND_OK, NULL, f->name, err, errlen) !=
        0)
        goto rollback;
    if (exec_ok(pg, sql_tx_commit, 0, NULL, PGRES_COMMAND_OK, NULL, f->name, err, errlen) != 0)
        goto out;
    log_notice("applied migration %s", f->name);
    rc = 0;
    goto out;
rollback:
    PQclear(PQexec(pg, sql_tx_rollback));
out:
    free(text);
    return rc;
}

int migrate_run(const char *conninfo, const char *dir, int *applied, char *err, size_t errlen)
{
    *applied = 0;
    struct mfile *files = NULL;
    size_t nfiles = 0;
    bool *done = NULL;
    PGresult *res = NULL;
    bool locked = false;
    int rc = -1;

    if (list_migrations(dir, &files, &nfiles, err, errlen) != 0)
        return -1;
    if (nfiles == 0) {
        set_err(err, errlen, "no migration files (NNN_name.sql) in %s", dir);
        mfiles_free(files, nfiles);
        return -1;
    }
    const char *const kw[] = {"application_name", "dbname", NULL};
    const char *const val[] = {"tamnongd-migrate", conninfo ? conninfo : "", NULL};
    PGconn *pg = PQconnectdbParams(kw, val, 1);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        set_err(err, errlen, "cannot connect to PostgreSQL: %s",
                pg ? PQerrorMessage(pg) : "out of memory");
        goto out;
    }
    PQsetNoticeReceiver(pg, notice_cb, NULL);
    if (exec_ok(pg, sql_migrate_lock, 0, NULL, PGRES_TUPLES_OK, NULL, "taking the migration lock",
                err, errlen) != 0)
        goto out;
    locked = true;
    if (exec_ok(pg, sql_migrate_create_table, 0, NULL, PGRES_COMMAND_OK, NULL,
                "creating schema_migrations", err, errlen) != 0 ||
        exec_ok(pg, sql_migrate_applied, 0, NULL, PGRES_TUPLES_OK, &res,
                "reading schema_migrations", err, errlen) != 0)
        goto out;

    done = calloc(nfiles, sizeof *done);
    if (!done) {
        set_err(err, errlen, "out of memory");
        goto out;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        int version = atoi(PQgetvalue(res, r, 0));
        const char *name = PQgetvalue(res, r, 1);
        bool found = false;
        for (size_t i = 0; i < nfiles; i++) {
            if (files[i].version == version) {
                done[i] = found = true;
                if (strcmp(files[i].name, name) != 0)
                    log_warning("migration %d was applied as %s, the file is now named %s", version,
                                name, files[i].name);
            }
        }
        if (!found)
            log_warning("migration %s is applied but its file is not in %s (a newer server?)", name,
                        dir);
    }
    for (size_t i = 0; i < nfiles; i++) {
        if (done[i])
            continue;
        if (apply_one(pg, dir, &files[i], err, errlen) != 0)
            goto out;
        (*applied)++;
    }
    rc = 0;
out:
    PQclear(res);
    if (locked && PQstatus(pg) == CONNECTION_OK)
        PQclear(PQexec(pg, sql_migrate_unlock));
    PQfinish(pg);
    free(done);
    mfiles_free(files, nfiles);
    return rc;
}
