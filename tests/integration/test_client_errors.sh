#!/bin/bash
# The client's exit codes for problems on its side: usage 64, config 78
# (missing file, key readable by others, wrong server name), 75 when the
# server cannot be reached.
source "$(dirname "$0")/lib.sh"

setup_all
agency_register SNNPTNT "Sở Nông nghiệp và Phát triển nông thôn"
CONF=$(client_config SNNPTNT)
ping_ok SNNPTNT

step "unknown subcommand -> 64"
tn SNNPTNT no-such-command
assert_eq 64 "$RC" "unknown subcommand exit code"

step "missing config file -> 78"
tn_conf "$TN_TMP/nope.conf" ping
assert_eq 78 "$RC" "missing config exit code"

step "key readable by others -> 78"
chmod 0644 "$TN_TMP/client/SNNPTNT/key.pem"
tn SNNPTNT ping
assert_eq 78 "$RC" "key mode 0644 exit code"
info "client said: ${ERR:0:300}"
chmod 0600 "$TN_TMP/client/SNNPTNT/key.pem"
ping_ok SNNPTNT "ping after chmod 0600"

step "server name that is not in the server's certificate -> 78"
sed "s/^server_name.*/server_name = not-this-host.example/" "$CONF" >"$TN_TMP/wrongname.conf"
tn_conf "$TN_TMP/wrongname.conf" ping
assert_eq 78 "$RC" "wrong server_name exit code"

step "server not running -> 75"
server_stop TERM
assert_eq 0 "$SERVER_RC" "tamnongd exit code"
tn SNNPTNT ping
assert_eq 75 "$RC" "ping with the server down exit code"
info "client said: ${ERR:0:300}"
echo ok
