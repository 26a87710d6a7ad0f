/* session: the stored log-in session token (see session.h). */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "tls_util.h"

char *session_path(const char *state_dir, const char *cert_file)
{
    char fp[65];
    if (!cert_file || tls_cert_file_fingerprint(cert_file, fp) != 0)
        return NULL;
    char *dir = store_default_dir(state_dir);
    if (!dir)
        return NULL;
    char *p = NULL;
    if (asprintf(&p, "%s/session-%.16s", dir, fp) < 0)
        p = NULL;
    free(dir);
    return p;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int session_load(const char *state_dir, const char *cert_file, struct session *s)
{
    memset(s, 0, sizeof *s);
    char *path = session_path(state_dir, cert_file);
    if (!path)
        return -1;
    FILE *f = fopen(path, "r");
    free(path);
    if (!f)
        return -1;
    char line[160];
    int rc = -1;
    if (fgets(line, sizeof line, f) && strlen(line) >= 2 * SESSION_TOKEN_LEN) {
        rc = 0;
        for (int i = 0; i < SESSION_TOKEN_LEN; i++) {
            int hi = hexval(line[2 * i]), lo = hexval(line[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                rc = -1;
                break;
            }
            s->token[i] = (uint8_t)(hi << 4 | lo);
        }
        if (rc == 0 && fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(s->login, sizeof s->login, "%.64s", line);
        }
    }
    fclose(f);
    if (rc != 0)
        memset(s, 0, sizeof *s);
    return rc;
}

/* mkdir -p, the new directories 0700. */
static int mkdirs(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

int session_save(const char *state_dir, const char *cert_file, const struct session *s)
{
    char *path = session_path(state_dir, cert_file);
    if (!path) {
        errno = ENOENT;
        return -1;
    }
    char *slash = strrchr(path, '/');
    *slash = '\0';
    int rc = mkdirs(path);
    *slash = '/';
    char *tmp = NULL;
    if (rc == 0 && asprintf(&tmp, "%s.tmp", path) < 0) {
        tmp = NULL;
        rc = -1;
    }
    if (rc == 0) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f) {
            if (fd >= 0)
                close(fd);
            rc = -1;
        } else {
            for (int i = 0; i < SESSION_TOKEN_LEN; i++)
                fprintf(f, "%02x", s->token[i]);
            fprintf(f, "\n%s\n", s->login);
            if (fflush(f) != 0 || fsync(fileno(f)) != 0)
                rc = -1;
            if (fclose(f) != 0)
                rc = -1;
            if (rc == 0 && rename(tmp, path) != 0)
                rc = -1;
            if (rc != 0)
                unlink(tmp);
        }
    }
    free(tmp);
    free(path);
    return rc;
}

int session_remove(const char *state_dir, const char *cert_file)
{
    char *path = session_path(state_dir, cert_file);
    if (!path)
        return 0;
    int rc = unlink(path) == 0 || errno == ENOENT ? 0 : -1;
    free(path);
    return rc;
}
