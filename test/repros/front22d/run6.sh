#!/bin/bash
S=/tmp/attack-front22d-scale/sock
F="psql -X -h $S -p 6610 -d wf"
A=org:beta
echo "== front owner changes the front's move_result.alerts_raised to bigint (new session)"
$F -U postgres -c "ALTER TYPE move_result ALTER ATTRIBUTE alerts_raised TYPE bigint"
$F -U app -q <<SQL
SET workflow_ext.tenant = '$A'; SET workflow_ext.actor = 'user:alice';
SELECT (create_definition('workflow', '{"name": "w2"}'))->>'id' AS wid \gset
SELECT create_definition('workflow_stage', jsonb_build_object('workflow_id', :wid, 'name', 's1', 'position', 1)) IS NOT NULL;
SELECT create_definition('workflow_stage', jsonb_build_object('workflow_id', :wid, 'name', 's2', 'position', 2)) IS NOT NULL;
SELECT assign_workflow(200, :wid) IS NOT NULL;
SELECT add_candidate(2, 200) IS NOT NULL;
SQL
$F -U app <<SQL
SELECT s.stage_id FROM job_candidates(200, NULL, '$A', 'user:alice') s WHERE candidate_id = 2;
SELECT * FROM move_to_next_stage(2, 200, NULL, '$A', 'user:alice');
SELECT s.stage_id AS after_error FROM job_candidates(200, NULL, '$A', 'user:alice') s WHERE candidate_id = 2;
SQL
$F -U postgres -c "ALTER TYPE move_result ALTER ATTRIBUTE alerts_raised TYPE integer"
echo "== shard owner adds permissive read policies for wf_app on job_workflow and candidate_stage"
psql -X -h $S -p 6611 -U postgres -d wf -c "CREATE POLICY audit_jw ON job_workflow FOR SELECT TO wf_app USING (true); CREATE POLICY audit_cs ON candidate_stage FOR SELECT TO wf_app USING (true)"
$F -U app -At <<SQL
SELECT 'new', count(*) FROM job_candidates(100, NULL, '$A', 'user:bob');
SELECT 'old', jsonb_array_length(call_tenant('$A', 'user:bob', 'job_candidates', '{"job_id": 100}'));
SQL
