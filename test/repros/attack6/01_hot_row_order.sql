-- Set-wise read orders a candidate's pipeline rows by ctid; the row trigger's read
-- (index candidate_stage_candidate_idx) finds them in the index's order, which for a
-- HOT-updated row is its root's place. Event ids (and lock order) then differ from
-- history_batch_size = 1.
-- candidate 1's row of job 100 updated in place (HOT: attributes is not indexed)
UPDATE candidate_stage SET attributes = '{"note": "x"}' WHERE job_id = 100 AND candidate_id = 1;
-- many pipeline rows, so that the row trigger's read takes the index
SELECT count(*) > 0 AS assigned FROM assign_workflow(102, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{}' FROM generate_series(1000, 6000) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 102, g FROM generate_series(1000, 6000) g;
ANALYZE candidate_stage;
SELECT job_id, ctid FROM candidate_stage WHERE candidate_id = 1 ORDER BY ctid;
SET ROLE att_app;
-- row by row: job 100's row first (the index's order: the HOT chain's root)
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id IN (1, 2);
SELECT * FROM ev;
ROLLBACK;
-- set-wise: job 101's row first (ctid order)
BEGIN;
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id IN (1, 2);
SELECT * FROM ev;
ROLLBACK;
RESET ROLE;
-- the row trigger's read
EXPLAIN (COSTS OFF) SELECT * FROM candidate_stage c WHERE c.candidate_id = 1 AND c.status = 'active' FOR NO KEY UPDATE;
