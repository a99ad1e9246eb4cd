-- Many moves in one transaction (issue 21, item 4): a move costs the same
-- work whether it is the first of its transaction or the thousandth.  Bounded
-- structurally, not by timing: the work a move does is the functions it calls
-- and the state it leaves behind for the transaction.  In one transaction,
-- after a first batch of moves (caches warm), two equal batches must
-- (1) call every function of the extension and every policy helper exactly
--     as many times (pg_stat_xact_user_functions, track_functions = all):
--     nothing is re-done per move for the moves before it;
-- (2) leave at most 1 KB of memory in use behind per move (measured: about
--     500 bytes: PostgreSQL's queue of the two deferred foreign-key checks of
--     the pipeline row, and the commit-time wake-up): no per-transaction
--     list, hash, plan or snapshot that a later move would scan grows faster.
-- The same for moves each in its own subtransaction (a savepoint per move, as
-- an ORM's nested atomic block makes, or a PL/pgSQL EXCEPTION block) and for
-- move_candidates().  Everything runs as wf_mpt_app, an ordinary role
-- (row-level security applies).
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_mpt_app;
RESET client_min_messages;
CREATE ROLE wf_mpt_app;
GRANT workflow_app TO wf_mpt_app;   -- the README's grant set (test/sql/include/app_grants.psql)
-- The backend's memory in use, all contexts (pg_backend_memory_contexts is the superuser's).
CREATE FUNCTION mpt_memory() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$
SELECT sum(used_bytes)::bigint FROM pg_backend_memory_contexts $$;
GRANT EXECUTE ON FUNCTION mpt_memory() TO PUBLIC;
-- Calls of each function in this transaction so far.
-- The calls of the extension's functions per batch, but for those a row-level security policy
-- calls: how often a policy's function runs is the plan's (per row scanned, or once as an
-- InitPlan), and an ANALYZE by autovacuum between two batches may change it.
CREATE FUNCTION mpt_calls() RETURNS TABLE (funcname name, calls bigint) LANGUAGE sql AS $$
SELECT f.funcname, sum(f.calls)::bigint FROM pg_stat_xact_user_functions f
 WHERE f.funcname NOT LIKE 'mpt\_%'
   AND f.funcid NOT IN (SELECT d.refobjid FROM pg_depend d
                         WHERE d.classid = 'pg_policy'::regclass AND d.refclassid = 'pg_proc'::regclass)
 GROUP BY f.funcname $$;
GRANT EXECUTE ON FUNCTION mpt_calls() TO PUBLIC;
-- The calls of the batch between two snapshots, per function.
CREATE FUNCTION mpt_batch(before jsonb, after jsonb) RETURNS jsonb LANGUAGE sql AS $$
SELECT coalesce(jsonb_object_agg(a.key, a.value::bigint - coalesce((before ->> a.key)::bigint, 0))
                FILTER (WHERE a.value::bigint <> coalesce((before ->> a.key)::bigint, 0)), '{}')
  FROM jsonb_each_text(after) a $$;
GRANT EXECUTE ON FUNCTION mpt_batch(jsonb, jsonb) TO PUBLIC;
CREATE FUNCTION mpt_snapshot() RETURNS jsonb LANGUAGE sql AS $$
SELECT coalesce(jsonb_object_agg(funcname, calls), '{}') FROM mpt_calls() $$;
GRANT EXECUTE ON FUNCTION mpt_snapshot() TO PUBLIC;
-- Moves candidates lo..hi of job jid one way: 'statement' (one statement),
-- 'savepoint' (a PL/pgSQL EXCEPTION block per move: a subtransaction each),
-- 'bulk' (one move_candidates() call to stage to_stage).
CREATE FUNCTION mpt_moves(how text, jid bigint, lo int, hi int, to_stage bigint DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint := 0;
BEGIN
    IF how = 'statement' THEN
        SELECT count(*) INTO n FROM generate_series(lo, hi) c, LATERAL move_to_next_stage(c, jid);
    ELSIF how = 'savepoint' THEN
        FOR c IN lo .. hi LOOP
            BEGIN
                PERFORM move_to_next_stage(c, jid);
                n := n + 1;
            EXCEPTION WHEN OTHERS THEN
                RAISE;
            END;
        END LOOP;
    ELSE
        SELECT count(*) FILTER (WHERE outcome = 'moved') INTO n
          FROM move_candidates(jid, ARRAY(SELECT generate_series(lo, hi)::bigint), to_stage);
    END IF;
    RETURN n;
END $$;
GRANT EXECUTE ON FUNCTION mpt_moves(text, bigint, int, int, bigint) TO PUBLIC;
SET track_functions = 'all';    -- a superuser's setting; SET ROLE keeps it
SET ROLE wf_mpt_app;

\echo '== 1. Fixture: job 7100, 4 stages; stage 2 warns (a rule every candidate fails) and has an alert every candidate fires'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:mpt';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_workflow('Many moves', 4) AS wf \gset
SELECT test_stage(:wf, 2) AS s2, test_stage(:wf, 3) AS s3 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES
  (:s2, 'references', '{"field": "references", "op": "gte", "value": 1}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message)
VALUES (:s2, 'score', 'gte', '0', 'scored');
SELECT job_id FROM assign_workflow(7100, :wf);
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT g, jsonb_build_object('score', g, 'references', 0) FROM generate_series(1, 2100) g;
SELECT count(*) AS added FROM generate_series(1, 2100) g, add_candidate(g, 7100);
COMMIT;

\echo '== 2. One transaction: a warm-up batch, then two batches of 300 moves each way'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:mpt';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT mpt_moves('statement', 7100, 1, 100) AS warm_statement;
SELECT mpt_moves('savepoint', 7100, 101, 200) AS warm_savepoint;
SELECT mpt_moves('bulk', 7100, 201, 300, :s2) AS warm_bulk;
-- statement
SELECT mpt_snapshot() AS c0, mpt_memory() AS m0 \gset
SELECT mpt_moves('statement', 7100, 301, 600) AS moved;
SELECT mpt_snapshot() AS c1, mpt_memory() AS m1 \gset
SELECT mpt_moves('statement', 7100, 601, 900) AS moved;
SELECT mpt_snapshot() AS c2, mpt_memory() AS m2 \gset
SELECT mpt_batch(:'c0', :'c1') = mpt_batch(:'c1', :'c2') AS same_calls,
       (mpt_batch(:'c0', :'c1') ->> 'move_to_next_stage')::int AS moves_called,
       (mpt_batch(:'c0', :'c1') ->> 'candidate_stage_record')::int AS records,
       (:m2 - :m1) / 300 < 1024 AS memory_per_move_below_1kb;
-- a subtransaction per move
SELECT mpt_snapshot() AS c0, mpt_memory() AS m0 \gset
SELECT mpt_moves('savepoint', 7100, 901, 1200) AS moved;
SELECT mpt_snapshot() AS c1, mpt_memory() AS m1 \gset
SELECT mpt_moves('savepoint', 7100, 1201, 1500) AS moved;
SELECT mpt_snapshot() AS c2, mpt_memory() AS m2 \gset
SELECT mpt_batch(:'c0', :'c1') = mpt_batch(:'c1', :'c2') AS same_calls,
       (mpt_batch(:'c0', :'c1') ->> 'move_to_next_stage')::int AS moves_called,
       (:m2 - :m1) / 300 < 1024 AS memory_per_move_below_1kb;
-- move_candidates()
SELECT mpt_snapshot() AS c0, mpt_memory() AS m0 \gset
SELECT mpt_moves('bulk', 7100, 1501, 1800, :s2) AS moved;
SELECT mpt_snapshot() AS c1, mpt_memory() AS m1 \gset
SELECT mpt_moves('bulk', 7100, 1801, 2100, :s2) AS moved;
SELECT mpt_snapshot() AS c2, mpt_memory() AS m2 \gset
SELECT mpt_batch(:'c0', :'c1') = mpt_batch(:'c1', :'c2') AS same_calls,
       (mpt_batch(:'c0', :'c1') ->> 'candidate_stage_record')::int AS records,
       (:m2 - :m1) / 300 < 1024 AS memory_per_move_below_1kb;
-- every move wrote its history row and its alert event
SELECT count(*) AS history, sum(alerts_raised) AS alerts_raised
  FROM stage_transition WHERE job_id = 7100 AND to_stage_id = :s2;
SELECT count(*) AS alert_events FROM alert_event WHERE job_id = 7100;
COMMIT;

\echo '== 3. The same moves after commit: the history is there, once per move'
SET workflow_ext.tenant = 'org:mpt';
SET workflow_ext.actor = 'user:ann';
SELECT count(*) AS in_s2 FROM candidate_stage WHERE job_id = 7100 AND stage_id = :s2;
SELECT count(DISTINCT candidate_id) AS distinct_moved, count(*) AS history
  FROM stage_transition WHERE job_id = 7100 AND to_stage_id = :s2;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;

RESET ROLE;
RESET track_functions;
DROP FUNCTION mpt_moves(text, bigint, int, int, bigint);
DROP FUNCTION mpt_snapshot();
DROP FUNCTION mpt_batch(jsonb, jsonb);
DROP FUNCTION mpt_calls();
DROP FUNCTION mpt_memory();
DROP ROLE wf_mpt_app;
