#!/usr/bin/env bash
# bench/front_floor.sh - what the front's hop costs by itself (bench/results/front_overhead.md,
# third pass): pgbench -M prepared, 1 client, 3,000 calls a run, $ROUNDS alternating rounds, on a
# layout from `scripts/scale-out.sh up` where bench/front_ab.sh made wf_after and $TENANT's fixture.
#   front_select1 / shard_select1: SELECT 1 on the front (app) and on the tenant's shard (wf_front)
#   front_read_job999 / shard_apiquery_job999: the read of a job with no rows through the front,
#     and its query (the one job_candidates runs, job_tenant included) direct on the shard
#   front_read_job100 / shard_apiquery_job100 / shard_plain_job100: the same for the 19 rows of
#     job 100, and front_ab.sh's direct baseline (a plain SELECT)
# Prints each variant's latencies (ms), sorted.
set -euo pipefail
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PORT0=${WF_SCALE_PORT:-5701}
export PGPASSWORD=${WF_SCALE_PASSWORD:-wf-scale-secret}
ROUNDS=${ROUNDS:-5}
TENANT=${TENANT:-org:bench}
W=$(mktemp -d /tmp/front_floor.XXXX)
P=$(PGOPTIONS= "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$PORT0" -U app wf_after -c "SELECT tenant_partition('$TENANT')")
SP=$((PORT0 + 1 + P))
lit="E'${TENANT//:/\\x3a}', E'user\\x3aalice'"   # pgbench reads :name as a variable
q() { echo "SELECT c.id, c.tenant, c.job_id, c.candidate_id, c.workflow_id, c.stage_id, c.status, c.entered_at, c.transition_id, c.visit_transition_id, c.added_by, c.attributes FROM candidate_stage c WHERE c.job_id = $1 AND c.tenant = (SELECT job_tenant($1)) ORDER BY c.stage_id, c.candidate_id;"; }
echo "SELECT 1;" > "$W/one.sql"
q 999 > "$W/dj999.sql"; q 100 > "$W/dj100.sql"
echo "SELECT * FROM job_candidates(999, NULL, $lit);" > "$W/fj999.sql"
echo "SELECT * FROM job_candidates(100, NULL, $lit);" > "$W/fj100.sql"
echo "SELECT * FROM candidate_stage WHERE job_id = 100 ORDER BY stage_id, candidate_id;" > "$W/plain100.sql"
run() {   # run NAME FILE PORT USER DB
  if [ "$3" = "$PORT0" ]; then export PGOPTIONS=""; else export PGOPTIONS="-c workflow_ext.tenant=$TENANT -c workflow_ext.actor=user:alice"; fi
  "$PG_BIN/pgbench" -n -M prepared -c 1 -t 3000 -f "$W/$2" -h 127.0.0.1 -p "$3" -U "$4" "$5" 2>&1 \
    | sed -n "s/^latency average = \([0-9.]*\) ms$/$1 \1/p"
}
echo "# tenant $TENANT on p$P (shard port $SP); load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  run front_select1 one.sql "$PORT0" app wf_after
  run shard_select1 one.sql "$SP" wf_front wf
  run front_read_job999 fj999.sql "$PORT0" app wf_after
  run shard_apiquery_job999 dj999.sql "$SP" wf_front wf
  run front_read_job100 fj100.sql "$PORT0" app wf_after
  run shard_apiquery_job100 dj100.sql "$SP" wf_front wf
  run shard_plain_job100 plain100.sql "$SP" wf_front wf
done | sort -k1,1 -k2,2n | awk '{a[$1] = a[$1] " " $2} END {for (k in a) print k ":" a[k]}' | sort
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
rm -rf "$W"
