-- attack11 17: the tenant column's collation changed by the owner (if the guard lets it), a
-- nondeterministic one; a writable CTE deleting a profile in the moving statement; main vs attack11
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE app LOGIN; GRANT workflow_app TO app;
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 6) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES (:s2, 'score', '{"field":"score","op":"gte","value":2}', 'warn');
SELECT job_id FROM assign_workflow(10, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 5}' FROM generate_series(1, 10) g;
SELECT count(*) FROM generate_series(1, 20) g, add_candidate(g, 10);
RESET ROLE;
SET workflow_ext.tenant = 'ORG:A'; SET ROLE app;
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 5}' FROM generate_series(11, 20) g;
RESET ROLE; SET workflow_ext.tenant = 'org:a';
\echo == writable CTE deleting profiles 1, 2 in the moving statement
SET ROLE app;
WITH d AS (DELETE FROM candidate_profile WHERE candidate_id IN (1, 2) RETURNING 1)
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 10 AND candidate_id <= 4 AND (SELECT count(*) FROM d) >= 0;
RESET ROLE;
\echo == collation of tenant changed
SELECT test_error('ALTER TABLE candidate_profile ALTER COLUMN tenant TYPE text COLLATE "C"');
SELECT test_error('ALTER TABLE candidate_profile ALTER COLUMN tenant TYPE text COLLATE ci');
SELECT attcollation::regcollation FROM pg_attribute WHERE attrelid = 'candidate_profile'::regclass AND attname = 'tenant';
SET ROLE app;
SELECT g, (move_to_next_stage(g, 10)).warnings = '[]' ok FROM generate_series(5, 6) g;
SELECT g, (move_to_next_stage(g, 10)).warnings = '[]' ok FROM generate_series(11, 12) g;
RESET ROLE;
SELECT id, candidate_id, alerts_raised, left(warnings::text, 60) w FROM stage_transition WHERE id > 20 ORDER BY id;
