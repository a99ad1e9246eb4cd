-- attack12 D1b (low, not fixed): the same evaluation-ahead, seen in the event
-- ids taken by a statement that fails in the evaluation of a later change (here
-- 42501 on job_profile, a writer without SELECT on it; alert_event readable)
-- and is rolled back to a savepoint: sequence values are not rolled back, so
-- the next events' ids depend on how many ids the failed statement took.
--   psql -X -f test/repros/attack12/02_ids_after_savepoint.sql   (fresh database, superuser)
-- Expected (row by row, history_batch_size 1): ids_taken 1 (candidate 1's first
--   event written, the second's id not taken before candidate 4 fails).
-- Actual: set-wise 0 (facts8 evaluates the whole run before buffering any event).
--   Before facts8 (4ad9093) set-wise took 2 (both of candidate 1's events buffered
--   first): it differed from row by row already, the other way.
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
