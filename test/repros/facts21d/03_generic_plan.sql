-- facts21d repro 3: under plan_cache_mode = force_generic_plan (a session,
-- role or database setting) the events statement of a change of facts
-- (alert_events_facts_plan, CURSOR_OPT_CUSTOM_PLAN) keeps its generic plan:
-- made while alert_event was small and analyzed, its NOT EXISTS probe is a
-- Seq Scan on alert_event, kept after a bulk move filled the table.  A
-- single-row facts update then takes ~2 s (branch) against ~1.5-7 ms (main's
-- plain ON CONFLICT statement, and the branch with plan_cache_mode auto).
-- docs/architecture.md: "planned at each execution ... so no plan made when
-- the table was small (a sequential scan per probe) is kept while a bulk
-- move fills it" does not hold under this setting.  Assumes test/sql/setup.sql ran.
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_r3_app;
RESET client_min_messages;
CREATE ROLE wf_r3_app;
GRANT workflow_app TO wf_r3_app;
SET ROLE wf_r3_app;
SET workflow_ext.tenant = 'org:r3';
SET workflow_ext.actor = 'user:r3';
SELECT test_workflow('R3', 3, false) AS wf \gset
SELECT test_stage(:wf, 2) AS s2 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message)
SELECT :s2, 'n', 'gte', to_jsonb(i), 'n >= ' || i FROM generate_series(1, 100) i;
SELECT job_id FROM assign_workflow(930, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT i, '{"n": 1000}' FROM generate_series(1, 1001) i;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 930, i FROM generate_series(1, 1000) i;
SELECT count(*) FROM candidate_stage WHERE job_id = 930;
SELECT candidate_id FROM add_candidate(1001, 930);
SELECT to_stage_name FROM move_to_next_stage(1001, 930);
RESET ROLE;
ANALYZE alert_event;            -- small: a handful of rows
SET ROLE wf_r3_app;
SET plan_cache_mode = force_generic_plan;
UPDATE candidate_profile SET attributes = attributes || '{"m": 0}' WHERE candidate_id = 1001;   -- generic plan made now
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 930;                                   -- 100,000 entry events
SELECT count(*) >= 100000 AS big FROM alert_event;
RESET ROLE;
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_level = notice;
SET auto_explain.log_analyze = on;
SET auto_explain.log_timing = off;
SET ROLE wf_r3_app;
SET client_min_messages = notice;
-- the plan printed for the INSERT INTO alert_event: SubPlan 1 -> Seq Scan on alert_event e (loops=100)
UPDATE candidate_profile SET attributes = attributes || '{"m": 1}' WHERE candidate_id = 1000;
RESET ROLE;
SET auto_explain.log_min_duration = -1;
SET ROLE wf_r3_app;
\timing on
UPDATE candidate_profile SET attributes = attributes || '{"m": 2}' WHERE candidate_id = 1000;   -- ~2 s
RESET plan_cache_mode;
UPDATE candidate_profile SET attributes = attributes || '{"m": 3}' WHERE candidate_id = 1000;   -- ~2 ms
\timing off
RESET ROLE;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
