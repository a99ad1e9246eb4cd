-- attack14: which plan (generic: $n in the plan; custom: constants) the
-- kept statements run with under plan_cache_mode = auto, in a small database
-- (what every young installation is), the 8th move of a session.
\i test/sql/include/app_grants.psql
SET client_min_messages = warning;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wf_pc_app') THEN CREATE ROLE wf_pc_app; END IF; END $$;
RESET client_min_messages;
GRANT workflow_app TO wf_pc_app;
SET ROLE wf_pc_app;
SET workflow_ext.tenant = 'org:pc';
SET workflow_ext.actor = 'user:kim';
INSERT INTO workflow (name) VALUES ('pc') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 4) i;
SELECT count(*) FROM assign_workflow(70, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT c, '{"n": 1}' FROM generate_series(1, 400) c;
SELECT count(*) AS entered FROM generate_series(1, 400) c, add_candidate(c, 70);
RESET ROLE;
ANALYZE;
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = off;
SET ROLE wf_pc_app;
SELECT count(*) FROM generate_series(1, 7) c, move_to_next_stage(c, 70);
SET client_min_messages = log;
SELECT to_stage_name FROM move_to_next_stage(8, 70);
SET client_min_messages = notice;
SELECT to_stage_name FROM move_to_next_stage(9, 70);
