-- reject_candidates() and withdraw_candidates(): many candidates of one job
-- closed in one call, one row per id in input order; a candidate's refusal
-- is its row and never undoes or stops another's; what is the whole call's
-- (actor, arguments, job, reason code) raises before anything changes.
-- Two tenants with the same job and candidate ids; everything runs as an
-- application role with the README's grant set.  In a database of its own.
\set own_db wf_bulk_reject
\i test/sql/include/own_database.psql
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_br_app;
RESET client_min_messages;
CREATE ROLE wf_br_app;
GRANT workflow_app TO wf_br_app;

\echo '== 1. Two tenants, job 100 each, candidates 1..11 / 1..3 and 20'
SET ROLE wf_br_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('a') RETURNING id AS wfa \gset
INSERT INTO workflow_stage (workflow_id, name, position, kind)
SELECT :wfa, 's' || i, i, CASE WHEN i = 3 THEN 'hired' ELSE 'normal' END FROM generate_series(1, 3) i;
SELECT job_id FROM assign_workflow(100, :wfa);
SELECT job_id FROM assign_workflow(101, :wfa);
SELECT count(*) AS added FROM generate_series(1, 11) c, add_candidate(c, 100);
INSERT INTO rejection_reason (code, label, kind, active) VALUES
  ('skills', 'Missing skills', 'rejected', true),
  ('old', 'Retired code', 'rejected', false),
  ('salary', 'Salary expectations', 'withdrawn', true);
-- 2 rejected, 3 withdrawn, 4 hired, 5 transferred to job 101
SELECT status FROM reject_candidate(2, 100, 'earlier', 'skills');
SELECT status FROM withdraw_candidate(3, 100, 'earlier', 'salary');
SELECT to_stage_name FROM move_to_next_stage(4, 100);
SELECT to_stage_name FROM move_to_next_stage(4, 100);
SELECT job_id, status FROM transfer_candidate(5, 100, 101);
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:b';
SET LOCAL workflow_ext.actor = 'user:bob';
INSERT INTO workflow (name) VALUES ('b') RETURNING id AS wfb \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wfb, 'b' || i, i FROM generate_series(1, 2) i;
SELECT count(*) AS jobs FROM assign_workflow(100, :wfb);
SELECT count(*) AS added FROM unnest(ARRAY[1, 2, 3, 20]) c, add_candidate(c, 100);
INSERT INTO rejection_reason (code, label, kind) VALUES ('bonly', 'B''s own code', 'rejected');
COMMIT;
RESET ROLE;
SELECT tenant, job_id, candidate_id, status FROM candidate_stage ORDER BY tenant, job_id, candidate_id;
SELECT max(id) AS history_before FROM stage_transition \gset

\echo '== 2. Mixed outcomes, one row per id in input order, nothing raised'
SET ROLE wf_br_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
-- 20 is org:b's candidate in org:b's job 100: not_found, exactly as 999 (no leak);
-- 6 twice: the second finds it rejected by the first
CREATE TEMP TABLE r1 AS
SELECT x.* FROM reject_candidates(100, ARRAY[1, 2, 999, 3, 4, 5, 20, NULL, 6, 6], 'position filled', 'skills')
       WITH ORDINALITY x(candidate_id, outcome, sqlstate, from_status, transition_id, detail, n);
SELECT n, candidate_id, outcome, sqlstate, from_status, transition_id IS NOT NULL AS has_transition, detail
  FROM r1 ORDER BY n;
-- each rejected row names its history row, written with the reason and the code
SELECT r.candidate_id, t.from_status, t.to_status, t.reason, t.reason_code, t.actor, t.from_stage_id = t.to_stage_id AS same_stage
  FROM r1 r JOIN stage_transition t ON t.id = r.transition_id ORDER BY r.n;
SELECT candidate_id, status FROM candidate_stage WHERE job_id = 100 ORDER BY candidate_id;
COMMIT;
-- the other tenant's same ids are untouched
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:b';
SET LOCAL workflow_ext.actor = 'user:bob';
SELECT candidate_id, status FROM candidate_stage WHERE job_id = 100 ORDER BY candidate_id;
COMMIT;
RESET ROLE;
-- the history written by the call: the two rejections, in input order, nothing else
SELECT tenant, candidate_id, from_status, to_status, reason_code FROM stage_transition
 WHERE id > :history_before ORDER BY id;

\echo '== 3. The feed has one status event per rejection, as for a single one (reason_code included)'
SET ROLE wf_br_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT e.event ->> 'kind' AS kind, e.event ->> 'candidate_id' AS candidate_id, e.event ->> 'to_status' AS to_status,
       e.event ->> 'reason_code' AS reason_code, (e.event ->> 'transition_id')::bigint = t.id AS names_history
  FROM workflow_events_since(NULL, 1000) e
  JOIN stage_transition t ON t.id = (e.event ->> 'transition_id')::bigint
 WHERE e.event ->> 'kind' = 'status' AND e.event ->> 'job_id' = '100'
 ORDER BY t.id;
COMMIT;

\echo '== 4. What is the whole call''s raises once, before anything changes'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_error('SELECT * FROM reject_candidates(NULL, ARRAY[7])') AS null_job;
SELECT test_error('SELECT * FROM reject_candidates(100, NULL)') AS null_ids;
SELECT test_error('SELECT * FROM withdraw_candidates(NULL, ARRAY[7])') AS null_job_withdraw;
SELECT test_error('SELECT * FROM reject_candidates(100, ARRAY[[7, 8]])') AS two_dimensions;
SELECT test_error('SELECT * FROM set_candidates_status(100, ARRAY[7], ''active'')') AS not_a_closing_status;
-- unknown, retired, of the other kind, another tenant's
SELECT test_error('SELECT * FROM reject_candidates(100, ARRAY[7, 8], ''r'', ''nope'')') AS unknown_code;
SELECT test_error('SELECT * FROM reject_candidates(100, ARRAY[7, 8], ''r'', ''old'')') AS retired_code;
SELECT test_error('SELECT * FROM reject_candidates(100, ARRAY[7, 8], ''r'', ''salary'')') AS withdrawn_code;
SELECT test_error('SELECT * FROM withdraw_candidates(100, ARRAY[7, 8], ''r'', ''skills'')') AS rejected_code;
SELECT test_error('SELECT * FROM reject_candidates(100, ARRAY[7, 8], ''r'', ''bonly'')') AS other_tenants_code;
-- a job the caller does not see (org:b's job 555 does not exist; nor does org:a's)
SELECT test_error('SELECT * FROM reject_candidates(555, ARRAY[7])') AS no_job;
-- an empty array: the checks still run, no row
SELECT count(*) AS rows FROM reject_candidates(100, '{}');
SELECT test_error('SELECT * FROM reject_candidates(555, ''{}'')') AS no_job_empty;
COMMIT;
-- no actor when one is required (a superuser's setting)
RESET ROLE;
SET workflow_ext.require_actor = on;
SET ROLE wf_br_app;
SELECT test_error('SELECT * FROM reject_candidates(100, ARRAY[7])') AS no_actor;
RESET ROLE;
RESET workflow_ext.require_actor;
-- (section 2's two rejections only)
SELECT count(*) AS history_rows_since_section_2 FROM stage_transition WHERE id > :history_before;
SELECT max(id) AS history_before FROM stage_transition \gset

\echo '== 5. A workflow that requires a reason code: without one, the whole call raises'
SET ROLE wf_br_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
UPDATE workflow SET requires_reason_code = true WHERE name = 'a';
-- (4 is hired: a single rejection of it says not_active first; the call's
-- code is the job's workflow's, asked before any candidate)
SELECT test_error('SELECT * FROM reject_candidates(100, ARRAY[4, 7, 8], ''no code'')') AS code_required;
SELECT test_error('SELECT * FROM withdraw_candidates(100, ARRAY[7], ''no code'')') AS code_required_withdraw;
SELECT test_error('SELECT * FROM reject_candidates(100, ''{}'')') AS code_required_empty;
-- with a code: done
SELECT candidate_id, outcome, sqlstate, from_status, detail FROM withdraw_candidates(100, ARRAY[7, 4], 'took another offer', 'salary');
SELECT t.candidate_id, t.to_status, t.reason, t.reason_code FROM stage_transition t WHERE t.id > :history_before ORDER BY t.id;
UPDATE workflow SET requires_reason_code = false WHERE name = 'a';
COMMIT;

\echo '== 6. Another refusal of one candidate (an application trigger''s 55000) is its row; any other error raises'
RESET ROLE;
CREATE FUNCTION br_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'rejected' AND NEW.candidate_id = 8 THEN
        RAISE EXCEPTION 'candidate 8 is on hold' USING ERRCODE = '55000', DETAIL = '{"reason": "on_hold"}';
    END IF;
    IF NEW.status = 'rejected' AND NEW.candidate_id = 9 AND current_setting('br.fail', true) = 'on' THEN
        RAISE EXCEPTION 'the application failed';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER zz_br_guard BEFORE UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION br_guard();
SELECT max(id) AS history_before FROM stage_transition \gset
SET ROLE wf_br_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT candidate_id, outcome, sqlstate, from_status, detail FROM reject_candidates(100, ARRAY[8, 9]);
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
SET LOCAL br.fail = on;
-- 11 first (rejected), then 9: the application's P0001 is not a refusal: raised, 11 undone with it
SELECT test_error('SELECT * FROM reject_candidates(100, ARRAY[11, 9])') AS application_error;
SELECT candidate_id, status FROM candidate_stage WHERE job_id = 100 AND candidate_id IN (9, 11) ORDER BY 1;
COMMIT;
RESET ROLE;
DROP TRIGGER zz_br_guard ON candidate_stage;
DROP FUNCTION br_guard();
SELECT count(*) AS history_rows_written FROM stage_transition WHERE id > :history_before;

\echo '== 7. As the caller: no SECURITY DEFINER, search_path pinned, EXECUTE as the other API functions'
SELECT p.oid::regprocedure AS function, p.prosecdef AS security_definer, p.proconfig,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_executes
  FROM pg_proc p WHERE p.proname IN ('reject_candidates', 'withdraw_candidates', 'set_candidates_status')
 ORDER BY p.proname;

\echo '== 8. 1,000 ids in one call: 950 rejected, 50 not found, each with its history row'
SET ROLE wf_br_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT count(*) AS jobs FROM assign_workflow(200, :wfa);
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 200, c FROM generate_series(1, 950) c;
COMMIT;
RESET ROLE;
SELECT max(id) AS history_before FROM stage_transition \gset
SET ROLE wf_br_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
CREATE TEMP TABLE r8 AS
SELECT x.* FROM reject_candidates(200, (SELECT array_agg(c ORDER BY c DESC) FROM generate_series(1, 1000) c),
                                     'closed', 'skills')
       WITH ORDINALITY x(candidate_id, outcome, sqlstate, from_status, transition_id, detail, n);
SELECT outcome, sqlstate, count(*), min(candidate_id), max(candidate_id) FROM r8 GROUP BY 1, 2 ORDER BY 1;
-- in input order (1000 down to 1)
SELECT bool_and(candidate_id = 1001 - n) AS in_input_order FROM r8;
SELECT count(*) AS history_rows, count(DISTINCT t.id) AS distinct_rows,
       bool_and(t.reason_code = 'skills' AND t.to_status = 'rejected') AS all_coded
  FROM r8 JOIN stage_transition t ON t.id = r8.transition_id;
-- history ids increase as the input goes (one row after another)
SELECT bool_and(a.transition_id < b.transition_id) AS history_in_input_order
  FROM r8 a JOIN r8 b ON b.n = a.n + 1 WHERE a.outcome = 'rejected' AND b.outcome = 'rejected';
SELECT status, count(*) FROM candidate_stage WHERE job_id = 200 GROUP BY 1;
COMMIT;
RESET ROLE;
SELECT count(*) AS history_rows_written FROM stage_transition WHERE id > :history_before;

\c :home
DROP DATABASE :own_db;
DROP ROLE wf_br_app;
