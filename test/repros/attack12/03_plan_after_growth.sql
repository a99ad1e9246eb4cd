-- attack12 probe: the set-wise read's generic plan (visits_keyed) made while
-- candidate_stage is nearly empty and never analyzed, then the table grows
-- to 100,000 rows in the same session (autovacuum off for it: no analyze,
-- no invalidation).  A change of two candidates' facts must not scan the table.
--   psql -X -f test/repros/attack12/03_plan_after_growth.sql   (fresh database, superuser)
\set ON_ERROR_STOP 1
\i test/repros/attack12/00_fixture.sql
ALTER TABLE candidate_stage SET (autovacuum_enabled = off);
ALTER TABLE candidate_profile SET (autovacuum_enabled = off);
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:ann';
-- the plan is made now (12 pipeline rows)
UPDATE candidate_profile SET attributes = '{"flag": false, "n": 1}' WHERE candidate_id IN (1, 2, 4);
SELECT count(*) FROM generate_series(102, 111) j, assign_workflow(j, 1);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"flag": false}' FROM generate_series(1000, 10999) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(102, 111) j, generate_series(1000, 10999) g;
RESET ROLE;
SELECT count(*) AS pipeline_rows, (SELECT reltuples FROM pg_class WHERE oid = 'candidate_stage'::regclass) AS reltuples,
       (SELECT last_analyze IS NULL AND last_autoanalyze IS NULL FROM pg_stat_user_tables WHERE relid = 'candidate_stage'::regclass) AS never_analyzed
  FROM candidate_stage;
SET ROLE app;
BEGIN;
UPDATE candidate_profile SET attributes = '{"flag": false, "n": 2}' WHERE candidate_id IN (1000, 1001);
RESET ROLE;
SELECT 'set-wise, 2 changes' AS what, seq_scan, idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relid = 'candidate_stage'::regclass;
COMMIT;
SET ROLE app;
BEGIN;
UPDATE candidate_profile SET attributes = '{"flag": false, "n": 3}' WHERE candidate_id BETWEEN 2000 AND 2999;
RESET ROLE;
SELECT 'set-wise, 1000 changes' AS what, seq_scan, idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relid = 'candidate_stage'::regclass;
COMMIT;
SET ROLE app;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"flag": false, "n": 3}' WHERE candidate_id BETWEEN 3000 AND 3999;
RESET ROLE;
SELECT 'row by row, 1000 changes' AS what, seq_scan, idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relid = 'candidate_stage'::regclass;
COMMIT;
