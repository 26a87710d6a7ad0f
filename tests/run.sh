#!/bin/bash
# Test runner: every unit test binary ($BUILD/tests/test_*) and every
# integration script (tests/integration/test_*.sh) runs in its own process with
# a timeout; prints one line per test and closes with "N passed, N failed".
# Integration tests are independent (own temp dir, PostgreSQL, ports), so
# $TN_JOBS of them (default: the number of cores) run at once; each one's
# result is printed whole when it ends.
# Usage: tests/run.sh [unit|integration] [NAME-FILTER]
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
what=${1:-all}
filter=${2:-}
jobs_max=${TN_JOBS:-$(nproc)}
logdir=$BUILD/test-logs
rm -rf "$logdir"
mkdir -p "$logdir"

# run_one NAME TIMEOUT CMD...: run one test; its PASS/FAIL block goes to
# $logdir/NAME.result (the log's tail after a failure), printed when done.
run_one() {
    local name=$1 limit=$2
    shift 2
    local base=$logdir/${name//\//_} start=$SECONDS rc=0
    timeout -k 10 "$limit" "$@" >"$base.log" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
        printf 'PASS %-40s %3ds\n' "$name" $((SECONDS - start)) >"$base.result"
    else
        {
            printf 'FAIL %-40s %3ds (exit %d)\n' "$name" $((SECONDS - start)) "$rc"
            tail -n 40 "$base.log" | sed 's/^/    | /'
        } >"$base.result"
    fi
    cat "$base.result"
}

selected() { [ -z "$filter" ] || [[ $1 == *$filter* ]]; }

if [ "$what" = all ] || [ "$what" = unit ]; then
    for t in "$BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
        selected "unit/$(basename "$t")" && run_one "unit/$(basename "$t")" 120 "$t"
    done
fi
if [ "$what" = all ] || [ "$what" = integration ]; then
    for t in tests/integration/test_*.sh; do
        [ -f "$t" ] || continue
        name="integration/$(basename "$t" .sh)"
        selected "$name" || continue
        while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
        run_one "$name" 600 bash "$t" &
    done
    wait
fi

passed=0
failed=0
failures=()
for r in "$logdir"/*.result; do
    [ -f "$r" ] || continue
    if head -c 4 "$r" | grep -q PASS; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures+=("$(sed -E 's/^FAIL ([^ ]+).*/\1/;q' "$r")")
    fi
done
echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
