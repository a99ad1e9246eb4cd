-- 08: an owner's rule on alert_event (an audit DO ALSO).  INSERT ... ON CONFLICT is refused on a
-- table with INSERT rules (0A000): row by row every move with events fails; the bulk move now
-- takes the plain INSERT and succeeds (and runs the rule).  A difference in errors between the
-- two paths (and with main, where both fail).
RESET ROLE;
CREATE TABLE att_audit (alert_id bigint, job_id bigint);
GRANT INSERT ON att_audit TO PUBLIC;
CREATE RULE att_audit AS ON INSERT TO alert_event DO ALSO INSERT INTO att_audit VALUES (NEW.alert_id, NEW.job_id);
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT * FROM att_pair($$UPDATE candidate_stage SET stage_id = (SELECT test_stage(workflow_id, 2) FROM job_workflow WHERE job_id = $J) WHERE job_id = $J$$);
RESET ROLE;
SELECT j, s.* FROM generate_series(9001, 9002) j, att_summary(j) s;
SELECT job_id, count(*) AS audited FROM att_audit GROUP BY 1 ORDER BY 1;
