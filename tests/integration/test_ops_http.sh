#!/bin/bash
# The operations port: /healthz and /metrics (Prometheus text).
source "$(dirname "$0")/lib.sh"

setup_all
agency_register SNNPTNT "Sở Nông nghiệp và Phát triển nông thôn"
http_get /healthz
assert_eq 200 "$HTTP_STATUS" "/healthz"
ping_ok SNNPTNT
tn SNNPTNT ping --json
assert_eq 0 "$RC" "second ping"

step "/metrics"
http_get /metrics
assert_eq 200 "$HTTP_STATUS" "/metrics status"
assert_contains "$HTTP_BODY" "tamnong_requests_total" "/metrics"
info "$(grep -v '^#' <<<"$HTTP_BODY" | head -20)"
# Prometheus text: every sample line is "name{labels} value".
bad=$(grep -v '^#' <<<"$HTTP_BODY" | grep -v '^$' |
    grep -Ev '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfa]+( [0-9]+)?$' | head -3)
[ -z "$bad" ] || fail "/metrics lines not in Prometheus text format: $bad"

step "unknown path"
http_get /nope
[ "$HTTP_STATUS" = 404 ] || fail "/nope: expected 404, got $HTTP_STATUS"
server_alive || fail "tamnongd died"
server_stop TERM
assert_eq 0 "$SERVER_RC" "tamnongd exit code"
echo ok
