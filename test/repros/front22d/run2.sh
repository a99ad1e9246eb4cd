#!/bin/bash
S=/tmp/attack-front22d-scale/sock
F="psql -X -h $S -p 6610 -d wf"
sh() { psql -X -h $S -p $((6611+$1)) -U postgres -d "${DB:-wf}" "${@:2}"; }
PW=wf-scale-secret
A=$($F -U postgres -Atc "SELECT t FROM unnest(array['org:acme','org:beta','org:gamma','org:delta','org:epsilon','org:zeta','org:eta']) t WHERE tenant_partition(t)=0 LIMIT 1")
C=$($F -U postgres -Atc "SELECT t FROM unnest(array['org:acme','org:beta','org:gamma','org:delta','org:epsilon','org:zeta','org:eta']) t WHERE tenant_partition(t)=2 LIMIT 1")
echo "A=$A C=$C"
$F -U app -v ON_ERROR_STOP=1 -q <<SQL
SET workflow_ext.tenant = '$A'; SET workflow_ext.actor = 'user:alice';
SELECT (create_definition('workflow', '{"name": "w"}'))->>'id' AS wid \gset
SELECT (create_definition('workflow_stage', jsonb_build_object('workflow_id', :wid, 'name', 's1', 'position', 1)))->>'id' AS s1 \gset
SELECT (create_definition('workflow_stage', jsonb_build_object('workflow_id', :wid, 'name', 'zoë 🚀', 'position', 2)))->>'id' AS s2 \gset
SELECT assign_workflow(100, :wid);
SELECT count(*) FROM (SELECT add_candidate(i, 100) FROM generate_series(1,3) i) x;
\echo == 05 move to a stage named with non-LATIN1 chars, session client_encoding UTF8 then LATIN1 (error expected in LATIN1 for the emoji)
SELECT to_stage_name FROM move_to_next_stage(1, 100);
SET client_encoding = 'LATIN1';
SELECT to_stage_name FROM move_to_stage(2, 100, :s2);
RESET client_encoding;
SQL
echo "== 03 non-superuser front role mapped to a BYPASSRLS shard role"
sh 0 -q <<SQL
CREATE ROLE wf_bypass LOGIN BYPASSRLS PASSWORD '$PW' IN ROLE wf_app;
SQL
$F -U postgres -q <<SQL
CREATE ROLE rep LOGIN;
GRANT USAGE ON FOREIGN SERVER workflow_shards TO rep;
CREATE USER MAPPING FOR rep SERVER workflow_shards OPTIONS (user 'wf_bypass', password '$PW');
SQL
$F -U rep <<SQL
SELECT count(*) AS bob_new FROM job_candidates(100, NULL, '$A', 'user:bob');
SELECT jsonb_array_length(call_tenant('$A', 'user:bob', 'job_candidates', '{"job_id": 100}')) AS bob_old;
SQL
echo "== 04 tenant admin read through the front (pre-existing?)"
$F -U app <<SQL
SET workflow_ext.tenant_admin = on;
SELECT count(*) AS adm_new FROM job_candidates(100, NULL, '$A', 'user:adm');
SELECT jsonb_array_length(call_tenant('$A', 'user:adm', 'job_candidates', '{"job_id": 100}')) AS adm_old;
SELECT count(*) AS adm_stage_cands FROM stage_candidates((SELECT stage_id FROM job_candidates(100, NULL, '$A', 'user:alice') LIMIT 1), NULL, '$A', 'user:adm');
SQL
echo "== 06 SET ROLE between moves in one front backend (postgres -> app), tenant_admin reset"
$F -U postgres <<SQL
SET workflow_ext.tenant_admin = on;
SELECT to_stage_name FROM move_to_next_stage(3, 100, NULL, '$A', 'user:bob');
SET ROLE app; RESET workflow_ext.tenant_admin;
SELECT to_stage_name FROM move_to_next_stage(3, 100, NULL, '$A', 'user:bob');
SET workflow_ext.tenant_admin = on;
SELECT s.stage_id FROM job_candidates(100, NULL, '$A', 'user:alice') s WHERE candidate_id = 3;
SQL
echo "== 07 LATIN1 shard database behind p2"
sh 2 -q -c "CREATE DATABASE wfl1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
DB=wfl1 sh 2 -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION workflow_ext;
ALTER DATABASE wfl1 SET workflow_ext.trusted_role = 'wf_app';
SELECT configure_shard(2, 3);
$(sed -n '/^-- BEGIN application grant set$/,/^-- END application grant set$/p' /work/wt/attack-front22d/README.md)
SQL
$F -U postgres -q -c "ALTER SERVER workflow_shards OPTIONS (SET p2 'host=127.0.0.1 port=6613 dbname=wfl1 connect_timeout=2')"
$F -U app <<SQL
SET workflow_ext.tenant = '$C'; SET workflow_ext.actor = 'user:zoë';
SELECT (create_definition('workflow', '{"name": "wü"}'))->>'id' AS wid \gset
SELECT (create_definition('workflow_stage', jsonb_build_object('workflow_id', :wid, 'name', 'één', 'position', 1)))->>'id' AS s1 \gset
SELECT (create_definition('workflow_stage', jsonb_build_object('workflow_id', :wid, 'name', 'twée ÿ', 'position', 2)))->>'id' AS s2 \gset
SELECT assign_workflow(7, :wid);
SELECT candidate_id FROM add_candidate(1, 7);
SELECT to_stage_name, to_stage_name = 'twée ÿ' AS same, octet_length(to_stage_name) FROM move_to_next_stage(1, 7);
SELECT added_by, added_by = 'user:zoë' AS same, tenant FROM job_candidates(7);
SET client_encoding = 'LATIN1';
SELECT convert_to(added_by, 'UTF8') FROM job_candidates(7);
RESET client_encoding;
SELECT (call_tenant('$C', 'user:zoë', 'job_candidates', '{"job_id": 7}'))->0->>'added_by' AS oldpath;
SQL
DB=wfl1 sh 2 -c "SET session_replication_role=replica; UPDATE candidate_stage SET attributes = '{\"k\": \"\\\\u00e9\\\\u00ff x\", \"n\": 1e400}' WHERE job_id = 7 RETURNING attributes"
$F -U app -c "SELECT attributes, attributes->>'k' = 'éÿ x' AS same FROM job_candidates(7, NULL, '$C', 'user:zoë')"
