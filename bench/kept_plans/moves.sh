#!/bin/bash
# usage (from the repository root, inside /work/tools/pgsandbox): bench/kept_plans/SCRIPT.sh N -- fresh db; in ONE session: moves fail against an empty candidate_stage (plans made then),
# N candidates enter, then one statement of N moves, then one move_candidates of N
N=$1
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS wf_mv" -c "CREATE DATABASE wf_mv"
psql -X -q -d wf_mv -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION workflow_ext;
\i test/sql/include/app_grants.psql
DROP ROLE IF EXISTS wf_mv_app;
CREATE ROLE wf_mv_app; GRANT workflow_app TO wf_mv_app;
CREATE FUNCTION public.try(sql text) RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN EXECUTE sql; RETURN 'ok'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END \$\$;
SET workflow_ext.actor = 'user:ann';
SET workflow_ext.tenant = 'org:a';
INSERT INTO workflow (name) VALUES ('mv') RETURNING id AS wid \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wid, 's' || i, i FROM generate_series(1, 4) i;
INSERT INTO job_workflow (job_id, workflow_id) VALUES (10, :wid);
VACUUM ANALYZE candidate_stage, stage_transition, stage_visit_row;
SET ROLE wf_mv_app;
SELECT try('SELECT move_to_next_stage(' || c || ', 10)') FROM generate_series(1, 8) c;
${EARLY:-SELECT count(*) FROM move_candidates(10, ARRAY[1,2,3]);}
${EARLY:-SELECT count(*) FROM move_candidates(10, ARRAY[1,2,3]);}
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 10, c FROM generate_series(1, $N) c;
RESET ROLE;
SELECT pg_stat_force_next_flush();
SELECT pg_sleep(0.2);
SELECT pg_stat_clear_snapshot();
DROP TABLE IF EXISTS s0; CREATE TEMP TABLE s0 AS SELECT relname, seq_scan, seq_tup_read, idx_scan FROM pg_stat_user_tables;
SET ROLE wf_mv_app;
BEGIN;
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM generate_series(1, $N) c, move_to_next_stage(c, 10);
SELECT round(extract(epoch FROM clock_timestamp() - :'t0') * 1e6 / $N) AS us_per_row \gset
RESET ROLE;
COMMIT;
SELECT pg_stat_force_next_flush();
SELECT pg_sleep(0.2);
SELECT pg_stat_clear_snapshot();
SELECT 'moves' AS what, $N AS n, :us_per_row AS us_per_row, t.relname, t.seq_scan - s.seq_scan AS seq_scan, t.seq_tup_read - s.seq_tup_read AS seq_tup_read, t.idx_scan - s.idx_scan AS idx_scan
  FROM pg_stat_user_tables t JOIN s0 s USING (relname) WHERE t.relname IN ('candidate_stage','stage_transition','stage_visit_row') ORDER BY 4;
RESET ROLE;
SELECT pg_stat_force_next_flush();
SELECT pg_sleep(0.2);
SELECT pg_stat_clear_snapshot();
DROP TABLE IF EXISTS s0; CREATE TEMP TABLE s0 AS SELECT relname, seq_scan, seq_tup_read, idx_scan FROM pg_stat_user_tables;
SET ROLE wf_mv_app;
BEGIN;
SELECT clock_timestamp() AS t0 \gset
SELECT outcome, count(*) FROM move_candidates(10, (SELECT array_agg(c) FROM generate_series(1, $N) c)) GROUP BY 1;
SELECT round(extract(epoch FROM clock_timestamp() - :'t0') * 1e6 / $N) AS us_per_row \gset
RESET ROLE;
COMMIT;
SELECT pg_stat_force_next_flush();
SELECT pg_sleep(0.2);
SELECT pg_stat_clear_snapshot();
SELECT 'bulk' AS what, $N AS n, :us_per_row AS us_per_row, t.relname, t.seq_scan - s.seq_scan AS seq_scan, t.seq_tup_read - s.seq_tup_read AS seq_tup_read, t.idx_scan - s.idx_scan AS idx_scan
  FROM pg_stat_user_tables t JOIN s0 s USING (relname) WHERE t.relname IN ('candidate_stage','stage_transition','stage_visit_row') ORDER BY 4;
SQL
