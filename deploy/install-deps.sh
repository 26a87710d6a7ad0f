#!/bin/sh
# Installs every Debian 12 package tamnong needs to build, test, run, demo and
# benchmark (chromium, poppler-utils and the fonts: the HTML report rendered
# to PDF by the tests). Idempotent. With --if-missing it only calls apt-get when some
# package is not installed yet (so `make test` is quick on a prepared machine).
set -eu

PACKAGES="
build-essential pkg-config clang clang-format libclang-rt-14-dev
protobuf-c-compiler libprotobuf-c-dev
libuv1-dev libpq-dev libssl-dev openssl libsqlite3-dev sqlite3 libjansson-dev
libsodium-dev libsodium23
gettext
postgresql-15 postgresql-client-15
redis-server redis-tools postgresql-contrib
util-linux procps psmisc iproute2 python3
systemd
testssl.sh sslscan
chromium poppler-utils fonts-liberation fonts-dejavu-core
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    [ "${1:-}" = "--if-missing" ] || echo "install-deps: all packages are installed"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run this script as root (or: sudo $0) to install them" >&2
    exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
# Debian starts a cluster and redis on install; tests start their own.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now postgresql redis-server >/dev/null 2>&1 || true
fi
