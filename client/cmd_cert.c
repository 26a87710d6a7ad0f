/* cmd_cert: `tamnong admin cert register CERT.pem --agency CODE` and
 * `tamnong admin cert revoke (FINGERPRINT | CERT.pem) [--reason TEXT]`, the
 * operator's certificate commands (RPCs CertRegister and CertRevoke). They
 * are sent at once, not queued: an operator acts on-line. Each carries a
 * fresh request id; both are idempotent on the server, so running one again
 * after a lost answer is safe. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli.h"
#include "i18n.h"
#include "outbox.h"
#include "output.h"
#include "tamnong.pb-c.h"
#include "tls_util.h"

/* The server takes at most 16 KiB of PEM (server/cert_check.h). */
#define CERT_FILE_MAX (16 * 1024)

extern const struct command cmd_admin_cert;
static const struct command cert_register_cmd, cert_revoke_cmd;

/* CERT.pem's text, NUL-terminated. NULL after printing why. */
static char *read_pem(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        out_error(_("cannot open %s: %s"), path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(CERT_FILE_MAX + 2);
    size_t n = buf ? fread(buf, 1, CERT_FILE_MAX + 1, f) : 0;
    fclose(f);
    if (!buf) {
        out_error("%s", _("Out of memory."));
        return NULL;
    }
    if (n > CERT_FILE_MAX || n == 0 || memchr(buf, '\0', n)) {
        out_error(_("%s is not a PEM certificate file (at most %d KiB of text)."), path,
                  CERT_FILE_MAX / 1024);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static bool new_uuid(uint8_t uuid[OUTBOX_UUID_LEN])
{
    if (outbox_new_uuid(uuid) < 0) {
        out_error("%s", _("Cannot get random bytes for the request identifier."));
        return false;
    }
    return true;
}

static int call_error(struct cli *cli, const struct rpc_status *st)
{
    if (st->result == RPC_STATUS && st->code == TAMNONG__STATUS__PERMISSION_DENIED) {
        out_error(_("not allowed: only the operator may manage certificates (%s)."),
                  st->server_message);
        return TN_EXIT_NOPERM;
    }
    return cli_rpc_error(cli, st);
}

/* ------------------------------------------------------- admin cert register */

static int register_main(struct cli *cli, int argc, char **argv)
{
    enum { OPT_AGENCY = 0x300 };
    static const struct option opts[] = {
        {"agency", required_argument, NULL, OPT_AGENCY}, CLI_OPTION_JSON, {0, 0, 0, 0}};
    const char *agency = NULL;
    int c;
    while ((c = cli_getopt(cli, &cert_register_cmd, argc, argv, "", opts)) != -1) {
        if (c != OPT_AGENCY)
            return TN_EXIT_USAGE;
        agency = optarg;
    }
    if (optind >= argc)
        return cli_usage_error(cli, &cert_register_cmd, "%s",
                               _("which certificate? Give CERT.pem."));
    if (optind + 1 < argc)
        return cli_usage_error(cli, &cert_register_cmd, _("unexpected argument '%s'."),
                               argv[optind + 1]);
    if (!agency || !*agency)
        return cli_usage_error(cli, &cert_register_cmd, "%s", _("name the agency: --agency CODE."));
    char *pem = read_pem(argv[optind]);
    if (!pem)
        return TN_EXIT_USAGE;
    uint8_t uuid[OUTBOX_UUID_LEN];
    if (!new_uuid(uuid)) {
        free(pem);
        return TN_EXIT_SOFTWARE;
    }
    Tamnong__CertRegisterRequest req = TAMNONG__CERT_REGISTER_REQUEST__INIT;
    req.request_uuid.data = uuid;
    req.request_uuid.len = sizeof uuid;
    req.certificate_pem = pem;
    req.agency_code = (char *)agency;
    struct rpc_client *client;
    int rc = cli_connect(cli, &client);
    if (rc != TN_EXIT_OK) {
        free(pem);
        return rc;
    }
    ProtobufCMessage *resp = NULL;
    struct rpc_status st;
    if (rpc_call(client, "CertRegister", &req.base, &resp, &st) < 0) {
        rc = call_error(cli, &st);
    } else {
        const Tamnong__CertRegisterResponse *r = (const Tamnong__CertRegisterResponse *)resp;
        const char *code = r->agency ? r->agency->code : "";
        const char *name = r->agency ? r->agency->name : "";
        if (cli->json) {
            rc = out_json_answer(json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "fingerprint",
                                           r->fingerprint, "agency", code, "agency_name", name,
                                           "subject", r->subject, "created", r->created,
                                           "registered_at", out_jtime_or_null(r->registered_at_ms)),
                                 false);
        } else {
            if (r->created)
                printf(_("Certificate %s registered to agency %s (%s).\n"), r->fingerprint, code,
                       name);
            else
                printf(_("Certificate %s was already registered to agency %s (%s).\n"),
                       r->fingerprint, code, name);
            printf(_("Subject: %s\n"), r->subject);
            rc = fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
        }
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    rpc_close(client);
    free(pem);
    return rc;
}

static const struct command cert_register_cmd = {
    "register",
    N_("Register an agency certificate issued by the province CA"),
    register_main,
    N_("Usage: tamnong admin cert register CERT.pem --agency CODE [--json]\n"
       "\n"
       "Send the agency certificate CERT.pem to the server, which checks that the\n"
       "province CA issued it, that it is valid now, not revoked and a TLS client\n"
       "certificate, and registers its SHA-256 fingerprint to agency CODE (which\n"
       "must exist). Registering it again to the same agency changes nothing.\n"
       "Only the operator may do this.\n"
       "\n"
       "Options:\n"
       "  --agency CODE   the agency the certificate belongs to\n"
       "  --json          print a JSON object: fingerprint, agency, agency_name,\n"
       "                  subject, created, registered_at\n"),
};

/* --------------------------------------------------------- admin cert revoke */

static bool is_fingerprint(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

static int revoke_main(struct cli *cli, int argc, char **argv)
{
    enum { OPT_REASON = 0x300 };
    static const struct option opts[] = {
        {"reason", required_argument, NULL, OPT_REASON}, CLI_OPTION_JSON, {0, 0, 0, 0}};
    const char *reason = "";
    int c;
    while ((c = cli_getopt(cli, &cert_revoke_cmd, argc, argv, "", opts)) != -1) {
        if (c != OPT_REASON)
            return TN_EXIT_USAGE;
        reason = optarg;
    }
    if (optind >= argc)
        return cli_usage_error(cli, &cert_revoke_cmd, "%s",
                               _("which certificate? Give its FINGERPRINT or CERT.pem."));
    if (optind + 1 < argc)
        return cli_usage_error(cli, &cert_revoke_cmd, _("unexpected argument '%s'."),
                               argv[optind + 1]);
    const char *what = argv[optind];
    char fp[65];
    struct stat sb;
    if (is_fingerprint(what)) {
        snprintf(fp, sizeof fp, "%s", what);
    } else if (stat(what, &sb) == 0) {
        if (tls_cert_file_fingerprint(what, fp) != 0) {
            out_error(_("%s is not a PEM certificate file."), what);
            return TN_EXIT_USAGE;
        }
    } else {
        return cli_usage_error(cli, &cert_revoke_cmd,
                               _("'%s' is neither a SHA-256 fingerprint (64 lower-case hex "
                                 "digits) nor a certificate file."),
                               what);
    }
    uint8_t uuid[OUTBOX_UUID_LEN];
    if (!new_uuid(uuid))
        return TN_EXIT_SOFTWARE;
    Tamnong__CertRevokeRequest req = TAMNONG__CERT_REVOKE_REQUEST__INIT;
    req.request_uuid.data = uuid;
    req.request_uuid.len = sizeof uuid;
    req.fingerprint = fp;
    req.reason = (char *)reason;
    struct rpc_client *client;
    int rc = cli_connect(cli, &client);
    if (rc != TN_EXIT_OK)
        return rc;
    ProtobufCMessage *resp = NULL;
    struct rpc_status st;
    if (rpc_call(client, "CertRevoke", &req.base, &resp, &st) < 0) {
        rc = call_error(cli, &st);
    } else {
        const Tamnong__CertRevokeResponse *r = (const Tamnong__CertRevokeResponse *)resp;
        const char *code = r->agency ? r->agency->code : "";
        if (cli->json) {
            rc = out_json_answer(json_pack("{s:s, s:s, s:o, s:b}", "fingerprint", r->fingerprint,
                                           "agency", code, "revoked_at",
                                           out_jtime_or_null(r->revoked_at_ms), "already_revoked",
                                           r->already_revoked),
                                 false);
        } else {
            char at[64];
            out_local_time(r->revoked_at_ms, at, sizeof at);
            if (r->already_revoked)
                printf(_("Certificate %s of agency %s was already revoked (%s).\n"), r->fingerprint,
                       code, at);
            else
                printf(_("Certificate %s of agency %s revoked (%s); it is refused from now on.\n"),
                       r->fingerprint, code, at);
            rc = fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
        }
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    rpc_close(client);
    return rc;
}

static const struct command cert_revoke_cmd = {
    "revoke",
    N_("Revoke an agency certificate at once"),
    revoke_main,
    N_("Usage: tamnong admin cert revoke (FINGERPRINT | CERT.pem) [--reason TEXT] [--json]\n"
       "\n"
       "Revoke the agency certificate with this SHA-256 FINGERPRINT (64 hex digits,\n"
       "as 'tamnong-pki.sh fingerprint' prints it) or the one in CERT.pem. The\n"
       "server refuses it from the next connection on and cuts connections made\n"
       "with it at their next request. Also revoke it at the CA and publish the\n"
       "CRL (tamnong-pki.sh revoke), so that TLS refuses it too. Only the operator\n"
       "may do this.\n"
       "\n"
       "Options:\n"
       "  --reason TEXT   why (kept with the certificate; at most 500 bytes)\n"
       "  --json          print a JSON object: fingerprint, agency, revoked_at,\n"
       "                  already_revoked\n"),
};

/* ------------------------------------------------------------ admin cert */

static const struct command *const cert_commands[] = {&cert_register_cmd, &cert_revoke_cmd, NULL};

static int cert_main(struct cli *cli, int argc, char **argv)
{
    return cli_run_group(cli, &cmd_admin_cert, cert_commands, argc, argv);
}

const struct command cmd_admin_cert = {
    "cert",
    N_("Register and revoke agency certificates"),
    cert_main,
    N_("Usage: tamnong admin cert register CERT.pem --agency CODE [--json]\n"
       "       tamnong admin cert revoke (FINGERPRINT | CERT.pem) [--reason TEXT] [--json]\n"
       "\n"
       "Register an agency certificate issued by the province CA, or revoke one.\n"
       "Only the operator may do this.\n"),
};
