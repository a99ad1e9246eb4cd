-- A move, a status change and an SLA event can be part of a two-phase commit:
-- the wake-up (NOTIFY workflow_events) is queued until commit, so PREPARE
-- TRANSACTION finds no NOTIFY; the feed carries the events.  (Run with
-- max_prepared_transactions > 0, as test.sh does; with 0, PostgreSQL refuses
-- every PREPARE: two_phase_1.out.)
\set SHOW_CONTEXT never
SET workflow_ext.actor = 'user:2pc';
SELECT test_workflow('Two-phase', 3) AS wid \gset
SELECT job_id FROM assign_workflow(71010, :wid);
SELECT candidate_id FROM add_candidate(91, 71010);

BEGIN;
SET LOCAL workflow_ext.actor = 'user:2pc';
SELECT to_stage_name FROM move_to_next_stage(91, 71010);
PREPARE TRANSACTION 'workflow_ext_two_phase';
SELECT stage_id = test_stage(:wid, 1) AS not_yet_moved FROM candidate_stage WHERE job_id = 71010;
COMMIT PREPARED 'workflow_ext_two_phase';
SELECT stage_id = test_stage(:wid, 2) AS moved FROM candidate_stage WHERE job_id = 71010;
SELECT event->>'kind' AS kind, event->>'candidate_id' AS candidate
  FROM workflow_events_since(NULL, 100000) WHERE event->>'job_id' = '71010';

-- A rolled-back prepared move leaves nothing.
BEGIN;
SET LOCAL workflow_ext.actor = 'user:2pc';
SELECT status FROM reject_candidate(91, 71010, 'no');
PREPARE TRANSACTION 'workflow_ext_two_phase_2';
ROLLBACK PREPARED 'workflow_ext_two_phase_2';
SELECT status FROM candidate_stage WHERE job_id = 71010;
