-- workflow_ext.require_actor: "restricted to authenticated users".
\set SHOW_CONTEXT never
SET workflow_ext.require_actor = on;
RESET workflow_ext.actor;
-- Every function and every write refuses with 42501, superuser or not.
SELECT test_error('SELECT current_actor()');
SELECT test_error('SELECT move_to_next_stage(1, 1)');
SELECT test_error('SELECT add_candidate(1, 1)');
SELECT test_error('SELECT get_stage_rule(1)');
SELECT test_error('SELECT get_stage_alerts(1)');
SELECT test_error('SELECT assign_workflow(1, 1)');
SELECT test_error('SELECT share_workflow(1, ''x'')');
SELECT test_error('SELECT clone_workflow(1, ''x'')');
SELECT test_error('SELECT reorder_stages(1, ARRAY[1])');
SELECT test_error('SELECT acknowledge_alert(1)');
SELECT test_error('SELECT raise_overdue_alerts()');
SELECT test_error('SELECT candidate_facts(1)');
SELECT test_error('INSERT INTO workflow (name) VALUES (''anonymous'')');
SELECT test_error('UPDATE workflow_stage SET name = name');
SELECT test_error('DELETE FROM stage_rule');
SELECT test_error('INSERT INTO candidate_profile (candidate_id) VALUES (1)');
SELECT test_error('UPDATE candidate_stage SET status = status');
-- As a non-superuser too (RLS policies call current_actor()).
SET ROLE wf_alice;
SELECT test_error('SELECT count(*) FROM workflow');
SELECT test_error('SELECT count(*) FROM candidate_stage');
RESET ROLE;
-- Pure condition functions need no actor: they touch no data.
SELECT condition_matches('{"field": "a", "op": "exists"}', '{"a": 1}');
-- With an actor set in the transaction, everything works again.
BEGIN;
SET LOCAL workflow_ext.actor = 'user:42';
SELECT current_actor();
INSERT INTO workflow (name) VALUES ('authenticated') RETURNING owner;
COMMIT;
-- A session-level SET counts in its own transaction, not in later ones: what
-- an earlier request of a pooled connection left behind is no actor.
BEGIN;
SET workflow_ext.actor = 'user:42';
SELECT current_actor();
COMMIT;
SELECT test_error('SELECT current_actor()');
-- Only a superuser may switch the requirement off.
SET ROLE wf_alice;
SELECT test_error('SET workflow_ext.require_actor = off');
RESET ROLE;
RESET workflow_ext.require_actor;
RESET workflow_ext.actor;
