/* auth: who is calling. The client certificate (already verified against the
 * province CA and CRL by TLS) is mapped to an agency row by its SHA-256
 * fingerprint, registered when the certificate was issued. */
#ifndef TAMNONG_AUTH_H
#define TAMNONG_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"

#define AUTH_FINGERPRINT_HEX 64

struct agency_identity {
    int64_t id;
    char code[64];
    char name[256];
    char fingerprint[AUTH_FINGERPRINT_HEX + 1];
    bool operator_cert; /* registered with --role operator */
    bool standing;      /* the plan's standing agency (or its successor) when identified */
};

/* status OK with *who filled; UNAUTHENTICATED for an unknown certificate;
 * UNAVAILABLE when the database is away. Called exactly once, later. */
typedef void (*auth_cb)(void *data, int status, const struct agency_identity *who);
void auth_identify(struct db_pool *db, const char *fingerprint_hex, auth_cb cb, void *data);

/* A certificate was revoked (CertRevoke committed): it leaves the cache (so
 * no reconnection is recognised from it while the database is away) and
 * connections identified by it are cut at their next request. */
void auth_revoked(const char *fingerprint_hex);
/* Has fingerprint been revoked since *gen (a counter the caller keeps, 0 at
 * first)? Cheap when nothing was revoked since: one comparison. */
bool auth_is_revoked(const char *fingerprint_hex, unsigned *gen);

#endif
