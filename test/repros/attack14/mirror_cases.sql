-- attack14: after the young-database growth (growth_paths.sql's first part),
-- things that make PostgreSQL plan a kept statement again: each must still
-- get a plan by index (wf_execute_kept's mirror of GetCachedPlan's tests).
\i test/repros/attack14/growth_setup.psql
RESET ROLE;
SET client_min_messages = warning;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wf_kp_app2') THEN CREATE ROLE wf_kp_app2; END IF; END $$;
RESET client_min_messages;
GRANT workflow_app TO wf_kp_app2;
GRANT EXECUTE ON FUNCTION kp_scans() TO wf_kp_app2;
CREATE SCHEMA other; GRANT USAGE ON SCHEMA other TO PUBLIC;
CREATE FUNCTION definer_move(c bigint) RETURNS text LANGUAGE sql SECURITY DEFINER
  AS $$ SELECT to_stage_name FROM public.move_to_next_stage(c, 70) $$;
ALTER FUNCTION definer_move(bigint) OWNER TO wf_kp_app2;
GRANT EXECUTE ON FUNCTION definer_move(bigint) TO wf_kp_app;
SELECT pg_stat_force_next_flush();
\echo '== another role (SET ROLE)'
SET ROLE wf_kp_app2;
BEGIN; SELECT to_stage_name FROM move_to_next_stage(200, 70); UPDATE candidate_profile SET attributes = '{"n": 7}' WHERE candidate_id = 200; SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== back to the first role'
BEGIN; SELECT to_stage_name FROM move_to_next_stage(201, 70); UPDATE candidate_profile SET attributes = '{"n": 7}' WHERE candidate_id = 201; SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== a SECURITY DEFINER caller owned by the second role'
BEGIN; SELECT definer_move(202); SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== search_path changed'
SET search_path = other, public;
BEGIN; SELECT to_stage_name FROM move_to_next_stage(203, 70); UPDATE candidate_profile SET attributes = '{"n": 7}' WHERE candidate_id = 203; SELECT * FROM kp_scans(); COMMIT;
RESET search_path;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== plan_cache_mode auto, then force_custom_plan'
SET plan_cache_mode = auto;
BEGIN; SELECT count(*) FROM generate_series(204, 212) c, move_to_next_stage(c, 70); SELECT * FROM kp_scans(); COMMIT;
SET plan_cache_mode = force_custom_plan;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
BEGIN; SELECT count(*) FROM generate_series(213, 215) c, move_to_next_stage(c, 70); SELECT * FROM kp_scans(); COMMIT;
SET plan_cache_mode = force_generic_plan;
RESET ROLE;
\echo '== an index of the owner created on candidate_stage, then dropped (invalidations)'
CREATE INDEX mine ON candidate_stage (stage_id);
SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
BEGIN; SELECT to_stage_name FROM move_to_next_stage(216, 70); SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; DROP INDEX mine; REINDEX TABLE candidate_stage; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
BEGIN; SELECT to_stage_name FROM move_to_next_stage(217, 70); SELECT * FROM kp_scans(); COMMIT;
\echo '== a savepoint rolled back after the plan was made (after an invalidation inside it)'
RESET ROLE; SELECT pg_stat_force_next_flush(); 
BEGIN; SAVEPOINT a; CREATE INDEX mine2 ON candidate_stage (status); SET LOCAL ROLE wf_kp_app; SELECT to_stage_name FROM move_to_next_stage(218, 70); ROLLBACK TO a;
SET LOCAL ROLE wf_kp_app; SELECT to_stage_name FROM move_to_next_stage(219, 70); UPDATE candidate_profile SET attributes = '{"n": 7}' WHERE candidate_id = 219; SELECT * FROM kp_scans(); COMMIT;
RESET ROLE; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
\echo '== a prepared transaction, then a move'
BEGIN; SELECT to_stage_name FROM move_to_next_stage(220, 70); PREPARE TRANSACTION 'kp1';
RESET ROLE; COMMIT PREPARED 'kp1'; SELECT pg_stat_force_next_flush(); SET ROLE wf_kp_app;
BEGIN; SELECT to_stage_name FROM move_to_next_stage(221, 70); SELECT * FROM kp_scans(); COMMIT;
RESET ROLE;
SELECT count(*) AS bad_setting FROM pg_settings WHERE name = 'enable_seqscan' AND setting <> 'on';
