-- The event feed never gets stuck across a restore into another cluster:
-- positions are generation << 48 | transaction id, and a cluster the database
-- is restored into takes the next generation (feed_origin), so a consumer's
-- cursor from the old cluster, far ahead of the new cluster's transaction
-- ids, still sees every event written after the restore, and nothing twice.
\set SHOW_CONTEXT never
SET workflow_ext.actor = 'user:feed';
SELECT test_workflow('Feed restore', 3) AS wid \gset
SELECT job_id FROM assign_workflow(71030, :wid);
SELECT candidate_id FROM add_candidate(93, 71030);
-- This cluster is generation 0 (a database that never moved keeps plain ids).
SELECT id, system_identifier = (SELECT system_identifier::text FROM pg_control_system()) AS this_cluster
  FROM feed_origin ORDER BY id;
SELECT feed_generation();
SELECT xact_id < '281474976710656'::xid8 AS plain_transaction_id
  FROM stage_transition WHERE job_id = 71030;

-- As if the database had been dumped from another cluster, whose transaction
-- ids ran far ahead, and restored here: its feed_origin names that cluster,
-- and its consumer's cursor is at a position this cluster has not reached.
UPDATE feed_origin SET system_identifier = 'another cluster' WHERE id = 0;
SELECT format('%s:0:%s', 9000000000, 999999) AS old_cursor \gset
\c
SET workflow_ext.actor = 'user:feed';
SELECT feed_generation() AS generation_before_first_event;
SELECT to_stage_name FROM move_to_next_stage(93, 71030);
SELECT id, system_identifier = (SELECT system_identifier::text FROM pg_control_system()) AS this_cluster
  FROM feed_origin ORDER BY id;
SELECT event->>'kind' AS kind, event->>'candidate_id' AS candidate, split_part(cursor, ':', 1)::numeric >= 281474976710656 AS next_generation
  FROM workflow_events_since(:'old_cursor') WHERE event->>'job_id' = '71030';
-- Only the app's own rights: no one but the extension writes feed_origin.
SELECT has_table_privilege('public', 'feed_origin', 'SELECT') AS public_reads,
       has_function_privilege('public', 'feed_xact_id()', 'EXECUTE') AS public_stamps;

-- A tenant moved in from another shard keeps its events' positions
-- (shard_tenant_import): feed_advance(after) makes every later position of
-- this cluster sort after them, taking a new generation only when its next
-- position is not already past after.
SELECT feed_advance('1000'::xid8) = feed_generation() AS unchanged_when_behind;
SELECT feed_advance((5 * 281474976710656::numeric + 7)::text::xid8) AS generation;
SELECT id, system_identifier = (SELECT system_identifier::text FROM pg_control_system()) AS this_cluster
  FROM feed_origin ORDER BY id;
SELECT to_stage_name IS NOT NULL AS moved FROM move_to_next_stage(93, 71030);
SELECT xact_id > (5 * 281474976710656::numeric + 7)::text::xid8 AS after_the_copied_positions
  FROM stage_transition WHERE job_id = 71030 ORDER BY id DESC LIMIT 1;
SELECT has_function_privilege('public', 'feed_advance(xid8)', 'EXECUTE') AS public_advances;
