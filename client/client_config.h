/* client_config: the agency client's configuration, one cfg_option table
 * (common/config.h). The file is $XDG_CONFIG_HOME/tamnong/config
 * (~/.config/tamnong/config), or $TAMNONG_CONFIG, or --config FILE.
 * Certificate paths default to ca.pem, agency.pem and agency.key next to the
 * config file; relative paths in the file are relative to its directory. */
#ifndef TAMNONG_CLIENT_CONFIG_H
#define TAMNONG_CLIENT_CONFIG_H

#include <stddef.h>

#include "config.h"

#define CLIENT_DEFAULT_PORT "7443"

struct client_config {
    /* from the file (client_config_options) */
    char *server;      /* host:port, [v6addr]:port, or host (port 7443) */
    char *server_name; /* name to find in the server's certificate; default: the host */
    char *ca_file;     /* the province CA: the only trust anchor */
    char *cert_file;   /* this agency's certificate */
    char *key_file;    /* its private key; must not be readable by group/others */
    long connect_timeout_ms;
    long request_timeout_ms;
    /* derived by client_config_load */
    char *path; /* the file that was read */
    char *dir;  /* its directory */
    char host[256];
    char port[8];
};

extern const struct cfg_option client_config_options[];

/* The config file to read: explicit (from --config) if not NULL, else
 * $TAMNONG_CONFIG, else $XDG_CONFIG_HOME/tamnong/config, else
 * $HOME/.config/tamnong/config. malloc'ed, NULL when no path can be made. */
char *client_config_path(const char *explicit_path);

/* Defaults, then the file, then derived values (host, port, server_name,
 * absolute certificate paths). 0, or -1 with a translated message for a
 * person in err (missing file: where it was looked for and what to put in
 * it). On error *c is still safe to pass to client_config_free. */
int client_config_load(struct client_config *c, const char *explicit_path, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Split "host:port", "[v6]:port" or "host" into host and port. 0, or -1 with
 * a translated message in err. */
int client_config_parse_server(const char *server, char *host, size_t hostlen, char *port,
                               size_t portlen, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Check the credential files before using them: CA and certificate readable,
 * key a regular file not readable or writable by group/others (mode & 077),
 * readable by us. 0, or -1 with a translated message (and the chmod 600 fix)
 * in err. */
int client_config_check_files(const struct client_config *c, char *err, size_t errlen)
    __attribute__((warn_unused_result));

void client_config_free(struct client_config *c);

#endif
