/* srv_config: tamnongd's configuration: the struct and its option table.
 * Every option is in deploy/tamnongd.conf.example (a test checks it). */
#ifndef TAMNONG_SRV_CONFIG_H
#define TAMNONG_SRV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct srv_config {
    /* network */
    char *listen_address;
    long listen_port;
    char *ops_address; /* /healthz and /metrics; loopback only by default */
    long ops_port;     /* 0 = disabled */
    /* TLS */
    char *tls_ca_file;
    char *tls_cert_file;
    char *tls_key_file;
    char *tls_crl_file;          /* required: a missing CRL fails closed */
    long crl_reload_interval_ms; /* periodic reload of the TLS files (tls_reload.c) */
    /* PostgreSQL */
    char *db_conninfo;       /* the pool: the application role (tamnong_app) */
    char *db_owner_conninfo; /* migrations, register-cert: the owner; "" = db_conninfo */
    long db_pool_size;
    long db_connect_timeout_ms;
    long db_reconnect_max_ms;
    char *migrations_dir;
    bool migrate_on_start;
    /* limits */
    size_t max_frame;         /* identified clients */
    size_t preauth_max_frame; /* before the agency is identified */
    long max_inflight;        /* per connection */
    long max_connections;
    size_t max_write_queue; /* bytes queued to one connection before we stop reading it */
    long handshake_timeout_ms;
    long idle_timeout_ms;
    long default_deadline_ms; /* when a request carries none */
    long drain_timeout_ms;    /* SIGTERM: how long in-flight work may take */
    /* persons and sessions (docs/security.md) */
    long session_idle_ms;     /* a session unused this long ends */
    long session_max_ms;      /* a session ends this long after log-in, used or not */
    long password_opslimit;   /* Argon2id passes (libsodium opslimit) */
    size_t password_memlimit; /* Argon2id memory in bytes (libsodium memlimit) */
    /* logging */
    char *log_level;
    /* tests and demos only */
    char *test_clock;       /* ISO-8601 instant the server's clock starts at; NULL = real clock */
    bool test_clock_frozen; /* with test_clock: the clock stands still at that instant */
};

extern const struct cfg_option srv_config_options[];

/* Defaults, then the file (if path is not NULL). 0 or -1 with err filled. */
int srv_config_load(struct srv_config *c, const char *path, char *err, size_t errlen);
void srv_config_free(struct srv_config *c);

/* The conninfo of the owner role (migrations, register-cert). */
static inline const char *srv_config_owner_conninfo(const struct srv_config *c)
{
    if (c->db_owner_conninfo && *c->db_owner_conninfo)
        return c->db_owner_conninfo;
    return c->db_conninfo ? c->db_conninfo : "";
}

/* Parse an ISO-8601 instant with an explicit offset, e.g.
 * "2025-06-10T09:00:00+07:00", "2025-06-10 02:00:00.5Z": Unix ms in *ms.
 * 0, or -1 when s is not such an instant. */
int srv_parse_instant(const char *s, int64_t *ms);

#endif
