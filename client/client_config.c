/* client_config: where the client's config file is, what it may say, and
 * the checks on the credential files it names (see client_config.h). */
#include "client_config.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"

#define OPT(key, type, field, def, min, max, help)                                                 \
    {                                                                                              \
        key, type, offsetof(struct client_config, field), def, min, max, help                      \
    }

const struct cfg_option client_config_options[] = {
    OPT("server", CFG_STRING, server, "localhost:" CLIENT_DEFAULT_PORT, 0, 0,
        "tamnongd address: host:port, [IPv6]:port, or host (port 7443)"),
    OPT("server_name", CFG_STRING, server_name, NULL, 0, 0,
        "name expected in the server's certificate (default: the host of server)"),
    OPT("ca_file", CFG_STRING, ca_file, NULL, 0, 0,
        "province CA certificate, the only one trusted (default: ca.pem next to this file)"),
    OPT("cert_file", CFG_STRING, cert_file, NULL, 0, 0,
        "this agency's certificate (default: agency.pem next to this file)"),
    OPT("key_file", CFG_STRING, key_file, NULL, 0, 0,
        "this agency's private key, mode 600 (default: agency.key next to this file)"),
    OPT("connect_timeout", CFG_DURATION, connect_timeout_ms, "10s", 100, 600000,
        "how long to wait for the connection and TLS handshake"),
    OPT("request_timeout", CFG_DURATION, request_timeout_ms, "30s", 100, 3600000,
        "how long to wait for an answer to one request"),
    {NULL, CFG_STRING, 0, NULL, 0, 0, NULL},
};

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + 1 + strlen(b) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", a, b);
    return s;
}

char *client_config_path(const char *explicit_path)
{
    if (explicit_path && *explicit_path)
        return strdup(explicit_path);
    const char *env = getenv("TAMNONG_CONFIG");
    if (env && *env)
        return strdup(env);
    const char *xdg = getenv("XDG_CONFIG_HOME");
    /* The XDG spec says a relative $XDG_CONFIG_HOME is to be ignored. */
    if (xdg && xdg[0] == '/')
        return join(xdg, "tamnong/config");
    const char *home = getenv("HOME");
    if (home && *home)
        return join(home, ".config/tamnong/config");
    return NULL;
}

int client_config_parse_server(const char *server, char *host, size_t hostlen, char *port,
                               size_t portlen, char *err, size_t errlen)
{
    const char *h, *p = NULL;
    size_t hl;
    if (!server || !*server) {
        cfg_set_err(err, errlen,
                    _("The server address is empty; write it as host:port, for example "
                      "server = tamnong.example.gov.vn:7443."));
        return -1;
    }
    if (server[0] == '[') {
        const char *close = strchr(server, ']');
        if (!close) {
            cfg_set_err(err, errlen,
                        _("The server address '%s' has '[' without ']'; write an IPv6 "
                          "address as [2001:db8::1]:7443."),
                        server);
            return -1;
        }
        h = server + 1;
        hl = (size_t)(close - h);
        if (close[1] == ':')
            p = close + 2;
        else if (close[1] != '\0') {
            cfg_set_err(err, errlen,
                        _("The server address '%s' has text after ']' that is not ':port'."),
                        server);
            return -1;
        }
    } else {
        const char *colon = strchr(server, ':');
        if (colon && strchr(colon + 1, ':')) {
            cfg_set_err(err, errlen,
                        _("The server address '%s' looks like an IPv6 address; put it in "
                          "brackets, for example [2001:db8::1]:7443."),
                        server);
            return -1;
        }
        h = server;
        hl = colon ? (size_t)(colon - server) : strlen(server);
        if (colon)
            p = colon + 1;
    }
    if (hl == 0) {
        cfg_set_err(err, errlen,
                    _("The server address '%s' has no host name; write it as host:port."), server);
        return -1;
    }
    if (hl >= hostlen) {
        cfg_set_err(err, errlen, _("The host name in the server address '%s' is too long."),
                    server);
        return -1;
    }
    for (size_t i = 0; i < hl; i++) {
        unsigned char ch = (unsigned char)h[i];
        if (ch <= ' ' || ch == '/' || ch == '@' || ch == '[' || ch == ']' || ch == 0x7f) {
            cfg_set_err(err, errlen,
                        _("The server address '%s' is not a host name or an IP address."), server);
            return -1;
        }
    }
    long pn = strtol(CLIENT_DEFAULT_PORT, NULL, 10);
    if (p) {
        char *end;
        errno = 0;
        pn = (*p >= '0' && *p <= '9') ? strtol(p, &end, 10) : -1;
        if (pn < 1 || pn > 65535 || errno || *end) {
            cfg_set_err(err, errlen,
                        _("The port in the server address '%s' must be a number from 1 to 65535."),
                        server);
            return -1;
        }
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    snprintf(port, portlen, "%ld", pn);
    return 0;
}

/* Make *slot absolute: NULL becomes dir/def, a relative path dir/path. */
static int resolve_path(char **slot, const char *dir, const char *def)
{
    const char *rel = *slot ? *slot : def;
    if (rel[0] == '/')
        return 0;
    char *abs = join(dir, rel);
    if (!abs)
        return -1;
    free(*slot);
    *slot = abs;
    return 0;
}

int client_config_load(struct client_config *c, const char *explicit_path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (cfg_defaults(client_config_options, c) < 0) {
        cfg_set_err(err, errlen, _("Internal error: a default in the option table is wrong."));
        return -1;
    }
    c->path = client_config_path(explicit_path);
    if (!c->path) {
        cfg_set_err(err, errlen,
                    _("Cannot tell where the configuration file is: neither $HOME nor "
                      "$XDG_CONFIG_HOME is set. Use --config FILE."));
        return -1;
    }

    /* The directory, absolute when it exists, so the defaults do not depend
     * on the working directory of a later command. */
    char *tmp = strdup(c->path);
    if (!tmp)
        goto nomem;
    char *d = dirname(tmp);
    char real[PATH_MAX];
    c->dir = strdup(realpath(d, real) ? real : d);
    free(tmp);
    if (!c->dir)
        goto nomem;

    struct stat st;
    if (stat(c->path, &st) < 0 && errno == ENOENT) {
        cfg_set_err(err, errlen,
                    _("No configuration file at %s.\n"
                      "Create it with the address of the province server, for example:\n"
                      "    server = tamnong.example.gov.vn:7443\n"
                      "and put the files the province operator gave you in %s:\n"
                      "    ca.pem       the province CA certificate\n"
                      "    agency.pem   your agency's certificate\n"
                      "    agency.key   its private key (then run: chmod 600 %s/agency.key)\n"
                      "To use another file, give --config FILE or set TAMNONG_CONFIG."),
                    c->path, c->dir, c->dir);
        return -1;
    }
    char why[1024];
    if (cfg_load_file(client_config_options, c, c->path, why, sizeof why) < 0) {
        cfg_set_err(err, errlen, _("Error in the configuration file: %s"), why);
        return -1;
    }
    char why2[512];
    if (client_config_parse_server(c->server, c->host, sizeof c->host, c->port, sizeof c->port,
                                   why2, sizeof why2) < 0) {
        cfg_set_err(err, errlen, "%s: %s", c->path, why2);
        return -1;
    }
    if (!c->server_name && !(c->server_name = strdup(c->host)))
        goto nomem;
    if (resolve_path(&c->ca_file, c->dir, "ca.pem") < 0 ||
        resolve_path(&c->cert_file, c->dir, "agency.pem") < 0 ||
        resolve_path(&c->key_file, c->dir, "agency.key") < 0)
        goto nomem;
    return 0;
nomem:
    cfg_set_err(err, errlen, _("Out of memory."));
    return -1;
}

static int check_readable(const char *what, const char *key, const char *path, const char *cfg,
                          char *err, size_t errlen)
{
    if (access(path, R_OK) == 0)
        return 0;
    int e = errno;
    /* TRANSLATORS: 1: what the file is (translated), 2: its path, 3: the
     * reason from the system, 4: the config key, 5: the config file. */
    cfg_set_err(err, errlen, _("Cannot read %s %s: %s.\nPut the file there or set %s in %s."), what,
                path, strerror(e), key, cfg);
    return -1;
}

int client_config_check_files(const struct client_config *c, char *err, size_t errlen)
{
    if (check_readable(_("the province CA certificate"), "ca_file", c->ca_file, c->path, err,
                       errlen) < 0 ||
        check_readable(_("the agency certificate"), "cert_file", c->cert_file, c->path, err,
                       errlen) < 0)
        return -1;
    struct stat st;
    if (stat(c->key_file, &st) < 0) {
        int e = errno;
        cfg_set_err(
            err, errlen,
            _("Cannot read the agency key %s: %s.\nPut the file there or set key_file in %s."),
            c->key_file, strerror(e), c->path);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        cfg_set_err(err, errlen, _("The agency key %s is not a regular file."), c->key_file);
        return -1;
    }
    if (st.st_mode & 077) {
        cfg_set_err(err, errlen,
                    _("The agency key %s can be read or changed by other users (permissions %04o). "
                      "Nothing was sent. Protect it with:\n    chmod 600 %s"),
                    c->key_file, (unsigned)(st.st_mode & 07777), c->key_file);
        return -1;
    }
    return check_readable(_("the agency key"), "key_file", c->key_file, c->path, err, errlen);
}

void client_config_free(struct client_config *c)
{
    cfg_free(client_config_options, c);
    free(c->path);
    free(c->dir);
    c->path = c->dir = NULL;
}
