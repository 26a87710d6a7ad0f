/* admin_cli: `tamnongd register-cert` and `tamnongd user-add`, run by an
 * operator on the server host before (instead of) the event loop, with
 * blocking libpq. register-cert maps a client certificate's SHA-256
 * fingerprint to an agency, creating the agency when a name is given;
 * user-add creates a person (the first operator). All SQL is in sql.c and
 * runs with parameters. */
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
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "password.h"
#include "sql.h"
#include "tls_util.h"

/* The certificate's subject in RFC 2253 form, malloc'ed; NULL if unreadable. */
static char *cert_subject(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!cert)
        return NULL;
    char *out = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio && X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
        char *data;
        long n = BIO_get_mem_data(bio, &data);
        if (n >= 0 && (out = malloc((size_t)n + 1))) {
            memcpy(out, data, (size_t)n);
            out[n] = '\0';
        }
    }
    BIO_free(bio);
    X509_free(cert);
    return out;
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

int admin_cli_register_cert(const struct srv_config *c, const char *cert_file,
                            const char *agency_code, const char *agency_name, bool operator_role)
{
    char fp[65];
    char sqlstate[6] = "";
    char *subject = NULL;
    PGconn *pg = NULL;
    PGresult *res = NULL;
    bool in_tx = false;
    int rc = EX_SOFTWARE;

    if (!cert_file || !*cert_file || !agency_code || !*agency_code) {
        fprintf(stderr, "usage: tamnongd register-cert CERT.pem --agency CODE [--name NAME]\n");
        return EX_USAGE;
    }
    if (agency_name && !*agency_name)
        agency_name = NULL;
    if (tls_cert_file_fingerprint(cert_file, fp) != 0) {
        fprintf(stderr, "tamnongd: cannot read a PEM certificate from %s\n", cert_file);
        return EX_NOINPUT;
    }
    subject = cert_subject(cert_file);

    const char *const kw[] = {"application_name", "dbname", NULL};
    const char *const val[] = {"tamnongd-admin", c->db_conninfo ? c->db_conninfo : "", NULL};
    pg = PQconnectdbParams(kw, val, 1);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        print_pg_error("cannot connect to PostgreSQL", pg, NULL);
        rc = EX_UNAVAILABLE;
        goto out;
    }
    if (!(res = run(pg, "BEGIN", sql_tx_begin, 0, NULL, PGRES_COMMAND_OK, sqlstate)))
        goto out;
    PQclear(res);
    in_tx = true;

    /* The agency: created or renamed when a name is given, else it must exist. */
    if (agency_name) {
        const char *const v[] = {agency_code, agency_name};
        res = run(pg, "creating the agency", sql_admin_agency_upsert, 2, v, PGRES_TUPLES_OK,
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
    } else {
        const char *const v[] = {agency_code};
        res = run(pg, "looking up the agency", sql_admin_agency_by_code, 1, v, PGRES_TUPLES_OK,
                  sqlstate);
        if (!res)
            goto out;
        if (PQntuples(res) == 0) {
            fprintf(stderr, "tamnongd: there is no agency \"%s\"; give --name NAME to create it\n",
                    agency_code);
            rc = EX_USAGE;
            goto out;
        }
    }
    char agency_id[24], name[512];
    snprintf(agency_id, sizeof agency_id, "%s", PQgetvalue(res, 0, 0));
    snprintf(name, sizeof name, "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    res = NULL;

    /* The certificate: idempotent for this agency, refused for another one. */
    const char *const ins[] = {fp, agency_id, subject, operator_role ? "operator" : "agency"};
    if (!(res = run(pg, "registering the certificate", sql_admin_cert_insert, 4, ins,
                    PGRES_COMMAND_OK, sqlstate)))
        goto out;
    bool inserted = strcmp(PQcmdTuples(res), "1") == 0;
    PQclear(res);
    const char *const look[] = {fp};
    if (!(res = run(pg, "checking the certificate", sql_admin_cert_lookup, 1, look, PGRES_TUPLES_OK,
                    sqlstate)))
        goto out;
    if (PQntuples(res) != 1) {
        fprintf(stderr, "tamnongd: the certificate row vanished; try again\n");
        rc = EX_TEMPFAIL;
        goto out;
    }
    if (strcmp(PQgetvalue(res, 0, 0), agency_id) != 0) {
        fprintf(stderr,
                "tamnongd: certificate %s is already registered to agency \"%s\"; issue a new "
                "certificate for \"%s\"\n",
                fp, PQgetvalue(res, 0, 1), agency_code);
        rc = EX_DATAERR;
        goto out;
    }
    if (strcmp(PQgetvalue(res, 0, 2), "t") == 0) {
        fprintf(stderr,
                "tamnongd: certificate %s of agency \"%s\" was revoked; issue a new "
                "certificate\n",
                fp, agency_code);
        rc = EX_DATAERR;
        goto out;
    }
    PQclear(res);
    res = NULL;

    if (!(res = run(pg, "COMMIT", sql_tx_commit, 0, NULL, PGRES_COMMAND_OK, sqlstate)))
        goto out;
    in_tx = false;
    printf("%s %s\n", fp, agency_code);
    fflush(stdout);
    fprintf(stderr, "tamnongd: certificate %s for agency %s (%s)\n",
            inserted ? "registered" : "was already registered", agency_code, name);
    rc = EX_OK;
out:
    PQclear(res);
    if (in_tx)
        PQclear(PQexec(pg, sql_tx_rollback));
    PQfinish(pg);
    free(subject);
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

    const char *const kw[] = {"application_name", "dbname", NULL};
    const char *const val[] = {"tamnongd-admin", c->db_conninfo ? c->db_conninfo : "", NULL};
    pg = PQconnectdbParams(kw, val, 1);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        print_pg_error("cannot connect to PostgreSQL", pg, NULL);
        rc = EX_UNAVAILABLE;
        goto out;
    }
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
    printf("%s %s %s\n", login, agency_code, role);
    fflush(stdout);
    fprintf(stderr, "tamnongd: person %s added to agency %s as %s\n", login, agency_code, role);
    rc = EX_OK;
out:
    PQclear(res);
    PQfinish(pg);
    return rc;
}
