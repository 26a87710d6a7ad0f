#!/bin/bash
# max_connections: with a cap of 3, a 4th connection is refused promptly,
# the 3 held ones keep working, and no descriptors leak.
source "$(dirname "$0")/lib.sh"

setup_all max_connections=3
agency_register SNNPTNT "Sở Nông nghiệp và Phát triển nông thôn"
ping_ok SNNPTNT
# Wait until the server has seen every earlier connection close, so each
# round starts from zero open connections (the gauge in /metrics).
_no_conns() { http_get /metrics && grep -qx 'tamnong_connections 0' <<<"$HTTP_BODY"; }
wait_for 10 _no_conns || fail "connections gauge not back to 0: $(grep '^tamnong_connections' <<<"$HTTP_BODY")"
fds_before=$(server_fd_count)

step "hold 3, try a 4th (raw) and the real client"
wire --as SNNPTNT --timeout 5 maxconn --count 3 -- \
    timeout 20 "$BUILD/tamnong" --config "$TN_TMP/client-SNNPTNT.conf" ping
info "$OUT"
assert_eq 0 "$RC" "4th connection refused promptly, held ones fine: $OUT $ERR"
crc=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["command"]["rc"])' "$OUT")
assert_eq 75 "$crc" "real client's exit code when over the cap"

step "many refused connections in a row"
for i in $(seq 1 10); do
    wait_for 10 _no_conns || fail "round $i: connections gauge not back to 0"
    wire --as SNNPTNT --timeout 5 maxconn --count 3
    assert_eq 0 "$RC" "round $i: $OUT"
done

step "capacity comes back, no fd leak"
ping_ok SNNPTNT "ping after the held connections closed"
sleep 1
fds_after=$(server_fd_count)
info "fds before $fds_before, after $fds_after"
[ "$fds_after" -le $((fds_before + 2)) ] || fail "fd count grew from $fds_before to $fds_after"
http_get /metrics
info "$(grep -i 'reject\|connections' <<<"$HTTP_BODY" | head -5)"
server_stop TERM
assert_eq 0 "$SERVER_RC" "tamnongd exit code"
echo ok
