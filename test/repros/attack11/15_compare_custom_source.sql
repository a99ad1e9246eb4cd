-- attack11 15: a custom facts source (set_candidate_source) and back to candidate_profile (DELETE FROM facts_source), in one session; main vs attack11
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE app LOGIN; GRANT workflow_app TO app;
CREATE TABLE cands (id bigint PRIMARY KEY, org text NOT NULL, score int);
GRANT SELECT, INSERT, UPDATE ON cands TO app;
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 6) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2, test_stage(:wf,3) s3 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES
 (:s2, 'score', '{"all":[{"field":"score","op":"gte","value":2},{"field":"budget","op":"exists","source":"job"}]}', 'warn'),
 (:s3, 'score', '{"field":"score","op":"gte","value":2}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s2, 'score', 'gte', '7', 'high');
SELECT job_id FROM assign_workflow(10, :wf);
INSERT INTO job_profile (job_id, attributes) VALUES (10, '{"budget": 1}');
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 1}' FROM generate_series(1, 20) g;
INSERT INTO cands SELECT g, 'org:a', 9 FROM generate_series(1, 20) g;
SELECT count(*) FROM generate_series(1, 20) g, add_candidate(g, 10);
RESET ROLE;
SELECT set_candidate_source('public.cands'::regclass, 'id', 'org');
SET ROLE app;
SELECT g, (move_to_next_stage(g, 10)).warnings = '[]' ok FROM generate_series(1, 3) g;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 10 AND candidate_id BETWEEN 4 AND 10;
UPDATE cands SET score = 8 WHERE id <= 5;
RESET ROLE;
DELETE FROM facts_source;
SET ROLE app;
SELECT g, (move_to_next_stage(g, 10)).warnings = '[]' ok FROM generate_series(11, 13) g;
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 10 AND candidate_id BETWEEN 1 AND 10;
UPDATE candidate_profile SET attributes = '{"score": 7}' WHERE candidate_id <= 12;
RESET ROLE;
SELECT id, candidate_id, to_stage_id - :s1 t, alerts_raised, left(warnings::text, 50) w FROM stage_transition ORDER BY id;
SELECT id, candidate_id, transition_id, cause, message, facts FROM alert_event ORDER BY id;
