-- The stage visits' plans outlive no table size (issue 21): the history guard
-- records each history row's stage visits (stage_visits.c) with two kept
-- plans that probe stage_transition and stage_visit_row.  Prepared while the
-- tables were empty, a kept plan probed them by a sequential scan for the rest
-- of the session, and a statement of many moves read the whole history per
-- row (quadratic: 87% of a move at 20,000 moves in one statement).  The plans
-- are prepared again as the tables grow; here a fresh database (empty history
-- when the first plan is made) and one statement entering 3,000 candidates
-- must make far fewer sequential scans of stage_visit_row than one per row
-- (pg_stat_xact_user_tables: this transaction's scans).  Stands alone.
\set own_db wf_history_plans
\i test/sql/include/own_database.psql
\i test/sql/include/no_autovacuum.psql   -- (candidate_stage never analyzed: section 3)
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_hp_app;
RESET client_min_messages;
CREATE ROLE wf_hp_app;
GRANT workflow_app TO wf_hp_app;          -- the README's grant set (own_database.psql)
SET workflow_ext.actor = 'user:ann';
SET workflow_ext.tenant = 'org:a';
INSERT INTO workflow (name) VALUES ('plans') RETURNING id AS wid \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wid, 's' || i, i FROM generate_series(1, 3) i;
INSERT INTO job_workflow (job_id, workflow_id) VALUES (10, :wid);
VACUUM ANALYZE stage_transition, stage_visit_row;

\echo '== 1. 3,000 entries in one statement, the plans first made against empty tables'
-- (each history row's visits written at once, by the guard's two statements:
-- the statement's history written row at a time)
SELECT pg_stat_force_next_flush();   -- (pg_stat_xact_* counts earlier transactions' scans until they are flushed)
SET ROLE wf_hp_app;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 10, c FROM generate_series(1, 3000) c;
SELECT (SELECT count(*) FROM stage_transition) AS history,
       (SELECT count(*) FROM stage_visit_row WHERE left_at IS NULL) AS open_visits;
RESET ROLE;
SELECT seq_scan < 1000 AS few_visit_scans, idx_scan > 2000 AS visits_by_index
  FROM pg_stat_xact_user_tables WHERE relid = 'stage_visit_row'::regclass;
COMMIT;

\echo '== 2. The next moves close and open visits as before'
SET ROLE wf_hp_app;
SELECT count(*) AS moved FROM generate_series(1, 3000) c, move_to_next_stage(c, 10);
SELECT count(*) FILTER (WHERE left_at IS NULL) AS open_visits,
       count(*) FILTER (WHERE left_at IS NOT NULL AND next_stage_id IS NOT NULL) AS closed_visits
  FROM stage_visit_row;
SELECT count(*) AS visits_equal_view
  FROM stage_visit_row r JOIN stage_visit v ON v.transition_id = r.id
 WHERE v.stage_id = r.stage_id AND v.left_at IS NOT DISTINCT FROM r.left_at;
RESET ROLE;

\echo '== 3. move_candidates on a candidate_stage without statistics reads each id, not the job per batch'
-- candidate_stage was never analyzed in this database (autovacuum kept off
-- for it): the planner's default estimates once made move_candidates' batch
-- statements read the job's 3,000 rows through the pipeline key per batch of
-- 256 ids (about 70,000 rows fetched; quadratic in the job's size).
SELECT reltuples < 0 AS never_analyzed FROM pg_class WHERE oid = 'candidate_stage'::regclass;
SELECT pg_stat_force_next_flush();   -- (pg_stat_xact_* counts earlier transactions' scans until they are flushed)
SET ROLE wf_hp_app;
BEGIN;
SELECT outcome, count(*) FROM move_candidates(10, (SELECT array_agg(c) FROM generate_series(1, 3000) c)) GROUP BY 1;
RESET ROLE;
SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) < 15 * 3000 AS read_per_id
  FROM pg_stat_xact_user_tables WHERE relid = 'candidate_stage'::regclass;
COMMIT;
SELECT count(*) AS in_last_stage FROM candidate_stage c JOIN workflow_stage s ON s.id = c.stage_id WHERE s.position = 3;

\echo '== 4. Set-wise (one history INSERT per 1,000 changes): their visits by one UPDATE and one INSERT each, no scan per row'
-- a second job, its plans first made while its visits were few: 3,000
-- entries, then 3,000 moves, each one statement
INSERT INTO job_workflow (job_id, workflow_id) VALUES (11, :wid);
SELECT pg_stat_force_next_flush();   -- (pg_stat_xact_* counts earlier transactions' scans until they are flushed)
SET ROLE wf_hp_app;
BEGIN;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 11, c FROM generate_series(1, 3000) c;
UPDATE candidate_stage SET stage_id = (SELECT id FROM workflow_stage WHERE workflow_id = :wid AND position = 2)
 WHERE job_id = 11;
RESET ROLE;
SELECT seq_scan < 20 AS few_visit_scans
  FROM pg_stat_xact_user_tables WHERE relid = 'stage_visit_row'::regclass;
COMMIT;
SELECT count(*) FILTER (WHERE left_at IS NULL) AS open_visits,
       count(*) FILTER (WHERE left_at IS NOT NULL AND next_stage_id IS NOT NULL) AS closed_visits
  FROM stage_visit_row WHERE job_id = 11;
SELECT count(*) AS visits_equal_view
  FROM stage_visit_row r JOIN stage_visit v ON v.transition_id = r.id
 WHERE r.job_id = 11 AND v.stage_id = r.stage_id AND v.left_at IS NOT DISTINCT FROM r.left_at;

\echo '== 5. A change of facts of 3,000 profiles, set-wise: the pipeline read by candidate, no scan'
-- (the set-wise facts read, facts_changed_trigger.c: as a join the planner ordered, made while
-- the statistics said no pipeline row had a visit, e.g. after a bulk load, it scanned
-- candidate_stage once per change: quadratic.  Read by one scan over a run's candidates, on
-- this never analyzed candidate_stage: the tenant and status as index conditions read every
-- active row through the standing index once per run (36,032 rows fetched), and a plan made
-- for each run's own keys scanned the table once per run.)
INSERT INTO candidate_profile (candidate_id, attributes) SELECT c, '{"n": 0}' FROM generate_series(1, 3000) c;
SELECT pg_stat_force_next_flush();   -- (pg_stat_xact_* counts earlier transactions' scans until they are flushed)
SET ROLE wf_hp_app;
BEGIN;
UPDATE candidate_profile SET attributes = '{"n": 1}' WHERE candidate_id <= 3000;
RESET ROLE;
SELECT seq_scan AS scans, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) < 4 * 3000 AS rows_read_by_candidate
  FROM pg_stat_xact_user_tables WHERE relid = 'candidate_stage'::regclass;
COMMIT;

\c :home
DROP DATABASE :own_db;
DROP ROLE wf_hp_app;
