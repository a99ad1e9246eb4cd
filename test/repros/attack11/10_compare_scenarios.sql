-- attack11 10: scenarios compared between main (4ad9093) and attack11 (run both with run.sh, diff)
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE app LOGIN; GRANT workflow_app TO app;
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 6) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2, test_stage(:wf,3) s3, test_stage(:wf,4) s4, test_stage(:wf,5) s5 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES
 (:s2, 'score', '{"all":[{"field":"score","op":"gte","value":2},{"field":"budget","op":"exists","source":"job"}]}', 'warn'),
 (:s3, 'score3', '{"field":"score","op":"gte","value":3}', 'block');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES
 (:s2, 'score', 'gte', '5', 'high2'), (:s3, 'score', 'gte', '5', 'high3'), (:s4, 'big', 'exists', 'true', 'big4');
SELECT count(*) FROM generate_series(10, 13) j, assign_workflow(j, :wf);
INSERT INTO job_profile (job_id, attributes) VALUES (10, '{"budget": 1}'), (11, '{"budget": 1}');
INSERT INTO candidate_profile (candidate_id, attributes)
 SELECT g, jsonb_build_object('score', g % 7) FROM generate_series(1, 30) g;
-- a TOASTed profile (candidate 31)
INSERT INTO candidate_profile (candidate_id, attributes)
 SELECT 31, jsonb_build_object('score', 6, 'big', (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 20000) i));
SELECT count(*) FROM generate_series(10, 13) j, generate_series(1, 31) g, add_candidate(g, j);
RESET ROLE;
-- other tenant under the same ids, differing only by case / normalization
SET workflow_ext.tenant = 'ORG:A'; SET ROLE app;
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 6}' FROM generate_series(1, 31) g;
INSERT INTO job_profile (job_id, attributes) VALUES (12, '{"budget": 1}');
RESET ROLE;
SET workflow_ext.tenant = E'org:\u0061\u0301'; SET ROLE app;
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 6}' FROM generate_series(1, 31) g;
RESET ROLE;
SET workflow_ext.tenant = 'org:a'; SET ROLE app;

\echo == A bulk UPDATE (job 10) with a writable CTE changing profiles in the same statement
WITH p AS (UPDATE candidate_profile SET attributes = attributes || '{"score": 6}' WHERE candidate_id IN (1, 2) RETURNING 1)
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 10 AND candidate_id <= 10;
\echo == B row-by-row moves (job 11), savepoint rolled back profile change
BEGIN;
SAVEPOINT a;
UPDATE candidate_profile SET attributes = '{"score": 0}' WHERE candidate_id = 3;
ROLLBACK TO SAVEPOINT a;
SELECT g, (move_to_next_stage(g, 11)).warnings IS NOT NULL FROM generate_series(1, 8) g;
COMMIT;
\echo == C move_candidates (job 12, no own job profile; ORG:A has one)
SELECT candidate_id, outcome, sqlstate FROM move_candidates(12, ARRAY[1,2,3,4,5,6,31]::bigint[], :s2, 'C');
SELECT candidate_id, outcome, sqlstate FROM move_candidates(12, ARRAY[1,2,3,4,5,6,31]::bigint[], :s3, 'C3');
\echo == D facts trigger: profile updates re-evaluate alerts
UPDATE candidate_profile SET attributes = jsonb_build_object('score', 9) WHERE candidate_id BETWEEN 1 AND 12;
\echo == E bulk UPDATE to s3 (block rule) in job 10, errors
SELECT test_error($$UPDATE candidate_stage SET stage_id = $$ || :s3 || $$ WHERE job_id = 10 AND candidate_id <= 10$$);
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 10 AND candidate_id IN (1,2,5,6,8,9,31);
\echo == F TOASTed to s4
UPDATE candidate_stage SET stage_id = :s4 WHERE job_id = 10 AND candidate_id = 31;
\echo == G index changes between moves (as superuser), then moves
RESET ROLE;
SELECT indexrelid::regclass, indisunique FROM pg_index WHERE indrelid = 'candidate_profile'::regclass ORDER BY 1;
REINDEX TABLE CONCURRENTLY candidate_profile;
SET ROLE app;
SELECT (move_to_next_stage(20, 11)).warnings;
RESET ROLE;
CREATE UNIQUE INDEX cp_alt ON candidate_profile (candidate_id, tenant) INCLUDE (attributes);
SET ROLE app;
SELECT (move_to_next_stage(21, 11)).warnings;
UPDATE candidate_profile SET attributes = '{"score": 5}' WHERE candidate_id = 21;
SELECT (move_to_next_stage(21, 11)).warnings;
\echo == results
RESET ROLE;
SELECT id, job_id, candidate_id, from_stage_id - :s1 f, to_stage_id - :s1 t, reason, alerts_raised, warnings FROM stage_transition ORDER BY id;
SELECT id, alert_id, job_id, candidate_id, stage_id - :s1 s, transition_id, cause, severity, message, left(facts::text, 60) facts, tenant FROM alert_event ORDER BY id;
SELECT job_id, candidate_id, stage_id - :s1 s, status, transition_id FROM candidate_stage ORDER BY 1, 2;
