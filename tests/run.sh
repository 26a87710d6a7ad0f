#!/bin/bash
# Test runner: every unit test binary ($BUILD/tests/test_*) and every
# integration script (tests/integration/test_*.sh) runs in its own process with
# a timeout; prints one line per test and closes with "N passed, N failed".
# Usage: tests/run.sh [unit|integration] [NAME-FILTER]
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
what=${1:-all}
filter=${2:-}
passed=0
failed=0
failures=()
logdir=$BUILD/test-logs
mkdir -p "$logdir"

run_one() { # name timeout command...
    local name=$1 limit=$2
    shift 2
    [ -n "$filter" ] && [[ $name != *$filter* ]] && return
    local log=$logdir/${name//\//_}.log start=$SECONDS
    if timeout -k 10 "$limit" "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        printf 'PASS %-40s %3ds\n' "$name" $((SECONDS - start))
    else
        local rc=$?
        failed=$((failed + 1))
        failures+=("$name")
        printf 'FAIL %-40s %3ds (exit %d)\n' "$name" $((SECONDS - start)) "$rc"
        tail -n 40 "$log" | sed 's/^/    | /'
    fi
}

if [ "$what" = all ] || [ "$what" = unit ]; then
    for t in "$BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
        run_one "unit/$(basename "$t")" 120 "$t"
    done
fi
if [ "$what" = all ] || [ "$what" = integration ]; then
    for t in tests/integration/test_*.sh; do
        [ -f "$t" ] || continue
        run_one "integration/$(basename "$t" .sh)" 600 bash "$t"
    done
fi

echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
