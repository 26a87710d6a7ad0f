#!/bin/bash
# test_report_concurrent: the same Submit sent on 8 connections at once is
# applied once (one submission; every answer OK with the same receipt, one
# of them not a replay); different reports of one agency sent at once make
# consecutive revisions with exactly one current; the Pull cursor misses
# nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

step "start PostgreSQL, PKI, tamnongd; agencies; the test plan imported"
report_setup

step "one request on 8 connections at once"
REQ=$(district_report 1 2026-annual "cùng lúc")
pids=()
for i in 1 2 3 4 5 6 7 8; do
    python3 "$TN_RPC" --port "$TN_PORT" --ca "$PKI/ca.pem" --cert "$PKI/agencies/UBND-A.pem" \
        --key "$PKI/agencies/UBND-A.key" "{\"m\": \"Submit\", \"msg\": $REQ}" >"$TN_TMP/dup$i.json" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent submit failed"; done
ALL=$(python3 -c 'import json, sys
print(json.dumps([json.load(open(f))[0] for f in sys.argv[1:]]))' "$TN_TMP"/dup*.json)
assert_eq 8 "$(pyj "$ALL" 'sum(x["status"] == "OK" for x in d)')" "all OK"
assert_eq 1 "$(pyj "$ALL" 'sum(not x["resp"]["replay"] for x in d)')" "one applied, 7 replays"
assert_eq 1 "$(pyj "$ALL" 'len({x["resp"]["submission_id"] for x in d})')" "one submission id"
assert_eq 1 "$(sql "select count(*) from submission")" "one submission row"

step "10 different reports of UBND-B at once: revisions 1..10, one current"
pids=()
for i in $(seq 1 10); do
    python3 "$TN_RPC" --port "$TN_PORT" --ca "$PKI/ca.pem" --cert "$PKI/agencies/UBND-B.pem" \
        --key "$PKI/agencies/UBND-B.key" \
        "{\"m\": \"Submit\", \"msg\": $(district_report $((100 + i)) 2026-annual "bản $i")}" >"$TN_TMP/rev$i.json" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent submit failed"; done
assert_eq "10|1|10" "$(sql "select count(*), count(*) filter (where current), max(revision) from submission s join agency a on a.id = s.agency_id where a.code = 'UBND-B'")" "revisions"
assert_eq "1,2,3,4,5,6,7,8,9,10" "$(sql "select string_agg(revision::text, ',' order by revision) from submission s join agency a on a.id = s.agency_id where a.code = 'UBND-B'")" "consecutive"
rpc1 UBND-B Pull '{"plan_version": 1}'
assert_eq 10 "$(pyj "$R" 'len(d["submissions"])')" "pull sees all 10"
assert_eq 1 "$(pyj "$R" 'sum(s["current"] for s in d["submissions"])')" "one current in the pull"
step "done"
