#!/bin/bash
# usage (from the repository root, inside /work/tools/pgsandbox): bench/kept_plans/SCRIPT.sh N  -- fresh db, auto-advance first stage, one INSERT of N candidates
N=$1
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS wf_aa" -c "CREATE DATABASE wf_aa"
psql -X -q -d wf_aa -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION workflow_ext;
\i test/sql/include/app_grants.psql
DROP ROLE IF EXISTS wf_aa_app;
CREATE ROLE wf_aa_app; GRANT workflow_app TO wf_aa_app;
SET workflow_ext.actor = 'user:ann';
SET workflow_ext.tenant = 'org:a';
INSERT INTO workflow (name) VALUES ('aa') RETURNING id AS wid \gset
INSERT INTO workflow_stage (workflow_id, name, position, auto_advance) SELECT :wid, 's' || i, i, i = 1 FROM generate_series(1, 3) i;
INSERT INTO job_workflow (job_id, workflow_id) VALUES (10, :wid);
INSERT INTO stage_rule (stage_id, name, condition) SELECT id, 'open', '{"field": "open", "op": "eq", "value": true, "source": "job"}' FROM workflow_stage WHERE workflow_id = :wid AND position = 2;
INSERT INTO job_profile (job_id, attributes) VALUES (10, '{"open": true}');
INSERT INTO alert (stage_id, field_name, operator, value, message) SELECT id, 'flag', 'eq', 'true', 'flagged' FROM workflow_stage WHERE workflow_id = :wid AND position IN (1, 2);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT c, '{"flag": true}' FROM generate_series(1, $N) c;
VACUUM ANALYZE candidate_profile, candidate_stage, stage_transition, stage_visit_row;
SET ROLE wf_aa_app;
BEGIN;
SELECT clock_timestamp() AS t0 \gset
INSERT INTO candidate_stage (job_id, candidate_id, attributes) SELECT 10, c, '{"flag": true}' FROM generate_series(1, $N) c;
SELECT round(extract(epoch FROM clock_timestamp() - :'t0') * 1e6 / $N) AS us_per_row \gset
RESET ROLE;
SELECT $N AS n, :us_per_row AS us_per_row, relname, seq_scan, seq_tup_read, idx_scan
  FROM pg_stat_xact_user_tables WHERE relname IN ('candidate_stage','stage_transition','stage_visit_row','alert_event') ORDER BY relname;
SELECT s.position, count(*) FROM candidate_stage c JOIN workflow_stage s ON s.id = c.stage_id GROUP BY 1;
SELECT count(*) AS alert_events FROM alert_event;
COMMIT;
SQL
