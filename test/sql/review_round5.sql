-- Repros of the fifth red-team round (issues 18 and 19), kept as tests: each
-- failed before its fix.  (Owner-run functions for any LOGIN role and a
-- back-dated share offer: secure_defaults; a read-only grantee's transfer:
-- transfer_remove.)
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_r5_app;
RESET client_min_messages;
CREATE ROLE wf_r5_app;
GRANT workflow_app TO wf_r5_app;   -- the README's grant set (test/sql/include/app_grants.psql)
CREATE TABLE r5_rounds (n int);
INSERT INTO r5_rounds VALUES (0);
GRANT ALL ON r5_rounds TO wf_r5_app;

\echo '== 1. auto_advance stays bounded when an application trigger keeps sending the candidate back'
-- A deferred trigger of the application's moves whoever enters s2 back to s1;
-- s1 advances by itself.  Each move back used to start a fresh chain: at
-- COMMIT, s1 -> s2 -> s1 -> ... without end (the trigger below stops at 50).
-- Now a candidate enters a stage by itself at most once per transaction.
CREATE FUNCTION r5_back_to_s1() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s1 bigint;
    s2 bigint;
    rounds int;
BEGIN
    IF NEW.job_id <> 9501 THEN RETURN NULL; END IF;
    SELECT id INTO s1 FROM workflow_stage WHERE workflow_id = NEW.workflow_id AND position = 1;
    SELECT id INTO s2 FROM workflow_stage WHERE workflow_id = NEW.workflow_id AND position = 2;
    IF NEW.stage_id = s2 THEN
        UPDATE r5_rounds SET n = n + 1 RETURNING n INTO rounds;
        IF rounds > 50 THEN RETURN NULL; END IF;
        UPDATE candidate_stage SET stage_id = s1 WHERE id = NEW.id;
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER r5_back AFTER UPDATE ON candidate_stage
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION r5_back_to_s1();
SET ROLE wf_r5_app;
SET workflow_ext.tenant = 'org:r5';
SET workflow_ext.actor = 'user:ann';
SELECT test_workflow('R5 loop', 3, false) AS loop_wf \gset
INSERT INTO stage_rule (stage_id, name, condition)
VALUES (test_stage(:loop_wf, 2), 'ready', '{"field": "ready", "op": "eq", "value": true}');
SELECT job_id FROM assign_workflow(9501, :loop_wf);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (1, '{"ready": false}');
SELECT stage_id = test_stage(:loop_wf, 1) AS in_s1 FROM add_candidate(1, 9501);
UPDATE workflow_stage SET auto_advance = true WHERE id = test_stage(:loop_wf, 1);
UPDATE candidate_profile SET attributes = '{"ready": true}' WHERE candidate_id = 1;   -- one facts change
SELECT count(*) FILTER (WHERE reason = 'auto_advance') AS auto_moves,
       (SELECT n FROM r5_rounds) AS sent_back
  FROM stage_transition WHERE job_id = 9501 AND candidate_id = 1;
-- the next transaction may advance the candidate again (a new causing change)
UPDATE candidate_profile SET attributes = '{"ready": true, "again": 1}' WHERE candidate_id = 1;
SELECT count(*) FILTER (WHERE reason = 'auto_advance') AS auto_moves_later
  FROM stage_transition WHERE job_id = 9501 AND candidate_id = 1;
RESET ROLE;
DROP TRIGGER r5_back ON candidate_stage;

\echo '== 2. A chain of 1,000 auto_advance stages: the candidate is added, the chain goes 32 stages at a time'
-- It used to fail with 54001 (stack depth limit exceeded) and no JSON reason.
SET ROLE wf_r5_app;
SELECT test_workflow('R5 long', 1000, false) AS long_wf \gset
UPDATE workflow_stage SET auto_advance = true WHERE workflow_id = :long_wf;
INSERT INTO stage_rule (stage_id, name, condition)
SELECT id, 'ok', '{"field": "x", "op": "eq", "value": 1}'
  FROM workflow_stage WHERE workflow_id = :long_wf AND position > 1;
SELECT job_id FROM assign_workflow(9502, :long_wf);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (2, '{"x": 1}');
SELECT s.position FROM add_candidate(2, 9502) c JOIN workflow_stage s ON s.id = c.stage_id;
UPDATE candidate_profile SET attributes = '{"x": 1, "more": true}' WHERE candidate_id = 2;
SELECT s.position FROM candidate_stage c JOIN workflow_stage s ON s.id = c.stage_id
 WHERE c.job_id = 9502 AND c.candidate_id = 2;
RESET ROLE;

\echo '== 3. move_candidates reports only the engine''s refusals as outcomes'
-- An application trigger's P0002 was reported as not_found (the candidate is
-- in the job), its 55000 aborted the whole call instead of a refused row.
CREATE FUNCTION r5_app_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    x int;
BEGIN
    IF NEW.job_id = 9503 AND NEW.candidate_id = 2 THEN
        SELECT 1 INTO STRICT x FROM pg_catalog.pg_class WHERE false;   -- an application lookup that finds nothing
    END IF;
    IF NEW.job_id = 9504 AND NEW.candidate_id = 2 THEN
        RAISE EXCEPTION 'the application says no' USING ERRCODE = '55000';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER r5_app_trigger BEFORE UPDATE ON candidate_stage
    FOR EACH ROW EXECUTE FUNCTION r5_app_trigger();
SET ROLE wf_r5_app;
SELECT test_workflow('R5 bulk', 3, false) AS bulk_wf \gset
SELECT job_id FROM assign_workflow(9503, :bulk_wf);
SELECT job_id FROM assign_workflow(9504, :bulk_wf);
SELECT count(*) FROM generate_series(1, 3) g, add_candidate(g, 9503);
SELECT count(*) FROM generate_series(1, 3) g, add_candidate(g, 9504);
-- the application's P0002 is its error, raised: nothing moves
SELECT test_error('SELECT * FROM move_candidates(9503, ARRAY[1, 2, 3]::bigint[])') AS app_p0002;
SELECT count(*) AS moved_in_9503 FROM stage_transition WHERE job_id = 9503 AND from_stage_id IS NOT NULL;
-- the application's 55000 is a refused row; the others move
SELECT candidate_id, outcome, sqlstate FROM move_candidates(9504, ARRAY[1, 2, 3]::bigint[]);
-- a candidate that is not in the job is still the engine's not_found
SELECT candidate_id, outcome, sqlstate, detail->>'reason' AS reason
  FROM move_candidates(9504, ARRAY[99]::bigint[]);
RESET ROLE;
DROP TRIGGER r5_app_trigger ON candidate_stage;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
DROP TABLE r5_rounds;
DROP FUNCTION r5_back_to_s1(), r5_app_trigger();
