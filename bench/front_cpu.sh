#!/usr/bin/env bash
# bench/front_cpu.sh - CPU per call of each process of a front call and of the
# same call direct on the shard, from the kernel's own accounting
# (/proc/PID/schedstat: nanoseconds on a CPU), over a steady window of a
# pgbench run; the calls of the window counted by pg_stat_statements (live,
# per statement). Less sensitive to other load on the machine than latency:
# what a call costs, not how long it waited for a core
# (bench/results/front_overhead.md, sixth pass).
#
# Needs a layout from `scripts/scale-out.sh up` where bench/front_ab.sh made
# wf_after and $TENANT's fixture (job 100: 19 candidates; job 500: 9001..9004
# for the moves). Loads pg_stat_statements on the front and the tenant's shard
# (shared_preload_libraries; restarts them once). As root (reads /proc).
#
#   VARIANTS  default "move_direct move_front read_plain read_api read_api_paced read_front"
#     move_direct  move_to_stage(...) on the shard as wf_front, tenant and actor set
#     move_front   move_to_stage(..., tenant, actor) on the front (wf_after) as app
#     read_plain   SELECT * FROM candidate_stage WHERE job_id = 100 ORDER BY ... (RLS)
#     read_api     the front's own statement for the read (wf_job_candidates: the
#                  job's tenant resolved as job_candidates does, the job a
#                  parameter, the generic plan) on the shard as wf_front
#     read_api_paced  read_api with a 0.3 ms pause after each call (\sleep), so
#                  that the shard's backend idles between calls as it does when
#                  the front drives it
#     read_front   job_candidates(100, NULL, tenant, actor) on the front
#   ROUNDS (3), WINDOW (3 s; the run is 2 s longer), FRONT_DB (wf_after)
# Prints per round and variant: calls in the window, µs of CPU per call of the
# client (pgbench), the front backend, the shard backend, and their sum; and
# pg_stat_statements' mean execution time (µs) of the call's statements on the
# front and on the shard (the shard's: every statement of the call, wf_ctx included).
set -euo pipefail
cd "$(dirname "$0")/.."
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
BASE=${WF_SCALE_DIR:-/tmp/wf-scale-out}
PORT0=${WF_SCALE_PORT:-5701}
SOCK=$BASE/sock
export PGPASSWORD=${WF_SCALE_PASSWORD:-wf-scale-secret}
TENANT=${TENANT:-org:bench}
ROUNDS=${ROUNDS:-3}
WINDOW=${WINDOW:-3}
FRONT_DB=${FRONT_DB:-wf_after}   # the front database the *_front variants call
VARIANTS=${VARIANTS:-"move_direct move_front read_plain read_api read_api_paced read_front"}
W=$(mktemp -d /tmp/front_cpu.XXXX)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
sq() {   # sq PORT DB SQL: one value, as postgres over the socket
  PGOPTIONS= as_pg "$PG_BIN/psql" -X -At -h "$SOCK" -p "$1" -U postgres -d "$2" -c "$3"
}
P=$(sq "$PORT0" $FRONT_DB "SELECT tenant_partition('$TENANT')")
SP=$((PORT0 + 1 + P))
for node in front "shard$P"; do
  port=$PORT0; [ "$node" = front ] || port=$SP
  if [ "$(sq "$port" postgres "SHOW shared_preload_libraries")" != pg_stat_statements ]; then
    sq "$port" postgres "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
    as_pg "$PG_BIN/pg_ctl" -D "$BASE/$node" -w restart -m fast >/dev/null
  fi
done
sq "$PORT0" $FRONT_DB "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
sq "$SP" wf "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
read -r S1 S2 < <(sq "$SP" wf "SELECT min(id), max(id) FROM (SELECT id FROM workflow_stage s
  WHERE s.tenant = '$TENANT' AND s.workflow_id = (SELECT workflow_id FROM job_workflow WHERE tenant = '$TENANT' AND job_id = 500)
  ORDER BY position LIMIT 2) x" | tr '|' ' ')
SCHEMA=$(sq "$SP" wf "SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'workflow_ext'")
lit="E'${TENANT//:/\\x3a}', E'user\\x3aalice'"   # pgbench reads :name as a variable
printf '%s\n' '\set n :n + 1' "SELECT * FROM move_to_stage(9001 + :client_id, 500, CASE WHEN :n % 2 = 1 THEN $S2 ELSE $S1 END);" > "$W/move_direct.sql"
printf '%s\n' '\set n :n + 1' "SELECT * FROM move_to_stage(9001 + :client_id, 500, CASE WHEN :n % 2 = 1 THEN $S2 ELSE $S1 END, NULL, $lit);" > "$W/move_front.sql"
echo "SELECT * FROM candidate_stage WHERE job_id = 100 ORDER BY stage_id, candidate_id;" > "$W/read_plain.sql"
# the front's read statement (proxy/workflow_ext_proxy.c, wf_job_candidates), $1 = 100, $2 = NULL
s="$SCHEMA"
printf '%s\n' '\set job 100' "SELECT c.id, c.tenant, c.job_id, c.candidate_id, c.workflow_id, c.stage_id, c.status, c.entered_at, c.transition_id, c.visit_transition_id, c.added_by, c.attributes FROM $s.candidate_stage c WHERE c.job_id = :job AND c.tenant = (SELECT CASE WHEN EXISTS (SELECT 1 FROM $s.job_workflow j WHERE j.tenant = $s.current_tenant() AND j.job_id = :job AND j.workflow_id = ANY ($s.visible_workflow_array())) THEN $s.current_tenant() ELSE $s.job_tenant(:job) END) AND (NULL::text IS NULL OR c.status = NULL::text) ORDER BY c.stage_id, c.candidate_id;" > "$W/read_api.sql"
{ cat "$W/read_api.sql"; echo '\sleep 300 us'; } > "$W/read_api_paced.sql"
echo "SELECT * FROM job_candidates(100, NULL, $lit);" > "$W/read_front.sql"

ns() { awk '{print $1}' "/proc/$1/schedstat" 2>/dev/null || echo 0; }
stmts() {   # stmts PORT DB ROLE PATTERN: the calls of ROLE's statements LIKE PATTERN, and the mean
  # execution time (µs) of all of ROLE's statements per such call (pg_stat_statements)
  sq "$1" "$2" "SELECT coalesce(sum(calls) FILTER (WHERE query LIKE '$4'), 0) || ' ' ||
    round((coalesce(sum(total_exec_time), 0) * 1000 / greatest(sum(calls) FILTER (WHERE query LIKE '$4'), 1))::numeric, 1)
    FROM pg_stat_statements WHERE userid = '$3'::regrole"
}
pid_of() {   # pid_of PORT DB APPNAME USER
  sq "$1" "$2" "SELECT pid FROM pg_stat_activity WHERE application_name = '$3' AND usename = '$4' ORDER BY backend_start DESC LIMIT 1"
}

run() {   # run VARIANT
  local v=$1 n0 conn fpid=0 spid bpid c1 f0 f1 s0 s1 b0 b1 pat fx sx
  case $v in
    *_front) conn="-h 127.0.0.1 -p $PORT0 -U app $FRONT_DB"; export PGOPTIONS="" ;;
    *) conn="-h 127.0.0.1 -p $SP -U wf_front wf"
       export PGOPTIONS="-c workflow_ext.tenant=$TENANT -c workflow_ext.actor=user:alice -c plan_cache_mode=force_generic_plan" ;;
  esac
  # (a timed run makes any number of moves: the first one leaves the stage candidate 9001 is in)
  n0=$(sq "$SP" wf "SELECT (stage_id = $S2)::int FROM candidate_stage WHERE tenant = '$TENANT' AND job_id = 500 AND candidate_id = 9001")
  "$PG_BIN/pgbench" -n -M prepared -c 1 -j 1 -T $((WINDOW + 2)) -D n="$n0" -f "$W/$v.sql" $conn >"$W/pgbench.out" 2>&1 &
  bpid=$!
  sleep 1
  case $v in
    *_front) fpid=$(pid_of "$PORT0" $FRONT_DB pgbench app); spid=$(pid_of "$SP" wf workflow_ext_proxy wf_front) ;;
    *) spid=$(pid_of "$SP" wf pgbench wf_front) ;;
  esac
  case $v in move*) pat='%move_to_stage%' ;; *) pat='%candidate%' ;; esac
  sq "$PORT0" $FRONT_DB "SELECT pg_stat_statements_reset()" >/dev/null
  sq "$SP" wf "SELECT pg_stat_statements_reset()" >/dev/null
  b0=$(ns "$bpid"); f0=$( [ "$fpid" = 0 ] && echo 0 || ns "$fpid"); s0=$(ns "$spid")
  sleep "$WINDOW"
  b1=$(ns "$bpid"); f1=$( [ "$fpid" = 0 ] && echo 0 || ns "$fpid"); s1=$(ns "$spid")
  read -r c1 sx < <(stmts "$SP" wf wf_front "$pat")
  fx=0
  [ "$fpid" = 0 ] || read -r c1 fx < <(stmts "$PORT0" $FRONT_DB app "$pat")
  wait "$bpid"
  awk -v v="$v" -v c="$c1" -v b=$((b1 - b0)) -v f=$((f1 - f0)) -v s=$((s1 - s0)) -v fx="$fx" -v sx="$sx" \
    'BEGIN {printf "%s calls %d client %.1f front %.1f shard %.1f total %.1f exec_front %.1f exec_shard %.1f\n", v, c, b/c/1000, f/c/1000, s/c/1000, (b+f+s)/c/1000, fx, sx}'
}
echo "# tenant $TENANT on p$P (shard port $SP); load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  for v in $VARIANTS; do echo "round $r $(run "$v")"; done
done | tee "$W/runs"
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
python3 - "$W/runs" <<'PY'
import sys, statistics
d = {}
for l in open(sys.argv[1]):
    f = l.split()
    d.setdefault(f[2], []).append([float(f[i]) for i in (6, 8, 10, 12, 14, 16)])
print("\n| variant | CPU: client | front backend | shard backend | total | statements' execution: front | shard |")
print("|---|---|---|---|---|---|---|")
for v, rows in d.items():
    m = [statistics.median(r[i] for r in rows) for i in range(6)]
    print(f"| {v} | {m[0]:.1f} | {m[1]:.1f} | {m[2]:.1f} | {m[3]:.1f} | {m[4]:.1f} | {m[5]:.1f} |")
print("\n(µs per call, medians of the rounds; CPU from /proc/PID/schedstat over the window, execution time")
print("from pg_stat_statements: the front's statement on the front, every statement of the call on the shard)")
PY
rm -rf "$W"
