#!/bin/sh
# Profiles (perf, cpu-clock) one backend of a non-superuser application role
# holding the README's grant set (row-level security applies) while it runs
# one scenario of `make bench` that misses its target.  Under a throwaway
# cluster with the extension installed:
#   pg_virtualenv -v 15 sh bench/profile/profile_app.sh move|bulk|move_candidates|facts|screen1 [size] [outdir]
# Writes OUTDIR/<scenario>.txt: perf report --stdio, self time by symbol
# (top entries), then inclusive time (children) by symbol.
set -e
scenario=$1; size=${2:-20000}; out=${3:-/tmp/wfprof}
here=$(cd "$(dirname "$0")/.." && pwd)
role=wfprof_app
mkdir -p "$out"
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION IF NOT EXISTS workflow_ext"
psql -X -q -v ON_ERROR_STOP=1 -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN CREATE ROLE $role LOGIN PASSWORD '$role'; END IF; END\$\$"
sed -n '/^-- BEGIN application grant set$/,/^-- END application grant set$/p' "$here/../README.md" \
  | sed "s/workflow_app/$role/g" | psql -X -q -v ON_ERROR_STOP=1
s1=""
case $scenario in
  move|bulk|move_candidates|facts)
    psql -X -q -v ON_ERROR_STOP=1 -f "$here/sql/plpgsql_peer.sql" >/dev/null 2>&1
    psql -X -q -v ON_ERROR_STOP=1 -v candidates="$size" -v jobs=20 -f "$here/sql/move_data.sql"
    psql -X -q -v ON_ERROR_STOP=1 -f "$here/sql/writes_fixture.sql"
    s1=$(psql -X -Atc "SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1") ;;
esac
case $scenario in
  move)
    sql="SELECT count(move_to_next_stage(c, 1 + c % 20)) FROM generate_series(1, $size) c;" ;;
  bulk)
    sql="UPDATE candidate_stage SET stage_id = $((s1 + 1)) WHERE stage_id = $s1;" ;;
  move_candidates)
    sql="SELECT count(*) FROM generate_series(1, 20) j, move_candidates(j, ARRAY(SELECT c FROM generate_series(1, $size) c WHERE 1 + c % 20 = j), $((s1 + 1)));" ;;
  facts)
    psql -X -q -c "SET workflow_ext.actor = 'bench'; UPDATE candidate_stage SET stage_id = $((s1 + 1))"
    sql="UPDATE candidate_profile SET attributes = attributes || jsonb_build_object('n', random());" ;;
  screen1)
    psql -X -q -v ON_ERROR_STOP=1 -v docs="$size" -f "$here/sql/screen_data.sql"
    psql -X -q -c "GRANT SELECT ON screen_docs TO $role"
    cond=$(python3 -c "import json; print(json.dumps(json.load(open('$here/conditions.json'))['screen_1']['condition']))")
    sql="SET max_parallel_workers_per_gather = 0; SELECT count(*) FROM screen_docs WHERE condition_matches('$cond', doc); SELECT count(*) FROM screen_docs WHERE condition_matches('$cond', doc);" ;;
esac
psql -X -q -c "VACUUM ANALYZE"
# One session of the role: learn its pid, start perf on it, then run the statement.
fifo=$out/fifo; rm -f "$fifo"; mkfifo "$fifo"
( printf 'SELECT pg_backend_pid();\n'; sleep 1; printf "SET workflow_ext.actor = 'bench'; SET jit = off;\n"
  printf '\\timing on\n%s\n' "$sql"; printf '\\q\n' ) > "$fifo" &
PGPASSWORD=$role psql -X -At -U $role -v ON_ERROR_STOP=1 < "$fifo" > "$out/$scenario.psql" 2>&1 &
psqlpid=$!
sleep 0.5
pid=$(head -1 "$out/$scenario.psql")
perf record -e cpu-clock -F 2000 -g -p "$pid" -o "$out/$scenario.data" 2> "$out/$scenario.perf.log" &
perfpid=$!
wait $psqlpid
kill -INT $perfpid; wait $perfpid || true
{
  echo "# $scenario: $sql"
  echo "# as $role (README grant set, RLS applies), $size candidates/docs; psql output:"
  sed 's/^/#   /' "$out/$scenario.psql"
  echo "## self time by symbol"
  perf report -i "$out/$scenario.data" --stdio --no-children --sort symbol -g none --percent-limit 0.7 2>/dev/null | grep -v '^$'
  echo "## inclusive time (children) by symbol"
  perf report -i "$out/$scenario.data" --stdio --children --sort symbol -g none --percent-limit 3 2>/dev/null | grep -v '^$'
} > "$out/$scenario.txt"
cat "$out/$scenario.psql"
