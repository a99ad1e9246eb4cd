-- Review round 3: what a fresh attacker found after rounds 1 and 2, kept as
-- tests (each expected line says what must hold).  Stands alone.
\set own_db wf_review3
\i test/sql/include/own_database.psql
SET client_min_messages = warning;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wf_ann') THEN CREATE ROLE wf_ann; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wf_bob') THEN CREATE ROLE wf_bob; END IF;
END $$;
GRANT workflow_app TO wf_ann, wf_bob;
RESET client_min_messages;

-- Each role acts as itself (role:<oid>, role_identity()) and is its own
-- tenant: no workflow_ext.actor or tenant is set but where a test says so.
\echo '== Facts are the tenant''s: another tenant reads none, even through a pipeline shared with it'
-- Ann shares one workflow with Bob (read only: another tenant) and keeps
-- candidate 503 in a private one.  Her rule on Screen reads the salary.
SET ROLE wf_ann;
INSERT INTO workflow (name) VALUES ('shared'), ('private');
SELECT id AS shared FROM workflow WHERE name = 'shared' \gset
SELECT id AS private FROM workflow WHERE name = 'private' \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT id, 'Applied', 1 FROM workflow;
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:shared, 'Screen', 2);
INSERT INTO stage_rule (stage_id, name, condition)
    SELECT id, 'no secret salary', '{"field": "salary", "op": "not_contains", "value": "secret"}'
      FROM workflow_stage WHERE workflow_id = :shared AND position = 2;
SELECT assign_workflow(1001, :shared) IS NOT NULL AS assigned;
SELECT assign_workflow(1002, :private) IS NOT NULL AS assigned;
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
    (503, '{"salary": "private-secret"}'), (504, '{"salary": "shared-on-purpose"}');
SELECT 1 FROM add_candidate(503, 1002);
SELECT 1 FROM add_candidate(504, 1001);
SELECT share_workflow(:shared, role_identity('wf_bob'), false);
RESET ROLE;
SET ROLE wf_bob;
SELECT accept_share(:shared);
SELECT candidate_id, attributes FROM candidate_profile ORDER BY candidate_id;  -- none of Ann's
SELECT candidate_facts(504) AS through_shared;
SELECT test_error('SELECT candidate_facts(504, 1001)') AS through_shared_job;   -- Ann's job: refused (newcomer6)
-- Bob cannot bring 503 (kept in Ann's private job) into the shared pipeline:
-- only Ann enters candidates into her jobs (newcomer6), so her rule and
-- alerts never speak of a candidate Bob was never shown.
SELECT test_error('SELECT add_candidate(503, 1001)') AS bob_adds_503;
SELECT test_error('INSERT INTO candidate_stage (job_id, candidate_id, added_by) VALUES (1001, 503, ''wf_ann'')') AS bob_inserts_503;
SELECT count(*) AS profile_503_visible FROM candidate_profile WHERE candidate_id = 503;
SELECT candidate_facts(503) AS after_adding;
RESET ROLE;
-- added_by is the adder, whatever the statement says, and never changes.
SET ROLE wf_ann;
BEGIN;
INSERT INTO candidate_stage (job_id, candidate_id, added_by) VALUES (1001, 503, 'wf_bob');
SELECT added_by = role_identity('wf_ann') AS ann_added FROM candidate_stage WHERE candidate_id = 503 AND job_id = 1001;
SELECT test_error('UPDATE candidate_stage SET added_by = ''wf_bob'' WHERE candidate_id = 503 AND job_id = 1001');
ROLLBACK;
RESET ROLE;
-- A row's facts are its tenant's, whoever moves or adds: Ann's rule reads
-- Ann's profiles in Bob's moves too (the same answer as for Ann) ...
SET ROLE wf_ann;
INSERT INTO alert (stage_id, field_name, operator, message)
    SELECT id, 'salary', 'exists', 'salary known' FROM workflow_stage WHERE workflow_id = :shared AND position = 1;
INSERT INTO alert (stage_id, field_name, operator, message)
    SELECT id, 'note', 'exists', 'note added' FROM workflow_stage WHERE workflow_id = :shared AND position = 1;
SELECT 1 FROM add_candidate(503, 1001);   -- Ann puts 503 into the shared job herself
RESET ROLE;
SET ROLE wf_bob;
SELECT to_stage_id IS NOT NULL AS bob_moved_504 FROM move_to_next_stage(504, 1001);
-- ... and blocks 503 for him as for her, with a DETAIL that names no value of hers.
SELECT test_error('SELECT move_to_next_stage(503, 1001)') AS bob_blocked;
RESET ROLE;
SET ROLE wf_ann;
SELECT test_error('SELECT move_to_next_stage(503, 1001)') AS ann_blocked \gset
\echo :ann_blocked
-- Another member of her tenant (its administrator) gets the same answer, values and all.
SELECT set_config('workflow_ext.tenant', role_identity('wf_ann'), false) IS NOT NULL AS tenant_set;
SET workflow_ext.actor = 'user:ann-admin';
SET workflow_ext.tenant_admin = on;
SELECT test_error('SELECT move_to_next_stage(503, 1001)') = :'ann_blocked' AS same_for_a_member;
RESET workflow_ext.tenant_admin;
RESET workflow_ext.actor;
RESET workflow_ext.tenant;
-- A profile change re-evaluates every row of her tenant (503 is moved by Bob);
-- in a workflow shared with another tenant, events and history record no fact values.
UPDATE candidate_profile SET attributes = attributes || '{"note": 1}' WHERE candidate_id IN (503, 504);
SELECT candidate_id, cause, message, facts FROM alert_event ORDER BY id;
SELECT count(*) FILTER (WHERE warnings::text LIKE '%secret%' OR warnings::text LIKE '%on-purpose%') AS values_in_history
  FROM stage_transition WHERE workflow_id = :shared;
RESET ROLE;
SET ROLE wf_bob;
SELECT candidate_id, cause, message, facts FROM alert_event ORDER BY id;   -- nothing of Ann's profiles
RESET ROLE;

\echo '== A reader of the whole facts table copies no other tenant''s row into a pipeline'
-- The facts table names each row's tenant: a row is the facts of that
-- tenant's candidate only, whoever reads it.  A table with row-level
-- security is refused: its policies would run inside every reader.
CREATE TABLE public.candidates (id bigint PRIMARY KEY, tenant text NOT NULL, salary text);
ALTER TABLE public.candidates ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.candidates USING (tenant = current_tenant());
SELECT test_error('SELECT set_candidate_source(''public.candidates''::regclass, ''id'', ''tenant'')');
ALTER TABLE public.candidates DISABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON public.candidates TO PUBLIC;
SELECT set_candidate_source('public.candidates'::regclass, 'id', 'tenant');
INSERT INTO public.candidates VALUES (601, role_identity('wf_bob'), 'BOB-CONFIDENTIAL-150k'),
                                     (602, role_identity('wf_ann'), 'ann-own-90k');
SET ROLE wf_ann;
INSERT INTO workflow (name) VALUES ('ann sla');
SELECT id AS annsla FROM workflow WHERE name = 'ann sla' \gset
INSERT INTO workflow_stage (workflow_id, name, position, sla) VALUES (:annsla, 'Applied', 1, '1 microsecond');
INSERT INTO alert (stage_id, field_name, operator, message)
    SELECT id, 'id', 'exists', 'any candidate' FROM workflow_stage WHERE workflow_id = :annsla;
INSERT INTO alert (stage_id, field_name, operator, value, message)
    SELECT id, 'salary', 'contains', '"!"', 'salary flagged' FROM workflow_stage WHERE workflow_id = :annsla;
SELECT assign_workflow(2001, :annsla) IS NOT NULL AS assigned;
SELECT 1 FROM add_candidate(601, 2001);     -- Bob's candidate id, squatted
SELECT 1 FROM add_candidate(602, 2001);
SELECT candidate_facts(601) AS ann_reads_601;
SELECT candidate_id, message, facts->>'salary' AS salary FROM alert_event WHERE workflow_id = :annsla ORDER BY id;
RESET ROLE;
SELECT pg_sleep(0.01);
-- The SLA sweep as a superuser (pg_cron's default).
SELECT raise_overdue_alerts() AS raised;
-- An import as the table's owner (a superuser here) updating both rows
-- re-evaluates each row's tenant's pipelines only: 602 in Ann's, 601 nowhere of hers.
UPDATE public.candidates SET salary = salary || '!' WHERE id IN (601, 602);
SET ROLE wf_ann;
SELECT candidate_id, cause, facts->>'salary' AS salary FROM alert_event
 WHERE workflow_id = :annsla ORDER BY id;   -- no BOB-CONFIDENTIAL anywhere
RESET ROLE;
SELECT count(*) AS bob_rows_copied_anywhere FROM alert_event WHERE facts::text LIKE '%BOB%';

\echo '== Round 3b: a tenant''s own row never speaks in a workflow shared with it'
-- Bob squats Ann's candidate 603, shares the workflow with her, unasked; Ann
-- then updates her own row (subject to RLS) and sweeps what she sees.
INSERT INTO public.candidates VALUES (603, role_identity('wf_ann'), 'ANN-SECRET-260k');
SET ROLE wf_bob;
INSERT INTO workflow (name) VALUES ('bob bait');
SELECT id AS bait FROM workflow WHERE name = 'bob bait' \gset
INSERT INTO workflow_stage (workflow_id, name, position, sla) VALUES (:bait, 'Applied', 1, '1 microsecond');
INSERT INTO alert (stage_id, field_name, operator, message)
    SELECT id, 'salary', 'exists', 'got it' FROM workflow_stage WHERE workflow_id = :bait;
SELECT assign_workflow(7001, :bait) IS NOT NULL AS assigned;
SELECT 1 FROM add_candidate(603, 7001);
SELECT share_workflow(:bait, role_identity('wf_ann'), false);
RESET ROLE;
SET ROLE wf_ann;
SELECT accept_share(:bait);                 -- (even once she accepts it)
UPDATE public.candidates SET salary = 'ANN-SECRET-270k' WHERE id = 603;
SELECT pg_sleep(0.01);
SELECT raise_overdue_alerts() >= 1 AS swept;
RESET ROLE;
SELECT count(*) AS ann_rows_in_bobs_workflow FROM alert_event
 WHERE workflow_id = :bait AND facts::text LIKE '%ANN-SECRET%';
SELECT count(*) AS ann_rows_in_bobs_history FROM stage_transition
 WHERE workflow_id = :bait AND warnings::text LIKE '%ANN-SECRET%';

\echo '== Round 3b: a partitioned facts table takes writes (its partitions carry the trigger)'
DELETE FROM facts_source;
DROP TRIGGER workflow_ext_facts_changed ON public.candidates;
CREATE TABLE public.pc (id bigint NOT NULL, tenant text NOT NULL, salary text) PARTITION BY RANGE (id);
CREATE TABLE public.pc_1 PARTITION OF public.pc FOR VALUES FROM (0) TO (1000000);
SELECT set_candidate_source('public.pc'::regclass, 'id', 'tenant');
INSERT INTO public.pc VALUES (602, role_identity('wf_ann'), 'ann-own-99k!');
SET ROLE wf_ann;
INSERT INTO alert (stage_id, field_name, operator, value, message)
    SELECT id, 'salary', 'contains', '"100k"', 'salary 100k' FROM workflow_stage WHERE workflow_id = :annsla;
RESET ROLE;
UPDATE public.pc SET salary = 'ann-own-100k!' WHERE id = 602;
SELECT message, facts->>'salary' AS salary FROM alert_event
 WHERE candidate_id = 602 AND cause = 'facts' ORDER BY id;
DELETE FROM facts_source;
DROP TABLE public.pc;

\echo '== Round 3c: a blocked move''s DETAIL is bounded whatever the rule and facts'
INSERT INTO workflow (name) VALUES ('big rule');
SELECT id AS big FROM workflow WHERE name = 'big rule' \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:big, 'Applied', 1), (:big, 'Next', 2);
INSERT INTO stage_rule (stage_id, name, condition)
SELECT s.id, 'many leaves',
       jsonb_build_object('some', jsonb_build_object('field', 'e', 'where', jsonb_build_object('all',
           (SELECT jsonb_agg(jsonb_build_object('field', 'v', 'op', 'eq', 'value', i)) FROM generate_series(1, 500) i))))
  FROM workflow_stage s WHERE s.workflow_id = :big AND s.position = 2;
SELECT assign_workflow(9001, :big) IS NOT NULL AS assigned;
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT 901, jsonb_build_object('e', (SELECT jsonb_agg(jsonb_build_object('v',
           (SELECT jsonb_agg(repeat('x', 256)) FROM generate_series(1, 20)))) FROM generate_series(1, 5)));
SELECT 1 FROM add_candidate(901, 9001);
SELECT left(e, 40) AS error, length(e) < 300000 AS detail_bounded
  FROM test_error('SELECT move_to_next_stage(901, 9001)') e;
SELECT has_function_privilege('public', 'definition_write_guard()', 'EXECUTE') AS public_may_attach_guard;

\c :home
DROP DATABASE :own_db;
