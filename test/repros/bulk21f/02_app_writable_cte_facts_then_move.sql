-- 02: the application role alone (README grants), plain SQL: one statement, a writable CTE that
-- moves a candidate and a main UPDATE of that candidate's facts.  The facts change's AFTER trigger
-- is queued first (the CTE runs to completion after the main query), sees the moved row and raises
-- the new visit's firing alerts (cause 'facts'); then the move's history guard writes the visit's
-- history row and its entry events.
-- main at history_batch_size = 1: entry events left to ON CONFLICT DO NOTHING (skipped), no error.
-- This branch at history_batch_size = 1: 23505, the statement fails.
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT * FROM att_pair(format($q$WITH m AS (UPDATE candidate_stage SET stage_id = %s WHERE job_id = $J AND candidate_id = 1 RETURNING candidate_id)
  UPDATE candidate_profile SET attributes = attributes || '{"touched": 1}' WHERE candidate_id = 1$q$, :s2));
-- the other order (the main query reads the CTE: the move's trigger is queued first)
SELECT * FROM att_pair(format($q$WITH m AS (UPDATE candidate_stage SET stage_id = %s WHERE job_id = $J AND candidate_id = 2 RETURNING candidate_id)
  UPDATE candidate_profile p SET attributes = attributes || '{"touched": 1}' FROM m WHERE p.candidate_id = m.candidate_id$q$, :s2));
RESET ROLE;
SELECT job_id, candidate_id, cause, count(*) FROM alert_event WHERE job_id IN (9001, 9002) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
