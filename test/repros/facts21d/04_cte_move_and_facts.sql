-- facts21d repro 4 (pre-existing: main gives the same): one statement that
-- changes a candidate's facts and moves it into a new stage visit (writable
-- CTE, or a CTE move under an UPDATE of candidate_profile).  The facts
-- trigger fires first, sees the candidate already in the new stage and raises
-- the new visit's alerts with cause 'facts'; the entry's own events then
-- conflict and are skipped: the new visit has no 'entry' event.  Assumes
-- test/sql/setup.sql ran.
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_r4_app;
RESET client_min_messages;
CREATE ROLE wf_r4_app;
GRANT workflow_app TO wf_r4_app;
SET ROLE wf_r4_app;
SET workflow_ext.tenant = 'org:r4';
SET workflow_ext.actor = 'user:r4';
SELECT test_workflow('R4', 3, false) AS wf \gset
INSERT INTO alert (stage_id, field_name, operator, value, message)
VALUES (test_stage(:wf, 2), 'flag', 'eq', 'true', 'flagged'), (test_stage(:wf, 2), 'late', 'eq', 'true', 'late');
SELECT job_id FROM assign_workflow(940, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (1, '{"flag": true}');
SELECT candidate_id FROM add_candidate(1, 940);
WITH f AS (UPDATE candidate_profile SET attributes = attributes || '{"late": true}' WHERE candidate_id = 1 RETURNING 1),
     m AS (UPDATE candidate_stage SET stage_id = test_stage(:wf, 2) WHERE job_id = 940 AND candidate_id = 1 RETURNING 1)
SELECT (SELECT count(*) FROM f) AS facts, (SELECT count(*) FROM m) AS moved;
SELECT e.message, e.cause, e.transition_id = c.visit_transition_id AS this_visit
FROM alert_event e JOIN candidate_stage c USING (job_id, candidate_id)
WHERE e.job_id = 940 ORDER BY e.id;     -- flagged|facts, late|facts (an entry would give flagged|entry, late|entry)
RESET ROLE;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
