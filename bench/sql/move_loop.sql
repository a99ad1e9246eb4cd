-- A quick single-backend move timing (no pgbench): 2,000 moves into a stage with a warn
-- rule and an alert, back, and again. Run: psql -f bench/sql/move_loop.sql (creates database mb).
\set QUIET on
DROP DATABASE IF EXISTS mb;
CREATE DATABASE mb;
\c mb
SET client_min_messages = warning;
CREATE EXTENSION workflow_ext;
SET workflow_ext.actor = 'user:b';
INSERT INTO workflow (name) VALUES ('b');
INSERT INTO workflow_stage (workflow_id, name, position) SELECT 1, 's'||i, i FROM generate_series(1,3) i;
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES (2, 'r', '{"field":"x","op":"gte","value":1}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value) VALUES (2, 'x', 'gte', '0');
SELECT assign_workflow(1, 1) IS NULL;
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"x": 5}' FROM generate_series(1, 2000) g;
SELECT count(*) FROM generate_series(1, 2000) g, add_candidate(g, 1);
\timing on
SELECT count(*) FROM generate_series(1, 2000) g, move_to_next_stage(g, 1);
SELECT count(*) FROM generate_series(1, 2000) g, move_to_stage(g, 1, 1);
SELECT count(*) FROM generate_series(1, 2000) g, move_to_next_stage(g, 1);
