#!/usr/bin/env bash
# The SLA sweep scheduled with pg_cron, tested on a throwaway cluster that
# preloads Debian's postgresql-15-cron:
#   clients/pg_cron/run-tests.sh
# It starts its own cluster (pg_virtualenv -t, shared_preload_libraries =
# 'pg_cron', cron.database_name = 'postgres', jobs in background workers),
# schedules raise_overdue_alerts() as a superuser the way the README shows,
# and checks that the scheduled runs raise the overdue alert event of every
# tenant's candidate (two of them an organization and an actor of its own
# with the same job and candidate ids), once per stage visit; then, with require_actor on, that
# the job needs the README's actor variant.  pg_cron 1.4 schedules down to a
# second ('1 seconds'); where a build refuses that, the test falls back to
# every minute and waits for the tick.  Ends with "# N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" != "--inside-cluster" ]; then
  exec pg_virtualenv -t -v 15 -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
       -o cron.use_background_workers=on -o max_worker_processes=16 "$0" --inside-cluster
fi
export PGDATABASE=postgres
passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "not ok - $1"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1 (got '$2', want '$3')"; fi; }
q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }

psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || { echo "setup failed"; echo "# 0 passed, 1 failed"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION workflow_ext;
CREATE EXTENSION pg_cron;
-- Three tenants, each with a candidate in a stage whose SLA is one second:
-- ann and bob (no tenant set: each actor its own), and the organization
-- org:acme, whose job and candidate ids are ann's too (ids are a tenant's own).
DO $$
DECLARE
    who text[];
    wf bigint;
    s1 bigint;
BEGIN
    FOREACH who SLICE 1 IN ARRAY ARRAY[['', 'user:ann', '1'], ['', 'user:bob', '2'],
                                       ['org:acme', 'user:ann', '1']] LOOP
        PERFORM set_config('workflow_ext.tenant', who[1], true);
        PERFORM set_config('workflow_ext.actor', who[2], true);
        INSERT INTO workflow (name) VALUES ('SLA ' || current_tenant()) RETURNING id INTO wf;
        INSERT INTO workflow_stage (workflow_id, name, position, sla) VALUES (wf, 'Screen', 1, '1 second')
            RETURNING id INTO s1;
        INSERT INTO workflow_stage (workflow_id, name, position) VALUES (wf, 'Onsite', 2);
        PERFORM assign_workflow(100 + who[3]::int, wf);
        PERFORM add_candidate(500 + who[3]::int, 100 + who[3]::int);
    END LOOP;
END $$;
SQL

if q "SELECT cron.schedule('probe', '1 seconds', 'SELECT 1')" >/dev/null 2>&1; then
  q "SELECT cron.unschedule('probe')" >/dev/null
  schedule='1 seconds'; wait_s=30
else
  schedule='* * * * *'; wait_s=130
fi
echo "# pg_cron $(q "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'"), schedule '$schedule'"
check "no overdue event before the sweep runs" "$(q "SELECT count(*) FROM alert_event WHERE cause = 'sla'")" 0

# As the README shows (a superuser's job sweeps every tenant's pipelines).
job=$(q "SELECT cron.schedule('workflow-sla', '$schedule', 'SELECT raise_overdue_alerts()')")
check "the sweep is scheduled" "$(q "SELECT command FROM cron.job WHERE jobid = $job")" "SELECT raise_overdue_alerts()"

got=0
for _ in $(seq "$wait_s"); do
  got=$(q "SELECT count(*) FROM alert_event WHERE cause = 'sla'")
  [ "$got" -ge 3 ] && break
  sleep 1
done
check "a scheduled run raised the overdue event of every tenant's candidate" \
  "$(q "SELECT string_agg(tenant || '/' || candidate_id || ':' || job_id, ',' ORDER BY tenant, candidate_id) FROM alert_event WHERE cause = 'sla'")" \
  "org:acme/501:101,user:ann/501:101,user:bob/502:102"
check "the run that raised them succeeded under pg_cron" \
  "$(q "SELECT count(*) > 0 FROM cron.job_run_details WHERE jobid = $job AND status = 'succeeded' AND return_message = 'SELECT 1'")" t
check "the events name the visit and the stage" \
  "$(q "SELECT bool_and(e.transition_id = c.visit_transition_id AND e.stage_id = c.stage_id AND e.severity <> '') FROM alert_event e JOIN candidate_stage c USING (tenant, job_id, candidate_id) WHERE e.cause = 'sla'")" t

if [ "$schedule" = "1 seconds" ]; then
  # More runs, still one event per stage visit.
  runs=$(q "SELECT count(*) FROM cron.job_run_details WHERE jobid = $job")
  for _ in $(seq 20); do
    [ "$(q "SELECT count(*) FROM cron.job_run_details WHERE jobid = $job AND status = 'succeeded'")" -ge $((runs + 3)) ] && break
    sleep 1
  done
  check "later runs raise nothing more in the same visit" "$(q "SELECT count(*) FROM alert_event WHERE cause = 'sla'")" 3
  # A new visit of an SLA stage is overdue again after its second.
  q "SELECT set_config('workflow_ext.actor', 'user:ann', false); SELECT move_to_next_stage(501, 101); SELECT move_to_stage(501, 101, (SELECT id FROM workflow_stage WHERE name = 'Screen' AND workflow_id = (SELECT workflow_id FROM job_workflow WHERE tenant = 'user:ann' AND job_id = 101)))" >/dev/null
  for _ in $(seq 20); do
    [ "$(q "SELECT count(*) FROM alert_event WHERE cause = 'sla' AND tenant = 'user:ann' AND candidate_id = 501")" -ge 2 ] && break
    sleep 1
  done
  check "a new visit of the stage is swept again" "$(q "SELECT count(*) FROM alert_event WHERE cause = 'sla' AND tenant = 'user:ann' AND candidate_id = 501")" 2
fi

# With workflow_ext.require_actor on, a job without an actor is refused (42501)
# and the README's variant with an actor sweeps: a third tenant's candidate
# enters an SLA stage, and both jobs run at the next tick.
q "ALTER DATABASE postgres SET workflow_ext.require_actor = on" >/dev/null
q "SET workflow_ext.actor = 'user:cy';
   WITH w AS (INSERT INTO workflow (name) VALUES ('SLA cy') RETURNING id),
        s AS (INSERT INTO workflow_stage (workflow_id, name, position, sla) SELECT id, 'Screen', 1, '1 second' FROM w RETURNING workflow_id)
   SELECT assign_workflow(103, (SELECT workflow_id FROM s));
   SELECT add_candidate(503, 103);" >/dev/null
actor_job=$(q "SELECT cron.schedule('workflow-sla-actor', '$schedule', \$\$SET LOCAL workflow_ext.actor = 'scheduler'; SELECT raise_overdue_alerts()\$\$)")
for _ in $(seq "$wait_s"); do
  [ "$(q "SELECT count(*) FROM alert_event WHERE cause = 'sla' AND candidate_id = 503")" -ge 1 ] &&
    [ "$(q "SELECT count(*) FROM cron.job_run_details WHERE jobid = $job AND status = 'failed'")" -ge 1 ] && break
  sleep 1
done
check "under require_actor, the job with an actor raises the new overdue event" \
  "$(q "SELECT count(*) FROM alert_event WHERE cause = 'sla' AND candidate_id = 503")" 1
check "under require_actor, the job without an actor is refused" \
  "$(q "SELECT bool_or(return_message LIKE '%actor%') FROM cron.job_run_details WHERE jobid = $job AND status = 'failed'")" t
q "SELECT cron.unschedule('workflow-sla'), cron.unschedule('workflow-sla-actor')" >/dev/null
echo "# $passed passed, $failed failed"
[ "$failed" -eq 0 ]
