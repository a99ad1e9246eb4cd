-- 05 (held?): plans prepared before an owner's unique index is created in the same transaction/session;
-- the index check must be made at each write (not cached with the plan).
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9002;   -- plans prepared, plain path
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 9002;
RESET ROLE;
BEGIN;
CREATE UNIQUE INDEX att_once_ever ON alert_event (tenant, job_id, candidate_id, alert_id) WHERE job_id = 9002;
SET ROLE att_app;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9002', :s2)) AS back_with_index_in_xact;
RESET ROLE;
DROP INDEX att_once_ever;
SET ROLE att_app;
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 9002;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9002;
COMMIT;
RESET ROLE;
SELECT 9002 AS j, s.* FROM att_summary(9002) s;
