-- Repro facts21e/06 (after setup.sql and 00_fixture.psql).  The role current at the
-- statement's end, not the writer's at the row, evaluates the recorded changes.  r_app
-- (row-level security applies; actor user:nobody sees no pipeline of org:a) changes the
-- facts of candidates 1 and 2.  An owner's AFTER trigger, after the LAST row's facts trigger,
-- runs SET LOCAL role = r_bypass (BYPASSRLS, a member of workflow_app like the README's SLA
-- scheduler role; r_app is a member of it).
-- main and history_batch_size = 1: no event (both rows evaluated as r_app under RLS).
-- set-wise: events for 1 and 2, evaluated at the end with r_bypass's rights (RLS bypassed).
-- (With a role lacking SELECT on candidate_stage instead: 42501 where main succeeds.)
SET client_min_messages = warning;
DROP ROLE IF EXISTS r_bypass;
RESET client_min_messages;
CREATE ROLE r_bypass BYPASSRLS;
GRANT workflow_app TO r_bypass;
GRANT r_bypass TO r_app;
CREATE FUNCTION zz_switch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.candidate_id IN (2, 4) THEN SET LOCAL role = r_bypass; END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER zz_switch AFTER UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION zz_switch();
SET ROLE r_app;
SET workflow_ext.tenant = 'org:a';
BEGIN;
SET LOCAL workflow_ext.actor = 'user:nobody';
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id IN (1, 2);
SELECT current_user;
COMMIT;
RESET ROLE; SELECT 'set-wise' AS path, job_id, candidate_id, message FROM ev; SET ROLE r_app;
BEGIN;
SET LOCAL workflow_ext.actor = 'user:nobody';
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id IN (3, 4);
COMMIT;
RESET ROLE; SELECT 'after row-by-row' AS path, job_id, candidate_id, message FROM ev;
