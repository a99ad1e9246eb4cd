#!/bin/bash
# session 1: setup + superuser read shortcut + shard_count cache
S=/tmp/attack-front22d-scale/sock
F="psql -X -h $S -p 6610 -d wf"
sh() { psql -X -h $S -p $((6611+$1)) -U postgres -d wf "${@:2}"; }
A=$($F -U postgres -Atc "SELECT t FROM unnest(array['org:acme','org:beta','org:gamma','org:delta','org:epsilon']) t WHERE tenant_partition(t)=0 LIMIT 1")
echo "A=$A"
$F -U app -v ON_ERROR_STOP=1 <<SQL
SET workflow_ext.tenant = '$A'; SET workflow_ext.actor = 'user:alice';
SELECT (create_definition('workflow', '{"name": "w"}'))->>'id' AS wid \gset
SELECT (create_definition('workflow_stage', jsonb_build_object('workflow_id', :wid, 'name', 's1', 'position', 1)))->>'id' AS s1 \gset
SELECT (create_definition('workflow_stage', jsonb_build_object('workflow_id', :wid, 'name', 's2', 'position', 2)))->>'id' AS s2 \gset
SELECT assign_workflow(100, :wid);
SELECT candidate_id FROM add_candidate(1, 100);
SELECT candidate_id FROM add_candidate(2, 100);
SELECT candidate_id FROM add_candidate(3, 100);
SELECT * FROM move_to_next_stage(1, 100);
\echo -- app: alice sees, bob does not (job_candidates vs old path shard_call)
SELECT count(*) AS alice_rows FROM job_candidates(100, NULL, '$A', 'user:alice');
SELECT count(*) AS bob_rows FROM job_candidates(100, NULL, '$A', 'user:bob');
SELECT jsonb_array_length(call_tenant('$A', 'user:bob', 'job_candidates', '{"job_id": 100}')) AS bob_rows_oldpath;
SQL
echo "== 01 superuser (mapping wf_admin) front session: job_candidates vs old path"
$F -U postgres <<SQL
SELECT count(*) AS bob_rows_new FROM job_candidates(100, NULL, '$A', 'user:bob');
SELECT jsonb_array_length(call_tenant('$A', 'user:bob', 'job_candidates', '{"job_id": 100}')) AS bob_rows_oldpath;
SELECT count(*) AS nobody_rows_new FROM job_candidates(100, NULL, '$A', 'user:nobody');
SQL
echo "== shard direct as wf_admin: candidate_stage WHERE tenant = job_tenant(100) for bob"
PGPASSWORD=wf-scale-secret psql -X -h 127.0.0.1 -p 6611 -U wf_admin -d wf <<SQL
SET workflow_ext.tenant = '$A'; SET workflow_ext.actor = 'user:bob';
SELECT job_tenant(100), count(*) FROM candidate_stage c WHERE c.job_id = 100 AND c.tenant = (SELECT job_tenant(100)) GROUP BY 1;
SQL
echo "== 02 shard_count cache: rollback of ALTER SERVER"
$F -U postgres <<SQL
SELECT shard_count();
BEGIN;
ALTER SERVER workflow_shards OPTIONS (ADD p3 'host=127.0.0.1 port=6613 dbname=wf');
SELECT shard_count() AS in_txn;
ROLLBACK;
SELECT shard_count() AS after_rollback;
BEGIN;
SAVEPOINT s;
ALTER SERVER workflow_shards OPTIONS (DROP p2);
SELECT shard_count() AS in_sp;
ROLLBACK TO s;
SELECT shard_count() AS after_sp_rollback;
COMMIT;
SQL
