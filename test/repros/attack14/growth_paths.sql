-- attack14: after the young-database growth of test kept_plans (plans made
-- while the tables held a handful of rows, analyzed; then 2,000-fold growth,
-- nothing analyzed), every other path counted: sequential scans of the
-- extension's big tables per transaction (after a flush of the earlier ones).
\set pcm `echo ${PCM:-force_generic_plan}`
\i test/sql/include/app_grants.psql
\i test/sql/include/no_autovacuum.psql
SET client_min_messages = warning;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wf_kp_app') THEN CREATE ROLE wf_kp_app; END IF; END $$;
RESET client_min_messages;
GRANT workflow_app TO wf_kp_app;
CREATE FUNCTION kp_scans() RETURNS TABLE (relname name, seq_scan bigint, rows_read bigint)
LANGUAGE sql AS $$
SELECT relname, seq_scan, seq_tup_read
  FROM pg_stat_xact_user_tables
 WHERE seq_scan > 0 AND seq_tup_read > 100 AND relname IN ('candidate_stage', 'stage_transition', 'stage_visit_row', 'alert_event',
                                    'candidate_profile', 'job_profile', 'job_workflow', 'stage_visit_summary')
 ORDER BY 1 $$;
GRANT EXECUTE ON FUNCTION kp_scans() TO wf_kp_app;
SET ROLE wf_kp_app;
SET workflow_ext.tenant = 'org:kp';
SET workflow_ext.actor = 'user:kim';
SET workflow_ext.tenant_admin = on;
SET plan_cache_mode = :pcm;
INSERT INTO workflow (name) VALUES ('kept') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 4) i;
SELECT id AS s2 FROM workflow_stage WHERE workflow_id = :wf AND position = 2 \gset
SELECT id AS s3 FROM workflow_stage WHERE workflow_id = :wf AND position = 3 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s2, 'n', 'gte', '5', 'n at least 5');
SELECT count(*) AS jobs FROM assign_workflow(70, :wf);
SELECT count(*) AS jobs FROM assign_workflow(71, :wf);
INSERT INTO job_profile (job_id, attributes) VALUES (70, '{"k": 1}'), (71, '{"k": 1}');
INSERT INTO candidate_profile (candidate_id, attributes) SELECT c, '{"n": 1}' FROM generate_series(1, 12) c;
SELECT count(*) AS entered FROM generate_series(1, 12) c, add_candidate(c, 70);
RESET ROLE;
ANALYZE;
SET ROLE wf_kp_app;
-- each path once while small
SELECT to_stage_name FROM move_to_next_stage(1, 70);
UPDATE candidate_profile SET attributes = '{"n": 6}' WHERE candidate_id = 1;
UPDATE job_profile SET attributes = '{"k": 2}' WHERE job_id = 70;
SELECT outcome, count(*) FROM move_candidates(70, ARRAY[2, 3]) GROUP BY 1;
SELECT (reject_candidate(5, 70, 'x')).status;
SELECT (reopen_candidate(5, 70)).status;
SELECT (transfer_candidate(6, 70, 71)).status;
SELECT remove_candidate(7, 70, 'dup');
SELECT (move_to_stage(8, 70, :s3)).to_stage_name;
SELECT * FROM erase_candidate(9);
RESET ROLE;
SELECT raise_overdue_alerts();
SET ROLE wf_kp_app;

-- growth
INSERT INTO candidate_profile (candidate_id, attributes) SELECT c, '{"n": 9}' FROM generate_series(100, 8099) c;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 70, c FROM generate_series(100, 8099) c;
SELECT count(*) AS moved FROM move_candidates(70, (SELECT array_agg(c) FROM generate_series(100, 8099) c));
RESET ROLE;
UPDATE workflow_stage SET sla = interval '1 second' WHERE id = :s2;
SELECT pg_sleep(1.1);
SELECT relname, reltuples FROM pg_class WHERE relname IN ('candidate_stage', 'stage_transition', 'stage_visit_row', 'alert_event') ORDER BY 1;

\echo '== move'
SELECT pg_stat_force_next_flush();
SET ROLE wf_kp_app;
BEGIN; SELECT to_stage_name FROM move_to_next_stage(4, 70); SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== reject'
BEGIN; SELECT (reject_candidate(10, 70, 'x')).status; SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== reopen'
BEGIN; SELECT (reopen_candidate(10, 70)).status; SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== transfer'
BEGIN; SELECT (transfer_candidate(11, 70, 71)).status; SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== remove'
BEGIN; SELECT remove_candidate(12, 70, 'dup'); SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== move_to_stage'
BEGIN; SELECT (move_to_stage(100, 70, :s3)).to_stage_name; SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== add_candidate'
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (20000, '{"n": 6}');
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
BEGIN; SELECT (add_candidate(20000, 70)).status; SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== facts change of one candidate'
BEGIN; UPDATE candidate_profile SET attributes = '{"n": 7}' WHERE candidate_id = 101; SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== facts change of job 71 (2 pipelines; the by-job read, deliberately left out)'
BEGIN; UPDATE job_profile SET attributes = '{"k": 3}' WHERE job_id = 71; SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== erase_candidate'
BEGIN; SELECT * FROM erase_candidate(102); SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== assign_workflow (a new job)'
BEGIN; SELECT count(*) FROM assign_workflow(72, :wf); SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== share_workflow'
BEGIN; SELECT share_workflow(:wf, 'user:lee'); SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== pipeline_funnel'
BEGIN; SELECT count(*) FROM pipeline_funnel(70); SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush();
\echo '== SLA sweep (superuser)'
BEGIN; SELECT raise_overdue_alerts(); SELECT * FROM kp_scans(); COMMIT;
SELECT pg_stat_force_next_flush();
\echo '== SLA sweep again (nothing new)'
BEGIN; SELECT raise_overdue_alerts(); SELECT * FROM kp_scans(); COMMIT;
