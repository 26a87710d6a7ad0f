/* tls_reload: re-reads the TLS files (CA, certificate, key, CRL) every
 * crl_reload_interval and on SIGHUP, on a libuv worker thread, and swaps the
 * server's SSL_CTX on the loop. A reload that fails because of the CRL
 * (missing, unreadable, foreign, badly signed, past its next update) fails
 * closed: new handshakes are refused with a critical log line until a valid
 * CRL is in place; any other failure keeps the previous context. */
#ifndef TAMNONG_TLS_RELOAD_H
#define TAMNONG_TLS_RELOAD_H

#include "server.h"

/* Start the periodic timer. 0 or a negative libuv error. */
int tls_reload_start(struct server *srv);
/* Reload now (SIGHUP); why names the trigger in the log. */
void tls_reload_now(struct server *srv, const char *why);
/* Stop the timer (drain); a reload in progress finishes but is not swapped in. */
void tls_reload_stop(struct server *srv);

#endif
