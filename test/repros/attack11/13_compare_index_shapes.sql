-- attack11 13: shapes of the (tenant, id) index, main (4ad9093) vs attack11; one session, index changed between moves
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE app LOGIN; GRANT workflow_app TO app;
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 6) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES (:s2, 'score', '{"field":"score","op":"gte","value":2}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s2, 'score', 'gte', '0', 'any');
SELECT job_id FROM assign_workflow(10, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, jsonb_build_object('score', g) FROM generate_series(1, 60) g;
SELECT count(*) FROM generate_series(1, 60) g, add_candidate(g, 10);
RESET ROLE;
SET workflow_ext.tenant = 'org:b'; SET ROLE app;
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 100}' FROM generate_series(1, 60) g;
RESET ROLE; SET workflow_ext.tenant = 'org:a';
\echo == a reversed unique index (candidate_id, tenant) only
ALTER TABLE candidate_profile DROP CONSTRAINT candidate_profile_candidate_id_key;
CREATE UNIQUE INDEX cp_rev ON candidate_profile (candidate_id, tenant) INCLUDE (id);
SET ROLE app; SELECT g, (move_to_next_stage(g, 10)).warnings = '[]' AS ok FROM generate_series(1, 3) g; RESET ROLE;
\echo == b no unique index at all (plain index)
DROP INDEX cp_rev;
CREATE INDEX cp_plain ON candidate_profile (tenant, candidate_id);
SET ROLE app; SELECT g, (move_to_next_stage(g, 10)).warnings = '[]' AS ok FROM generate_series(4, 6) g; RESET ROLE;
\echo == c deferrable unique with a duplicate in the transaction
DROP INDEX cp_plain;
ALTER TABLE candidate_profile ADD CONSTRAINT cp_def UNIQUE (tenant, candidate_id) DEFERRABLE INITIALLY DEFERRED;
BEGIN;
INSERT INTO candidate_profile (tenant, candidate_id, attributes) VALUES ('org:a', 7, '{"score": 0}');
SET ROLE app; SELECT (move_to_next_stage(7, 10)).warnings; RESET ROLE;
ROLLBACK;
\echo == d index made invalid between moves (catalog update), then valid again
ALTER TABLE candidate_profile DROP CONSTRAINT cp_def;
CREATE UNIQUE INDEX cp_u ON candidate_profile (tenant, candidate_id);
SET ROLE app; SELECT (move_to_next_stage(8, 10)).warnings = '[]' AS ok; RESET ROLE;
UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'cp_u'::regclass;
UPDATE candidate_profile SET attributes = '{"score": 1}' WHERE candidate_id = 9 AND tenant = 'org:a';
SET ROLE app; SELECT (move_to_next_stage(9, 10)).warnings = '[]' AS ok; RESET ROLE;
UPDATE pg_index SET indisvalid = true WHERE indexrelid = 'cp_u'::regclass;
\echo == e attributes NULL (NOT NULL dropped by the owner)
SELECT test_error('ALTER TABLE candidate_profile ALTER attributes DROP NOT NULL');
SELECT test_error($$UPDATE candidate_profile SET attributes = NULL WHERE candidate_id = 10 AND tenant = 'org:a'$$);
SET ROLE app; SELECT (move_to_next_stage(10, 10)).warnings = '[]' AS ok; RESET ROLE;
\echo == f bulk move of the rest in one statement, and a second one back (thousands not needed: 50 rows x 2)
SET ROLE app;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 10 AND candidate_id > 10;
UPDATE candidate_stage SET stage_id = :s1 WHERE job_id = 10 AND candidate_id > 10;
RESET ROLE;
SELECT id, candidate_id, to_stage_id - :s1 t, alerts_raised, left(warnings::text, 60) w FROM stage_transition ORDER BY id;
SELECT id, candidate_id, transition_id, message, facts FROM alert_event ORDER BY id;
