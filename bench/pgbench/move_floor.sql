\set c random(1, :candidates)
\set j 1 + :c % :jobs
WITH m AS (
  UPDATE floor_stage SET stage_id = stage_id + 1, entered_at = now()
   WHERE job_id = :j AND candidate_id = :c
  RETURNING job_id, candidate_id, stage_id
)
INSERT INTO floor_transition (job_id, candidate_id, from_stage_id, to_stage_id)
SELECT job_id, candidate_id, stage_id - 1, stage_id FROM m;
