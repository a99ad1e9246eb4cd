-- Fixture (run after test/sql/setup.sql as superuser): app role att_app with the README grants,
-- tenant org:a: workflow W (3 stages), stage 1 alerts 'has level' (level exists) and 'level two' (level >= 2);
-- jobs 100, 101 on W; candidates 1..4 with profiles {} in job 100 at stage 1; candidate 1 also in job 101.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS att_app;
RESET client_min_messages;
\ir ../../sql/include/app_grants.psql
CREATE ROLE att_app;
GRANT workflow_app TO att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 3) AS wf \gset
SELECT test_stage(:wf, 1) AS s1, test_stage(:wf, 2) AS s2, test_stage(:wf, 3) AS s3 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s1, 'level', 'exists', NULL, 'has level');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s1, 'level', 'gte', '2', 'level two');
SELECT count(*) > 0 AS assigned FROM generate_series(100, 101) j, assign_workflow(j, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{}' FROM generate_series(1, 4) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 100, g FROM generate_series(1, 4) g;
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (101, 1);
CREATE VIEW ev AS SELECT rank() OVER (ORDER BY id) AS n, job_id, candidate_id, message, cause FROM alert_event;
GRANT SELECT ON ev TO PUBLIC;
