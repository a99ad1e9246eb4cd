-- Repeats left out of a change of facts whatever the session's settings
-- (the review's repros of the facts change): history_batch_size = 1 (events written
-- at once) leaves out the repeats the writer reads as a batch does, and
-- plan_cache_mode = force_generic_plan does not keep a plan made while
-- alert_event was small.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_ars_app;
RESET client_min_messages;
CREATE ROLE wf_ars_app;
GRANT workflow_app TO wf_ars_app;

\echo '== 1. history_batch_size = 1: a repeat the writer reads is not proposed either'
SET ROLE wf_ars_app;
SET workflow_ext.tenant = 'org:ars';
SET workflow_ext.actor = 'user:ars';
SELECT test_workflow('ARS', 3, false) AS wf \gset
INSERT INTO alert (stage_id, field_name, operator, value, message)
VALUES (test_stage(:wf, 2), 'flag', 'eq', 'true', 'flagged');
SELECT job_id FROM assign_workflow(910, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (1, '{"flag": true}');
SELECT candidate_id FROM add_candidate(1, 910);
SELECT to_stage_name, alerts_raised FROM move_to_next_stage(1, 910);
RESET ROLE;
CREATE TABLE ars_seen (message text);
GRANT INSERT ON ars_seen TO wf_ars_app;
CREATE FUNCTION ars_seen() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO public.ars_seen VALUES (NEW.message); RETURN NEW; END $$;
CREATE TRIGGER ars_seen BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION ars_seen();
CREATE POLICY ars_no_flagged ON alert_event AS RESTRICTIVE FOR INSERT WITH CHECK (message <> 'flagged');
SET ROLE wf_ars_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 1}' WHERE candidate_id = 1$$);
SET workflow_ext.history_batch_size = 1;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 2}' WHERE candidate_id = 1$$);
RESET workflow_ext.history_batch_size;
RESET ROLE;
DROP POLICY ars_no_flagged ON alert_event;
SELECT count(*) AS proposed FROM ars_seen;
-- a new event still goes through the INSERT (and its trigger) at batch size 1
SET ROLE wf_ars_app;
INSERT INTO alert (stage_id, field_name, operator, value, message)
VALUES (test_stage(:wf, 2), 'n', 'gte', '2', 'n at least 2');
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = attributes || '{"n": 3}' WHERE candidate_id = 1;
RESET workflow_ext.history_batch_size;
RESET ROLE;
SELECT message FROM ars_seen ORDER BY 1;
SELECT e.message, e.cause FROM alert_event e WHERE e.tenant = 'org:ars' ORDER BY e.id;
DROP TRIGGER ars_seen ON alert_event;
DROP FUNCTION ars_seen();
DROP TABLE ars_seen;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;

\echo '== 2. plan_cache_mode = force_generic_plan: the repeats are probed through the index once alert_event has grown'
-- in a database of its own, whose alert_event is analyzed while it holds a handful of rows
\set own_db wf_alert_repeats_settings
\i test/sql/include/own_database.psql
\i test/sql/include/no_autovacuum.psql
SET ROLE wf_ars_app;
SET workflow_ext.tenant = 'org:ars2';
SET workflow_ext.actor = 'user:ars';
INSERT INTO workflow (name) VALUES ('ARS2') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 3) i;
SELECT id AS s2 FROM workflow_stage WHERE workflow_id = :wf AND position = 2 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message)
SELECT :s2, 'n', 'gte', to_jsonb(i), 'n >= ' || i FROM generate_series(1, 50) i;
SELECT job_id FROM assign_workflow(930, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT i, '{"n": 1000}' FROM generate_series(1, 1001) i;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 930, i FROM generate_series(1, 1000) i;
SELECT candidate_id FROM add_candidate(1001, 930);
SELECT to_stage_name, alerts_raised FROM move_to_next_stage(1001, 930);
RESET ROLE;
ANALYZE alert_event;
SET ROLE wf_ars_app;
SET plan_cache_mode = force_generic_plan;
UPDATE candidate_profile SET attributes = attributes || '{"m": 0}' WHERE candidate_id = 1001;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 930;
SELECT count(*) AS events FROM alert_event;
SELECT pg_stat_force_next_flush();   -- (pg_stat_xact_* counts earlier transactions' scans until they are flushed)
BEGIN;
UPDATE candidate_profile SET attributes = attributes || '{"m": 1}' WHERE candidate_id = 1000;
SELECT seq_scan AS sequential_scans, idx_scan >= 50 AS probed_by_index   -- (50 repeats)
  FROM pg_stat_xact_user_tables WHERE relid = 'alert_event'::regclass;
COMMIT;
RESET plan_cache_mode;
RESET ROLE;
\c :home
DROP DATABASE :own_db;
DROP ROLE wf_ars_app;
