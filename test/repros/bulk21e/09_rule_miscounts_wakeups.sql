-- 09 (held): with an owner's DO ALSO rule on alert_event, the wake-ups of a bulk move still count the
-- events written (SPI_processed is the original INSERT's: canSetTag), same as without the rule.
RESET ROLE;
CREATE TABLE att_audit (alert_id bigint, job_id bigint);
GRANT INSERT ON att_audit TO PUBLIC;
CREATE RULE att_audit AS ON INSERT TO alert_event DO ALSO INSERT INTO att_audit SELECT NEW.alert_id, NEW.job_id WHERE NEW.job_id = -1;
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
LISTEN workflow_events;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9002 AND candidate_id <= 2;
SELECT 1 AS after_bulk;
RESET ROLE;
SELECT j, s.* FROM generate_series(9002, 9002) j, att_summary(j) s;
DROP RULE att_audit ON alert_event;
SET ROLE att_app;
\echo '-- control without the rule'
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9003 AND candidate_id <= 2;
SELECT 1 AS after_bulk_control;
