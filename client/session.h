/* session: a person's log-in session on this computer (tamnong login). The
 * token (32 bytes from the server) is kept in the state directory in a file
 * named after the certificate it was issued over, session-<first 16 hex
 * digits of its fingerprint>, mode 0600, since the server accepts it only
 * over that certificate. Every request made through cli_connect or sync
 * carries it. */
#ifndef TAMNONG_CLIENT_SESSION_H
#define TAMNONG_CLIENT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SESSION_TOKEN_LEN 32

struct session {
    uint8_t token[SESSION_TOKEN_LEN];
    char login[65];
};

/* The session file for this state dir (NULL = the defaults) and certificate
 * file, malloc'ed; NULL when neither can be found. */
char *session_path(const char *state_dir, const char *cert_file);
/* 0 and *s when a session is stored, -1 when none (or unreadable). */
int session_load(const char *state_dir, const char *cert_file, struct session *s);
/* Store s (0600, replacing any). 0, or -1 with errno. */
int session_save(const char *state_dir, const char *cert_file, const struct session *s);
/* Forget the session; 0 when one was removed or none was there. */
int session_remove(const char *state_dir, const char *cert_file);

#endif
