-- Repro facts21e/01 (run after test/sql/setup.sql and test/repros/facts21e/00_fixture.psql).
-- An owner's AFTER trigger on candidate_profile (zz_: fires after the facts trigger) runs
-- the utility statement SET LOCAL workflow_ext.tenant (no ExecutorStart: nothing evaluates
-- the pending change there) after the first row.
-- history_batch_size = 1 (candidates 3, 4): 2 events ('has level' for 3 and 4).
-- main: ERROR 42501 (the statement's buffered events written under org:b).
-- set-wise (candidates 1, 2): NO event and no error: row 1's change, recorded under org:a,
-- is evaluated at the statement's end under org:b ("whatever the tenant setting is then")
-- and its event is silently lost.
SET workflow_ext.actor = 'user:x';
-- An owner's AFTER trigger on candidate_profile (fires after the facts trigger: name order)
-- switches workflow_ext.tenant for the rest of the transaction after the first row.
-- Row by row (history_batch_size = 1): row 1's change is evaluated in org:a (its event raised).
-- Set-wise: row 1's change is evaluated at the statement's end in the switched tenant.
CREATE FUNCTION zz_switch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.candidate_id = 1 THEN SET LOCAL workflow_ext.tenant = 'org:b'; END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER zz_switch AFTER UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION zz_switch();
SET ROLE r_app; SET workflow_ext.actor = 'user:x'; SET workflow_ext.actor = 'user:x';
SET workflow_ext.tenant = 'org:a';
BEGIN;
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id IN (1, 2);
SELECT current_setting('workflow_ext.tenant') AS tenant_after;
COMMIT;
SET workflow_ext.tenant = 'org:a';
RESET ROLE; SELECT 'set-wise' AS path, job_id, candidate_id, message FROM ev; SET ROLE r_app;
-- the same with the row-by-row path
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id IN (3, 4);
COMMIT;
SET workflow_ext.tenant = 'org:a';
RESET ROLE; SELECT 'after row-by-row' AS path, job_id, candidate_id, message FROM ev; SET ROLE r_app;
