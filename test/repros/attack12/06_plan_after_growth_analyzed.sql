-- attack12 D4 (low; facts8 made it much better, not right): visits_keyed's generic
-- plan, made while candidate_stage has 12 rows and HAS been analyzed (a young
-- database someone ran ANALYZE on), is a sequential scan; kept for the
-- backend's life (autovacuum off here: no new statistics, no invalidation),
-- every set-wise run then reads the whole table once the table has grown.
--   psql -X -f test/repros/attack12/06_plan_after_growth_analyzed.sql   (fresh database, superuser)
-- Expected (as row by row): the candidates' rows by candidate_stage_candidate_idx, no scan.
-- Actual (100,012 pipeline rows):
--   set-wise, 2 changes:     seq_scan 2 (1 more than 03's baseline), idx_tup_fetch 0: 100,000 rows read for 20
--   set-wise, 1000 changes:  seq_scan 13 (one per run), idx_tup_fetch 0
--   row by row, 1000 changes: seq_scan 0, idx_tup_fetch 10,000
--   (before facts8, 4ad9093: 1013 sequential scans for the 1000 changes: one per change)
\set ON_ERROR_STOP 1
\i test/repros/attack12/00_fixture.sql
ALTER TABLE candidate_stage SET (autovacuum_enabled = off);
ALTER TABLE candidate_profile SET (autovacuum_enabled = off);
RESET ROLE;
ANALYZE candidate_stage; ANALYZE candidate_profile;
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:ann';
-- the plan is made now (12 pipeline rows, analyzed)
UPDATE candidate_profile SET attributes = '{"flag": false, "n": 1}' WHERE candidate_id IN (1, 2, 4);
SELECT count(*) FROM generate_series(102, 111) j, assign_workflow(j, 1);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"flag": false}' FROM generate_series(1000, 10999) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(102, 111) j, generate_series(1000, 10999) g;
RESET ROLE;
SELECT count(*) AS pipeline_rows, (SELECT reltuples FROM pg_class WHERE oid = 'candidate_stage'::regclass) AS reltuples,
       (SELECT last_analyze IS NULL AND last_autoanalyze IS NULL FROM pg_stat_user_tables WHERE relid = 'candidate_stage'::regclass) AS not_analyzed_since
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
