#!/bin/bash
# tamnongd --check-config on good and bad configurations; --migrate twice.
source "$(dirname "$0")/lib.sh"

pki_make
PG_PORT=5 # not started: --check-config must not need the database
write_server_config
check() { _capture timeout 20 "$BUILD/tamnongd" --config "$1" --check-config; }

step "good config"
check "$TN_CONF"
assert_eq 0 "$RC" "--check-config on a good config"
assert_not_contains "$ERR" "same role" "no warning: the pool and the migrations use two roles"

bad() { # name extra-line expected-word
    cp "$TN_CONF" "$TN_TMP/bad-$1.conf"
    printf '%s\n' "$2" >>"$TN_TMP/bad-$1.conf"
    check "$TN_TMP/bad-$1.conf"
    [ "$RC" != 0 ] || fail "--check-config accepted a config with '$2'"
    info "$1: exit $RC: ${ERR:0:200}"
    [ -z "${3:-}" ] || assert_contains "$OUT$ERR" "$3" "message for $1"
}
step "bad configs are refused with a message"
bad unknown-key "no_such_option = 1" no_such_option
bad bad-int "listen_port = banana" listen_port
bad out-of-range "listen_port = 70000" listen_port
bad bad-size "max_frame = lots" max_frame
bad bad-duration "idle_timeout = soon" idle_timeout
bad bad-bool "migrate_on_start = perhaps" migrate_on_start
bad no-equals "listen_port 7443" ""
bad missing-cert "tls_cert_file = $TN_TMP/nope.pem" ""
bad missing-crl "tls_crl_file = $TN_TMP/nope-crl.pem" ""
bad bad-owner-conninfo "db_owner_conninfo = \"host=/tmp 'unterminated\"" db_owner_conninfo

step "the pool and the migrations as one role: accepted, with a warning"
cp "$TN_CONF" "$TN_TMP/one-role.conf"
echo 'db_owner_conninfo = ""' >>"$TN_TMP/one-role.conf"
check "$TN_TMP/one-role.conf"
assert_eq 0 "$RC" "--check-config with one role"
assert_contains "$ERR" "same role" "the warning"

check "$TN_TMP/does-not-exist.conf"
[ "$RC" != 0 ] || fail "--check-config accepted a missing file"

step "--migrate twice (idempotent)"
PG_PORT=""
pg_start
write_server_config
_capture timeout 60 "$BUILD/tamnongd" --config "$TN_CONF" --migrate
assert_eq 0 "$RC" "first --migrate: $ERR"
_capture timeout 60 "$BUILD/tamnongd" --config "$TN_CONF" --migrate
assert_eq 0 "$RC" "second --migrate: $ERR"
assert_eq "tamnong|f|f" "$(psql_admin -d tamnong -tAc "select r.rolname, a.rolsuper, a.rolbypassrls from pg_class c join pg_roles r on r.oid = c.relowner, pg_roles a where c.relname = 'submission' and a.rolname = 'tamnong_app'")" "the owner owns the tables; tamnong_app exists, no superuser, no BYPASSRLS"
psql_admin -d tamnong -tAc "select count(*) from schema_migrations" >/dev/null ||
    fail "schema_migrations missing"
_capture timeout 10 "$BUILD/tamnongd" --version
assert_eq 0 "$RC" "--version"
info "version: $OUT"
echo ok
