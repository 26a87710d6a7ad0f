#!/bin/bash
# SIGTERM with requests in flight: every answer is OK or retryable, the
# connections are closed, no new work is accepted, tamnongd exits 0.
source "$(dirname "$0")/lib.sh"

setup_all drain_timeout=10s
agency_register SNNPTNT "Sở Nông nghiệp và Phát triển nông thôn"
ping_ok SNNPTNT

step "4 connections x 300 pipelined pings, SIGTERM after the first answer"
wire --as SNNPTNT --timeout 30 storm --conns 4 --count 300 --second 20 --kill "$SERVER_PID"
info "$OUT"
assert_eq 0 "$RC" "storm result: $OUT $ERR"
start=$SECONDS
server_wait_exit 20 || fail "tamnongd still running 20 s after SIGTERM"
assert_eq 0 "$SERVER_RC" "tamnongd exit code after SIGTERM"
info "exited $((SECONDS - start)) s after the storm ended"

step "after exit: the port is closed"
tn SNNPTNT ping
assert_eq 75 "$RC" "ping after shutdown exit code"

step "again with several real clients in parallel"
server_start
pids=()
for _ in $(seq 1 8); do
    ( for _ in 1 2 3 4 5; do
        timeout 30 "$BUILD/tamnong" --config "$TN_TMP/client-SNNPTNT.conf" ping >/dev/null 2>&1
        rc=$?
        [ $rc = 0 ] || [ $rc = 75 ] || { echo "client exit $rc" >&2; exit 1; }
      done ) &
    pids+=($!)
done
sleep 0.3
kill -TERM "$SERVER_PID"
for p in "${pids[@]}"; do wait "$p" || fail "a client exited with a non-retryable code during shutdown"; done
server_wait_exit 20 || fail "tamnongd still running 20 s after SIGTERM"
assert_eq 0 "$SERVER_RC" "tamnongd exit code (second run)"
echo ok
