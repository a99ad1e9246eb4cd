-- Security as an attacker would try it: two non-superuser roles, two actors
-- under one role, every client path, look-alike objects on search_path.
\set SHOW_CONTEXT never
RESET workflow_ext.actor;
CREATE SCHEMA bob_tricks AUTHORIZATION wf_bob;

-- Alice builds a pipeline (actor = her role, as role:<oid>, since
-- workflow_ext.actor is unset; her own tenant, since workflow_ext.tenant is).
SET ROLE wf_alice;
SELECT current_actor() = role_identity('wf_alice') AS actor_is_alices_role,
       current_tenant() = current_actor() AS own_tenant;
INSERT INTO workflow (name) VALUES ('Alice hiring') RETURNING id AS awid, owner \gset
SELECT :'owner' = role_identity('wf_alice') AS owner_is_alice;
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:awid, 'a1', 1) RETURNING id AS a_first \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:awid, 'a2', 2) RETURNING id AS a_last \gset
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:a_last, 'secret rule', '{"field": "x", "op": "exists"}');
INSERT INTO alert (stage_id, field_name, operator, value) VALUES (:a_first, 'x', 'eq', '1');
SELECT job_id FROM assign_workflow(8000, :awid);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (81, '{"x": 1, "secret": "salary 1M"}');
SELECT candidate_id, status FROM add_candidate(81, 8000);
SELECT id AS a_event FROM alert_event WHERE candidate_id = 81 \gset
SELECT count(*) AS alice_sees_events FROM alert_event;
RESET ROLE;

-- Bob sees none of it, through tables and views ...
SET ROLE wf_bob;
SELECT (SELECT count(*) FROM workflow) AS workflows, (SELECT count(*) FROM workflow_stage) AS stages,
       (SELECT count(*) FROM stage_rule) AS rules, (SELECT count(*) FROM alert) AS alerts,
       (SELECT count(*) FROM job_workflow) AS jobs, (SELECT count(*) FROM candidate_stage) AS pipeline,
       (SELECT count(*) FROM candidate_profile) AS profiles, (SELECT count(*) FROM stage_transition) AS history,
       (SELECT count(*) FROM alert_event) AS events, (SELECT count(*) FROM workflow_share) AS shares,
       (SELECT count(*) FROM workflow_with_stages) AS view1, (SELECT count(*) FROM stage_with_rules) AS view2;
-- ... through functions: P0002, as if nothing existed ...
SELECT test_error('SELECT move_to_next_stage(81, 8000)');
SELECT test_error(format('SELECT move_to_stage(81, 8000, %s)', :a_last));
SELECT test_error('SELECT add_candidate(82, 8000)');
SELECT test_error('SELECT reject_candidate(81, 8000)');
SELECT test_error(format('SELECT get_stage_rule(%s)', :a_last));
SELECT test_error(format('SELECT get_stage_alerts(%s)', :a_first));
SELECT test_error(format('SELECT share_workflow(%s, %L)', :awid, role_identity('wf_bob')));
SELECT test_error(format('SELECT clone_workflow(%s, %L)', :awid, 'stolen'));
SELECT test_error(format('SELECT reorder_stages(%s, ARRAY[%s, %s])', :awid, :a_last, :a_first));
SELECT test_error(format('SELECT acknowledge_alert(%s)', :a_event));
SELECT candidate_facts(81) AS facts_bob_gets;
-- ... through plain writes: nothing changes, or the write is refused ...
UPDATE candidate_stage SET stage_id = :a_last WHERE candidate_id = 81;
UPDATE workflow SET name = 'pwned' WHERE id = :awid;
DELETE FROM workflow WHERE id = :awid;
DELETE FROM candidate_stage;
UPDATE candidate_profile SET attributes = '{}' WHERE candidate_id = 81;
SELECT test_error('INSERT INTO candidate_stage (job_id, candidate_id) VALUES (8000, 83)');
SELECT test_error(format('INSERT INTO candidate_stage (job_id, candidate_id, workflow_id) VALUES (8000, 83, %s)', :awid));
SELECT test_error(format('INSERT INTO workflow_stage (workflow_id, name, position) VALUES (%s, %L, 3)', :awid, 'evil'));
SELECT test_error(format('INSERT INTO alert (stage_id, field_name, operator, value) VALUES (%s, %L, %L, %L)', :a_first, 'x', 'eq', '2'));
SELECT test_error(format('INSERT INTO workflow_share (workflow_id, grantee_tenant, grantee, can_edit) VALUES (%s, %L, %L, true)', :awid, role_identity('wf_bob'), role_identity('wf_bob')));
-- The engine stamps owner and tenant, whatever the statement says.
INSERT INTO workflow (name, owner, tenant) VALUES ('spoof', role_identity('wf_alice'), role_identity('wf_alice'))
RETURNING owner = role_identity('wf_bob') AS owner_is_bob, tenant = role_identity('wf_bob') AS tenant_is_bobs;
SELECT test_error('INSERT INTO stage_transition (job_id, candidate_id, workflow_id, to_stage_id, to_status, actor) VALUES (8000, 81, 1, 1, ''hired'', ''x'')');
SELECT test_error('INSERT INTO alert_event (job_id, candidate_id, workflow_id, stage_id, transition_id, cause, severity, message) VALUES (1,1,1,1,1,''sla'',''x'',''x'')');
SELECT test_error('UPDATE alert_event SET acknowledged_by = ''wf_bob''');
SELECT test_error('DELETE FROM facts_source');
SELECT test_error('SELECT set_candidate_source(''pg_catalog.pg_class''::regclass, ''relpages'')');
-- ... and Alice's job 8000 is not Bob's: job ids are each tenant's own, so
-- his job 8000 is another job, and hers stays on her workflow.
INSERT INTO workflow (name) VALUES ('Bob hiring') RETURNING id AS bwid \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:bwid, 'b1', 1);
SELECT test_error(format('SELECT assign_workflow(8000, %s)', :bwid));
SELECT count(*) AS bobs_jobs FROM job_workflow;
-- INSERT ... RETURNING returns only Bob's own rows.
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:bwid, 'b2', 2) RETURNING name;
RESET ROLE;

-- Alice's data is intact.
SELECT w.name, s.stage_id = :a_first AS in_first_stage, s.status, p.attributes->>'secret' AS secret
  FROM workflow w, candidate_stage s, candidate_profile p
 WHERE w.id = :awid AND s.candidate_id = 81 AND p.candidate_id = 81;

-- Look-alike objects earlier on search_path change nothing.
SET ROLE wf_bob;
CREATE FUNCTION bob_tricks.current_actor() RETURNS text LANGUAGE sql AS $$ SELECT 'wf_alice'::text $$;
CREATE FUNCTION bob_tricks.visible_workflow_array() RETURNS bigint[] LANGUAGE sql AS $$ SELECT array_agg(id) FROM generate_series(1, 100000) id $$;
CREATE TABLE bob_tricks.candidate_stage (LIKE public.candidate_stage);
CREATE TABLE bob_tricks.job_workflow (LIKE public.job_workflow);
INSERT INTO bob_tricks.job_workflow (id, tenant, job_id, workflow_id, assigned_at, assigned_by) VALUES (1, 'x', 8000, 1, now(), 'x');
CREATE FUNCTION bob_tricks.jsonb_array_elements(jsonb) RETURNS SETOF jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
SET search_path = bob_tricks, public;
SELECT public.current_actor() = public.role_identity('wf_bob') AS still_bob;
SELECT test_error('SELECT public.move_to_next_stage(81, 8000)');
SELECT count(*) AS still_nothing FROM public.candidate_stage;
RESET search_path;
RESET ROLE;

-- Sharing: read-only lets Bob see and move candidates, not edit.
SET ROLE wf_alice;
SELECT share_workflow(:awid, role_identity('wf_bob'));
RESET ROLE;
SET ROLE wf_bob;
-- (across tenants a share is an offer: nothing until Bob accepts it)
SELECT count(*) AS before_accepting FROM workflow WHERE id = :awid;
SELECT accept_share(:awid);
SELECT name FROM workflow WHERE id = :awid;
-- (Bob has a job 8000 of his own: his ids are his, so Alice's job is named
-- with its tenant in a plain statement)
SELECT test_error('SELECT move_to_next_stage(81, 8000)');
UPDATE candidate_stage SET stage_id = :a_last WHERE job_id = 8000 AND candidate_id = 81 AND tenant = role_identity('wf_alice')
RETURNING (SELECT name FROM workflow_stage WHERE id = stage_id) AS to_stage_name;
SELECT test_error(format('SELECT reorder_stages(%s, ARRAY[%s, %s])', :awid, :a_last, :a_first));
SELECT test_error(format('INSERT INTO workflow_stage (workflow_id, name, position) VALUES (%s, %L, 3)', :awid, 'b-added'));
SELECT test_error(format('SELECT unshare_workflow(%s, %L)', :awid, role_identity('wf_bob')));
UPDATE workflow SET name = 'renamed by bob' WHERE id = :awid;
SELECT name FROM workflow WHERE id = :awid;
RESET ROLE;
-- can_edit lets him edit the definition.
SET ROLE wf_alice;
SELECT share_workflow(:awid, role_identity('wf_bob'), true);
RESET ROLE;
SET ROLE wf_bob;
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:awid, 'added by bob', 3) RETURNING name;
SELECT test_error(format('DELETE FROM workflow WHERE id = %s', :awid));
SELECT count(*) AS still_there FROM workflow WHERE id = :awid;
RESET ROLE;
-- Unsharing hides it again.
SET ROLE wf_alice;
SELECT unshare_workflow(:awid, role_identity('wf_bob'));
RESET ROLE;
SET ROLE wf_bob;
SELECT count(*) AS after_unshare FROM workflow WHERE id = :awid;
RESET ROLE;

-- Two actors under one role: the application's users are kept apart.
SET ROLE wf_alice;
SET workflow_ext.actor = 'user:1';
INSERT INTO workflow (name) VALUES ('User 1 flow') RETURNING owner;
SET workflow_ext.actor = 'user:2';
SELECT count(*) AS user2_sees FROM workflow WHERE name = 'User 1 flow';
SELECT count(*) AS user2_sees_alice_role_flows FROM workflow WHERE owner = role_identity('wf_alice');
RESET workflow_ext.actor;
RESET ROLE;
DROP SCHEMA bob_tricks CASCADE;
