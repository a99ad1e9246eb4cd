#!/usr/bin/env bash
# Sets everything up and runs every test: the core's GoogleTest suite, the
# fuzzer for a bounded time, pg_regress + pgTAP + isolation against a
# throwaway PostgreSQL 15 cluster, and the benchmark scripts at smoke sizes
# (they must run; timings are never asserted).  Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
passed=0
failed=0
log=$(mktemp -d)

echo "== core: GoogleTest"
make -s core-test PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$log/core.txt"
p=$(grep -oP '\[  PASSED  \] \K[0-9]+' "$log/core.txt" | tail -1)
f=$(grep -oP '\[  FAILED  \] \K[0-9]+(?= tests?, listed)' "$log/core.txt" | tail -1)
[ -n "$p$f" ] || f=1            # the suite did not run at all
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))

if [ -f fuzz/Makefile ]; then
  echo "== core: libFuzzer (${FUZZ_SECONDS:-60} s)"
  if make -s -C fuzz run FUZZ_SECONDS="${FUZZ_SECONDS:-60}" 2>&1 | tee "$log/fuzz.txt" | tail -5; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
fi

echo "== SQL: pg_regress, pgTAP and isolation on a throwaway cluster"
pg_virtualenv -v 15 make installcheck PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$log/sql.txt"
p=$(grep -cE '^(test |     )?[a-z_]+ +\.\.\. ok' "$log/sql.txt")
f=$(grep -cE '\.\.\. FAILED' "$log/sql.txt")
[ "$p" -gt 0 ] || f=$((f + 1))  # no SQL test ran: count it as a failure
passed=$((passed + p)); failed=$((failed + f))
[ "$f" -eq 0 ] || cat test/regression.diffs test/isolation/regression.diffs 2>/dev/null | head -200

echo "== bench: make bench-smoke (every scenario at tiny sizes: the scripts run and write the table)"
rm -f bench/results/smoke.md
if make -s bench-smoke PG_CONFIG="$PG_CONFIG" > "$log/bench.txt" 2>&1 &&
   grep -q '^| move ' bench/results/smoke.md && grep -q '^| core ' bench/results/smoke.md; then
  passed=$((passed + 1))
  grep -E '^\| ' bench/results/smoke.md
else
  failed=$((failed + 1))
  tail -30 "$log/bench.txt"
fi

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
