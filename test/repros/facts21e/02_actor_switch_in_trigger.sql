-- Repro facts21e/02 (after setup.sql and 00_fixture.psql).  An owner's AFTER trigger on
-- candidate_profile (zz_: after the facts trigger) runs SET LOCAL workflow_ext.actor = 'user:x'
-- (a utility statement) after the first row; the statement started as actor user:nobody,
-- who sees no pipeline of workflow W.  same_rights() compares role, security context and the
-- tenant setting, not the actor (which decides own_pipeline(), and the tenant when
-- workflow_ext.tenant is unset), so row 2 is recorded as well and row 1's change is
-- evaluated at the end as user:x.
-- main: one event (candidate 2).  history_batch_size = 1: one event (candidate 4).
-- set-wise: two events (candidates 1 AND 2): a change made by an actor that cannot see
-- the pipeline raises its alert.
SET workflow_ext.actor = 'user:x';
CREATE FUNCTION zz_switch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.candidate_id IN (1, 3) THEN SET LOCAL workflow_ext.actor = 'user:x'; END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER zz_switch AFTER UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION zz_switch();
SET ROLE r_app;
SET workflow_ext.tenant = 'org:a';
BEGIN;
SET LOCAL workflow_ext.actor = 'user:nobody';
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id IN (1, 2);
COMMIT;
RESET ROLE; SELECT 'set-wise' AS path, job_id, candidate_id, message FROM ev; SET ROLE r_app;
BEGIN;
SET LOCAL workflow_ext.actor = 'user:nobody';
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id IN (3, 4);
COMMIT;
RESET ROLE; SELECT 'after row-by-row' AS path, job_id, candidate_id, message FROM ev;
