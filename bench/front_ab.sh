#!/usr/bin/env bash
# bench/front_ab.sh - the front's overhead, before and after a change, in one
# run (docs/scale-out.md, Capacity model; bench/results/front_overhead.md).
#
# Needs a layout from `scripts/scale-out.sh up` (WF_SCALE_DIR, WF_SCALE_PORT;
# PG_BIN for psql/pgbench).  Makes two front databases on the front cluster,
# wf_before (the front's install script of git revision $BEFORE, loaded as
# plain SQL: the same functions, not an extension, with BEFORE's C module
# built as workflow_ext_proxy_before) and wf_after (CREATE
# EXTENSION workflow_ext_proxy as installed), both routing to the same shards,
# a fixture for one tenant, then $ROUNDS rounds, each running every variant
# (direct on the shard, front before, front after; forward in odd rounds,
# backward in even ones): a move at 1 and at 4 clients, a read of a job's
# pipeline (19 rows) at 1 client, $CALLS calls a run (default 1000).  Prints one line per run (latency in ms,
# server CPU per call in us) and the medians.
# "direct" is the same call on the tenant's shard: for a move, the API's
# move_to_stage; for the read, two baselines: "direct", the plain SELECT of
# the job's rows of candidate_stage (what an application on one database
# writes; RLS, no resolution of the job's tenant), and "api", the read that
# job_candidates runs on the shard (the front's own statement: the job's
# tenant resolved as job_tenant() does, the job a parameter, the generic
# plan), i.e. the API's read without the front.
# The clients are pgbench (-M prepared, TCP, password), as the application
# role `app` on the front and as wf_front with tenant and actor set on the
# shard (RLS applies on both paths).
set -euo pipefail
cd "$(dirname "$0")/.."
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
BASE=${WF_SCALE_DIR:-/tmp/wf-scale-out}
PORT0=${WF_SCALE_PORT:-5701}
SOCK=$BASE/sock
PASSWORD=${WF_SCALE_PASSWORD:-wf-scale-secret}
BEFORE=${BEFORE:-2872e3f}   # main when issue 22's fourth pass began (the third pass's front)
ROUNDS=${ROUNDS:-5}
CALLS=${CALLS:-1000}   # calls per run (the CPU figures come in 10 ms ticks: more calls, finer figures)
TENANT=${TENANT:-org:bench}
W=$(mktemp -d /tmp/front_ab.XXXX)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_front() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT0" -U postgres "$@"; }

servers=""
for k in 0 1 2; do servers="$servers, p$k 'host=127.0.0.1 port=$((PORT0 + 1 + k)) dbname=wf connect_timeout=2'"; done
wire="CREATE EXTENSION IF NOT EXISTS plproxy;
CREATE SERVER workflow_shards FOREIGN DATA WRAPPER plproxy OPTIONS (
    connection_lifetime '1800', modular_mapping '1', query_timeout '5'$servers);
CREATE USER MAPPING FOR PUBLIC SERVER workflow_shards OPTIONS (user 'wf_front', password '$PASSWORD');
GRANT USAGE ON FOREIGN SERVER workflow_shards TO app;"
psql_front -d postgres -c "ALTER ROLE app PASSWORD '$PASSWORD'"
for db in wf_before wf_after; do psql_front -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"; done
# "before" runs its own revision's C module: BEFORE's proxy/workflow_ext_proxy.c
# built and installed as workflow_ext_proxy_before (its functions name it).
PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}
mkdir -p "$W/so"
git show "$BEFORE:proxy/workflow_ext_proxy.c" > "$W/so/workflow_ext_proxy_before.c"
printf '%s\n' 'MODULE_big = workflow_ext_proxy_before' 'OBJS = workflow_ext_proxy_before.o' \
  'PG_CPPFLAGS = -I$(libpq_srcdir)' 'SHLIB_LINK_INTERNAL = $(libpq)' \
  'PGXS := $(shell $(PG_CONFIG) --pgxs)' 'include $(PGXS)' > "$W/so/Makefile"
make -s -C "$W/so" PG_CONFIG="$PG_CONFIG" install >/dev/null
git show "$BEFORE:proxy/workflow_ext_proxy--0.3.0.sql" | grep -v -e '^\\echo' -e 'pg_extension_config_dump' | sed -e 's/@extschema@/public/g' -e 's|MODULE_PATHNAME|$libdir/workflow_ext_proxy_before|g' > "$W/before.sql"
psql_front -d wf_before -c "$wire" -f - <"$W/before.sql" >/dev/null
psql_front -d wf_after -c "CREATE EXTENSION plproxy" -c "CREATE EXTENSION workflow_ext_proxy" -c "$wire" >/dev/null

# The fixture, through the front: a workflow of 4 stages, job 100 with 19
# candidates (the read), job 500 with a candidate per client (the moves).
PART=$(psql_front -d wf_after -At -c "SELECT tenant_partition('$TENANT')")
SHARD_PORT=$((PORT0 + 1 + PART))
as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT0" -U app -d wf_after -At >"$W/stages" <<SQL
SET workflow_ext.tenant = '$TENANT';
SET workflow_ext.actor = 'user:alice';
SELECT (create_definition('workflow', '{"name": "bench"}'))->>'id' AS w \gset
SELECT count(*) FROM generate_series(1, 4) i,
       create_definition('workflow_stage', jsonb_build_object('workflow_id', :w, 'name', 's' || i, 'position', i));
SELECT assign_workflow(100, :w), assign_workflow(500, :w);
SELECT count(*) FROM generate_series(1, 19) c, set_candidate_facts(c, '{"years": 3}'), add_candidate(c, 100);
SELECT count(*) FROM generate_series(9001, 9004) c, add_candidate(c, 500);
SELECT string_agg(d->>'id', ' ' ORDER BY (d->>'position')::int) FROM definitions('workflow_stage', jsonb_build_object('workflow_id', :w)) d;
SQL
read -r S1 S2 _ < <(tail -1 "$W/stages")

# Each client moves its own candidate between stages S1 and S2 (an even
# number of transactions: it ends where it started).
lit="E'${TENANT//:/\\x3a}', E'user\\x3aalice'"   # pgbench reads :name as a variable
printf '%s\n' '\set n :n + 1' "SELECT * FROM move_to_stage(9001 + :client_id, 500, CASE WHEN :n % 2 = 1 THEN $S2 ELSE $S1 END);" > "$W/move_direct.sql"
printf '%s\n' '\set n :n + 1' "SELECT * FROM move_to_stage(9001 + :client_id, 500, CASE WHEN :n % 2 = 1 THEN $S2 ELSE $S1 END, NULL, $lit);" > "$W/move_front.sql"
printf '%s\n' "SELECT * FROM candidate_stage WHERE job_id = 100 ORDER BY stage_id, candidate_id;" > "$W/read_direct.sql"
# the front's read statement (proxy/workflow_ext_proxy.c, wf_job_candidates) with $1 = 100, $2 = NULL
SCHEMA=$(as_pg "$PG_BIN/psql" -X -At -h "$SOCK" -p "$SHARD_PORT" -U postgres -d wf \
  -c "SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'workflow_ext'")
s=$SCHEMA
printf '%s\n' '\set job 100' "SELECT c.id, c.tenant, c.job_id, c.candidate_id, c.workflow_id, c.stage_id, c.status, c.entered_at, c.transition_id, c.visit_transition_id, c.added_by, c.attributes FROM $s.candidate_stage c WHERE c.job_id = :job AND c.tenant = (SELECT CASE WHEN EXISTS (SELECT 1 FROM $s.job_workflow j WHERE j.tenant = $s.current_tenant() AND j.job_id = :job AND j.workflow_id = ANY ($s.visible_workflow_array())) THEN $s.current_tenant() ELSE $s.job_tenant(:job) END) AND (NULL::text IS NULL OR c.status = NULL::text) ORDER BY c.stage_id, c.candidate_id;" > "$W/read_api.sql"
printf '%s\n' "SELECT * FROM job_candidates(100, NULL, $lit);" > "$W/read_front.sql"

# CPU of a cluster's exited backends: its postmaster's cutime + cstime (ticks).
ticks() { awk '{print $16 + $17}' "/proc/$(head -1 "$BASE/$1/postmaster.pid")/stat"; }
HZ=$(getconf CLK_TCK)
SHARD=shard$PART

run() {   # run VARIANT WHAT CLIENTS: the mean latency in ms, the server CPU per call in us
  local variant=$1 what=$2 k=$3 t conn f0 s0 lat
  case $what in move) t=$((CALLS / k)) ;; read) t=$CALLS ;; esac
  if [ "$variant" = direct ] || [ "$variant" = api ]; then
    conn="-h 127.0.0.1 -p $SHARD_PORT -U wf_front wf"
    export PGOPTIONS="-c workflow_ext.tenant=$TENANT -c workflow_ext.actor=user:alice"
    f=$W/${what}_$variant.sql
    # (the front's read sets plan_cache_mode for its statement: the same here)
    [ "$variant" = api ] && PGOPTIONS="$PGOPTIONS -c plan_cache_mode=force_generic_plan"
  else
    conn="-h 127.0.0.1 -p $PORT0 -U app wf_$variant"
    export PGOPTIONS=""
    f=$W/${what}_front.sql
  fi
  f0=$(ticks front); s0=$(ticks "$SHARD")
  lat=$(PGPASSWORD=$PASSWORD "$PG_BIN/pgbench" -n -M prepared -c "$k" -j "$k" -t "$t" -D n=0 -f "$f" $conn 2>&1 \
    | sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p')
  sleep 0.3   # the backends (the front's and its PL/Proxy connections' on the shard) exit and are reaped
  echo "$lat $(( ($(ticks front) - f0 + $(ticks "$SHARD") - s0) * 1000000 / HZ / (t * k) ))"
}

echo "# front: port $PORT0, tenant $TENANT on p$PART (shard port $SHARD_PORT); before = $BEFORE, after = the installed workflow_ext_proxy"
echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
CASES=("move 1" "move 4" "read 1")
VARIANTS=(direct before after)
for r in $(seq 1 "$ROUNDS"); do
  for c in "${CASES[@]}"; do
    order=("${VARIANTS[@]}")
    [ "$c" = "read 1" ] && order=(direct api before after)
    [ $((r % 2)) -eq 0 ] && order=($(printf '%s\n' "${order[@]}" | tac))
    for v in "${order[@]}"; do
      # shellcheck disable=SC2086
      res=$(run "$v" $c)
      echo "round $r $c $v $res"
    done
  done
done | tee "$W/runs"
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
python3 - "$W/runs" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.startswith("round")]
d = {}
for _, r, what, k, v, ms, cpu in rows:
    d.setdefault((what, k), {}).setdefault(v, {})[int(r)] = (float(ms), float(cpu))
for i, (metric, unit) in enumerate([("latency", "ms"), ("server CPU per call", "us")]):
    print(f"\n{metric} ({unit}):\n")
    print(f"| calls | direct | direct API | front before | front after | before / direct | after / direct | after / direct API | after / before |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (what, k), vs in d.items():
        rs = sorted(vs["direct"])
        ratio = lambda a, b: statistics.median(vs[a][r][i] / vs[b][r][i] for r in rs)
        med = lambda v: statistics.median(x[i] for x in vs[v].values())
        api = "api" in vs
        apim = format(med('api'), '.3f') if api else '—'
        apir = format(ratio('after', 'api'), '.2f') if api else '—'
        print(f"| {what}, {k} client(s) | {med('direct'):.3f} | {apim} | {med('before'):.3f} | {med('after'):.3f} | "
              f"{ratio('before', 'direct'):.2f} | {ratio('after', 'direct'):.2f} | {apir} | {ratio('after', 'before'):.2f} |")
print("\n(medians of the rounds; each ratio taken within its round, then the median; server CPU: the front's and the")
print("tenant's shard's backends, from their postmasters' cutime + cstime, per call)")
# On a shared machine the other processes' load moves a run's latency by 2x or
# more; the lowest of the rounds is the least disturbed one of each variant.
print("\nlowest latency of the rounds (ms; ratios of these):\n")
print("| calls | direct | direct API | front before | front after | before / direct | after / direct | after / direct API | after / before |")
print("|---|---|---|---|---|---|---|---|---|")
for (what, k), vs in d.items():
    lo = {v: min(x[0] for x in vs[v].values()) for v in vs}
    api = "api" in lo
    print(f"| {what}, {k} client(s) | {lo['direct']:.3f} | {format(lo['api'], '.3f') if api else '—'} | {lo['before']:.3f} | {lo['after']:.3f} | "
          f"{lo['before'] / lo['direct']:.2f} | {lo['after'] / lo['direct']:.2f} | {format(lo['after'] / lo['api'], '.2f') if api else '—'} | {lo['after'] / lo['before']:.2f} |")
PY
rm -rf "$W"
