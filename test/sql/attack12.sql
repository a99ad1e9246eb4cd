-- attack12's findings.  1: the set-wise facts read evaluates a run's visits
-- before reading the repeats of those where an alert fires (repeats(), one
-- statement); for a writer who cannot read alert_event that read fails
-- (42501), as the row-at-a-time path fails at that visit's events: no visit
-- after the first where an alert fires is evaluated ahead, or an error of
-- its evaluation (here 42501 on job_profile: an alert on the job's facts,
-- a writer without SELECT on job_profile) came first.  2: the row trigger's
-- read of a candidate's pipeline rows (also a one-change run's), prepared on
-- a small candidate_stage never analyzed, reads that candidate's rows by its
-- index once the table has grown in the same session (it read every active
-- row, through the standing index, per change).  Runs as wf_a12_app,
-- an ordinary role: row-level security applies.  In a database of its own:
-- an auto_advance stage anywhere in the schema (earlier test files leave
-- some) turns the set-wise path off.
\set own_db wf_attack12
\i test/sql/include/own_database.psql
\i test/sql/include/no_autovacuum.psql   -- (candidate_stage never analyzed: section 3)
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_a12_app;
RESET client_min_messages;
CREATE ROLE wf_a12_app;
GRANT workflow_app TO wf_a12_app;
SET ROLE wf_a12_app;
SET workflow_ext.tenant = 'org:a12';
SET workflow_ext.actor = 'user:amy';

\echo '== 1. Fixture: candidates 1-3 stand in s2 (an alert on their facts), 4-6 in s3 (an alert on the job''s)'
INSERT INTO workflow (name) VALUES ('attack12') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position, kind) SELECT :wf, 's' || i, i, 'normal' FROM generate_series(1, 4) i;
SELECT id AS two FROM workflow_stage WHERE workflow_id = :wf AND position = 2 \gset
SELECT id AS three FROM workflow_stage WHERE workflow_id = :wf AND position = 3 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:two, 'flag', 'eq', 'true', 'flagged');
INSERT INTO alert (stage_id, field_name, source, operator, value, message) VALUES (:three, 'budget', 'job', 'gt', '10', 'rich job');
SELECT count(*) AS jobs FROM generate_series(1200, 1201) j, assign_workflow(j, :wf);
INSERT INTO job_profile (job_id, attributes) VALUES (1200, '{"budget": 5}'), (1201, '{"budget": 5}');
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"flag": false}' FROM generate_series(1, 6) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(1200, 1201) j, generate_series(1, 6) g;
UPDATE candidate_stage SET stage_id = :two WHERE job_id IN (1200, 1201) AND candidate_id BETWEEN 1 AND 3;
UPDATE candidate_stage SET stage_id = :three WHERE job_id IN (1200, 1201) AND candidate_id BETWEEN 4 AND 6;

\echo '== 2. Without SELECT on alert_event nor job_profile: the first error is alert_event''s, both ways'
RESET ROLE;
BEGIN;
REVOKE SELECT ON alert_event, job_profile FROM workflow_app;
SET LOCAL ROLE wf_a12_app;
-- candidate 1 (changed first): 'flagged' fires; candidate 4: its alert reads the job's facts
SELECT test_error($$UPDATE candidate_profile SET attributes = '{"flag": true}' WHERE candidate_id IN (1, 4)$$) AS set_wise;
SET LOCAL workflow_ext.history_batch_size = 1;
SELECT test_error($$UPDATE candidate_profile SET attributes = '{"flag": true}' WHERE candidate_id IN (1, 4)$$) AS row_by_row;
RESET workflow_ext.history_batch_size;
-- with the columns the repeats read granted, the evaluation goes on and reads the job's facts
RESET ROLE;
GRANT SELECT (tenant, candidate_id, transition_id, alert_id) ON alert_event TO workflow_app;
SET LOCAL ROLE wf_a12_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = '{"flag": true}' WHERE candidate_id IN (1, 4)$$) AS set_wise_columns;
ROLLBACK;


\echo '== 3. The row trigger''s read after candidate_stage grows, never analyzed: by candidate, not every active row'
SET ROLE wf_a12_app;
UPDATE candidate_profile SET attributes = '{"n": 1}' WHERE candidate_id = 1;
UPDATE candidate_profile SET attributes = '{"n": 2}' WHERE candidate_id = 1;
UPDATE candidate_profile SET attributes = '{"n": 3}' WHERE candidate_id = 1;
UPDATE candidate_profile SET attributes = '{"n": 4}' WHERE candidate_id = 1;
UPDATE candidate_profile SET attributes = '{"n": 5}' WHERE candidate_id = 1;
UPDATE candidate_profile SET attributes = '{"n": 6}' WHERE candidate_id = 1;
SELECT count(*) AS jobs FROM assign_workflow(1202, :wf);
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 1202, g FROM generate_series(1000, 5999) g;
SELECT pg_stat_force_next_flush();   -- (pg_stat_xact_* counts earlier transactions' scans until they are flushed)
BEGIN;
UPDATE candidate_profile SET attributes = '{"n": 7}' WHERE candidate_id = 1;
RESET ROLE;
-- (read_by_candidate is the fault: every active row fetched through the standing index)
SELECT seq_scan AS pipeline_scans, idx_tup_fetch < 100 AS read_by_candidate,
       (SELECT last_analyze IS NULL AND last_autoanalyze IS NULL FROM pg_stat_user_tables WHERE relid = 'candidate_stage'::regclass) AS never_analyzed
  FROM pg_stat_xact_user_tables WHERE relid = 'candidate_stage'::regclass;
COMMIT;

RESET workflow_ext.tenant;
RESET workflow_ext.actor;
RESET ROLE;
\c :home
DROP DATABASE :own_db;
DROP ROLE wf_a12_app;
