-- attack12 D1 (ids): the same evaluation-ahead, seen in the event ids.  A
-- statement whose later change fails in its evaluation (here: 42501 on
-- job_profile, a writer without SELECT on it) used to take the ids of the
-- earlier changes' events before failing (row by row: the events inserted;
-- set-wise before facts8: buffered, each taking its id), so after ROLLBACK TO
-- SAVEPOINT the next event ids are the same whichever path ran.  Set-wise now
-- evaluates the whole run first: the error comes before any id is taken.
--   psql -X -f test/repros/attack12/02_ids_after_savepoint.sql   (fresh database, superuser)
-- Expected: ids_taken = 2 for both paths (candidate 1's 'flagged' in jobs 100 and 101).
-- Actual:   row by row 2, set-wise 0.
\set ON_ERROR_STOP 1
\i test/repros/attack12/00_fixture.sql
\set ON_ERROR_STOP 0
CREATE TABLE mark (path text PRIMARY KEY, before bigint, after bigint);
BEGIN;
REVOKE SELECT ON job_profile FROM workflow_app;
INSERT INTO mark SELECT 'row by row', last_value, NULL FROM alert_event_id_seq;
SET LOCAL ROLE app;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
SAVEPOINT s;
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"flag": true}' WHERE candidate_id IN (1, 4);
ROLLBACK TO s;
RESET ROLE;
UPDATE mark SET after = (SELECT last_value FROM alert_event_id_seq) WHERE path = 'row by row';
INSERT INTO mark SELECT 'set-wise', last_value, NULL FROM alert_event_id_seq;
SET LOCAL ROLE app;
SAVEPOINT s2;
SET LOCAL workflow_ext.history_batch_size = 1000;
UPDATE candidate_profile SET attributes = '{"flag": true}' WHERE candidate_id IN (1, 4);
ROLLBACK TO s2;
RESET ROLE;
UPDATE mark SET after = (SELECT last_value FROM alert_event_id_seq) WHERE path = 'set-wise';
SELECT path, after - before AS ids_taken FROM mark ORDER BY path;
ROLLBACK;
DROP TABLE mark;
