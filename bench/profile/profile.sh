#!/bin/sh
# Profiles one backend running one scenario with perf (cpu-clock: this
# machine's virtual CPUs have no hardware counters), under a throwaway
# cluster.  Usage (the extension installed, under the shared install lock):
#   pg_virtualenv -v 15 sh bench/profile/profile.sh bulk|move|screen5 [size] [outdir]
# Writes OUTDIR/<scenario>.txt, perf's flat (self) and caller-inclusive
# top entries.
set -e
scenario=$1; size=${2:-20000}; out=${3:-/tmp/wfprof}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION IF NOT EXISTS workflow_ext"
psql -X -q -v ON_ERROR_STOP=1 -f "$here/sql/plpgsql_peer.sql"
case $scenario in
  bulk|move)
    psql -X -q -v ON_ERROR_STOP=1 -v candidates="$size" -v jobs=20 -f "$here/sql/move_data.sql"
    psql -X -q -v ON_ERROR_STOP=1 -f "$here/sql/writes_fixture.sql"
    s1=$(psql -X -Atc "SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1")
    if [ "$scenario" = bulk ]; then
      # Steady state: one bulk move first, then history analyzed at its size.
      psql -X -q -c "SET workflow_ext.actor = 'bench'; UPDATE candidate_stage SET stage_id = $((s1 + 1)) WHERE stage_id = $s1"
      psql -X -q -f "$here/sql/move_reset.sql"
      sql="SET workflow_ext.actor = 'bench'; UPDATE candidate_stage SET stage_id = $((s1 + 1)) WHERE stage_id = $s1;"
    else
      sql="SET workflow_ext.actor = 'bench'; SELECT count(move_to_next_stage(c, 1 + c % 20)) FROM generate_series(1, $size) c;"
    fi ;;
  screen5)
    psql -X -q -v ON_ERROR_STOP=1 -v docs="$size" -f "$here/sql/screen_data.sql"
    cond=$(python3 -c "import json; print(json.dumps(json.load(open('$here/conditions.json'))['screen_5']['condition']))")
    sql="SET max_parallel_workers_per_gather = 0; SELECT count(*) FROM screen_docs WHERE condition_matches('$cond', doc); SELECT count(*) FROM screen_docs WHERE condition_matches('$cond', doc);" ;;
esac
# One session: learn its pid, start perf on it, then run the statement.
fifo=$out/fifo; rm -f "$fifo"; mkfifo "$fifo"
( printf 'SELECT pg_backend_pid();\n'; sleep 1; printf '%s\n' "$sql"; printf '\\q\n' ) > "$fifo" &
psql -X -At -v ON_ERROR_STOP=1 < "$fifo" > "$out/$scenario.psql" 2>&1 &
psqlpid=$!
sleep 0.5
pid=$(head -1 "$out/$scenario.psql")
perf record -e cpu-clock -F 2000 -g -p "$pid" -o "$out/$scenario.data" 2> "$out/$scenario.perf.log" &
perfpid=$!
wait $psqlpid
kill -INT $perfpid; wait $perfpid || true
perf report -i "$out/$scenario.data" --stdio --no-children --sort symbol -g none --percent-limit 0.7 2>/dev/null \
  | grep -v '^$' > "$out/$scenario.txt"
perf report -i "$out/$scenario.data" --stdio --children --sort symbol -g none --percent-limit 3 2>/dev/null \
  | grep -v '^$' > "$out/$scenario.children.txt"
cat "$out/$scenario.psql"
