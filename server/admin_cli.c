/* admin_cli: `tamnongd register-cert` and `tamnongd user-add`, run by an
 * operator on the server host before (instead of) the event loop, with
 * blocking libpq. register-cert maps a client certificate's SHA-256
 * fingerprint to an agency, creating the agency when a name is given (the
 * checks of cert_check.c and the SQL function cert_register of
 * 008_signatures.sql, as the CertRegister RPC); user-add creates a person
 * (the first operator). All SQL is in sql.c and runs with parameters. */
#include "admin_cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sodium.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <jansson.h>

#include "cert_check.h"
#include "password.h"
#include "sql.h"

/* The file's bytes (at most CERT_PEM_MAX + 1, so a larger file is refused
 * by cert_check_pem); *len set. NULL when unreadable. */
static char *read_small(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(CERT_PEM_MAX + 1);
    if (buf)
        *len = fread(buf, 1, CERT_PEM_MAX + 1, f);
    fclose(f);
    return buf;
}

static void print_pg_error(const char *what, PGconn *pg, const PGresult *res)
{
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = res ? PQresultErrorMessage(res) : pg ? PQerrorMessage(pg) : "out of memory";
    fputs("tamnongd: ", stderr);
    fputs(what, stderr);
    fputs(": ", stderr);
    /* libpq's messages may span lines ("...\n\tIs the server running...") */
    bool space = false;
    for (const char *p = msg; *p; p++) {
        if (*p == '\n' || *p == '\t' || *p == ' ') {
            space = true;
            continue;
        }
        if (space && p != msg)
            fputc(' ', stderr);
        fputc(*p, stderr);
        space = false;
    }
    fputc('\n', stderr);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state && strcmp(state, "42P01") == 0)
        fprintf(stderr, "tamnongd: the database has no schema yet; run tamnongd --migrate "
                        "first\n");
}

/* PQexecParams; the result when its status is `want`, else NULL after
 * printing PostgreSQL's message (but for constraint violations: SQLSTATE
 * class 23, which the caller explains) and filling sqlstate. */
static PGresult *run(PGconn *pg, const char *what, const char *sql, int n,
                     const char *const *values, ExecStatusType want, char sqlstate[6])
{
    PGresult *res = PQexecParams(pg, sql, n, NULL, values, NULL, NULL, 0);
    if (res && PQresultStatus(res) == want)
        return res;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(sqlstate, 6, "%s", state ? state : "");
    if (strncmp(sqlstate, "23", 2) != 0)
        print_pg_error(what, pg, res);
    PQclear(res);
    return NULL;
}

/* A connection as the owner (db_owner_conninfo) inside a transaction that
 * sees every agency: row-level security is forced on the owner too
 * (007_rls.sql), so the scope 'all' is set for this transaction alone. NULL
 * after printing why (*rc set). */
static PGconn *owner_transaction(const struct srv_config *c, char sqlstate[6], int *rc)
{
    const char *const kw[] = {"application_name", "dbname", NULL};
    const char *const val[] = {"tamnongd-admin", srv_config_owner_conninfo(c), NULL};
    PGconn *pg = PQconnectdbParams(kw, val, 1);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        print_pg_error("cannot connect to PostgreSQL", pg, NULL);
        *rc = EX_UNAVAILABLE;
        PQfinish(pg);
        return NULL;
    }
    PGresult *res = run(pg, "BEGIN", sql_tx_begin, 0, NULL, PGRES_COMMAND_OK, sqlstate);
    if (res) {
        PQclear(res);
        res = run(pg, "setting the scope", sql_owner_scope_all, 0, NULL, PGRES_TUPLES_OK, sqlstate);
    }
    if (!res) {
        PQfinish(pg);
        return NULL;
    }
    PQclear(res);
    return pg;
}

int admin_cli_register_cert(const struct srv_config *c, const char *cert_file,
                            const char *agency_code, const char *agency_name, bool operator_role)
{
    char sqlstate[6] = "";
    char err[512];
    struct cert_info info;
    PGconn *pg = NULL;
    PGresult *res = NULL;
    json_t *answer = NULL;
    int rc = EX_SOFTWARE;

    if (!cert_file || !*cert_file || !agency_code || !*agency_code) {
        fprintf(stderr, "usage: tamnongd register-cert CERT.pem --agency CODE [--name NAME]\n");
        return EX_USAGE;
    }
    if (agency_name && !*agency_name)
        agency_name = NULL;
    /* The same checks as the CertRegister RPC (cert_check.c). */
    size_t len = 0;
    char *pem = read_small(cert_file, &len);
    if (!pem) {
        fprintf(stderr, "tamnongd: cannot read %s\n", cert_file);
        return EX_NOINPUT;
    }
    X509_STORE *store = cert_store_from_files(c->tls_ca_file, c->tls_crl_file, err, sizeof err);
    if (!store) {
        fprintf(stderr, "tamnongd: %s\n", err);
        free(pem);
        return EX_CONFIG;
    }
    int checked = cert_check_pem(pem, len, store, &info);
    X509_STORE_free(store);
    free(pem);
    if (checked < 0) {
        fprintf(stderr, "tamnongd: %s: %s\n", cert_file, info.error);
        return EX_DATAERR;
    }

    if (!(pg = owner_transaction(c, sqlstate, &rc)))
        goto out;
    /* One function, the same the RPC runs: it creates or renames the agency
     * when a name is given, and refuses a certificate of another agency. */
    const char *const v[] = {info.fingerprint, agency_code, agency_name, info.subject,
                             operator_role ? "operator" : "agency"};
    res = run(pg, "registering the certificate", sql_admin_cert_register, 5, v, PGRES_TUPLES_OK,
              sqlstate);
    if (!res) {
        if (strncmp(sqlstate, "23", 2) == 0) {
            fprintf(stderr,
                    "tamnongd: agency code \"%s\" or name is not acceptable: the code is 1 "
                    "to 32 letters, digits, '.', '_' or '-' (starting with a letter or "
                    "digit); the name is not blank and at most 255 bytes\n",
                    agency_code);
            rc = EX_DATAERR;
        }
        goto out;
    }
    answer = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    json_t *refusal = json_object_get(answer, "error");
    if (!answer) {
        fprintf(stderr, "tamnongd: unreadable answer from cert_register\n");
        goto out;
    }
    if (refusal) {
        const char *st = json_string_value(json_object_get(refusal, "status"));
        fprintf(stderr, "tamnongd: %s%s\n", json_string_value(json_object_get(refusal, "message")),
                st && strcmp(st, "NOT_FOUND") == 0 ? "; give --name NAME to create it" : "");
        rc = st && strcmp(st, "NOT_FOUND") == 0 ? EX_USAGE : EX_DATAERR;
        goto out;
    }
    PGresult *done = run(pg, "COMMIT", sql_tx_commit, 0, NULL, PGRES_COMMAND_OK, sqlstate);
    if (!done)
        goto out;
    PQclear(done);
    printf("%s %s\n", info.fingerprint, agency_code);
    fflush(stdout);
    fprintf(
        stderr, "tamnongd: certificate %s for agency %s (%s)\n",
        json_is_true(json_object_get(answer, "created")) ? "registered" : "was already registered",
        agency_code, json_string_value(json_object_get(json_object_get(answer, "agency"), "name")));
    rc = EX_OK;
out:
    json_decref(answer);
    PQclear(res);
    PQfinish(pg);
    return rc;
}

/* --- tamnongd user-add ------------------------------------------------------- */

int admin_cli_user_add(const struct srv_config *c, const char *login, const char *agency_code,
                       const char *role, const char *name)
{
    char password[PASSWORD_MAX + 2];
    char hash[crypto_pwhash_STRBYTES];
    char sqlstate[6] = "";
    int rc = EX_SOFTWARE;
    PGconn *pg = NULL;
    PGresult *res = NULL;

    if (password_init() != 0) {
        fprintf(stderr, "tamnongd: libsodium cannot start\n");
        return EX_SOFTWARE;
    }
    if (isatty(STDIN_FILENO))
        fprintf(stderr, "Password for %s (8 to %d bytes, one line): ", login, PASSWORD_MAX);
    if (!fgets(password, sizeof password, stdin)) {
        fprintf(stderr, "tamnongd: no password on standard input\n");
        return EX_USAGE;
    }
    password[strcspn(password, "\r\n")] = '\0';
    size_t n = strlen(password);
    if (n < PASSWORD_MIN || n > PASSWORD_MAX) {
        sodium_memzero(password, sizeof password);
        fprintf(stderr, "tamnongd: the password must have %d to %d bytes\n", PASSWORD_MIN,
                PASSWORD_MAX);
        return EX_DATAERR;
    }
    int hrc = password_hash(password, (unsigned long long)c->password_opslimit,
                            c->password_memlimit, hash, sizeof hash);
    sodium_memzero(password, sizeof password);
    if (hrc != 0) {
        fprintf(stderr, "tamnongd: cannot hash the password (out of memory?)\n");
        return EX_OSERR;
    }

    if (!(pg = owner_transaction(c, sqlstate, &rc)))
        goto out;
    const char *const v[] = {agency_code, login, name ? name : "", role, hash};
    if (!(res = run(pg, "adding the person", sql_admin_person_add, 5, v, PGRES_TUPLES_OK,
                    sqlstate))) {
        if (strncmp(sqlstate, "23", 2) == 0) {
            fprintf(stderr, "tamnongd: the name is not acceptable (at most 255 bytes)\n");
            rc = EX_DATAERR;
        }
        goto out;
    }
    json_t *doc = PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    json_t *e = json_object_get(doc, "error");
    if (!doc || e) {
        const char *st = json_string_value(json_object_get(e, "status"));
        const char *m = json_string_value(json_object_get(e, "message"));
        fprintf(stderr, "tamnongd: %s\n", m ? m : "the database gave an unreadable answer");
        rc = !st                                 ? EX_SOFTWARE
             : strcmp(st, "ALREADY_EXISTS") == 0 ? EX_CANTCREAT
             : strcmp(st, "NOT_FOUND") == 0      ? EX_NOUSER
                                                 : EX_DATAERR;
        json_decref(doc);
        goto out;
    }
    json_decref(doc);
    PGresult *done = run(pg, "COMMIT", sql_tx_commit, 0, NULL, PGRES_COMMAND_OK, sqlstate);
    if (!done)
        goto out;
    PQclear(done);
    printf("%s %s %s\n", login, agency_code, role);
    fflush(stdout);
    fprintf(stderr, "tamnongd: person %s added to agency %s as %s\n", login, agency_code, role);
    rc = EX_OK;
out:
    PQclear(res);
    PQfinish(pg);
    return rc;
}
