-- 06: bulk vs row by row on auto_advance chains, repeated ids, writable CTEs with facts changes,
-- an owner's trigger moving the candidate again, equal ids in another tenant.
RESET ROLE;
-- stage 3 auto-advances to 4 (s4 = hired; give it an alert too), stage 3 has an alert
SELECT test_stage(:wf, 4) AS s4 \gset
UPDATE workflow_stage SET auto_advance = true WHERE id = :s3;
INSERT INTO alert (stage_id, field_name, operator, value, message, source) VALUES
  (:s3, 'score', 'gte', '0', 's3 entry', 'candidate'),
  (:s3, 'flag', 'exists', NULL, 's3 flagged', 'candidate'),
  (:s4, 'score', 'gte', '0', 's4 entry', 'candidate');
-- another tenant with equal job and candidate ids
SET workflow_ext.tenant = 'org:b';
SELECT test_workflow('AttB', 4) AS wfb \gset
SELECT test_stage(:wfb, 2) AS b2 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message, source) VALUES (:b2, 'score', 'gte', '0', 'b scored', 'candidate');
SELECT count(*) FROM generate_series(9001, 9002) j, assign_workflow(j, :wfb);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 1}' FROM generate_series(1, 10) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(9001, 9002) j, generate_series(1, 10) g;
SET workflow_ext.tenant = 'org:a';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO att_app;
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
\echo '-- a: into s2'
SELECT * FROM att_pair($$UPDATE candidate_stage SET stage_id = (SELECT test_stage(workflow_id, 2) FROM job_workflow WHERE job_id = $J) WHERE job_id = $J$$);
SELECT * FROM att_diff();
\echo '-- b: move_candidates with repeated ids, next stage each (s3 auto-advances to s4)'
SELECT * FROM att_pair($$SELECT count(*) FROM move_candidates($J, ARRAY[1,1,2,2,2,3,1], NULL, 'rep')$$);
SELECT * FROM att_diff();
\echo '-- c: writable CTE: facts change and moves of the same candidates in one statement'
SELECT * FROM att_pair($$WITH f AS (UPDATE candidate_profile SET attributes = attributes || '{"flag": 1}' WHERE candidate_id BETWEEN 4 AND 7 RETURNING candidate_id)
  UPDATE candidate_stage c SET stage_id = (SELECT test_stage(workflow_id, 3) FROM job_workflow WHERE job_id = $J)
  FROM f WHERE c.job_id = $J AND c.candidate_id = f.candidate_id$$);
SELECT * FROM att_diff();
RESET ROLE;
\echo '-- d: owner AFTER trigger moving the candidate back to s2 and again to s3'
CREATE FUNCTION att_again() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.candidate_id = 8 AND NEW.stage_id IS DISTINCT FROM OLD.stage_id AND pg_trigger_depth() = 1 THEN
    UPDATE public.candidate_stage SET stage_id = OLD.stage_id WHERE job_id = NEW.job_id AND candidate_id = 8;
    UPDATE public.candidate_stage SET stage_id = NEW.stage_id WHERE job_id = NEW.job_id AND candidate_id = 8;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER att_again AFTER UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION att_again();
SET ROLE att_app;
SELECT * FROM att_pair($$UPDATE candidate_stage SET stage_id = (SELECT test_stage(workflow_id, 3) FROM job_workflow WHERE job_id = $J) WHERE job_id = $J AND candidate_id >= 8$$);
SELECT * FROM att_diff();
RESET ROLE;
DROP TRIGGER att_again ON candidate_stage;
SET ROLE att_app;
\echo '-- e: tenant b, same ids'
SET workflow_ext.tenant = 'org:b';
SELECT * FROM att_pair($$UPDATE candidate_stage SET stage_id = (SELECT test_stage(workflow_id, 2) FROM job_workflow WHERE job_id = $J) WHERE job_id = $J$$);
SET workflow_ext.tenant = 'org:a';
RESET ROLE;
SELECT tenant, job_id, cause, message, count(*) FROM alert_event GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;
SELECT * FROM att_diff();
