#!/bin/bash
# Bad bytes close that connection and nothing else: oversize, 2^32-1 and
# zero-length frames, garbage after TLS, an undecodable envelope, half a
# frame then silence (idle timeout), plaintext garbage before TLS, a silent
# plaintext connection (handshake timeout). The server stays up and keeps
# serving: a ping works after each.
source "$(dirname "$0")/lib.sh"

step "start with short timeouts"
setup_all handshake_timeout=2s idle_timeout=3s
agency_register SNNPTNT "Sở Nông nghiệp và Phát triển nông thôn"
ping_ok SNNPTNT
fds_before=$(server_fd_count)

for kind in huge oversize zero garbage ascii bad-envelope; do
    step "frame: $kind (after a good ping on the same connection)"
    wire --as SNNPTNT --timeout 10 probe "$kind" --ping-first
    assert_eq 0 "$RC" "connection closed after $kind: $OUT $ERR"
    info "$OUT"
    server_alive || fail "tamnongd died after $kind"
    ping_ok SNNPTNT "ping after $kind"
done

step "unidentified peer (valid CA, not registered): a frame over the 16 KiB pre-identification budget"
agency_cert UNREG --name "Not registered"
# Closed at once, well before the 3 s idle timeout.
wire --as UNREG --timeout 2 probe oversize --max-frame 16384
assert_eq 0 "$RC" "frame over the pre-identification budget closed promptly: $OUT"
info "$OUT"
ping_ok SNNPTNT "ping after the early oversize frame"

step "half a frame then silence: closed by the idle timeout (3 s)"
wire --as SNNPTNT --timeout 15 probe half
assert_eq 0 "$RC" "half frame closed: $OUT"
info "$OUT"
ping_ok SNNPTNT "ping after half frame"

for kind in garbage http tls-partial nothing; do
    step "plaintext before TLS: $kind"
    wire --timeout 15 plain "$kind"
    assert_eq 0 "$RC" "plaintext $kind closed: $OUT"
    info "$OUT"
    server_alive || fail "tamnongd died after plaintext $kind"
    ping_ok SNNPTNT "ping after plaintext $kind"
done

step "no descriptor leaks"
sleep 1
fds_after=$(server_fd_count)
info "fds before $fds_before, after $fds_after"
[ "$fds_after" -le $((fds_before + 2)) ] || fail "fd count grew from $fds_before to $fds_after"

wire --as SNNPTNT ping --count 20
assert_eq 0 "$RC" "20 pipelined pings at the end: $OUT"
server_stop TERM
assert_eq 0 "$SERVER_RC" "tamnongd exit code"
echo ok
