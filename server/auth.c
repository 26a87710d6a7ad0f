/* auth: maps a verified client certificate's SHA-256 fingerprint to its
 * agency row (see auth.h). One database lookup per TLS connection; the
 * database is the truth whenever it answers. While PostgreSQL is away, a
 * certificate identified within the last AUTH_STALE_MAX_S seconds is still
 * recognised from a small fixed cache, so a reconnecting agency gets its
 * connection (and UNAVAILABLE only for the requests that need the database). */
#include "auth.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "tamnong.pb-c.h"
#include "utf8.h"

#define AUTH_CACHE_SLOTS 1024 /* direct-mapped by the fingerprint's first hex digits */
#define AUTH_STALE_MAX_S 3600

static struct {
    struct agency_identity who;
    int64_t at; /* monotonic seconds when the database last confirmed it; 0 = empty */
} cache[AUTH_CACHE_SLOTS];

static int64_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec + 1; /* never 0 */
}

/* A SHA-256 is uniformly spread: its first hex digits make a fine index. */
static unsigned cache_slot(const char *fp)
{
    unsigned h = 0;
    for (int i = 0; i < 8 && fp[i]; i++)
        h = h * 16 + (unsigned)(fp[i] <= '9' ? fp[i] - '0' : (fp[i] | 0x20) - 'a' + 10);
    return h % AUTH_CACHE_SLOTS;
}

struct auth_req {
    auth_cb cb;
    void *data;
    char fingerprint[AUTH_FINGERPRINT_HEX + 1];
};

static void identify_done(void *data, int status, const PGresult *res, const char *errmsg)
{
    struct auth_req *a = data;
    unsigned slot = cache_slot(a->fingerprint);
    if (status != TAMNONG__STATUS__OK) {
        if (cache[slot].at && mono_s() - cache[slot].at <= AUTH_STALE_MAX_S &&
            strcmp(cache[slot].who.fingerprint, a->fingerprint) == 0) {
            log_info("database unavailable (%s); agency %s identified from the cache",
                     errmsg ? errmsg : "error", cache[slot].who.code);
            struct agency_identity who = cache[slot].who;
            a->cb(a->data, TAMNONG__STATUS__OK, &who);
        } else {
            log_warning("cannot look up certificate %s: %s", a->fingerprint,
                        errmsg ? errmsg : "database error");
            a->cb(a->data, TAMNONG__STATUS__UNAVAILABLE, NULL);
        }
    } else if (PQntuples(res) < 1 || PQnfields(res) < 3) {
        log_notice("unknown or revoked client certificate %s", a->fingerprint);
        if (strcmp(cache[slot].who.fingerprint, a->fingerprint) == 0)
            cache[slot].at = 0;
        a->cb(a->data, TAMNONG__STATUS__UNAUTHENTICATED, NULL);
    } else {
        struct agency_identity who;
        memset(&who, 0, sizeof who);
        who.id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        utf8_copy(who.code, sizeof who.code, PQgetvalue(res, 0, 1));
        utf8_copy(who.name, sizeof who.name, PQgetvalue(res, 0, 2));
        who.operator_cert = PQgetvalue(res, 0, 3)[0] == 't';
        who.standing = PQgetvalue(res, 0, 4)[0] == 't';
        memcpy(who.fingerprint, a->fingerprint, sizeof who.fingerprint);
        cache[slot].who = who;
        cache[slot].at = mono_s();
        a->cb(a->data, TAMNONG__STATUS__OK, &who);
    }
    free(a);
}

/* Fingerprints revoked while this process runs (revocations are rare: a
 * plain array; earlier ones were refused by the database at identification). */
static char (*revoked)[AUTH_FINGERPRINT_HEX + 1];
static unsigned nrevoked, revoked_cap;

void auth_revoked(const char *fp)
{
    unsigned slot = cache_slot(fp);
    if (strcmp(cache[slot].who.fingerprint, fp) == 0)
        cache[slot].at = 0;
    for (unsigned i = 0; i < nrevoked; i++)
        if (strcmp(revoked[i], fp) == 0)
            return;
    if (nrevoked == revoked_cap) {
        unsigned cap = revoked_cap ? revoked_cap * 2 : 16;
        void *p = realloc(revoked, cap * sizeof *revoked);
        if (!p) {
            log_error("out of memory recording a revoked certificate");
            abort();
        }
        revoked = p;
        revoked_cap = cap;
    }
    utf8_copy(revoked[nrevoked], sizeof revoked[nrevoked], fp);
    nrevoked++;
}

bool auth_is_revoked(const char *fp, unsigned *gen)
{
    if (*gen == nrevoked)
        return false;
    for (unsigned i = *gen; i < nrevoked; i++)
        if (strcmp(revoked[i], fp) == 0)
            return true;
    *gen = nrevoked;
    return false;
}

void auth_identify(struct db_pool *db, const char *fingerprint_hex, auth_cb cb, void *data)
{
    struct auth_req *a = calloc(1, sizeof *a);
    if (!a) {
        log_error("out of memory identifying a client");
        abort();
    }
    a->cb = cb;
    a->data = data;
    /* TLS gives 64 hex digits; anything else simply matches no row. */
    utf8_copy(a->fingerprint, sizeof a->fingerprint, fingerprint_hex ? fingerprint_hex : "");
    const char *const values[] = {a->fingerprint};
    /* No actor: the agency is what we are looking for (tamnong_auth_agency). */
    db_query(db, NULL, SQL_AGENCY_BY_FINGERPRINT, 1, values, identify_done, a);
}
