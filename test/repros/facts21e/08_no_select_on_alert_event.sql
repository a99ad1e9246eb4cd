-- Repro facts21e/08 (after setup.sql and 00_fixture.psql), low severity: a facts-sync role
-- narrower than the README's grant set (no SELECT on alert_event) changes facts that fire no
-- alert.  main and history_batch_size = 1: fine (alert_event is only read when an event is to
-- be written).  set-wise (two rows or more): 42501, the locking read reads alert_event always.
SET workflow_ext.actor = 'user:x';
SET client_min_messages = warning;
DROP ROLE IF EXISTS r_sync;
RESET client_min_messages;
CREATE ROLE r_sync;
GRANT SELECT, UPDATE ON candidate_profile, candidate_stage, job_profile, job_workflow TO r_sync;
GRANT SELECT ON workflow, workflow_stage, stage_rule, alert, facts_source TO r_sync;
GRANT INSERT ON alert_event, stage_transition TO r_sync;
GRANT EXECUTE ON FUNCTION visible_workflow_array(), editable_workflow_array(), shared_workflow_array(boolean),
      shared_pipeline(bigint, text, boolean), own_pipeline(bigint, text, boolean) TO r_sync;
SET ROLE r_sync;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"score": 1}' WHERE candidate_id IN (3, 4);
RESET workflow_ext.history_batch_size;
UPDATE candidate_profile SET attributes = '{"score": 1}' WHERE candidate_id IN (1, 2);
