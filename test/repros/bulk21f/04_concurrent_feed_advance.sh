#!/bin/bash
# (held: output identical to main 83b2b7e)
# 04: feed_advance() committed by another session around a REPEATABLE READ / READ COMMITTED mover
# (history_batch_size = 1, three moves in one transaction).  Prints each history row's generation
# relative to the start; compare with main.  Usage as run.sh (sandbox, worktree, after make install).
D=$(cd "$(dirname "$0")" && pwd); cd "$D/../../.."
dropdb --if-exists att >/dev/null 2>&1; createdb att
psql -X -q -d att -f test/sql/setup.sql >/dev/null 2>&1
psql -X -q -d att -f "$D/00_fixture.sql" >/dev/null 2>&1
S2=$(psql -X -qtA -d att -c "SELECT s.id FROM workflow_stage s JOIN workflow w ON w.id = s.workflow_id WHERE w.name = 'Att' AND s.position = 2")
G0=$(psql -X -qtA -d att -c "SELECT feed_generation()")
ADV="SELECT feed_advance(((feed_generation() + 1) * 281474976710656::numeric)::text::xid8)"
for iso in 'REPEATABLE READ' 'READ COMMITTED'; do
  J=$([ "$iso" = 'READ COMMITTED' ] && echo 9003 || echo 9001)
  ( psql -X -q -d att <<SQL
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x'; SET ROLE att_app;
SET workflow_ext.history_batch_size = 1;
BEGIN ISOLATION LEVEL $iso;
SELECT count(*) >= 0 AS snap FROM candidate_stage;
SELECT pg_sleep(1.5);
UPDATE candidate_stage SET stage_id = $S2 WHERE job_id = $J AND candidate_id = 1;
SELECT pg_sleep(1.5);
UPDATE candidate_stage SET stage_id = $S2 WHERE job_id = $J AND candidate_id = 2;
COMMIT;
SQL
  ) >/dev/null 2>&1 &
  sleep 0.5
  psql -X -qtA -d att -c "$ADV" >/dev/null   # committed before A's first move
  sleep 1.5
  psql -X -qtA -d att -c "SET lock_timeout = '5s'; $ADV" 2>&1 | sed 's/^/advance during A: /' # waits for A
  wait
done
psql -X -d att -c "SELECT job_id, candidate_id, div(xact_id::text::numeric, 281474976710656)::bigint - $G0 AS gen,
  (SELECT count(*) FROM alert_event e WHERE e.transition_id = t.id AND div(e.xact_id::text::numeric, 281474976710656)::bigint <> div(t.xact_id::text::numeric, 281474976710656)::bigint) AS events_other_gen
  FROM stage_transition t WHERE from_stage_id IS NOT NULL ORDER BY id"
psql -X -qtA -d att -c "SELECT feed_generation() - $G0 AS advanced"
