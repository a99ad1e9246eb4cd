-- workflow_events_since(): the durable event feed (see also
-- test/specs/event_feed_order.spec for commit order).  Stands alone.
\set own_db wf_event_feed
\i test/sql/include/own_database.psql
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_feed_app;
CREATE ROLE wf_feed_app;
GRANT workflow_app TO wf_feed_app;
RESET client_min_messages;
SET ROLE wf_feed_app;
SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Feed') RETURNING id AS wid \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:wid, 'f1', 1), (:wid, 'f2', 2);
INSERT INTO alert (stage_id, field_name, operator, message)
SELECT id, 'x', 'not_exists', 'no x' FROM workflow_stage WHERE workflow_id = :wid AND position = 2;
SELECT job_id FROM assign_workflow(500, :wid);
SELECT candidate_id FROM add_candidate(1, 500);
SELECT to_stage_name FROM move_to_next_stage(1, 500);
SELECT status FROM reject_candidate(1, 500, 'why');
-- Every kind, in order, each with the ids a consumer needs.
SELECT event->>'kind' AS kind, (event->>'transition_id') IS NOT NULL AS has_transition,
       event ? 'alert_event_id' AS has_alert_event, event->>'reason' AS reason
  FROM workflow_events_since();
-- Paging: the cursor of the last row resumes after it; nothing is repeated.
SELECT cursor AS c1 FROM workflow_events_since(NULL, 1) \gset
SELECT count(*) AS after_first FROM workflow_events_since(:'c1');
SELECT count(*) AS all_events FROM workflow_events_since();
SELECT cursor AS last FROM workflow_events_since() OFFSET 3 \gset
SELECT count(*) AS after_last FROM workflow_events_since(:'last');
-- Another tenant sees nothing of these (row-level security).
SET workflow_ext.actor = 'user:bob';
SELECT count(*) AS bob_sees FROM workflow_events_since();
RESET workflow_ext.actor;
-- Bad input: 22023 naming what is wrong.
SELECT test_error($$SELECT * FROM workflow_events_since('nonsense')$$);
SELECT test_error($$SELECT * FROM workflow_events_since('1:3:3')$$);
SELECT test_error($$SELECT * FROM workflow_events_since(NULL, 0)$$);
SELECT test_error($$SELECT * FROM workflow_events_since(NULL, NULL)$$);
-- Own uncommitted events are not in the feed: they are not committed yet.
BEGIN;
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT status FROM reopen_candidate(1, 500);
SELECT count(*) AS still_all_events FROM workflow_events_since();
ROLLBACK;

RESET ROLE;
\c :home
DROP DATABASE :own_db;
DROP ROLE wf_feed_app;
