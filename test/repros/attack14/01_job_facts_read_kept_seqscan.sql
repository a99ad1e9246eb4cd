-- attack14 01: the one kept statement fa2adfb leaves to the executor's plan,
-- the row-at-a-time read of a job's pipelines on a change of the job's facts
-- (facts_changed_trigger.c read_visits_one, c->by_job: SPI_execute_plan), keeps
-- a generic plan made while candidate_stage was small: after growth, every
-- change of a job's facts reads the whole of candidate_stage, whatever the
-- job's size (here a job of 2 pipelines in a table of 8,000), under
-- plan_cache_mode = force_generic_plan (a session, role or database may set
-- it; the kept_plans test's setting).  Same on 61275e1.  Fixed on attack14
-- (test attack14).  Run as a superuser in a scratch database
-- with the extension:  psql -X -f test/repros/attack14/01_job_facts_read_kept_seqscan.sql
\i test/sql/include/app_grants.psql
\i test/sql/include/no_autovacuum.psql
SET client_min_messages = warning;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wf_a14_app') THEN CREATE ROLE wf_a14_app; END IF; END $$;
RESET client_min_messages;
GRANT workflow_app TO wf_a14_app;
SET ROLE wf_a14_app;
SET workflow_ext.tenant = 'org:a14';
SET workflow_ext.actor = 'user:kim';
SET plan_cache_mode = force_generic_plan;
INSERT INTO workflow (name) VALUES ('a14') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 3) i;
INSERT INTO alert (stage_id, field_name, operator, value, message, source)
SELECT id, 'hot', 'eq', 'true', 'hot job', 'job' FROM workflow_stage WHERE workflow_id = :wf AND position = 1;
SELECT count(*) FROM assign_workflow(70, :wf);
SELECT count(*) FROM assign_workflow(71, :wf);
INSERT INTO job_profile (job_id, attributes) VALUES (70, '{"hot": false}'), (71, '{"hot": false}');
SELECT count(*) AS entered FROM generate_series(1, 2) c, add_candidate(c, 71);
RESET ROLE;
ANALYZE candidate_stage;
SET ROLE wf_a14_app;
-- six changes of job 71's facts while candidate_stage holds 2 rows
UPDATE job_profile SET attributes = jsonb_build_object('hot', false, 'v', i) FROM generate_series(1, 1) i WHERE job_id = 71;
UPDATE job_profile SET attributes = '{"hot": false, "v": 2}' WHERE job_id = 71;
UPDATE job_profile SET attributes = '{"hot": false, "v": 3}' WHERE job_id = 71;
UPDATE job_profile SET attributes = '{"hot": false, "v": 4}' WHERE job_id = 71;
UPDATE job_profile SET attributes = '{"hot": false, "v": 5}' WHERE job_id = 71;
UPDATE job_profile SET attributes = '{"hot": false, "v": 6}' WHERE job_id = 71;
-- job 70 grows to 8,000 pipelines (nothing analyzed)
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 70, c FROM generate_series(100, 8099) c;
RESET ROLE;
SELECT pg_stat_force_next_flush();
SET ROLE wf_a14_app;
BEGIN;
UPDATE job_profile SET attributes = '{"hot": true}' WHERE job_id = 71;   -- a job of 2 pipelines
SELECT relname, seq_scan, seq_tup_read FROM pg_stat_xact_user_tables
 WHERE relname = 'candidate_stage';                                      -- 1 scan, 8,002 rows read
COMMIT;
SELECT count(*) AS hot_events FROM alert_event WHERE job_id = 71;        -- 2
RESET ROLE;
