-- attack14 03: a function of the owner's restrictive policy that PostgreSQL runs
-- while it plans (IMMUTABLE, constant argument: folded by the planner) sees
-- enable_seqscan = off on fa2adfb in a move, a bulk move and every kept
-- statement (61275e1: on, except in the facts reads, whose whole execution
-- ran with it off).  README (Statistics and plans) said nothing the statement
-- runs sees the setting: corrected on attack14 (documentation).  Sections
-- 2-5: the setting is restored after an error or a statement_timeout inside
-- that planning, caught by an EXCEPTION block (a subtransaction) or not,
-- and a bulk move's refusal (SHOW: on each time): no defect there.
-- Run as a superuser in a scratch database with the extension.
\i test/sql/include/app_grants.psql
SET client_min_messages = warning;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wf_pe_app') THEN CREATE ROLE wf_pe_app; END IF; END $$;
RESET client_min_messages;
GRANT workflow_app TO wf_pe_app;
CREATE FUNCTION public.plan_spy(t text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RAISE NOTICE 'planning % sees enable_seqscan = %', t, current_setting('enable_seqscan');
  IF current_setting('pe.boom', true) = 'raise' THEN RAISE EXCEPTION 'boom while planning %', t USING ERRCODE = 'P0099'; END IF;
  IF current_setting('pe.boom', true) = 'sleep' THEN PERFORM pg_sleep(2); END IF;
  RETURN true;
END $$;
CREATE POLICY z_plan_spy ON candidate_stage AS RESTRICTIVE USING (public.plan_spy('candidate_stage'));
SET ROLE wf_pe_app;
SET workflow_ext.tenant = 'org:pe';
SET workflow_ext.actor = 'user:kim';
SET plan_cache_mode = force_generic_plan;
INSERT INTO workflow (name) VALUES ('pe') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 4) i;
SELECT count(*) FROM assign_workflow(70, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT c, '{"n": 1}' FROM generate_series(1, 10) c;
SELECT count(*) AS entered FROM generate_series(1, 10) c, add_candidate(c, 70);
\echo '== 1. a move: what the planning-time function sees'
SELECT to_stage_name FROM move_to_next_stage(1, 70);
\echo '== 2. a raise inside the planning, caught by an EXCEPTION block'
RESET ROLE; ALTER POLICY z_plan_spy ON candidate_stage USING (public.plan_spy('candidate_stage2')); SET ROLE wf_pe_app;
DO $$ BEGIN
  PERFORM set_config('pe.boom', 'raise', true);
  BEGIN
    PERFORM move_to_next_stage(2, 70);
  EXCEPTION WHEN SQLSTATE 'P0099' THEN RAISE NOTICE 'caught: %', SQLERRM;
  END;
  RAISE NOTICE 'after the catch, enable_seqscan = %', current_setting('enable_seqscan');
  PERFORM set_config('pe.boom', '', true);
END $$;
SHOW enable_seqscan;
\echo '== 3. a raise inside the planning, not caught'
RESET ROLE; ALTER POLICY z_plan_spy ON candidate_stage USING (public.plan_spy('candidate_stage3')); SET ROLE wf_pe_app;
BEGIN;
SET LOCAL pe.boom = 'raise';
SELECT move_to_next_stage(3, 70);
ROLLBACK;
SHOW enable_seqscan;
\echo '== 4. statement_timeout inside the planning'
RESET ROLE; ALTER POLICY z_plan_spy ON candidate_stage USING (public.plan_spy('candidate_stage4')); SET ROLE wf_pe_app;
SET pe.boom = 'sleep';
SET statement_timeout = '500ms';
SELECT move_to_next_stage(4, 70);
RESET statement_timeout;
SET pe.boom = '';
SHOW enable_seqscan;
\echo '== 5. the same with a facts change and a bulk move'
RESET ROLE; ALTER POLICY z_plan_spy ON candidate_stage USING (public.plan_spy('candidate_stage5')); SET ROLE wf_pe_app;
DO $$ BEGIN
  PERFORM set_config('pe.boom', 'raise', true);
  BEGIN
    UPDATE candidate_profile SET attributes = '{"n": 5}' WHERE candidate_id = 5;
  EXCEPTION WHEN SQLSTATE 'P0099' THEN RAISE NOTICE 'caught: %', SQLERRM;
  END;
  RAISE NOTICE 'after the catch, enable_seqscan = %', current_setting('enable_seqscan');
  PERFORM set_config('pe.boom', '', true);
END $$;
RESET ROLE; ALTER POLICY z_plan_spy ON candidate_stage USING (public.plan_spy('candidate_stage6')); SET ROLE wf_pe_app;
SET pe.boom = 'raise';
SELECT candidate_id, outcome, sqlstate FROM move_candidates(70, ARRAY[6, 7]);
SET pe.boom = '';
SHOW enable_seqscan;
SELECT to_stage_name FROM move_to_next_stage(8, 70);
SHOW enable_seqscan;
