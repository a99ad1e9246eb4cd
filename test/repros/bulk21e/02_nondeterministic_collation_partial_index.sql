-- 02: arbiters_decide_nothing/excludes_entries compares the partial index's constant with "entry"
-- by strcmp, ignoring the predicate's collation.  An owner's unique index, partial
-- WHERE cause = 'ENTRY' COLLATE <case-insensitive>, holds every entry event, yet is taken as one
-- "no entry event enters": the bulk move drops ON CONFLICT and fails with 23505 where row by row
-- (and main, and the documented rule "an owner's own unique index keeps ON CONFLICT") skips.
RESET ROLE;
CREATE COLLATION att_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
-- the owner's rule: one entry event per candidate and alert in a job, ever
CREATE UNIQUE INDEX att_entry_once_ever ON alert_event (tenant, job_id, candidate_id, alert_id)
  WHERE cause = 'ENTRY' COLLATE att_ci;
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
-- enter stage 2, leave for stage 3, come back to stage 2: the second entry's events hit the owner's index
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9001;
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 9001;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9001', :s2)) AS row_by_row_back;
RESET workflow_ext.history_batch_size;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9002;
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 9002;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9002', :s2)) AS bulk_back;
RESET ROLE;
SELECT j, s.* FROM generate_series(9001, 9002) j, att_summary(j) s;
-- the same index with a deterministic spelling keeps ON CONFLICT (control)
DROP INDEX att_entry_once_ever;
CREATE UNIQUE INDEX att_entry_once_ever ON alert_event (tenant, job_id, candidate_id, alert_id) WHERE cause = 'entry';
SET ROLE att_app;
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 9002;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9002', :s2)) AS bulk_back_control;
RESET ROLE;
DROP INDEX att_entry_once_ever;
