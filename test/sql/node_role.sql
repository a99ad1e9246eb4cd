-- workflow_ext.node_role on one server (the multi-cluster layout is
-- make scale-check): single changes nothing, shard refuses definition writes,
-- primary keeps what shards may use, configure_shard's ids, shard_call's
-- actor and errors as data, and the replica-mode triggers.  Stands alone.
\set own_db wf_node_role
\i test/sql/include/own_database.psql
SELECT node_role();
SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Roles') RETURNING id AS wid \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:wid, 'r1', 1), (:wid, 'r2', 2), (:wid, 'r3', 3);
SELECT id AS s2 FROM workflow_stage WHERE workflow_id = :wid AND position = 2 \gset
SELECT id AS s3 FROM workflow_stage WHERE workflow_id = :wid AND position = 3 \gset
INSERT INTO stage_rule (stage_id, name, condition)
VALUES (:s2, 'senior', '{"all": [{"field": "years", "op": "gte", "value": 5}, {"field": "city", "op": "exists"}]}');
SELECT job_id FROM assign_workflow(700, :wid);
SELECT job_id FROM assign_workflow(701, :wid);
INSERT INTO workflow (name) VALUES ('Other') RETURNING id AS other \gset
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (1, '{"years": 2}');
SELECT candidate_id FROM add_candidate(1, 700);
-- The apply triggers exist, enabled for replica mode only.
SELECT tgname, tgenabled FROM pg_trigger WHERE tgname LIKE '%invalidate_on_apply' ORDER BY 1;

-- Single (the default): deleting a stage and reassigning a job without
-- candidates work as they always did.
BEGIN;
SELECT test_error(format('DELETE FROM workflow_stage WHERE id = %s', :s3));
SELECT test_error(format('SELECT assign_workflow(701, %s)', :other));
ROLLBACK;

-- Shard: no definition write of its own, whoever writes.
BEGIN;
SET LOCAL workflow_ext.node_role = 'shard';
SELECT node_role();
SELECT test_error($$INSERT INTO workflow (name) VALUES ('local')$$);
SELECT test_error(format('UPDATE stage_rule SET on_fail = %L WHERE stage_id = %s', 'warn', :s2));
SELECT test_error(format('SELECT share_workflow(%s, %L)', :wid, 'user:bob'));
-- Candidates move as before.
SELECT to_stage_id = :s3 AS moved FROM move_to_stage(1, 700, :s3);
ROLLBACK;

-- Replication apply (replica mode) is not refused, and fires no generation.
BEGIN;
SET LOCAL workflow_ext.node_role = 'shard';
SET LOCAL session_replication_role = replica;
-- (the apply writes the publisher's id: in replica mode stamp_id does not fire)
INSERT INTO stage_rule (id, stage_id, name, condition) VALUES (900001, :s3, 'applied', '{"field": "x", "op": "exists"}');
SELECT count(*) AS generated_alerts FROM alert WHERE stage_id = :s3;
ROLLBACK;

-- Primary: nothing shards may use is deleted or re-pointed; inserts and
-- other edits are free; a rule edit retires a dropped leaf's alert.
BEGIN;
SET LOCAL workflow_ext.node_role = 'primary';
SELECT test_error(format('DELETE FROM workflow_stage WHERE id = %s', :s3));
SELECT test_error(format('DELETE FROM stage_rule WHERE stage_id = %s', :s2));
SELECT test_error(format('DELETE FROM alert WHERE stage_id = %s', :s2));
SELECT test_error(format('SELECT assign_workflow(701, %s)', :other));
SELECT test_error(format('DELETE FROM job_workflow WHERE job_id = %s', 700));
SELECT test_error(format('UPDATE workflow_stage SET name = %L WHERE id = %s', 'r3b', :s3));
UPDATE stage_rule SET condition = '{"field": "years", "op": "gte", "value": 6}' WHERE stage_id = :s2;
SELECT rule_path, operator, value FROM alert WHERE stage_id = :s2 ORDER BY rule_path;
-- The retired leaves never fire: entering the stage blocks on the rule only.
SELECT test_error(format('SELECT move_to_stage(1, 700, %s)', :s2));
ROLLBACK;

-- configure_shard: shard 1 of 4 hands out 2, 6, 10, ... above the ids in use.
BEGIN;
SELECT configure_shard(1, 4);
SELECT id % 4 AS residue FROM add_candidate(2, 700);
SELECT count(DISTINCT id % 4) AS residues, min(id % 4) AS residue FROM stage_transition WHERE candidate_id = 2;
SELECT test_error('SELECT configure_shard(4, 4)');
ROLLBACK;

-- shard_call: the actor for one call, errors as data; as a plain role, so
-- row-level security decides.
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_node_app;
CREATE ROLE wf_node_app;
GRANT workflow_app TO wf_node_app;
RESET client_min_messages;
SET ROLE wf_node_app;
SELECT error_sqlstate, result->>'to_stage_id' = :'s3' AS moved
  FROM shard_call('user:ann', 'move_to_stage', jsonb_build_object('candidate_id', 1, 'job_id', 700, 'stage_id', :s3));
SELECT error_sqlstate, error_message, error_detail IS NOT NULL AS has_detail, error_hint IS NOT NULL AS has_hint
  FROM shard_call('user:ann', 'move_to_stage', jsonb_build_object('candidate_id', 1, 'job_id', 700, 'stage_id', :s2));
SELECT error_sqlstate, error_message
  FROM shard_call('user:bob', 'move_to_next_stage', jsonb_build_object('candidate_id', 1, 'job_id', 700));
SELECT current_setting('workflow_ext.actor') AS actor_after;
SELECT error_sqlstate, error_message FROM shard_call('user:ann', 'drop_everything', '{}');
SELECT (result->0->>'stage_id')::bigint = :s3 AS counted, result->0->>'candidates' AS candidates
  FROM shard_call('user:ann', 'stage_counts', '{"job_id": 700}');

-- 0.3.0 (scale-out by tenant): shard_call in a tenant, for that call only;
-- the API by name (a fixed list), definition rows, facts writes.
SELECT error_sqlstate, result->>'tenant' AS tenant, result->>'owner' AS owner
  FROM shard_call('org:n', 'user:ann', 'definition_write',
                  '{"action": "insert", "table_name": "workflow", "data": null, "row": {"name": "Tenant wf"}}');
SELECT current_setting('workflow_ext.tenant', true) AS tenant_after;
SELECT error_sqlstate, result FROM shard_call('org:n', 'user:ann', 'condition_leaves',
                                              '{"condition": {"field": "a", "op": "exists"}}');
SELECT error_sqlstate, result FROM shard_call('org:n', 'user:ann', 'condition_matches',
                                              '{"condition": {"field": "a", "op": "exists"}, "facts": {"a": 1}}');
SELECT error_sqlstate, error_detail FROM shard_call('org:n', 'user:ann', 'node_role', '{}');
SELECT error_sqlstate, error_detail FROM shard_call('org:n', 'user:ann', 'definition_write',
                                                    '{"action": "insert", "table_name": "candidate_stage", "row": {}}');
SELECT error_sqlstate, error_detail FROM shard_call('org:n', 'user:ann', 'definition_write',
                                                    '{"action": "insert", "table_name": "workflow", "row": {"nope": 1}}');
SELECT error_sqlstate, result FROM shard_call('org:n', 'user:ann', 'set_candidate_facts',
                                              '{"candidate_id": 9, "facts": {"years": 4}}');
SELECT error_sqlstate, result FROM shard_call('org:n', 'user:cy', 'candidate_facts', '{"candidate_id": 9}');
SELECT error_sqlstate, result FROM shard_call('org:other', 'user:ann', 'candidate_facts', '{"candidate_id": 9}');
SELECT jsonb_array_length(result) AS org_n_workflows
  FROM shard_call('org:n', 'user:ann', 'definitions', '{"table_name": "workflow"}');
SELECT test_error($$SELECT shard_tenant_export('org:n')$$);

RESET workflow_ext.actor;
RESET ROLE;
-- A tenant's rows out and back in (move_tenant's steps), as a superuser.
SELECT shard_tenant_counts('org:n');
CREATE TEMP TABLE tenant_copy AS SELECT shard_tenant_export('org:n') AS data;
SELECT shard_tenant_delete('org:n')->>'workflow' AS deleted_workflows;
SELECT shard_tenant_counts('org:n')->>'workflow' AS left_workflows;
-- (each statement its own snapshot: the counts after the import)
SELECT shard_tenant_import('org:n', (SELECT data FROM tenant_copy)) AS imported \gset
SELECT :'imported'::jsonb = shard_tenant_counts('org:n') AS counts_match,
       shard_tenant_counts('org:n')->>'candidate_profile' AS profiles,
       (SELECT attributes FROM candidate_profile WHERE tenant = 'org:n' AND candidate_id = 9) AS facts;
SELECT test_error($$SELECT shard_tenant_import('org:n', (SELECT data FROM tenant_copy))$$);
SET workflow_ext.tenant = 'org:n';
SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow_share (workflow_id, grantee_tenant, grantee)
SELECT id, 'org:other', NULL FROM workflow WHERE tenant = 'org:n';
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
SELECT test_error($$SELECT shard_tenant_export('org:n')$$);
SELECT version, node_role, tenants, replication_lag FROM shard_status();
\c :home
DROP DATABASE :own_db;
DROP ROLE wf_node_app;
