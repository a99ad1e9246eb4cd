-- attack12 probe: the repeats' read (repeats(), prepared once per backend) made
-- while alert_event is nearly empty and never analyzed; alert_event then grows to
-- 100,000 events in the same session (autovacuum off).  A change of 1,000
-- candidates' facts re-raising only repeats must read alert_event by index.
--   psql -X -f test/repros/attack12/04_repeats_plan_after_growth.sql   (fresh database, superuser)
\set ON_ERROR_STOP 1
\i test/repros/attack12/00_fixture.sql
ALTER TABLE candidate_stage SET (autovacuum_enabled = off);
ALTER TABLE alert_event SET (autovacuum_enabled = off);
ALTER TABLE candidate_profile SET (autovacuum_enabled = off);
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:ann';
-- the repeats' read is prepared now (a few events)
UPDATE candidate_profile SET attributes = '{"flag": true}' WHERE candidate_id IN (1, 2, 3);
UPDATE candidate_profile SET attributes = '{"flag": true, "n": 1}' WHERE candidate_id IN (1, 2, 3);
SELECT count(*) FROM generate_series(102, 111) j, assign_workflow(j, 1);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"flag": true}' FROM generate_series(1000, 10999) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(102, 111) j, generate_series(1000, 10999) g;
UPDATE candidate_stage SET stage_id = 2 WHERE job_id BETWEEN 102 AND 111;
RESET ROLE;
SELECT count(*) AS events FROM alert_event;
SET ROLE app;
BEGIN;
UPDATE candidate_profile SET attributes = '{"flag": true, "n": 2}' WHERE candidate_id BETWEEN 2000 AND 2999;
RESET ROLE;
SELECT 'set-wise, 1000 changes, 10000 repeats' AS what, seq_scan, idx_scan, idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relid = 'alert_event'::regclass;
COMMIT;
SET ROLE app;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"flag": true, "n": 2}' WHERE candidate_id BETWEEN 3000 AND 3099;
RESET ROLE;
SELECT 'row by row, 100 changes, 1000 repeats' AS what, seq_scan, idx_scan, idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relid = 'alert_event'::regclass;
COMMIT;
