-- pgTAP: function signatures and the SQLSTATEs clients map.
\set QUIET on
SET client_min_messages = warning;
BEGIN;
\ir tap_fixtures.psql
SELECT plan(45);

SELECT has_function('move_to_next_stage', ARRAY['bigint', 'bigint', 'bigint']);
SELECT has_function('move_to_stage', ARRAY['bigint', 'bigint', 'bigint', 'text']);
SELECT has_function('add_candidate', ARRAY['bigint', 'bigint']);
SELECT has_function('reject_candidate', ARRAY['bigint', 'bigint', 'text', 'text']);
SELECT has_function('withdraw_candidate', ARRAY['bigint', 'bigint', 'text', 'text']);
SELECT has_function('reopen_candidate', ARRAY['bigint', 'bigint']);
SELECT has_function('assign_workflow', ARRAY['bigint', 'bigint']);
SELECT has_function('share_workflow', ARRAY['bigint', 'text', 'boolean', 'text']);
SELECT has_function('unshare_workflow', ARRAY['bigint', 'text', 'text']);
SELECT has_function('accept_share', ARRAY['bigint', 'boolean']);
SELECT has_function('decline_share', ARRAY['bigint', 'boolean']);
SELECT has_function('leave_share', ARRAY['bigint', 'boolean']);
SELECT has_function('pending_shares', ARRAY[]::text[]);
SELECT has_function('transfer_workflow_ownership', ARRAY['bigint', 'text']);
SELECT has_function('clone_workflow', ARRAY['bigint', 'text']);
SELECT has_function('reorder_stages', ARRAY['bigint', 'bigint[]']);
SELECT has_function('acknowledge_alert', ARRAY['bigint']);
SELECT has_function('get_stage_rule', ARRAY['bigint']);
SELECT has_function('get_stage_alerts', ARRAY['bigint']);
SELECT has_function('evaluate_condition', ARRAY['jsonb', 'jsonb']);
SELECT has_function('condition_matches', ARRAY['jsonb', 'jsonb']);
SELECT has_function('validate_condition', ARRAY['jsonb']);
SELECT has_function('candidate_facts', ARRAY['bigint']);
SELECT has_function('candidate_facts', ARRAY['bigint', 'bigint']);
SELECT has_function('set_candidate_source', ARRAY['regclass', 'name', 'name']);
SELECT has_function('raise_overdue_alerts', '{}'::name[]);
SELECT has_function('current_tenant', '{}'::name[]);
SELECT has_function('role_identity', ARRAY['regrole']);
SELECT function_returns('move_to_next_stage', ARRAY['bigint', 'bigint', 'bigint'], 'move_result');
SELECT function_returns('clone_workflow', ARRAY['bigint', 'text'], 'bigint');
SELECT volatility_is('condition_matches', ARRAY['jsonb', 'jsonb'], 'immutable');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'condition_matches(jsonb, jsonb)'::regprocedure), 's'::"char", 'condition_matches is PARALLEL SAFE');
SELECT isnt_definer('candidate_stage_guard');
SELECT isnt_definer('move_to_next_stage');

SET LOCAL workflow_ext.actor = 'user:tap';
SELECT test_workflow('TAP', 3) AS wid \gset
SELECT job_id FROM assign_workflow(9100, :wid);
SELECT job_id FROM add_candidate(1, 9100);
INSERT INTO stage_rule (stage_id, name, condition) VALUES (test_stage(:wid, 2), 'needs x', '{"field": "x", "op": "exists"}');

SELECT throws_ok('SELECT move_to_next_stage(1, 9199)', 'P0002', 'job 9199 not found');
SELECT throws_ok('SELECT move_to_next_stage(2, 9100)', 'P0002', 'candidate 2 is not in job 9100');
SELECT throws_ok('SELECT get_stage_rule(-1)', 'P0002', 'stage -1 not found');
SELECT throws_ok('SELECT move_to_next_stage(1, 9100)', '23514');
SELECT throws_ok(format('SELECT move_to_next_stage(1, 9100, %s)', test_stage(:wid, 2)), '55000');
SELECT throws_ok('SELECT validate_condition(''{"field": "a", "op": "~~"}'')', '22023');
SELECT throws_ok('INSERT INTO alert (stage_id, field_name, operator, value) SELECT id, ''a'', ''in'', ''1'' FROM workflow_stage LIMIT 1', '22023');
SELECT lives_ok(format('SELECT move_to_stage(1, 9100, %s)', test_stage(:wid, 3)), 'skipping the blocking stage is allowed');
SELECT throws_ok('SELECT move_to_next_stage(1, 9100)', '55000', 'candidate 1 in job 9100 is hired, not active');
SET LOCAL workflow_ext.require_actor = on;
RESET workflow_ext.actor;
SELECT throws_ok('SELECT add_candidate(3, 9100)', '42501');
SELECT throws_ok('INSERT INTO workflow (name) VALUES (''x'')', '42501');

SELECT * FROM finish();
ROLLBACK;
