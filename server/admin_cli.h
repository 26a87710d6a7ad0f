/* admin_cli: operator commands of tamnongd that run before (instead of) the
 * event loop, on the server host, with blocking libpq: registering an agency
 * certificate. The network-facing admin RPCs come with the security issue. */
#ifndef TAMNONG_ADMIN_CLI_H
#define TAMNONG_ADMIN_CLI_H

#include <stdbool.h>

#include "srv_config.h"

/* `tamnongd register-cert CERT.pem --agency CODE [--name NAME] [--operator]`:
 * computes the certificate's SHA-256 fingerprint, creates the agency row if it
 * does not exist (NAME required then), and maps the fingerprint to it; with
 * --operator (operator_role) ignored since persons have roles. Prints the
 * fingerprint. Returns a sysexits.h code. */
int admin_cli_register_cert(const struct srv_config *c, const char *cert_file,
                            const char *agency_code, const char *agency_name, bool operator_role);

/* `tamnongd user-add LOGIN --agency CODE --role ROLE [--name NAME]`: reads
 * the password (one line) from standard input, hashes it with the
 * configured Argon2id cost and creates the person. How the first operator
 * comes to exist. Returns a sysexits.h code. */
int admin_cli_user_add(const struct srv_config *c, const char *login, const char *agency_code,
                       const char *role, const char *name);

#endif
