#!/usr/bin/env bash
# Sets everything up and runs every test, each runner counted from its own
# summary: the core's GoogleTest suite, the fuzzer for a bounded time,
# pg_regress, isolation, pgTAP (pg_prove), the upgrade test and the earlier
# versions served by the one library (legacy/) against a throwaway PostgreSQL
# 15 cluster, the scale-out layout (four clusters on
# loopback: primary, PL/Proxy front, two shards), the Debian package (built in a temporary
# copy, installed, the regression suite run against it), the release metadata,
# and the benchmark scripts at smoke sizes (they must run; timings are never
# asserted).  Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
passed=0
failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

count() { passed=$((passed + $1)); failed=$((failed + $2)); echo "-- counted: $1 passed, $2 failed (${SECONDS} s since the start)"; }

# pg_regress and pg_isolation_regress end with one summary line; PostgreSQL 15
# prints " All 11 tests passed. " or " 1 of 11 tests failed. ", 16 and later
# the same words after "# ".  Only that line is read, not the per-test lines.
count_pg_regress() {
  local s
  s=$(grep -E '(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests (passed|failed))' "$1" | tail -1)
  if [[ $s =~ All\ ([0-9]+)\ tests\ passed ]]; then
    count "${BASH_REMATCH[1]}" 0
  elif [[ $s =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ passed ]]; then    # failures all ignored
    count "${BASH_REMATCH[1]}" 0
  elif [[ $s =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ failed(,\ ([0-9]+)\ of\ these\ failures\ ignored)? ]]; then
    local f=$((BASH_REMATCH[1] - ${BASH_REMATCH[4]:-0}))
    count $((BASH_REMATCH[2] - f)) "$f"
  else
    count 0 1                                                     # it did not run
  fi
}

# pg_prove (TAP::Harness) ends with "Files=3, Tests=97, …" and "Result: PASS";
# its "Test Summary Report" gives "(Wstat: … Tests: N Failed: F)" per failing
# file, "(Wstat: 768 (exited 3) Tests: 23 Failed: 0)" for one that died.  A
# file that died or ran short of its plan counts one more failure, and so does
# a "Result: FAIL" that no file line explains.
count_pg_prove() {
  local tests f bad
  tests=$(grep -oP '^Files=\d+, Tests=\K\d+' "$1" | tail -1)
  [ -n "$tests" ] || { count 0 1; return; }
  f=$(grep -oP '\(Wstat: \d+.*Tests: \d+ Failed: \K\d+(?=\)$)' "$1" | awk '{ s += $1 } END { print s + 0 }')
  bad=$(grep -cP '\(Wstat: \d+.*Tests: \d+ Failed: 0\)$' "$1")
  if [ $((f + bad)) -eq 0 ] && ! grep -q '^Result: PASS' "$1"; then bad=1; fi
  count $((tests - f)) $((f + bad))
}

# The upgrade test prints TAP and ends with "# N passed, M failed".
count_summary() {
  local s
  s=$(grep -E '^# [0-9]+ passed, [0-9]+ failed$' "$1" | tail -1)
  if [[ $s =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
    count "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  else
    count 0 1
  fi
}

echo "== core: GoogleTest"
make -s core-test PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$log/core.txt"
p=$(grep -oP '\[  PASSED  \] \K[0-9]+' "$log/core.txt" | tail -1)
f=$(grep -oP '\[  FAILED  \] \K[0-9]+(?= tests?, listed)' "$log/core.txt" | tail -1)
[ -n "$p$f" ] || f=1            # the suite did not run at all
count "${p:-0}" "${f:-0}"

if [ -f fuzz/Makefile ]; then
  echo "== core: libFuzzer (${FUZZ_SECONDS:-60} s)"
  if make -s -C fuzz run FUZZ_SECONDS="${FUZZ_SECONDS:-60}" 2>&1 | tee "$log/fuzz.txt" | tail -5; then
    count 1 0
  else
    count 0 1
  fi
fi

echo "== SQL: pg_regress on a throwaway cluster"
pg_virtualenv -v 15 -o max_prepared_transactions=10 make installcheck ISOLATION= PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$log/regress.txt"
count_pg_regress "$log/regress.txt"
grep -q 'All [0-9]* tests passed' "$log/regress.txt" || head -200 test/regression.diffs 2>/dev/null

echo "== SQL: isolation"
pg_virtualenv -v 15 make installcheck REGRESS= PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$log/isolation.txt"
count_pg_regress "$log/isolation.txt"
grep -q 'All [0-9]* tests passed' "$log/isolation.txt" || head -200 test/isolation/regression.diffs 2>/dev/null

echo "== SQL: pgTAP through pg_prove"
pg_virtualenv -v 15 make -s prove PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$log/prove.txt"
count_pg_prove "$log/prove.txt"

echo "== upgrade: 0.1.0 with data, ALTER EXTENSION UPDATE, compared with a fresh install"
pg_virtualenv -v 15 make -s updatecheck PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$log/update.txt"
count_summary "$log/update.txt"

echo "== legacy: each earlier version on its own frozen code in the one library, running its own pg_regress files, then updated in the same session (make legacycheck)"
pg_virtualenv -v 15 make -s legacycheck PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$log/legacy.txt"
count_summary "$log/legacy.txt"

echo "== scale-out: primary + front (PL/Proxy) + 2 shards on loopback, make scale-check"
make -s scale-check PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$log/scale.txt"
count_summary "$log/scale.txt"

echo "== release: versions agree, META.json, make dist"
if scripts/check-release.sh 2>&1 | tee "$log/release.txt"; then count 1 0; else count 0 1; fi

echo "== Debian package: dpkg-buildpackage in a temporary copy, installed, pg_regress against it"
debtmp=$(mktemp -d)
debdir="$debtmp/src"
mkdir "$debdir"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && cp --parents -a "$f" "$debdir/"
done
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
deb="$debtmp/postgresql-15-workflow-ext_${version}_$(dpkg --print-architecture).deb"
if (cd "$debdir" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b -j2) > "$log/deb.txt" 2>&1 &&
   [ -f "$deb" ] && $sudo dpkg -i "$deb" >> "$log/deb.txt" 2>&1; then
  count 1 0
  echo "built and installed $(basename "$deb")"
  dpkg -c "$deb"
  # Debian's own checks of the package: errors fail, warnings are shown.
  lintian --fail-on error --tag-display-limit 0 "$debtmp"/*.changes > "$log/lintian.txt" 2>&1
  lintian_rc=$?
  grep -v 'root privileges' "$log/lintian.txt"
  if [ "$lintian_rc" -eq 0 ]; then count 1 0; else count 0 1; fi
  pg_virtualenv -v 15 make installcheck ISOLATION= PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$log/deb-regress.txt"
  count_pg_regress "$log/deb-regress.txt"
  # Leave the server as make install leaves it.
  $sudo dpkg -r postgresql-15-workflow-ext >> "$log/deb.txt" 2>&1
  $sudo make -s install PG_CONFIG="$PG_CONFIG"
else
  count 0 1
  tail -40 "$log/deb.txt"
fi
rm -rf "$debtmp"

echo "== bench: make bench-smoke (every scenario at tiny sizes: the scripts run and write the table)"
rm -f bench/results/smoke.md
if make -s bench-smoke PG_CONFIG="$PG_CONFIG" > "$log/bench.txt" 2>&1 &&
   grep -q '^| move ' bench/results/smoke.md && grep -q '^| core ' bench/results/smoke.md; then
  count 1 0
  grep -E '^\| ' bench/results/smoke.md
else
  count 0 1
  tail -30 "$log/bench.txt"
fi

echo "== bench: make bench-tenant-smoke (0.3.0 against 0.2.0 as an application role, tiny sizes: the script runs)"
if make -s bench-tenant-smoke PG_CONFIG="$PG_CONFIG" > "$log/bench-tenant.txt" 2>&1 &&
   [ -s bench/results/smoke.tenant_move.md ]; then
  count 1 0
else
  count 0 1
  tail -30 "$log/bench-tenant.txt"
fi

# node's test runner ends with "# pass N", "# fail N" and "# cancelled N".
count_node_test() {
  local p f c
  p=$(grep -oP '^# pass \K[0-9]+' "$1" | tail -1)
  f=$(grep -oP '^# fail \K[0-9]+' "$1" | tail -1)
  c=$(grep -oP '^# cancelled \K[0-9]+' "$1" | tail -1)
  if [ -n "$p" ] && [ -n "$f" ]; then count "$p" $((f + ${c:-0})); else count 0 1; fi
}

echo "== clients: the Django REST API (APIClient), on a throwaway cluster"
pg_virtualenv -t -v 15 clients/django/run-tests.sh 2>&1 | tee "$log/client-django.txt"
count_summary "$log/client-django.txt"
echo "== clients: the Django REST API on the tenant layout (front + 3 shards on loopback)"
PG_BIN=$("${PG_CONFIG:-pg_config}" --bindir) clients/django/run-scale-tests.sh 2>&1 | tee "$log/client-django-scale.txt"
count_summary "$log/client-django-scale.txt"
echo "== clients: the pipeline board in headless Chromium (puppeteer-core), on a throwaway cluster"
pg_virtualenv -t -v 15 clients/django/run-board-tests.sh 2>&1 | tee "$log/client-board.txt"
count_summary "$log/client-board.txt"
for client in node sequelize; do
  echo "== clients: $client (npm ci, node --test), on a throwaway cluster"
  pg_virtualenv -t -v 15 "clients/$client/run-tests.sh" 2>&1 | tee "$log/client-$client.txt"
  count_node_test "$log/client-$client.txt"
done
echo "== clients: Rails (ActiveRecord), SQLAlchemy, and the database around them (template clones, PgBouncer), on throwaway clusters"
for client in rails sqlalchemy database; do
  pg_virtualenv -t -v 15 "clients/$client/run-tests.sh" 2>&1 | tee "$log/client-$client.txt"
  count_summary "$log/client-$client.txt"
done
echo "== clients: the SLA sweep scheduled by pg_cron, on a cluster that preloads it"
clients/pg_cron/run-tests.sh 2>&1 | tee "$log/client-pg_cron.txt"
count_summary "$log/client-pg_cron.txt"

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
