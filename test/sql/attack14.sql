-- attack14 (review of fa2adfb, kept statements' generic plans made by index).
-- 1. The row-at-a-time read of a job's pipelines on a change of the job's
-- facts was the one kept statement left to the executor's plan: its generic
-- plan, made while candidate_stage held a handful of rows (a session under
-- plan_cache_mode = force_generic_plan, as in test kept_plans), stayed a
-- sequential scan, and every change of any job's facts then read the whole
-- table, whatever the job's size (test/repros/attack14/01).  It is now made
-- by index like the others.  Counted per transaction (pg_stat_xact_user_tables
-- after the earlier transactions' counts are flushed).  In a database of its own.
\set own_db wf_attack14
\i test/sql/include/own_database.psql
\i test/sql/include/no_autovacuum.psql
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_a14_app;
RESET client_min_messages;
CREATE ROLE wf_a14_app;
GRANT workflow_app TO wf_a14_app;

\echo '== 1. A job of two pipelines, its facts changed six times while candidate_stage is small'
SET ROLE wf_a14_app;
SET workflow_ext.tenant = 'org:a14';
SET workflow_ext.actor = 'user:kim';
SET plan_cache_mode = force_generic_plan;   -- (a session may set it: the plan made first is then kept)
INSERT INTO workflow (name) VALUES ('a14') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 3) i;
INSERT INTO alert (stage_id, field_name, operator, value, message, source)
SELECT id, 'hot', 'eq', 'true', 'hot job', 'job' FROM workflow_stage WHERE workflow_id = :wf AND position = 1;
SELECT count(*) AS jobs FROM assign_workflow(70, :wf);
SELECT count(*) AS jobs FROM assign_workflow(71, :wf);
INSERT INTO job_profile (job_id, attributes) VALUES (70, '{"hot": false}'), (71, '{"hot": false}');
SELECT count(*) AS entered FROM generate_series(1, 2) c, add_candidate(c, 71);
RESET ROLE;
ANALYZE candidate_stage;
SET ROLE wf_a14_app;
UPDATE job_profile SET attributes = '{"hot": false, "v": 1}' WHERE job_id = 71;
UPDATE job_profile SET attributes = '{"hot": false, "v": 2}' WHERE job_id = 71;
UPDATE job_profile SET attributes = '{"hot": false, "v": 3}' WHERE job_id = 71;
UPDATE job_profile SET attributes = '{"hot": false, "v": 4}' WHERE job_id = 71;
UPDATE job_profile SET attributes = '{"hot": false, "v": 5}' WHERE job_id = 71;
UPDATE job_profile SET attributes = '{"hot": false, "v": 6}' WHERE job_id = 71;

\echo '== 2. Another job grows to 8,000 pipelines, nothing analyzed'
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 70, c FROM generate_series(100, 8099) c;
RESET ROLE;
SELECT reltuples < 100 AS statistics_of_a_handful FROM pg_class WHERE relname = 'candidate_stage';

\echo '== 3. A change of the small job''s facts: no sequential scan of candidate_stage, its two alerts'
SELECT pg_stat_force_next_flush();   -- (pg_stat_xact_* counts earlier transactions' scans until they are flushed)
SET ROLE wf_a14_app;
BEGIN;
UPDATE job_profile SET attributes = '{"hot": true}' WHERE job_id = 71;
SELECT relname, seq_scan, seq_tup_read FROM pg_stat_xact_user_tables
 WHERE relname = 'candidate_stage' AND seq_scan > 0;
COMMIT;
SELECT candidate_id, cause, message FROM alert_event WHERE job_id = 71 ORDER BY candidate_id;
RESET ROLE;
\c :home
DROP DATABASE :own_db;
DROP ROLE wf_a14_app;
