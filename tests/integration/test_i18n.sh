#!/bin/bash
# test_i18n: the Vietnamese catalogue is complete and used (tests/check-po.sh)
# against the client built in $BUILD.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build} exec bash tests/check-po.sh
