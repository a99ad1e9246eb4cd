-- Review round 3: what a fresh attacker found after rounds 1 and 2, kept as
-- tests (each expected line says what must hold).  Stands alone.
\set own_db wf_review3
\i test/sql/include/own_database.psql
SET client_min_messages = warning;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wf_ann') THEN CREATE ROLE wf_ann; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wf_bob') THEN CREATE ROLE wf_bob; END IF;
END $$;
RESET client_min_messages;

\echo '== A profile opens only through a pipeline its owner filled'
-- Ann shares one workflow with Bob (read only) and keeps candidate 503 in a private one.
SET ROLE wf_ann;
INSERT INTO workflow (name) VALUES ('shared'), ('private');
SELECT id AS shared FROM workflow WHERE name = 'shared' \gset
SELECT id AS private FROM workflow WHERE name = 'private' \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT id, 'Applied', 1 FROM workflow;
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:shared, 'Screen', 2);
SELECT assign_workflow(1001, :shared) IS NOT NULL AS assigned;
SELECT assign_workflow(1002, :private) IS NOT NULL AS assigned;
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
    (503, '{"salary": "private-secret"}'), (504, '{"salary": "shared-on-purpose"}');
SELECT 1 FROM add_candidate(503, 1002);
SELECT 1 FROM add_candidate(504, 1001);
SELECT share_workflow(:shared, 'wf_bob', false);
RESET ROLE;
SET ROLE wf_bob;
SELECT candidate_id, attributes FROM candidate_profile ORDER BY candidate_id;  -- 504 only
SELECT pipeline_profile_attributes(503, :shared) AS private_through_shared;     -- NULL
SELECT pipeline_profile_attributes(504, :shared) AS shared_candidate;          -- Ann put 504 there
-- Bringing 503 into the shared pipeline opens nothing (read-only grantees may add candidates).
BEGIN;
SELECT 1 FROM add_candidate(503, 1001);
SELECT added_by FROM candidate_stage WHERE candidate_id = 503;
SELECT count(*) AS profile_503_visible FROM candidate_profile WHERE candidate_id = 503;
SELECT pipeline_profile_attributes(503, :shared) AS after_adding;
SELECT facts FROM alert_event WHERE candidate_id = 503;
ROLLBACK;
-- added_by is the adder, whatever the statement says, and never changes.
BEGIN;
INSERT INTO candidate_stage (job_id, candidate_id, added_by) VALUES (1001, 503, 'wf_ann');
SELECT added_by FROM candidate_stage WHERE candidate_id = 503 AND job_id = 1001;
SELECT test_error('UPDATE candidate_stage SET added_by = ''wf_ann'' WHERE candidate_id = 503');
ROLLBACK;
RESET ROLE;
-- Ann's own rule sees her profile for 504 (she added it) and nothing for Bob's 503;
-- a profile change by Ann re-evaluates only the rows she added.
SET ROLE wf_ann;
INSERT INTO alert (stage_id, field_name, operator, message)
    SELECT id, 'salary', 'exists', 'salary known' FROM workflow_stage WHERE workflow_id = :shared AND position = 1;
RESET ROLE;
SET ROLE wf_bob;
SELECT 1 FROM add_candidate(503, 1001);
RESET ROLE;
SET ROLE wf_ann;
UPDATE candidate_profile SET attributes = attributes || '{"note": 1}' WHERE candidate_id IN (503, 504);
SELECT candidate_id, cause, facts FROM alert_event ORDER BY id;   -- 504's event only
RESET ROLE;
SET ROLE wf_bob;
SELECT candidate_id, facts FROM alert_event ORDER BY id;          -- nothing of 503's profile
RESET ROLE;

\echo '== A reader past the facts table''s RLS copies no hidden row into a tenant''s pipeline'
CREATE TABLE public.candidates (id bigint PRIMARY KEY, tenant text NOT NULL, salary text);
ALTER TABLE public.candidates ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.candidates USING (tenant = current_actor());
GRANT SELECT, INSERT, UPDATE ON public.candidates TO PUBLIC;
SELECT set_candidate_source('public.candidates'::regclass, 'id');
INSERT INTO public.candidates VALUES (601, 'wf_bob', 'BOB-CONFIDENTIAL-150k'),
                                     (602, 'wf_ann', 'ann-own-90k');
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
SELECT candidate_id, facts->>'salary' AS salary FROM alert_event WHERE workflow_id = :annsla ORDER BY id;
RESET ROLE;
SELECT pg_sleep(0.01);
-- The SLA sweep as a superuser (pg_cron's default).
SELECT raise_overdue_alerts() AS raised;
-- An import as the table's owner (a superuser here) updating both rows.
UPDATE public.candidates SET salary = salary || '!' WHERE id IN (601, 602);
SET ROLE wf_ann;
SELECT candidate_id, cause, facts->>'salary' AS salary FROM alert_event
 WHERE workflow_id = :annsla ORDER BY id;   -- no BOB-CONFIDENTIAL anywhere
RESET ROLE;
-- The same import naming the tenant as actor re-evaluates that tenant's pipelines.
SET workflow_ext.actor = 'wf_ann';
UPDATE public.candidates SET salary = 'ann-own-95k!' WHERE id = 602;
RESET workflow_ext.actor;
SELECT candidate_id, cause, message, facts->>'salary' AS salary FROM alert_event
 WHERE cause = 'facts' ORDER BY id;
SELECT count(*) AS bob_rows_copied_anywhere FROM alert_event WHERE facts::text LIKE '%BOB%';

\echo '== Round 3b: a tenant''s own row never speaks in a workflow shared with it'
-- Bob squats Alice's candidate 603, shares the workflow with her, unasked; Alice
-- then updates her own row (subject to RLS) and sweeps what she sees.
INSERT INTO public.candidates VALUES (603, 'wf_ann', 'ANN-SECRET-260k');
SET ROLE wf_bob;
INSERT INTO workflow (name) VALUES ('bob bait');
SELECT id AS bait FROM workflow WHERE name = 'bob bait' \gset
INSERT INTO workflow_stage (workflow_id, name, position, sla) VALUES (:bait, 'Applied', 1, '1 microsecond');
INSERT INTO alert (stage_id, field_name, operator, message)
    SELECT id, 'salary', 'exists', 'got it' FROM workflow_stage WHERE workflow_id = :bait;
SELECT assign_workflow(7001, :bait) IS NOT NULL AS assigned;
SELECT 1 FROM add_candidate(603, 7001);
SELECT share_workflow(:bait, 'wf_ann', false);
RESET ROLE;
SET ROLE wf_ann;
SET workflow_ext.actor = 'wf_ann';
UPDATE public.candidates SET salary = 'ANN-SECRET-270k' WHERE id = 603;
SELECT pg_sleep(0.01);
SELECT raise_overdue_alerts() >= 1 AS swept;
RESET workflow_ext.actor;
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
SELECT set_candidate_source('public.pc'::regclass, 'id');
INSERT INTO public.pc VALUES (602, 'wf_ann', 'ann-own-99k!');
SET workflow_ext.actor = 'wf_ann';
UPDATE public.pc SET salary = 'ann-own-100k!' WHERE id = 602;
RESET workflow_ext.actor;
SELECT count(*) AS partition_write_reevaluated FROM alert_event WHERE candidate_id = 602 AND cause = 'facts';
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
