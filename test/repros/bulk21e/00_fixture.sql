-- Fixture for the bulk21e repros: run after test/sql/setup.sql (extension + helpers), as the superuser.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS att_app;
RESET client_min_messages;
\ir /work/wt/attack-bulk21e/test/sql/include/app_grants.psql
CREATE ROLE att_app;
GRANT workflow_app TO att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT test_workflow('Att', 4) AS wf \gset
SELECT test_stage(:wf, 1) AS s1, test_stage(:wf, 2) AS s2, test_stage(:wf, 3) AS s3 \gset
-- stage 2: two alerts that fire on entry for everyone
INSERT INTO alert (stage_id, field_name, operator, value, message, source) VALUES
  (:s2, 'score', 'gte', '0', 'scored', 'candidate'),
  (:s2, 'score', 'gte', '0', 'scored too', 'candidate');
SELECT count(*) FROM generate_series(9001, 9004) j, assign_workflow(j, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 5}' FROM generate_series(1, 10) g
  ON CONFLICT DO NOTHING;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(9001, 9004) j, generate_series(1, 10) g;
-- summary of one job's events
CREATE FUNCTION att_summary(jid bigint) RETURNS TABLE (transitions bigint, events bigint, causes text) LANGUAGE sql AS $$
SELECT (SELECT count(*) FROM stage_transition WHERE job_id = jid), (SELECT count(*) FROM alert_event WHERE job_id = jid),
       (SELECT string_agg(cause || ':' || n, ',' ORDER BY cause) FROM (SELECT cause, count(*) n FROM alert_event WHERE job_id = jid GROUP BY cause) c) $$;
