-- attack12 D1 (medium): the set-wise facts read evaluates a whole run's rows before
-- buffering any (facts8), so an error the evaluation of a LATER change raises
-- now comes before the error an EARLIER change's events raise (row by row,
-- and the set-wise read before facts8: the earlier change's error first).
-- Here: a writer without SELECT on alert_event (the events' repeats read:
-- 42501 on alert_event) and without SELECT on job_profile (a stage alert on
-- the job's facts: 42501 on job_profile).  Candidate 1 (updated first, heap
-- order) stands in Screen, whose alert 'flagged' fires; candidate 4 stands in
-- Onsite, whose alert reads the job's facts.
--   psql -X -f test/repros/attack12/01_error_order.sql   (fresh database, superuser)
-- Expected (row by row = history_batch_size 1):  ERROR: permission denied for table alert_event
--   for both statements.
-- Actual (set-wise, default batch size):         ERROR: permission denied for table job_profile
-- (4ad9093, before facts8: alert_event, as row by row.  Fixed on branch attack12, 3658f48:
-- no visit past the first where an alert fires is evaluated ahead when the writer cannot
-- read alert_event; test attack12 section 2.)
\set ON_ERROR_STOP 1
\i test/repros/attack12/00_fixture.sql
\set ON_ERROR_STOP 0
BEGIN;
REVOKE SELECT ON alert_event, job_profile FROM workflow_app;
SET LOCAL ROLE app;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
SAVEPOINT s;
SET LOCAL workflow_ext.history_batch_size = 1;
\echo 'row by row:'
UPDATE candidate_profile SET attributes = '{"flag": true}' WHERE candidate_id IN (1, 4);
ROLLBACK TO s;
SET LOCAL workflow_ext.history_batch_size = 1000;
\echo 'set-wise:'
UPDATE candidate_profile SET attributes = '{"flag": true}' WHERE candidate_id IN (1, 4);
ROLLBACK;
