#!/bin/bash
# screen_prof.sh OUT N SQL [SETTINGS]: perf record (cpu-clock, -F 1999 -g) of
# one bench_app backend (RLS on, tenant and actor 'bench') running SQL N times
# after SETTINGS; writes OUT.data and OUT.txt (self time by symbol).  Run
# inside a pgsandbox cluster set up as for bench/run.py's screen rows
# (bench/results/screen_index.md, section "screen8").
OUT=$1; N=$2; SQL=$3; PRE=$4
TMP=$(mktemp -d)
{ echo "SET max_parallel_workers_per_gather = 0; SET jit = off; $PRE"
  echo "\\o $TMP/pid"
  echo "SELECT pg_backend_pid();"
  echo "\\o /dev/null"
  echo "SELECT pg_sleep(1.5);"
  for i in $(seq "$N"); do echo "$SQL;"; done
} > "$TMP/run.sql"
PGOPTIONS="-c role=bench_app -c workflow_ext.tenant=bench -c workflow_ext.actor=bench" psql -X -At -q -f "$TMP/run.sql" &
P=$!
sleep 1
perf record -F 1999 -g -p "$(cat "$TMP/pid")" -o "$OUT.data" 2>/dev/null &
R=$!
wait $P
kill -INT $R; wait $R
perf report -i "$OUT.data" --no-children --sort dso,sym --percent-limit 0.4 --stdio -g none 2>/dev/null | grep % > "$OUT.txt"
rm -rf "$TMP"
