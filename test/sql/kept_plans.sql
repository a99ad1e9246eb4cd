-- The extension's kept statements (kept_plans.c) look rows up by key; their
-- generic plan is made with sequential scans priced out, whatever the
-- statistics said when it was made.  Here every plan is first made while
-- the tables hold a handful of rows and were just analyzed (what a young
-- database, or a bench's fresh fixture, looks like), under
-- plan_cache_mode = force_generic_plan (a session may set it: the plan made
-- first is then kept); the tables then grow 2,000-fold in the same session,
-- with no ANALYZE (autovacuum off here) and nothing else that would
-- invalidate a plan.  A move, a change of facts and a bulk move must then
-- read no table by a sequential scan: one would be a scan of 20,000 rows per
-- move; nor read more than 50 rows of one by an index (a full scan in index
-- order, which enable_seqscan = off does not price out: section 6).
-- Counted per transaction (pg_stat_xact_user_tables, after the
-- earlier transactions' counts are flushed).  In a database of its own.
\set own_db wf_kept_plans
\i test/sql/include/own_database.psql
\i test/sql/include/no_autovacuum.psql
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_kp_app;
RESET client_min_messages;
CREATE ROLE wf_kp_app;
GRANT workflow_app TO wf_kp_app;
CREATE FUNCTION kp_scans() RETURNS TABLE (relname name, seq_scan bigint, rows_read bigint)
LANGUAGE sql AS $$
SELECT relname, seq_scan, seq_tup_read + coalesce(idx_tup_fetch, 0)
  FROM pg_stat_xact_user_tables
 WHERE (seq_scan > 0 OR seq_tup_read + coalesce(idx_tup_fetch, 0) > 50)
   AND relname IN ('candidate_stage', 'stage_transition', 'stage_visit_row', 'alert_event',
                                    'candidate_profile', 'job_profile')
 ORDER BY 1 $$;
GRANT EXECUTE ON FUNCTION kp_scans() TO wf_kp_app;

\echo '== 1. The plans made while the tables hold a handful of rows'
SET ROLE wf_kp_app;
SET workflow_ext.tenant = 'org:kp';
SET workflow_ext.actor = 'user:kim';
SET plan_cache_mode = force_generic_plan;
INSERT INTO workflow (name) VALUES ('kept') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 4) i;
SELECT id AS s2 FROM workflow_stage WHERE workflow_id = :wf AND position = 2 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s2, 'n', 'gte', '5', 'n at least 5');
SELECT count(*) AS jobs FROM assign_workflow(70, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT c, '{"n": 1}' FROM generate_series(1, 4) c;
SELECT count(*) AS entered FROM generate_series(1, 4) c, add_candidate(c, 70);
RESET ROLE;
ANALYZE candidate_stage, stage_transition, stage_visit_row, alert_event, candidate_profile;
SET ROLE wf_kp_app;
-- each path once (one move, one change of facts raising an alert, a bulk move of two)
SELECT to_stage_name FROM move_to_next_stage(1, 70);
UPDATE candidate_profile SET attributes = '{"n": 6}' WHERE candidate_id = 1;
SELECT outcome, count(*) FROM move_candidates(70, ARRAY[2, 3]) GROUP BY 1;

\echo '== 2. The tables grow 2,000-fold (8,000 alert events), nothing analyzed'
INSERT INTO candidate_profile (candidate_id, attributes) SELECT c, '{"n": 9}' FROM generate_series(100, 8099) c;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 70, c FROM generate_series(100, 8099) c;
SELECT count(*) AS moved FROM move_candidates(70, (SELECT array_agg(c) FROM generate_series(100, 8099) c));
SELECT count(*) AS alert_events FROM alert_event;
RESET ROLE;
SELECT relname, reltuples < 100 AS statistics_of_a_handful FROM pg_class
 WHERE relname IN ('candidate_stage', 'stage_transition', 'stage_visit_row', 'alert_event') ORDER BY 1;

\echo '== 3. One move: no sequential scan'
SELECT pg_stat_force_next_flush();   -- (pg_stat_xact_* counts earlier transactions' scans until they are flushed)
SET ROLE wf_kp_app;
BEGIN;
SELECT to_stage_name FROM move_to_next_stage(4, 70);
SELECT * FROM kp_scans();
COMMIT;

\echo '== 4. One change of facts (an alert fires): no sequential scan'
RESET ROLE;
SELECT pg_stat_force_next_flush();
SET ROLE wf_kp_app;
BEGIN;
UPDATE candidate_profile SET attributes = '{"n": 7}' WHERE candidate_id = 4;
SELECT * FROM kp_scans();
COMMIT;

\echo '== 5. A bulk move of ten: no sequential scan'
RESET ROLE;
SELECT pg_stat_force_next_flush();
SET ROLE wf_kp_app;
BEGIN;
SELECT outcome, count(*) FROM move_candidates(70, (SELECT array_agg(c) FROM generate_series(100, 109) c)) GROUP BY 1;
SELECT * FROM kp_scans();
COMMIT;

\echo '== 6. A bulk move of ten: the visits of those ten read, not every visit'
-- (close_rows_plan of stage_visits.c, made in section 1 while the visits were
-- a handful: read with sequential scans priced out, it once scanned the whole
-- visit table by its primary key, the batch's rows joined to each visit)
RESET ROLE;
SELECT pg_stat_force_next_flush();
SET ROLE wf_kp_app;
BEGIN;
SELECT outcome, count(*) FROM move_candidates(70, (SELECT array_agg(c) FROM generate_series(110, 119) c)) GROUP BY 1;
SELECT relname, idx_tup_fetch BETWEEN 1 AND 100 AS visits_of_the_ten_read
  FROM pg_stat_xact_user_tables WHERE relname = 'stage_visit_row';
COMMIT;
RESET plan_cache_mode;
RESET ROLE;
\c :home
DROP DATABASE :own_db;
DROP ROLE wf_kp_app;
