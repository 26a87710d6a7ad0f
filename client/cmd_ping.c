/* cmd_ping: `tamnong ping` checks the whole path to the province: network,
 * mutual TLS, the server, its database, and which agency the server thinks
 * we are. */
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"
#include "tamnong.pb-c.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int print_json(const Tamnong__PingResponse *r, double rtt)
{
    const char *code = r->agency ? r->agency->code : "";
    const char *name = r->agency ? r->agency->name : "";
    json_t *o = json_pack("{s:s, s:o, s:o, s:{s:s, s:s}, s:s, s:f}", "server_version",
                          r->server_version, "server_time", out_jtime_or_null(r->server_time_ms),
                          "database_time", out_jtime_or_null(r->database_time_ms), "agency", "code",
                          code, "name", name, "cert_fingerprint", r->cert_fingerprint,
                          "round_trip_ms", (double)(long long)(rtt * 100.0 + 0.5) / 100.0);
    return out_json_answer(o, false);
}

static int print_human(const Tamnong__PingResponse *r, double rtt)
{
    char server_time[64], db_time[64], agency[512], ms[32];
    out_local_time(r->server_time_ms, server_time, sizeof server_time);
    if (r->database_time_ms > 0)
        out_local_time(r->database_time_ms, db_time, sizeof db_time);
    else
        snprintf(db_time, sizeof db_time, "%s", _("(not asked)"));
    if (r->agency && r->agency->code[0])
        snprintf(agency, sizeof agency, "%s — %s", r->agency->code, r->agency->name);
    else
        snprintf(agency, sizeof agency, "%s", _("(none)"));
    snprintf(ms, sizeof ms, _("%.1f ms"), rtt);

    struct out_table *t = out_table_new(2);
    out_table_addv(t, _("Server version:"), r->server_version);
    out_table_addv(t, _("Server time:"), server_time);
    out_table_addv(t, _("Database time:"), db_time);
    out_table_addv(t, _("Agency:"), agency);
    out_table_addv(t, _("Certificate (SHA-256):"), r->cert_fingerprint);
    out_table_addv(t, _("Round trip:"), ms);
    out_table_print(t, stdout);
    out_table_free(t);
    return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
}

static int ping_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON, {0, 0, 0, 0}};
    int c;
    while ((c = cli_getopt(cli, &cmd_ping, argc, argv, "", opts)) != -1)
        if (c == '?')
            return TN_EXIT_USAGE;
    if (optind < argc)
        return cli_usage_error(cli, &cmd_ping, _("'%s %s' takes no arguments."), cli->prefix,
                               cmd_ping.name);

    struct rpc_client *client;
    int rc = cli_connect(cli, &client);
    if (rc != TN_EXIT_OK)
        return rc;

    Tamnong__PingRequest req = TAMNONG__PING_REQUEST__INIT;
    req.skip_database = false;
    ProtobufCMessage *resp = NULL;
    struct rpc_status st;
    double t0 = now_ms();
    if (rpc_call(client, "Ping", &req.base, &resp, &st) < 0) {
        rc = cli_rpc_error(cli, &st);
        goto out;
    }
    double rtt = now_ms() - t0;
    const Tamnong__PingResponse *r = (const Tamnong__PingResponse *)resp;
    rc = cli->json ? print_json(r, rtt) : print_human(r, rtt);
out:
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    rpc_close(client);
    return rc;
}

const struct command cmd_ping = {
    "ping",
    N_("Check the connection to the province server"),
    ping_main,
    N_("Usage: tamnong ping [--json]\n"
       "\n"
       "Connect to the province server with this agency's certificate and check\n"
       "that the server and its database answer. Prints the server version, the\n"
       "server and database time, the agency the server recognises from the\n"
       "certificate, the certificate fingerprint and the round-trip time.\n"
       "\n"
       "Options:\n"
       "  --json   print the result as JSON: server_version, server_time, database_time\n"
       "           (ISO-8601, UTC), agency {code, name}, cert_fingerprint, round_trip_ms\n"),
};
