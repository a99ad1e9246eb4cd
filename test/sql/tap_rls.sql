-- pgTAP: row-level security with two non-superuser roles and two actors (no
-- tenant set: each actor is its own tenant), and the tenant boundary.
\set QUIET on
SET client_min_messages = warning;
BEGIN;
\ir tap_fixtures.psql
SELECT plan(20);

SET LOCAL ROLE wf_alice;
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_workflow('Ann''s', 2) AS ann_wf \gset
SELECT job_id FROM assign_workflow(9200, :ann_wf);
SELECT job_id FROM add_candidate(7, 9200);
SET LOCAL workflow_ext.actor = 'user:ben';
SELECT test_workflow('Ben''s', 2) AS ben_wf \gset

-- Same role, other actor.
SELECT is_empty('SELECT 1 FROM workflow WHERE name = ''Ann''''s''', 'ben does not see ann''s workflow');
SELECT is_empty('SELECT 1 FROM candidate_stage WHERE job_id = 9200', 'ben does not see ann''s pipeline');
SELECT throws_ok('SELECT move_to_next_stage(7, 9200)', 'P0002', 'job 9200 not found', 'ben moving ann''s candidate is a 404');
SELECT results_eq('UPDATE candidate_stage SET status = ''rejected'' RETURNING 1', ARRAY[]::integer[], 'ben''s plain UPDATE touches nothing');

-- Other role, same actor name as the first role's: the actor decides, not the role.
RESET ROLE;
SET LOCAL ROLE wf_bob;
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT isnt_empty('SELECT 1 FROM workflow WHERE name = ''Ann''''s''', 'the actor, not the role, owns rows');
SET LOCAL workflow_ext.actor = 'user:eve';
SELECT is_empty('SELECT 1 FROM workflow', 'eve sees nothing');
SELECT is_empty('SELECT 1 FROM stage_transition', 'eve sees no history');
SELECT is_empty('SELECT 1 FROM workflow_with_stages', 'eve sees nothing through the view');
SELECT throws_ok(format('INSERT INTO workflow_stage (workflow_id, name, position) VALUES (%s, ''x'', 9)', :ann_wf), '42501');
SELECT throws_ok(format('SELECT share_workflow(%s, ''user:eve'', true)', :ann_wf), 'P0002');

-- Sharing opens exactly what it says.
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT lives_ok(format('SELECT share_workflow(%s, ''user:eve'')', :ann_wf));
SET LOCAL workflow_ext.actor = 'user:eve';
SELECT is_empty('SELECT 1 FROM candidate_stage WHERE job_id = 9200', 'an offer opens nothing before it is accepted');
SELECT lives_ok(format('SELECT accept_share(%s)', :ann_wf), 'the grantee accepts');
SELECT isnt_empty('SELECT 1 FROM candidate_stage WHERE job_id = 9200', 'a grantee sees the pipeline');
SELECT lives_ok('SELECT move_to_next_stage(7, 9200)', 'a grantee moves candidates');
SELECT throws_ok(format('SELECT reorder_stages(%s, ARRAY[%s, %s])', :ann_wf, test_stage(:ann_wf, 2), test_stage(:ann_wf, 1)), '42501');

-- The tenant is the boundary: the same actor name in another organization is someone else.
SET LOCAL workflow_ext.tenant = 'org:other';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT is_empty('SELECT 1 FROM workflow', 'ann of another tenant sees nothing of ann''s');
SELECT throws_ok('SELECT move_to_next_stage(7, 9200)', 'P0002', 'job 9200 not found', 'nor moves her candidates');
RESET workflow_ext.tenant;
-- Without an actor, a role is role:<oid>, not its name.
RESET workflow_ext.actor;
SELECT is(current_actor(), role_identity('wf_bob'), 'a role without an actor is its role identity');
SELECT is_empty('SELECT 1 FROM workflow', 'the role''s name is no actor''s: wf_bob sees nothing');

SELECT * FROM finish();
ROLLBACK;
