-- The set-wise read (LATERAL, parameterized by the change's key: costed with the column's
-- average selectivity) and the row trigger's read (a custom plan for the candidate: its MCV
-- selectivity) are planned apart. For a candidate standing in most of the pipeline rows the
-- row trigger's read is a sequential scan (heap order), the set-wise one an index scan
-- (index order = a HOT-updated row's root place; at the default size 1000 the first
-- change, larger than the room, is read alone, by the row trigger's read): the candidate's events (and its row locks)
-- come in another order than at history_batch_size = 1 (attack6 D1 again, by plan choice).
SELECT count(*) > 0 AS assigned FROM generate_series(1000, 6999) j, assign_workflow(j, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{}' FROM generate_series(10000, 11999) g;
-- candidate 1 in 4,500 jobs, interleaved with 1,500 other candidates' rows (low correlation)
INSERT INTO candidate_stage (job_id, candidate_id)
SELECT j, CASE WHEN j % 4 = 0 THEN 10000 + (j - 1000) / 4 ELSE 1 END FROM generate_series(1000, 6999) j;
-- candidate 1's rows in jobs 9000 and 9001, on the last page; the first updated in place
-- (HOT: attributes is not indexed): its live version now comes after 9001's in the heap
SELECT count(*) > 0 AS assigned FROM generate_series(9000, 9001) j, assign_workflow(j, :wf);
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (9000, 1), (9001, 1);
UPDATE candidate_stage SET attributes = '{"note": "x"}' WHERE job_id = 9000 AND candidate_id = 1;
VACUUM ANALYZE candidate_stage;
SELECT ctid, job_id FROM candidate_stage WHERE candidate_id = 1 AND job_id IN (9000, 9001) ORDER BY ctid;
EXPLAIN (COSTS OFF) SELECT * FROM candidate_stage c WHERE c.candidate_id = 1 AND c.status = 'active' AND c.visit_transition_id IS NOT NULL FOR NO KEY UPDATE;
SET ROLE att_app;
-- row by row: candidate 1's events in the row trigger's order
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id IN (1, 2);
SELECT n, job_id, candidate_id FROM ev WHERE job_id IN (9000, 9001) AND message = 'has level' ORDER BY n;
ROLLBACK;
-- set-wise (room for candidate 1's 4,502 rows: read whole, by the LATERAL's index scan)
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 10000;
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id IN (1, 2);
SELECT n, job_id, candidate_id FROM ev WHERE job_id IN (9000, 9001) AND message = 'has level' ORDER BY n;
ROLLBACK;
RESET ROLE;
-- the set-wise read's inner side, as planned with a parameter
PREPARE lat(bigint[]) AS SELECT r.ord, c.job_id FROM ROWS FROM (unnest($1)) WITH ORDINALITY r(key, ord)
  CROSS JOIN LATERAL (SELECT c.job_id FROM candidate_stage c WHERE c.candidate_id = r.key AND c.status = 'active'
  AND c.visit_transition_id IS NOT NULL FOR NO KEY UPDATE OF c) c LIMIT 1000;
EXPLAIN (COSTS OFF) EXECUTE lat(ARRAY[1, 2]);
