-- attack12 D3 (pre-existing, not facts8's code; fixed on branch attack12): the row trigger's
-- read of a change's pipeline rows (facts_changed_trigger.c visits(), also read_visits_one for a
-- one-change run of the set-wise path) is prepared once per backend; made while
-- candidate_stage is nearly empty and never analyzed, its generic plan finds
-- the rows through candidate_stage_standing_idx (status = 'active'), the
-- candidate a filter: once the table has grown in the same session, every
-- change reads every active pipeline row (the problem visits_keyed's IS TRUE
-- avoids).  Expected: ~10 rows fetched per change (the candidate's rows).
-- Actual: ~100,000 per change (a one-row UPDATE reads the whole table).
--   psql -X -f test/repros/attack12/07_row_read_plan_after_growth.sql   (fresh database, superuser)
\set ON_ERROR_STOP 1
\i test/repros/attack12/00_fixture.sql
ALTER TABLE candidate_stage SET (autovacuum_enabled = off);
ALTER TABLE candidate_profile SET (autovacuum_enabled = off);
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:ann';
-- one-change statements: the row read is prepared (and its custom plans spent) now
UPDATE candidate_profile SET attributes = '{"flag": false, "n": 1}' WHERE candidate_id = 1;
UPDATE candidate_profile SET attributes = '{"flag": false, "n": 2}' WHERE candidate_id = 1;
UPDATE candidate_profile SET attributes = '{"flag": false, "n": 3}' WHERE candidate_id = 1;
UPDATE candidate_profile SET attributes = '{"flag": false, "n": 4}' WHERE candidate_id = 1;
UPDATE candidate_profile SET attributes = '{"flag": false, "n": 5}' WHERE candidate_id = 1;
UPDATE candidate_profile SET attributes = '{"flag": false, "n": 6}' WHERE candidate_id = 1;
SELECT count(*) FROM generate_series(102, 111) j, assign_workflow(j, 1);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"flag": false}' FROM generate_series(1000, 10999) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(102, 111) j, generate_series(1000, 10999) g;
BEGIN;
UPDATE candidate_profile SET attributes = '{"flag": false, "n": 7}' WHERE candidate_id = 2000;
RESET ROLE;
SELECT 'one change (default batch size)' AS what, seq_scan, idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relid = 'candidate_stage'::regclass;
COMMIT;
