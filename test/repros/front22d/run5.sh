#!/bin/bash
S=/tmp/attack-front22d-scale/sock
F="psql -X -h $S -p 6610 -d wf"
read X1 X2 Y <<<$($F -U postgres -Atc "SELECT string_agg(t, ' ') FROM (SELECT t FROM unnest((SELECT array_agg('org:t' || i) FROM generate_series(1, 40) i)) t WHERE tenant_partition(t)=0 LIMIT 3) s")
echo "X1=$X1 X2=$X2 Y=$Y"
for X in $X1 $X2; do
$F -U app -q -v ON_ERROR_STOP=1 <<SQL
SET workflow_ext.tenant = '$X'; SET workflow_ext.actor = 'user:own';
SELECT (create_definition('workflow', '{"name": "w"}'))->>'id' AS wid \gset
SELECT create_definition('workflow_stage', jsonb_build_object('workflow_id', :wid, 'name', 's1', 'position', 1)) IS NOT NULL;
SELECT assign_workflow(500, :wid) IS NOT NULL;
SELECT add_candidate(1, 500) IS NOT NULL;
SELECT share_workflow(:wid, NULL, false, '$Y');
SET workflow_ext.tenant = '$Y'; SET workflow_ext.actor = 'user:yadm'; SET workflow_ext.tenant_admin = on;
SELECT accept_share(:wid, true);
SQL
done
cmp() {
$F -U ${2:-app} -At <<SQL
\echo -- $1
SELECT 'new', count(*) FROM job_candidates(500, NULL, '$Y', 'user:y1');
SELECT 'old', jsonb_array_length(call_tenant('$Y', 'user:y1', 'job_candidates', '{"job_id": 500}'));
SQL
}
cmp "ambiguous: two tenants share job 500 with Y (expect 21000 both)"
cmp "ambiguous as superuser" postgres
# Y's own job 500, on a workflow user:y1 does not see
$F -U app -q -v ON_ERROR_STOP=1 <<SQL
SET workflow_ext.tenant = '$Y'; SET workflow_ext.actor = 'user:y2';
SELECT (create_definition('workflow', '{"name": "yw"}'))->>'id' AS ywid \gset
SELECT create_definition('workflow_stage', jsonb_build_object('workflow_id', :ywid, 'name', 's1', 'position', 1)) IS NOT NULL;
SELECT assign_workflow(500, :ywid) IS NOT NULL;
SELECT add_candidate(9, 500) IS NOT NULL;
SQL
cmp "Y own job 500 unseen by y1 + two shares (expect 0 both)"
cmp "same as superuser" postgres
$F -U app -q -v ON_ERROR_STOP=1 <<SQL
SET workflow_ext.tenant = '$Y'; SET workflow_ext.actor = 'user:y2';
SELECT (d->>'id') AS yw FROM jsonb_array_elements(definitions('workflow', '{"name": "yw"}')) d LIMIT 1 \gset
SELECT share_workflow(:yw, 'user:y1');
SET workflow_ext.actor = 'user:y1';
SELECT accept_share(:yw);
SQL
cmp "Y own job 500 now shared with y1 (expect 1 both)"
cmp "same as superuser" postgres
