#!/bin/sh
# Instruction counts (valgrind --tool=callgrind, load-independent) of the bulk
# row's statement as bench_app for builds of workflow_ext.so, and of the floor
# with foreign keys, each in a single-user backend on a fresh copy of the same
# cluster.  Inside `/work/tools/pgsandbox NAME` with the extension installed:
#   BENCH_BULK_CANDIDATES=10000 sh bench/profile/bulk_callgrind.sh OUTDIR base=/tmp/a.so new=/tmp/b.so
set -e
out=$1; shift
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"; chmod 777 "$out"
eval "$(/usr/bin/python3 "$here/bulk_ab.py" --setup-only | tail -1)"
psql -X -q -c CHECKPOINT
data=$(psql -X -Atc "SHOW data_directory")
bin=$(dirname "$(command -v postgres)")
lib=$("$PG_CONFIG" --pkglibdir)
floor=$(/usr/bin/python3 -c "import sys; sys.path.insert(0, '$here'); import run; print(' '.join(run.BULK_FLOOR.format(s1=$s1, schema='wfloorfk').split()))")
su postgres -s /bin/sh -c "$bin/pg_ctl -D $data -m fast stop" >/dev/null
rm -rf "$out/data0"; cp -a "$data" "$out/data0"
run_one() {   # name sql
  rm -rf "$out/data"; cp -a "$out/data0" "$out/data"; chown -R postgres: "$out/data"
  printf "SET jit = off; SET ROLE bench_app; SET workflow_ext.tenant = 'bench'; SET workflow_ext.actor = 'bench';\nBEGIN;\n%s;\nCOMMIT;\n" "$2" \
    | su postgres -s /bin/sh -c "valgrind --tool=callgrind --callgrind-out-file=$out/cg.$1 $bin/postgres --single -D $out/data -c jit=off postgres" \
      > "$out/$1.log" 2>&1
  echo "$1: $(grep -o 'Collected : [0-9]*' "$out/$1.log" | tail -1)"
}
for b in "$@"; do
  name=${b%%=*}; so=${b#*=}
  cp "$so" "$lib/workflow_ext.so"
  run_one "$name" "UPDATE candidate_stage SET stage_id = $s2 WHERE stage_id = $s1"
done
run_one floor_fk "$floor"
